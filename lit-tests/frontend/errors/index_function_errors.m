# RUN: not mopt %s --split-input-file 2>&1 | filecheck %s

# Located errors of the indexing, reshaping and masking tensor functions of M 0.2: bad axes,
# k past the size, bad widths, a mask of the wrong type or shape, a non-integer index.

# CHECK: {{.*}}index_function_errors.m:7:52: error: cumsum: axis 2 is out of range for a tensor of rank 2
fn f(x: f32[3, 4]) -> f32[3, 4] { return cumsum(x, 2) }
print(f(zeros([3, 4])))

# -----

# CHECK: {{.*}}index_function_errors.m:13:50: error: topk: k (5) is larger than the size 4 of axis -1
fn f(x: f32[3, 4]) -> f32[3, 5] { return topk(x, 5)[0] }
print(f(zeros([3, 4])))

# -----

# CHECK: {{.*}}index_function_errors.m:19:69: error: gather needs an integer index, got f32[3, 2]
fn f(x: f32[3, 4], i: f32[3, 2]) -> f32[3, 2] { return gather(x, 1, i) }
print(f(zeros([3, 4]), zeros([3, 2])))

# -----

# CHECK: {{.*}}index_function_errors.m:25:63: error: gather: the index [2] must have the rank of the input [3, 4]
fn f(x: f32[3, 4], i: i64[2]) -> f32[2] { return gather(x, 0, i) }
print(f(zeros([3, 4]), arange(2)))

# -----

# CHECK: {{.*}}index_function_errors.m:31:53: error: squeeze: cannot squeeze axis 1 of size 4: it must have size 1
fn f(x: f32[3, 4]) -> f32[3, 4] { return squeeze(x, 1) }
print(f(zeros([3, 4])))

# -----

# CHECK: {{.*}}index_function_errors.m:37:58: error: unsqueeze: axis 3 is out of range -3..2 for a new dimension of a tensor of rank 2
fn f(x: f32[3, 4]) -> f32[3, 4, 1] { return unsqueeze(x, 3) }
print(f(zeros([3, 4])))

# -----

# CHECK: {{.*}}index_function_errors.m:43:52: error: expand: cannot expand [3, 2] to [3, 4]: size 2 is neither 1 nor 4
fn f(x: f32[3, 2]) -> f32[3, 4] { return expand(x, [3, 4]) }
print(f(zeros([3, 2])))

# -----

# CHECK: {{.*}}index_function_errors.m:49:49: error: pad: widths [1] must be pairs (before, after), last dimension first
fn f(x: f32[3, 4]) -> f32[3, 5] { return pad(x, [1]) }
print(f(zeros([3, 4])))

# -----

# CHECK: {{.*}}index_function_errors.m:55:49: error: pad: widths [1, 0, 0, 0, 0, 0] pad 3 dimensions of a tensor of rank 2
fn f(x: f32[3, 4]) -> f32[3, 5] { return pad(x, [1, 0, 0, 0, 0, 0]) }
print(f(zeros([3, 4])))

# -----

# CHECK: {{.*}}index_function_errors.m:61:49: error: pad: widths (0, -5) make a dimension of size 4 negative
fn f(x: f32[3, 4]) -> f32[3, 5] { return pad(x, [0, -5]) }
print(f(zeros([3, 4])))

# -----

# CHECK: {{.*}}index_function_errors.m:67:57: error: pad: value 0.5 is not an integer, as a tensor of i64 needs
fn f(x: i64[3, 4]) -> i64[3, 6] { return pad(x, [1, 1], value=0.5) }
print(f(cast(zeros([3, 4]), i64)))

# -----

# CHECK: {{.*}}index_function_errors.m:73:71: error: masked_fill needs a boolean mask, got f32[3, 4]
fn f(x: f32[3, 4], m: f32[3, 4]) -> f32[3, 4] { return masked_fill(x, m, 0.0) }
print(f(zeros([3, 4]), zeros([3, 4])))

# -----

# CHECK: {{.*}}index_function_errors.m:79:72: error: masked_fill: shapes [3, 5] and [3, 4] do not broadcast
fn f(x: f32[3, 4], m: bool[3, 5]) -> f32[3, 4] { return masked_fill(x, m, 0.0) }
print(f(zeros([3, 4]), zeros([3, 5]) > 1.0))

# -----

# CHECK: {{.*}}index_function_errors.m:85:41: error: tril needs a tensor of rank 2 or more, got [4]
fn f(x: f32[4]) -> f32[4] { return tril(x) }
print(f(zeros([4])))

# -----

# CHECK: {{.*}}index_function_errors.m:91:45: error: chunk: n (0) must be positive
fn f(x: f32[4]) -> f32[4] { return chunk(x, 0)[0] }
print(f(zeros([4])))

# -----

# CHECK: {{.*}}index_function_errors.m:97:53: error: dropout probability must be in [0, 1), got 1
fn f(x: f32[3, 4]) -> f32[3, 4] { return dropout(x, 1.0) }
print(f(zeros([3, 4])))

# -----

# CHECK: {{.*}}index_function_errors.m:103:52: error: normalize needs a floating-point tensor, got i64[3, 4]
fn f(x: i64[3, 4]) -> f32[3, 4] { return normalize(x) }
print(f(cast(zeros([3, 4]), i64)))

# -----

# CHECK: {{.*}}index_function_errors.m:109:63: error: repeat_interleave: n (-1) must not be negative
fn f(x: f32[3, 4]) -> f32[3, 8] { return repeat_interleave(x, -1, 1) }
print(f(zeros([3, 4])))

# -----

# CHECK: {{.*}}index_function_errors.m:115:49: error: topk needs a tensor of numbers, got bool[3, 4]
fn f(x: bool[3, 4]) -> bool[3, 2] { return topk(x, 2)[0] }
print(f(zeros([3, 4]) > 1.0))
