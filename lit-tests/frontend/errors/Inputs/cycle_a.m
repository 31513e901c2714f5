# Imported by import_errors.m: imports cycle_b.m, which imports this file again.
import "cycle_b.m"

fn a(x: f32[N]) -> f32[N] { return x }
