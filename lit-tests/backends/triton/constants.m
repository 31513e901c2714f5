# RUN: mopt %s -t triton | filecheck %s
# RUN: mrun %s --backend triton 2>/dev/null | filecheck %s --check-prefix=OUT
# RUN: mrun %s --backend reference | filecheck %s --check-prefix=OUT

# Every constant in a kernel is a typed 0-d tensor of its compute type, so that it parses
# wherever it stands (a cast of the constant 8 once printed as `8.to(tl.float32)`) and
# keeps its type: int64 past int32, float16 values rounded to float16.

model Scores(d: int, heads: int) {
    fn forward(q: f32[N, T, d], k: f32[N, T, d]) -> f32[N, T, T] {
        return (q @ transpose(k, 1, 2)) / sqrt(cast(full([], d / heads), f32))
    }
}

model Constants(d: int) {
    fn forward(x: f32[N, d], i: i64[N, d]) -> f32[N, d] {
        let a = where(x > 0, x / 8, -0.5) + cast(cast(x, bool), f32)
        return a + cast(i * 3000000000 > 5000000000, f32) + cast(x * cast(full([], 3), f32), f16)
    }
}

let s = Scores(16, 2)
let c = Constants(4)
let q = tensor([[[1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 2.0]]])
print(s(q, q))
print(c(tensor([[1.5, -2.0, 0.0, 4.0]]), cast(tensor([[1, -2, 0, 7]]), i64)))

# CHECK-LABEL: # model.def @Scores_16_2
# CHECK:       def forward_matmul0_kernel(
# CHECK:         = (acc / tl.full([], 2.828427, tl.float32))

# CHECK-LABEL: # model.def @Constants_4
# CHECK:       def forward_pointwise0_kernel(
# CHECK:         = ({{x[0-9]+}} > tl.full([], 0.0, tl.float32))
# CHECK:         = ({{x[0-9]+}} / tl.full([], 8.0, tl.float32))
# CHECK:         = tl.where({{t[0-9]+}}, {{t[0-9]+}}, tl.full([], -0.5, tl.float32))
# CHECK:         = ({{x[0-9]+}} * tl.full([], 3000000000, tl.int64))
# CHECK:         = ({{t[0-9]+}} > tl.full([], 5000000000, tl.int64))
# CHECK:         = tl.full([], 3.0, tl.float32)
# CHECK-NOT:     {{[ (=][0-9.]+}}.to(
# CHECK:       def forward_pointwise0(device,

# OUT:      {{\[\[\[}}1.767767]]]
# OUT-NEXT: {{\[\[}} 5.6875 -5.5    -0.5    14.5   ]]
