# Imported by import_errors.m: declares `helper`, which the importer declares too.
fn helper(x: f32[N]) -> f32[N] { return x }
