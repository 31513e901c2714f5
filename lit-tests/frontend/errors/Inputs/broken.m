# Imported by import_errors.m: a syntax error is reported in this file.
fn broken(x: f32[N]) -> f32[N] {
    return x +
}
