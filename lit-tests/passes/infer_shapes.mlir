// RUN: mopt %s -p infer-shapes | filecheck %s
// RUN: mopt %s -p infer-shapes --mlir-pass-statistics 2>&1 >/dev/null | filecheck %s --check-prefix=STATS

// Unknown sizes in the results of a layer chain are filled in from the parameters, and
// the method's signature follows the value it returns.

model.def @Net attributes {source = "Net", hparams = {}} {
  model.param @fc.weight : tensor<10x64xf32> init "uniform"(1.250000e-01 : f64)
  model.param @fc.bias : tensor<10xf32> init "uniform"(1.250000e-01 : f64)
  func.func @forward(%x: tensor<?x64xf32>) -> tensor<?x?xf32> {
    %w = model.get_param @fc.weight : tensor<10x64xf32>
    %b = model.get_param @fc.bias : tensor<10xf32>
    %y = model.linear %x, %w, %b : (tensor<?x64xf32>, tensor<10x64xf32>, tensor<10xf32>) -> tensor<?x?xf32>
    %r = model.relu %y : tensor<?x?xf32> -> tensor<?x?xf32>
    %s = model.softmax %r {axis = -1 : i64} : tensor<?x?xf32> -> tensor<?x?xf32>
    func.return %s : tensor<?x?xf32>
  }
}

// CHECK-LABEL: func.func @forward(%x: tensor<?x64xf32>) -> tensor<?x10xf32>
// CHECK:         %y = model.linear %x, %w, %b : (tensor<?x64xf32>, tensor<10x64xf32>, tensor<10xf32>) -> tensor<?x10xf32>
// CHECK-NEXT:    %r = model.relu %y : tensor<?x10xf32> -> tensor<?x10xf32>
// CHECK-NEXT:    %s = model.softmax %r {axis = -1 : i64} : tensor<?x10xf32> -> tensor<?x10xf32>
// CHECK-NEXT:    func.return %s : tensor<?x10xf32>

// STATS: 'infer-shapes'
// STATS: (S) 3 num-refined
