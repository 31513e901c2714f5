// Two linear layers, as `calibrate` leaves them: the range of fc1's input is known
// (fc2's is not, as if fc2 were in another method).
model.def @Net attributes {source = "Net", hparams = {}, calibration = {fc1.weight = 2.540000e+00 : f32}} {
  model.param @fc1.weight : tensor<8x4xf32> init "uniform"(5.000000e-01 : f64)
  model.param @fc2.weight : tensor<3x8xf32> init "uniform"(5.000000e-01 : f64)
  func.func @forward(%x: tensor<?x4xf32>) -> tensor<?x3xf32> {
    %w1 = model.get_param @fc1.weight : tensor<8x4xf32>
    %w1t = tensorops.transpose %w1 [1, 0] : tensor<8x4xf32> -> tensor<4x8xf32>
    %h = tensorops.matmul %x, %w1t : tensor<?x4xf32>, tensor<4x8xf32> -> tensor<?x8xf32>
    %w2 = model.get_param @fc2.weight : tensor<3x8xf32>
    %w2t = tensorops.transpose %w2 [1, 0] : tensor<3x8xf32> -> tensor<8x3xf32>
    %y = tensorops.matmul %h, %w2t : tensor<?x8xf32>, tensor<8x3xf32> -> tensor<?x3xf32>
    func.return %y : tensor<?x3xf32>
  }
}
