# RUN: mopt %s | filecheck %s

# M 0.2 host additions: `break` and `continue` end their block as model.break and
# model.continue (no model.yield after them), inside model.for through model.if; `str(x)`
# is model.to_str, `+` on run-time strings model.str_concat (folded when both are known);
# `print(..., full=true)` carries `full`; `write` names its tensors.

let n = len(dataset("iris"))
for i in 0..n {
    if i == 1 {
        continue
    }
    if i > 3 {
        break
    }
    print("i=" + str(i), full=true)
}
write("w" + ".npz", a=ones([2]))

# CHECK-LABEL: func.func @main() {
# CHECK: [[RANGE:%.*]] = model.range {{%.*}}, {{%.*}} : !model.list<i64>
# CHECK-NEXT: model.for [[RANGE]] : !model.list<i64> {
# CHECK-NEXT: ^bb0(%i: i64):
# CHECK-NEXT: [[C1:%.*]] = arith.constant 1 : i64
# CHECK-NEXT: [[EQ:%.*]] = model.eq %i, [[C1]] : (i64, i64) -> i1
# CHECK-NEXT: model.if [[EQ]] {
# CHECK-NEXT: model.continue
# CHECK-NEXT: } else {
# CHECK-NEXT: model.yield
# CHECK-NEXT: }
# CHECK-NEXT: [[C3:%.*]] = arith.constant 3 : i64
# CHECK-NEXT: [[GT:%.*]] = model.gt %i, [[C3]] : (i64, i64) -> i1
# CHECK-NEXT: model.if [[GT]] {
# CHECK-NEXT: model.break
# CHECK-NEXT: } else {
# CHECK-NEXT: model.yield
# CHECK-NEXT: }
# CHECK-NEXT: [[STR:%.*]] = model.to_str %i : i64
# CHECK-NEXT: [[PREFIX:%.*]] = model.str "i="
# CHECK-NEXT: [[JOINED:%.*]] = model.str_concat [[PREFIX]], [[STR]]
# CHECK-NEXT: model.print full [[JOINED]] : !model.str
# CHECK-NEXT: model.yield
# CHECK-NEXT: }
# CHECK-NEXT: [[ONES:%.*]] = model.ones : tensor<2xf32>
# CHECK-NEXT: [[PATH:%.*]] = model.str "w.npz"
# CHECK-NEXT: model.write [[PATH]], ["a"] [[ONES]] : tensor<2xf32>
# CHECK-NEXT: func.return
