# RUN: mopt %s -p 'lower-to-tensor,calibrate{dataset=digits},quantize{mode=static}' | filecheck %s
# RUN: not mopt %s -p 'lower-to-tensor,calibrate{dataset=iris}' 2>&1 | filecheck %s --check-prefix=FRACTIONS

# A forward of integer ids is calibrated on a data set whose features are whole numbers
# (digits' pixels, 0 to 16), which become the ids, as `mrun` does; iris's are not.

# CHECK:      model.def @Bag attributes {{{.*}}calibration = {fc.weight = {{[0-9.e+-]+}} : f32}, quantization = "static"
# CHECK:        tensorops.quantize {{%.+}}, %xs : tensor<?x4xf32>, tensor<f32> -> tensor<?x4xi8>
# FRACTIONS:  error: calibrate: the data set's features [150, 4] do not fit the inputs of forward: tensor<?x?xi64>

model Bag() {
    e = Embedding(17, 4)
    fc = Linear(4, 10)
    fn forward(ids: i64[N, T]) -> f32[N, 10] {
        return fc(mean(e(ids), axis=1))
    }
}
let net = Bag()
