# RUN: not mopt %s --split-input-file 2>&1 | filecheck %s

# Names and arguments: unknown names, arity, keywords, duplicates and missing methods.

# CHECK: {{.*}}name_errors.m:6:9: error: unknown name 'undefined_thing'
let a = undefined_thing

# -----

fn two(a: f32[2], b: f32[2]) -> f32[2] { return a + b }
# CHECK: {{.*}}name_errors.m:12:35: error: two takes at most 2 arguments, got 3
print(two(zeros([2]), zeros([2]), zeros([2])))

# -----

fn two(a: f32[2], b: f32[2]) -> f32[2] { return a + b }
# CHECK: {{.*}}name_errors.m:18:7: error: two is missing its argument 'b'
print(two(zeros([2])))

# -----

# CHECK: {{.*}}name_errors.m:23:27: error: softmax has no parameter 'dim'; it takes: x, axis
print(softmax(zeros([2]), dim=0))

# -----

# CHECK: {{.*}}name_errors.m:28:31: error: duplicate keyword argument 'axis'
print(sum(zeros([2]), axis=0, axis=0))

# -----

model Twice() {
    fc = Linear(2, 2)

    fn forward(x: f32[N, 2]) -> f32[N, 2] {
        return fc(x)
    }
}

# CHECK: {{.*}}name_errors.m:41:1: error: 'Twice' is already declared at {{.*}}name_errors.m:32:1
model Twice() {
    fc = Linear(2, 2)

    fn forward(x: f32[N, 2]) -> f32[N, 2] {
        return fc(x)
    }
}

# -----

# CHECK: {{.*}}name_errors.m:52:1: error: 'never_declared' is not defined; use 'let'
never_declared = 3

# -----

# CHECK: {{.*}}name_errors.m:57:1: error: model NoForward has no 'forward' method
model NoForward() {
    fc = Linear(2, 2)

    fn encode(x: f32[N, 2]) -> f32[N, 2] {
        return fc(x)
    }
}
let n = NoForward()

# -----

model Net() {
    fc = Linear(2, 2)

    fn forward(x: f32[N, 2]) -> f32[N, 2] {
        return fc(x)
    }
}
let net = Net()
# CHECK: {{.*}}name_errors.m:77:7: error: model Net has no method 'decode'
print(net.decode(zeros([1, 2])))

# -----

model Dup() {
    fc = Linear(2, 2)
    # CHECK: {{.*}}name_errors.m:84:5: error: field 'fc' is declared twice
    fc = Linear(2, 2)

    fn forward(x: f32[N, 2]) -> f32[N, 2] {
        return fc(x)
    }
}
let d = Dup()

# -----

model Inner() {
    fc = Linear(2, 2)

    fn forward(x: f32[N, 2]) -> f32[N, 2] {
        # CHECK: {{.*}}name_errors.m:99:24: error: unknown name 'missing_field'
        return fc(x) + missing_field(x)
    }
}
let i = Inner()

# -----

# CHECK: {{.*}}name_errors.m:107:1: error: 'return' outside a function
return 1
