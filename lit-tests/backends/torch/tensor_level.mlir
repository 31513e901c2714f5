// RUN: mopt %s -t torch | filecheck %s

// Tensor-level IR prints as is: a model.def already holding tensor ops is not lowered
// again, and top-level functions of tensor ops make one more module. Each value is
// deleted after its last use, so that intermediates are freed as early as in eager code.

builtin.module {
  model.def @Scale attributes {source = "Scale", hparams = {}} {
    model.param @w : tensor<4xf32> init "ones"(1.0 : f64)
    func.func @forward(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
      %w = model.get_param @w : tensor<4xf32>
      %y = tensorops.mul %x, %w : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
      func.return %y : tensor<?x4xf32>
    }
  }
  func.func @double(%x: tensor<3xf32>) -> tensor<3xf32> {
    %y = tensorops.add %x, %x : tensor<3xf32>, tensor<3xf32> -> tensor<3xf32>
    func.return %y : tensor<3xf32>
  }
}

// CHECK-LABEL: # model.def @Scale
// CHECK-LABEL: def forward(params, x, training=False):
// CHECK-NEXT:    """@forward: (tensor<?x4xf32>) -> tensor<?x4xf32>"""
// CHECK-NEXT:    w = params["w"]
// CHECK-NEXT:    y = torch.mul(x, w)
// CHECK-NEXT:    del x, w
// CHECK-NEXT:    return y
// CHECK:       FUNCTIONS = {"forward": forward}
// CHECK-LABEL: # functions
// CHECK-LABEL: def double(params, x, training=False):
// CHECK-NEXT:    """@double: (tensor<3xf32>) -> tensor<3xf32>"""
// CHECK-NEXT:    y = torch.add(x, x)
// CHECK-NEXT:    del x
// CHECK-NEXT:    return y
// CHECK:       FUNCTIONS = {"double": double}
