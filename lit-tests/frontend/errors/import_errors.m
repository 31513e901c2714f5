# RUN: not mopt %s --split-input-file 2>&1 | filecheck %s

# Imports: a missing file, a cycle, an error inside an imported file (reported there),
# and a name declared both here and in an imported file.

# CHECK: {{.*}}import_errors.m:7:1: error: cannot import 'Inputs/does_not_exist.m': No such file or directory
import "Inputs/does_not_exist.m"

# -----

# CHECK: {{.*}}Inputs/cycle_b.m:2:1: error: import cycle: cycle_a.m -> cycle_b.m -> cycle_a.m
import "Inputs/cycle_a.m"

# -----

# CHECK: {{.*}}Inputs/broken.m:4:1: error: expected an expression but found '}'
# CHECK-NEXT: {{^}}}
import "Inputs/broken.m"

# -----

fn helper(x: f32[N]) -> f32[N] { return x * 2.0 }
# CHECK: {{.*}}import_errors.m:24:1: error: 'helper' imported from 'Inputs/helpers.m' is already declared at {{.*}}import_errors.m:22:1
import "Inputs/helpers.m"

