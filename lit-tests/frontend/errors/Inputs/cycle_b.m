# Imported by cycle_a.m: closes the import cycle.
import "cycle_a.m"

fn b(x: f32[N]) -> f32[N] { return x }
