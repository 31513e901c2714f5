// RUN: mopt %s -p lower-creation | filecheck %s

// Tensor constants, creation ops and random samples become tensorops.

model.def @Net attributes {source = "Net", hparams = {}} {
  func.func @forward(%ids: tensor<?x3xi32>) -> tensor<?x3x5xi64> {
    %o = model.one_hot %ids {n = 5 : i64} : tensor<?x3xi32> -> tensor<?x3x5xi64>
    func.return %o : tensor<?x3x5xi64>
  }
  func.func @creation() -> (tensor<2x3xf32>, tensor<3xi64>, tensor<4xi64>, tensor<2xf32>) {
    %c = arith.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
    %z = model.ones : tensor<2x3xf32>
    %f = model.full {value = 7.000000e+00 : f64} : tensor<3xi64>
    %r = model.arange : tensor<4xi64>
    func.return %z, %f, %r, %c : tensor<2x3xf32>, tensor<3xi64>, tensor<4xi64>, tensor<2xf32>
  }
  func.func @samples() -> (tensor<2x3xf32>, tensor<4xf32>) {
    %n = model.randn : tensor<2x3xf32>
    %u = model.rand {seed = 7 : i64} : tensor<4xf32>
    %unused = model.randn : tensor<5xf32>
    func.return %n, %u : tensor<2x3xf32>, tensor<4xf32>
  }
}

// CHECK-LABEL: func.func @forward(
// CHECK-NEXT:    [[CONSTANT:%.*]] = tensorops.constant dense<[0, 1, 2, 3, 4]> : tensor<5xi64>
// CHECK-NEXT:    [[CAST:%.*]] = tensorops.cast %ids : tensor<?x3xi32> -> tensor<?x3xi64>
// CHECK-NEXT:    [[RESHAPE:%.*]] = tensorops.reshape [[CAST]] : tensor<?x3xi64> -> tensor<?x3x1xi64>
// CHECK-NEXT:    [[EQ:%.*]] = tensorops.eq [[RESHAPE]], [[CONSTANT]] : tensor<?x3x1xi64>, tensor<5xi64> -> tensor<?x3x5xi1>
// CHECK-NEXT:    %o = tensorops.cast [[EQ]] : tensor<?x3x5xi1> -> tensor<?x3x5xi64>
// CHECK-NEXT:    func.return %o : tensor<?x3x5xi64>

// CHECK-LABEL: func.func @creation(
// CHECK-NEXT:    %c = tensorops.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
// CHECK-NEXT:    %z = tensorops.constant dense<1.000000e+00> : tensor<2x3xf32>
// CHECK-NEXT:    %f = tensorops.constant dense<7> : tensor<3xi64>
// CHECK-NEXT:    %r = tensorops.constant dense<[0, 1, 2, 3]> : tensor<4xi64>
// CHECK-NEXT:    func.return %z, %f, %r, %c : tensor<2x3xf32>, tensor<3xi64>, tensor<4xi64>, tensor<2xf32>

// Samples keep their seed; an unused one stays, since it moves the generator on.
// CHECK-LABEL: func.func @samples(
// CHECK-NEXT:    %n = tensorops.random "normal" : tensor<2x3xf32>
// CHECK-NEXT:    %u = tensorops.random "uniform" seed 7 : tensor<4xf32>
// CHECK-NEXT:    %unused = tensorops.random "normal" : tensor<5xf32>
// CHECK-NEXT:    func.return %n, %u : tensor<2x3xf32>, tensor<4xf32>
