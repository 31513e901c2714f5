# A tiny ResNet in Hugging Face's layout (ResNetForImageClassification: basic layers,
# embedding 8, hidden sizes [8, 16], depths [1, 1], 5 labels), so that the model.safetensors
# that `save_pretrained` writes loads with no renaming.

model ConvLayer(cin: int, cout: int, k: int, stride: int, act: bool) {
    convolution = Conv2d(cin, cout, k, stride=stride, padding=(k - 1) / 2, bias=false)
    normalization = BatchNorm2d(cout)

    fn forward(x: f32[N, cin, H, W]) -> f32[N, cout, ?, ?] {
        let y = normalization(convolution(x))
        if act {
            return relu(y)
        }
        return y
    }
}

model ShortCut(cin: int, cout: int, stride: int) {
    convolution = Conv2d(cin, cout, 1, stride=stride, bias=false)
    normalization = BatchNorm2d(cout)

    fn forward(x: f32[N, cin, H, W]) -> f32[N, cout, ?, ?] {
        return normalization(convolution(x))
    }
}

model Pair(cin: int, cout: int, stride: int) =
    ConvLayer(cin, cout, 3, stride, true) |> ConvLayer(cout, cout, 3, 1, false)

model SameLayer(c: int) {
    shortcut = Identity()
    layer = Pair(c, c, 1)

    fn forward(x: f32[N, c, H, W]) -> f32[N, c, H, W] {
        return relu(layer(x) + shortcut(x))
    }
}

model DownLayer(cin: int, cout: int) {
    shortcut = ShortCut(cin, cout, 2)
    layer = Pair(cin, cout, 2)

    fn forward(x: f32[N, cin, H, W]) -> f32[N, cout, ?, ?] {
        return relu(layer(x) + shortcut(x))
    }
}

model Layers0() = SameLayer(8)
model Layers1() = DownLayer(8, 16)

model Stage0() {
    layers = Layers0()
    fn forward(x: f32[N, 8, H, W]) -> f32[N, 8, H, W] {
        return layers(x)
    }
}

model Stage1() {
    layers = Layers1()
    fn forward(x: f32[N, 8, H, W]) -> f32[N, 16, ?, ?] {
        return layers(x)
    }
}

model Stages() = Stage0() |> Stage1()

model Encoder() {
    stages = Stages()
    fn forward(x: f32[N, 8, H, W]) -> f32[N, 16, ?, ?] {
        return stages(x)
    }
}

model Embeddings() {
    embedder = ConvLayer(3, 8, 7, 2, true)
    pooler = MaxPool2d(3, stride=2, padding=1)
    fn forward(x: f32[N, 3, H, W]) -> f32[N, 8, ?, ?] {
        return pooler(embedder(x))
    }
}

model ResNetModel() {
    embedder = Embeddings()
    encoder = Encoder()
    pooler = AdaptiveAvgPool2d(1)
    fn forward(x: f32[N, 3, H, W]) -> f32[N, 16, 1, 1] {
        return pooler(encoder(embedder(x)))
    }
}

model Classifier() = Flatten() |> Linear(16, 5)

model ResNetForImageClassification() {
    resnet = ResNetModel()
    classifier = Classifier()
    fn forward(pixel_values: f32[N, 3, H, W]) -> f32[N, 5] {
        return classifier(resnet(pixel_values))
    }
}

