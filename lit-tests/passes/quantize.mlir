// RUN: mopt %s -p 'quantize{mode=weight}' --split-input-file | filecheck %s --check-prefix=WEIGHT
// RUN: mopt %s -p 'quantize{mode=weight granularity=tensor}' --split-input-file | filecheck %s --check-prefix=TENSOR
// RUN: mopt %s -p 'quantize{mode=dynamic}' --split-input-file | filecheck %s --check-prefix=DYNAMIC
// RUN: mopt %s -p 'quantize{mode=static}' --split-input-file --verify-diagnostics -o %t
// RUN: mopt %S/Inputs/calibrated.mlir -p 'quantize{mode=static}' | filecheck %s --check-prefix=STATIC
// RUN: not mopt %s -p 'quantize{mode=dynamic},quantize{mode=dynamic}' 2>&1 | filecheck %s --check-prefix=TWICE
// RUN: not mopt %s -p 'quantize{mode=int4}' 2>&1 | filecheck %s --check-prefix=MODE
// RUN: not mopt %S/../frontend/sequential_model.m -p quantize 2>&1 | filecheck %s --check-prefix=LEVEL
// RUN: mopt %s -p 'quantize{mode=dynamic}' --split-input-file | mopt --split-input-file | filecheck %s --check-prefix=DYNAMIC

// TWICE: quantize.mlir:{{[0-9]+}}:1: error: quantize: model.def @Net is already quantized
// LEVEL: sequential_model.m:{{[0-9]+:[0-9]+}}: error: quantize: 'model.linear' is not a tensor op: run lower-to-tensor first
// MODE: error: invalid options for pass 'quantize': unknown mode 'int4', expected one of weight, dynamic, static

// A linear layer as lower-linear emits it. The weight becomes int8 with a float32 scale
// per output channel (per tensor with granularity=tensor) ...

// WEIGHT:      model.def @Net attributes {{{.*}}quantization = "weight", granularity = "channel"}
// WEIGHT-NEXT:   model.param @fc.weight : tensor<8x4xi8> init "uniform"
// WEIGHT-NEXT:   model.param @fc.weight.scale : tensor<8x1xf32> init "ones"
// WEIGHT-NEXT:   model.param @fc.bias : tensor<8xf32>
// WEIGHT-LABEL:  func.func @forward
// WEIGHT-NEXT:     [[Q:%.+]] = model.get_param @fc.weight : tensor<8x4xi8>
// WEIGHT-NEXT:     [[S:%.+]] = model.get_param @fc.weight.scale : tensor<8x1xf32>
// WEIGHT-NEXT:     [[W:%.+]] = tensorops.dequantize [[Q]], [[S]] : tensor<8x4xi8>, tensor<8x1xf32> -> tensor<8x4xf32>
// WEIGHT-NEXT:     [[B:%.+]] = model.get_param @fc.bias
// WEIGHT-NEXT:     [[WT:%.+]] = tensorops.transpose [[W]] [1, 0]
// WEIGHT-NEXT:     [[P:%.+]] = tensorops.matmul %x, [[WT]] : tensor<?x5x4xf32>, tensor<4x8xf32> -> tensor<?x5x8xf32>
// WEIGHT-NEXT:     tensorops.add [[P]], [[B]]

// TENSOR:        model.param @fc.weight.scale : tensor<f32> init "ones"
// TENSOR:        tensorops.dequantize {{.*}} : tensor<8x4xi8>, tensor<f32> -> tensor<8x4xf32>

// ... and in dynamic mode the activation is quantized per row, the product is int8 by
// int8 into int32, and the result is scaled back by both scales.

// DYNAMIC:      model.def @Net attributes {{{.*}}quantization = "dynamic", granularity = "channel"}
// DYNAMIC-LABEL:  func.func @forward
// DYNAMIC-NEXT:     [[Q:%.+]] = model.get_param @fc.weight : tensor<8x4xi8>
// DYNAMIC-NEXT:     [[S:%.+]] = model.get_param @fc.weight.scale : tensor<8x1xf32>
// DYNAMIC-NEXT:     [[B:%.+]] = model.get_param @fc.bias
// DYNAMIC-NEXT:     [[HI:%.+]] = tensorops.reduce_max %x axes [2] keepdim : tensor<?x5x4xf32> -> tensor<?x5x1xf32>
// DYNAMIC-NEXT:     [[LO:%.+]] = tensorops.reduce_min %x axes [2] keepdim
// DYNAMIC-NEXT:     [[NLO:%.+]] = tensorops.neg [[LO]]
// DYNAMIC-NEXT:     [[AM:%.+]] = tensorops.maximum [[HI]], [[NLO]]
// DYNAMIC-NEXT:     [[C127:%.+]] = tensorops.constant dense<1.270000e+02> : tensor<f32>
// DYNAMIC-NEXT:     [[S0:%.+]] = tensorops.div [[AM]], [[C127]]
// DYNAMIC-NEXT:     [[ZERO:%.+]] = tensorops.constant dense<0.000000e+00> : tensor<f32>
// DYNAMIC-NEXT:     [[POS:%.+]] = tensorops.gt [[S0]], [[ZERO]]
// DYNAMIC-NEXT:     [[ONE:%.+]] = tensorops.constant dense<1.000000e+00> : tensor<f32>
// DYNAMIC-NEXT:     [[XS:%.+]] = tensorops.select [[POS]], [[S0]], [[ONE]] : tensor<?x5x1xi1>, tensor<?x5x1xf32>, tensor<f32> -> tensor<?x5x1xf32>
// DYNAMIC-NEXT:     [[XQ:%.+]] = tensorops.quantize %x, [[XS]] : tensor<?x5x4xf32>, tensor<?x5x1xf32> -> tensor<?x5x4xi8>
// DYNAMIC-NEXT:     [[QT:%.+]] = tensorops.transpose [[Q]] [1, 0] : tensor<8x4xi8> -> tensor<4x8xi8>
// DYNAMIC-NEXT:     [[ST:%.+]] = tensorops.transpose [[S]] [1, 0] : tensor<8x1xf32> -> tensor<1x8xf32>
// DYNAMIC-NEXT:     [[P:%.+]] = tensorops.matmul [[XQ]], [[QT]] : tensor<?x5x4xi8>, tensor<4x8xi8> -> tensor<?x5x8xi32>
// DYNAMIC-NEXT:     [[PF:%.+]] = tensorops.cast [[P]] : tensor<?x5x8xi32> -> tensor<?x5x8xf32>
// DYNAMIC-NEXT:     [[R:%.+]] = tensorops.mul [[PF]], [[XS]]
// DYNAMIC-NEXT:     [[Y:%.+]] = tensorops.mul [[R]], [[ST]] : tensor<?x5x8xf32>, tensor<1x8xf32> -> tensor<?x5x8xf32>
// DYNAMIC-NEXT:     tensorops.add [[Y]], [[B]]
// DYNAMIC-NOT:      tensorops.dequantize

// expected-error@+1 {{quantize: mode=static needs the 'calibration' attribute of model.def @Net; run `calibrate` first}}
model.def @Net attributes {source = "Net", hparams = {}} {
  model.param @fc.weight : tensor<8x4xf32> init "uniform"(5.000000e-01 : f64)
  model.param @fc.bias : tensor<8xf32> init "uniform"(5.000000e-01 : f64)
  func.func @forward(%x: tensor<?x5x4xf32>) -> tensor<?x5x8xf32> {
    %w = model.get_param @fc.weight : tensor<8x4xf32>
    %b = model.get_param @fc.bias : tensor<8xf32>
    %wt = tensorops.transpose %w [1, 0] : tensor<8x4xf32> -> tensor<4x8xf32>
    %xw = tensorops.matmul %x, %wt : tensor<?x5x4xf32>, tensor<4x8xf32> -> tensor<?x5x8xf32>
    %y = tensorops.add %xw, %b : tensor<?x5x8xf32>, tensor<8xf32> -> tensor<?x5x8xf32>
    func.return %y : tensor<?x5x8xf32>
  }
}

// -----

// A weight read without a transpose ([in, out]: its output channels are its columns, so
// the scale is [1, out]) and also by a gather (not a site: it gets the dequantized
// weight); a product of two activations and one of a 1-d lhs stay float.

// WEIGHT-LABEL:  model.def @Tied
// WEIGHT:          model.param @emb : tensor<6x6xi8>
// WEIGHT-NEXT:     model.param @emb.scale : tensor<1x6xf32>

// DYNAMIC-LABEL: model.def @Tied
// DYNAMIC:         model.param @emb : tensor<6x6xi8>
// DYNAMIC-NEXT:    model.param @emb.scale : tensor<1x6xf32>
// DYNAMIC-LABEL:   func.func @forward
// DYNAMIC-NEXT:      [[Q:%.+]] = model.get_param @emb : tensor<6x6xi8>
// DYNAMIC-NEXT:      [[S:%.+]] = model.get_param @emb.scale : tensor<1x6xf32>
// DYNAMIC-NEXT:      [[W:%.+]] = tensorops.dequantize [[Q]], [[S]]
// DYNAMIC-NEXT:      [[E:%.+]] = tensorops.gather [[W]][%ids]
// DYNAMIC:           tensorops.quantize [[E]]
// DYNAMIC:           tensorops.matmul {{%.+}}, [[Q]] : tensor<?x6xi8>, tensor<6x6xi8> -> tensor<?x6xi32>
// DYNAMIC:           tensorops.mul {{%.+}}, [[S]] : tensor<?x6xf32>, tensor<1x6xf32>
// DYNAMIC:           tensorops.matmul {{.*}} : tensor<?x6xf32>, tensor<6x?xf32> -> tensor<?x?xf32>
// DYNAMIC:           tensorops.matmul {{.*}} : tensor<6xf32>, tensor<6x6xf32> -> tensor<6xf32>
// expected-error@+1 {{quantize: mode=static needs the 'calibration' attribute of model.def @Tied}}
model.def @Tied attributes {source = "Tied", hparams = {}} {
  model.param @emb : tensor<6x6xf32> init "normal"(1.000000e+00 : f64)
  func.func @forward(%ids: tensor<?xi64>, %v: tensor<6xf32>) -> (tensor<?x6xf32>, tensor<?x?xf32>, tensor<6xf32>) {
    %w = model.get_param @emb : tensor<6x6xf32>
    %e = tensorops.gather %w[%ids] : tensor<6x6xf32>, tensor<?xi64> -> tensor<?x6xf32>
    %y = tensorops.matmul %e, %w : tensor<?x6xf32>, tensor<6x6xf32> -> tensor<?x6xf32>
    %et = tensorops.transpose %e [1, 0] : tensor<?x6xf32> -> tensor<6x?xf32>
    %g = tensorops.matmul %y, %et : tensor<?x6xf32>, tensor<6x?xf32> -> tensor<?x?xf32>
    %z = tensorops.matmul %v, %w : tensor<6xf32>, tensor<6x6xf32> -> tensor<6xf32>
    func.return %y, %g, %z : tensor<?x6xf32>, tensor<?x?xf32>, tensor<6xf32>
  }
}

// -----

// Convolution filters and embedding tables are stored as int8 in every mode, one scale per
// output channel or row, and computed with in float32: a lookup gathers int8 rows and
// their scales and dequantizes those alone.

// WEIGHT-LABEL:  model.def @Lookup
// WEIGHT:          model.param @conv.weight : tensor<4x2x3x3xi8>
// WEIGHT-NEXT:     model.param @conv.weight.scale : tensor<4x1x1x1xf32>
// WEIGHT:          model.param @emb.weight : tensor<10x4xi8>
// WEIGHT-NEXT:     model.param @emb.weight.scale : tensor<10x1xf32>

// TENSOR-LABEL:  model.def @Lookup
// TENSOR:          model.param @conv.weight.scale : tensor<f32>
// TENSOR:          model.param @emb.weight.scale : tensor<f32>
// TENSOR:          [[T:%.+]] = tensorops.dequantize {{%.+}}, {{%.+}} : tensor<10x4xi8>, tensor<f32> -> tensor<10x4xf32>
// TENSOR-NEXT:     tensorops.gather [[T]][%ids]

// DYNAMIC-LABEL: model.def @Lookup
// DYNAMIC:         func.func @forward
// DYNAMIC-NEXT:      [[CQ:%.+]] = model.get_param @conv.weight : tensor<4x2x3x3xi8>
// DYNAMIC-NEXT:      [[CS:%.+]] = model.get_param @conv.weight.scale : tensor<4x1x1x1xf32>
// DYNAMIC-NEXT:      [[W:%.+]] = tensorops.dequantize [[CQ]], [[CS]] : tensor<4x2x3x3xi8>, tensor<4x1x1x1xf32> -> tensor<4x2x3x3xf32>
// DYNAMIC-NEXT:      tensorops.conv2d %x, [[W]]
// DYNAMIC:         func.func @lookup
// DYNAMIC-NEXT:      [[EQ:%.+]] = model.get_param @emb.weight : tensor<10x4xi8>
// DYNAMIC-NEXT:      [[ES:%.+]] = model.get_param @emb.weight.scale : tensor<10x1xf32>
// DYNAMIC-NEXT:      [[ROWS:%.+]] = tensorops.gather [[EQ]][%ids] : tensor<10x4xi8>, tensor<?x3xi64> -> tensor<?x3x4xi8>
// DYNAMIC-NEXT:      [[SCALES:%.+]] = tensorops.gather [[ES]][%ids] : tensor<10x1xf32>, tensor<?x3xi64> -> tensor<?x3x1xf32>
// DYNAMIC-NEXT:      %e = tensorops.dequantize [[ROWS]], [[SCALES]] : tensor<?x3x4xi8>, tensor<?x3x1xf32> -> tensor<?x3x4xf32>
// DYNAMIC-NEXT:      func.return %e
model.def @Lookup attributes {source = "Lookup", hparams = {}, calibration = {}} {
  model.param @conv.weight : tensor<4x2x3x3xf32> init "uniform"(1.000000e+00 : f64)
  model.param @emb.weight : tensor<10x4xf32> init "normal"(1.000000e+00 : f64)
  func.func @forward(%x: tensor<?x2x5x5xf32>) -> tensor<?x4x3x3xf32> {
    %w = model.get_param @conv.weight : tensor<4x2x3x3xf32>
    %y = tensorops.conv2d %x, %w stride [1, 1] padding [0, 0] : tensor<?x2x5x5xf32>, tensor<4x2x3x3xf32> -> tensor<?x4x3x3xf32>
    func.return %y : tensor<?x4x3x3xf32>
  }
  func.func @lookup(%ids: tensor<?x3xi64>) -> tensor<?x3x4xf32> {
    %t = model.get_param @emb.weight : tensor<10x4xf32>
    %e = tensorops.gather %t[%ids] : tensor<10x4xf32>, tensor<?x3xi64> -> tensor<?x3x4xf32>
    func.return %e : tensor<?x3x4xf32>
  }
}

// Static mode (Inputs/calibrated.mlir): the recorded range of fc1's input gives one
// constant scale, 2.54 / 127; fc2's input has no range and is quantized per row.

// STATIC:       model.def @Net attributes {{{.*}}quantization = "static"
// STATIC-LABEL: func.func @forward
// STATIC:         [[XS:%.+]] = tensorops.constant dense<2.000000e-02> : tensor<f32>
// STATIC-NEXT:    [[XQ:%.+]] = tensorops.quantize %x, [[XS]] : tensor<?x4xf32>, tensor<f32> -> tensor<?x4xi8>
// STATIC:         tensorops.matmul [[XQ]], {{%.+}} : tensor<?x4xi8>, tensor<4x8xi8> -> tensor<?x8xi32>
// STATIC:         tensorops.mul {{%.+}}, [[XS]] : tensor<?x8xf32>, tensor<f32>
// STATIC:         tensorops.reduce_max %h axes [1] keepdim
// STATIC:         tensorops.quantize %h, {{%.+}} : tensor<?x8xf32>, tensor<?x1xf32> -> tensor<?x8xi8>
