# std.resnet: ResNet (He et al., 2016) with Hugging Face's parameter names, so that a
# checkpoint `transformers` wrote loads with no renaming (`pretrained(PATH)` builds these
# models from the folder's config.json).
#
# Hyper-parameters are named as in ResNetConfig: `depths` and `hidden_sizes` are lists,
# one item a stage; `bottleneck` is layer_type == "bottleneck". Every forward takes Hugging
# Face's `pixel_values`, [N, num_channels, H, W]. Batch normalisation uses its running
# statistics in evaluation and updates them when `fit` trains.

# A convolution (no bias, "same" padding for odd kernels), batch normalisation, then ReLU
# unless `activation` is false.
model ResNetConvLayer(in_channels: int, out_channels: int, kernel_size: int, stride: int,
                      activation: bool) {
    convolution = Conv2d(in_channels, out_channels, kernel_size, stride=stride,
                         padding=(kernel_size - 1) / 2, bias=false)
    normalization = BatchNorm2d(out_channels)

    fn forward(input: f32[N, in_channels, H, W]) -> f32[N, out_channels, ?, ?] {
        let hidden_state = normalization(convolution(input))
        if activation {
            return relu(hidden_state)
        }
        return hidden_state
    }
}

# The residual's projection where a layer changes the width or the resolution: a 1x1
# convolution and batch normalisation.
model ResNetShortCut(in_channels: int, out_channels: int, stride: int) {
    convolution = Conv2d(in_channels, out_channels, 1, stride=stride, bias=false)
    normalization = BatchNorm2d(out_channels)

    fn forward(input: f32[N, in_channels, H, W]) -> f32[N, out_channels, ?, ?] {
        return normalization(convolution(input))
    }
}

# The stem: a 7x7 stride-2 convolution and a 3x3 stride-2 max pooling (1/4 resolution).
model ResNetEmbeddings(num_channels: int, embedding_size: int) {
    embedder = ResNetConvLayer(num_channels, embedding_size, 7, 2, true)
    pooler = MaxPool2d(3, stride=2, padding=1)

    fn forward(pixel_values: f32[N, num_channels, H, W]) -> f32[N, embedding_size, ?, ?] {
        return pooler(embedder(pixel_values))
    }
}

# Two 3x3 convolutions (the first with the stride).
model ResNetBasicConvs(in_channels: int, out_channels: int, stride: int) =
    ResNetConvLayer(in_channels, out_channels, 3, stride, true)
    |> ResNetConvLayer(out_channels, out_channels, 3, 1, false)

# A 1x1 convolution down to a quarter of the width, a 3x3 one, and a 1x1 one back up; the
# stride is the first's with downsample_in_bottleneck, else the second's.
model ResNetBottleNeckConvs(in_channels: int, out_channels: int, stride: int,
                            downsample_in_bottleneck: bool) =
    ResNetConvLayer(in_channels, out_channels / 4, 1,
                    stride if downsample_in_bottleneck else 1, true)
    |> ResNetConvLayer(out_channels / 4, out_channels / 4, 3,
                       1 if downsample_in_bottleneck else stride, true)
    |> ResNetConvLayer(out_channels / 4, out_channels, 1, 1, false)

# A residual layer: relu(layer(x) + shortcut(x)), the shortcut projecting x where the
# width or the resolution changes and the identity elsewhere.
model ResNetLayer(in_channels: int, out_channels: int, stride: int, bottleneck: bool,
                  downsample_in_bottleneck: bool) {
    shortcut = (ResNetShortCut(in_channels, out_channels, stride)
                if in_channels != out_channels or stride != 1 else Identity())
    layer = (ResNetBottleNeckConvs(in_channels, out_channels, stride, downsample_in_bottleneck)
             if bottleneck else ResNetBasicConvs(in_channels, out_channels, stride))

    fn forward(hidden_state: f32[N, in_channels, H, W]) -> f32[N, out_channels, ?, ?] {
        return relu(layer(hidden_state) + shortcut(hidden_state))
    }
}

# `depth` layers of one width; the first changes the width and the resolution.
model ResNetStage(in_channels: int, out_channels: int, stride: int, depth: int,
                  bottleneck: bool, downsample_in_bottleneck: bool) {
    layers = [ResNetLayer(in_channels if i == 0 else out_channels, out_channels,
                          stride if i == 0 else 1, bottleneck, downsample_in_bottleneck)
              for i in 0..depth]

    fn forward(input: f32[N, in_channels, H, W]) -> f32[N, out_channels, ?, ?] {
        let hidden_state = input
        for layer in layers {
            hidden_state = layer(hidden_state)
        }
        return hidden_state
    }
}

# The stages: stage i is hidden_sizes[i] wide with depths[i] layers and halves the
# resolution, but the first, which does so only with downsample_in_first_stage.
model ResNetEncoder(embedding_size: int, hidden_sizes, depths, bottleneck: bool,
                    downsample_in_first_stage: bool, downsample_in_bottleneck: bool) {
    stages = [ResNetStage(embedding_size if i == 0 else hidden_sizes[i - 1], hidden_sizes[i],
                          (2 if downsample_in_first_stage else 1) if i == 0 else 2, depths[i],
                          bottleneck, downsample_in_bottleneck)
              for i in 0..len(depths)]

    fn forward(hidden_state: f32[N, embedding_size, H, W]) -> f32[N, ?, ?, ?] {
        let h = hidden_state
        for stage in stages {
            h = stage(h)
        }
        return h
    }
}

# The stem and the stages; forward returns the last feature map, as Hugging Face's
# `last_hidden_state`, and `pooled` its average over the positions, [N, C, 1, 1]
# (`pooler_output`).
model ResNetModel(num_channels: int, embedding_size: int, hidden_sizes, depths,
                  bottleneck: bool, downsample_in_first_stage: bool,
                  downsample_in_bottleneck: bool) {
    embedder = ResNetEmbeddings(num_channels, embedding_size)
    encoder = ResNetEncoder(embedding_size, hidden_sizes, depths, bottleneck,
                            downsample_in_first_stage, downsample_in_bottleneck)
    pooler = AdaptiveAvgPool2d(1)

    fn forward(pixel_values: f32[N, num_channels, H, W]) -> f32[N, ?, ?, ?] {
        return encoder(embedder(pixel_values))
    }

    fn pooled(pixel_values: f32[N, num_channels, H, W]) -> f32[N, ?, 1, 1] {
        return pooler(forward(pixel_values))
    }
}

# The pooled features, flattened, through a linear layer: logits [N, num_labels].
model ResNetClassifier(in_features: int, num_labels: int) =
    Flatten() |> Linear(in_features, num_labels)

model ResNetForImageClassification(num_channels: int, embedding_size: int, hidden_sizes,
                                   depths, bottleneck: bool,
                                   downsample_in_first_stage: bool,
                                   downsample_in_bottleneck: bool, num_labels: int) {
    resnet = ResNetModel(num_channels, embedding_size, hidden_sizes, depths, bottleneck,
                         downsample_in_first_stage, downsample_in_bottleneck)
    classifier = ResNetClassifier(hidden_sizes[len(hidden_sizes) - 1], num_labels)

    fn forward(pixel_values: f32[N, num_channels, H, W]) -> f32[N, num_labels] {
        return classifier(resnet.pooled(pixel_values))
    }
}
