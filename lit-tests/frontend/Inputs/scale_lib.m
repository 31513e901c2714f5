# Imported by layers_lib.m: an import path is relative to the importing file.
fn scaled(x: f32[N, D], factor: float) -> f32[N, D] {
    return x * factor
}
