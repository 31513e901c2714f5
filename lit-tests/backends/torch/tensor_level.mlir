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
  func.func @noisy(%x: tensor<3xf32>) -> tensor<3xf32> {
    %n = tensorops.random "normal" : tensor<3xf32>
    %unused = tensorops.random "uniform" seed 7 : tensor<2xf32>
    %y = tensorops.add %x, %n : tensor<3xf32>, tensor<3xf32> -> tensor<3xf32>
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

// Samples go where the arguments are; one that nothing reads is still drawn, so that the
// draws after it are the reference backend's.
// CHECK-LABEL: def noisy(params, x, training=False):
// CHECK-NEXT:    """@noisy: (tensor<3xf32>) -> tensor<3xf32>"""
// CHECK-NEXT:    device = x.device
// CHECK-NEXT:    n = torch.randn((3,), device=device)
// CHECK-NEXT:    unused = torch.rand((2,), device=device, generator=torch.Generator(device).manual_seed(7))
// CHECK-NEXT:    del unused
// CHECK-NEXT:    y = torch.add(x, n)
// CHECK:       FUNCTIONS = {"double": double, "noisy": noisy}
