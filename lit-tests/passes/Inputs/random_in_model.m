# A model method that samples: there is no random tensor op, so lower-to-tensor fails.
model Noisy() {
    l = Linear(4, 4)
    fn forward(x: f32[N, 4]) -> f32[N, 4] {
        return x + randn([4])
    }
}
let m = Noisy()
