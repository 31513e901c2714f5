# RUN: mopt %s -p cse | filecheck %s

# Tuple types must be hashable: cse hashes the result types of the ops it compares (it
# failed with "unhashable type: 'list'"), and two equal host tuples become one.

let (a, b) = split(dataset("iris"), 0.5)
print((1, "x"), (1, "x"), len(a))

# CHECK-LABEL: func.func @main() {
# CHECK: model.split {{.*}} -> tuple<!model.dataset, !model.dataset>
# CHECK: [[TUPLE:%.*]] = model.tuple {{.*}} -> tuple<i64, !model.str>
# CHECK-NOT: model.tuple
# CHECK: model.print [[TUPLE]], [[TUPLE]], {{%.*}} :
