"""Whole programs, written from M-LANGUAGE.md alone, run under both the reference and the
torch backend: each must print what the language promises, and the two backends must agree
(floats to 1e-4 relative). Programs run in-process through click's test runner, on small
shapes, so that each takes well under a second once torch is imported.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner, Result

from mlang.tools.mrun import main

BACKENDS = ("reference", "torch")

NET = """\
model Net(d: int) {
    fc = Linear(d, 3)
    fn forward(x: f32[N, d]) -> f32[N, 3] {
        return fc(x)
    }
    fn both(x: f32[N, d]) -> (f32[N, 3], f32[N]) {
        let y = fc(x)
        return (relu(y), sum(y, axis=1))
    }
}
seed(1)
let net = Net(4)
let x = randn([2, 4], seed=3)
"""


pytestmark = pytest.mark.usefixtures("one_thread")


def invoke(cwd: Path, program: str, backend: str, name: str = "prog.m") -> Result:
    """Runs `program`, written to `cwd/name`, in `cwd` with `mrun --backend BACKEND`; on
    the Triton backend with `--aot-check sm_80,sm_90`, as `tests/conftest.py` checks
    Triton-backend tests (the kernels a GPU runs, each compiled for Ampere and Hopper)."""
    (cwd / name).write_text(program)
    check = ["--aot-check", "sm_80,sm_90"] if backend == "triton" else []
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(main, ["--backend", backend, *check, name])
    finally:
        os.chdir(old)


def mrun(cwd: Path, program: str, backend: str) -> str:
    """The standard output of a program that must run."""
    result = invoke(cwd, program, backend)
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exc_info)
    assert result.exception is None, result.exc_info
    return result.stdout


def failure(cwd: Path, program: str, name: str, backend: str = "auto") -> str:
    """The output of a program that must fail with an error: status 1, no traceback."""
    result = invoke(cwd, program, backend, name)
    assert result.exit_code == 1, (result.output, result.exc_info)
    assert "Traceback" not in result.output
    return result.output


def run_both(cwd: Path, program: str) -> str:
    """The output of `program`, checked to be the same under every backend of BACKENDS."""
    outputs = [mrun(cwd, program, b) for b in BACKENDS]
    for other in outputs[1:]:
        assert_same_output(other, outputs[0])
    return outputs[0]


NUMBER = re.compile(r"-?\d+(?:\.\d*)?(?:e[-+]?\d+)?|-?\.\d+")


def assert_same_output(a: str, b: str) -> None:
    """Equal text outside numbers (but for the spaces that pad numbers to one width), and
    numbers equal to 1e-4 relative (1e-5 absolute)."""
    skeleton = lambda text: "".join(NUMBER.sub("#", text).split())
    assert skeleton(a) == skeleton(b), (a, b)
    for x, y in zip(NUMBER.findall(a), NUMBER.findall(b)):
        assert float(x) == pytest.approx(float(y), rel=1e-4, abs=1e-5), (a, b)


def test_host_strings_compare(tmp_path: Path) -> None:
    """`==` and `!=` on strings known only at run time (a loop over a list assigned twice
    picks a quantize mode), and on strings known at compile time."""
    out = mrun(tmp_path, """\
model M() = Linear(4, 3)
let net = M()
let data = dataset("iris")
let modes = ["dynamic"]
modes = ["weight", "static"]
for mode in modes {
    if mode == "static" {
        print(mode, evaluate(quantize(net, "int8", mode="static", calibrate=data), data) > 0.0)
    } else {
        print(mode, mode != "weight", mode == "dynamic")
    }
}
print("a" == "a", "a" != "a")
""", "torch")
    assert out.splitlines() == ["weight false false", "static true", "true false"]
    assert "'==' compares a string with a string only, got str and int" in failure(
        tmp_path, 'for s in ["a"] {\n    print(s == 3)\n}\n', "bad.m")


def test_method_results_unpack_into_names(tmp_path: Path) -> None:
    """`let (p, q) = net.both(x)` binds each result (the interpreter kept only the first)."""
    out = run_both(tmp_path, NET + """\
let (p, q) = net.both(x)
print(shape(p), shape(q))
print(sum(abs(p - relu(net(x)))), sum(abs(q - sum(net(x), axis=1))))
let t = net.both(x)
let (a, b) = t
print(sum(abs(a - p)), sum(abs(b - q)), sum(abs(t[1] - q)))
""")
    assert out.splitlines() == ["[2, 3] [2]", "0.0 0.0", "0.0 0.0 0.0"]


def test_a_loaded_models_results_unpack_into_names(tmp_path: Path) -> None:
    """`let (p, q) = loaded.both(x)`: a loaded model's results have a structure known
    only when the program runs; unpacking a single tensor is an error there."""
    program = NET + """\
save(net, "net.mpk")
let loaded = load_model("net.mpk")
let (p, q) = loaded.both(x)
let (a, b) = net.both(x)
print(sum(abs(p - a)), sum(abs(q - b)), shape(q))
"""
    assert run_both(tmp_path, program).splitlines() == ["0.0 0.0 [2]"]
    message = failure(tmp_path, program + "let (c, d) = loaded(x)\n", "single.m")
    assert "single.m:19:14: error: cannot unpack one tensor into 2 names" in message


SCALE_ROWS = """\
fn scale_rows(x: f32[N, 3], w: f32[N, 1]) -> f32[N, 3] {
    return x * w
}
save(net, "net.mpk")
let loaded = load_model("net.mpk")
let y = loaded(x)
let z = loaded(randn([5, 4], seed=4))
"""


@pytest.mark.parametrize(("call", "message"), [
    ("scale_rows(sum(z, axis=1), ones([5, 1]))",
     "argument 'x' of scale_rows must be f32[5, 3], got f32[5]"),
    ("scale_rows(y, z[:, 0:1])", "argument 'w' of scale_rows must be f32[N, 1], N = 2, got f32[5, 1]"),
    ("scale_rows(y, ones([5, 1]))", "argument 'x' of scale_rows must be f32[5, 3], got f32[2, 3]"),
])
def test_a_loaded_models_results_are_checked_against_a_functions_types(
        tmp_path: Path, call: str, message: str) -> None:
    """A function given a loaded model's results (whose ranks the compiler does not know)
    checks the types it declares when it runs: a [5] tensor for f32[N, 3] used to
    broadcast into a [5, 5] result."""
    program = NET + SCALE_ROWS
    out = run_both(tmp_path, program + "print(scale_rows(y, z[0:2, 0:1]) - y * z[0:2, 0:1])\n")
    assert out.splitlines() == ["[[0. 0. 0.]", " [0. 0. 0.]]"]
    assert f"bad.m:21:7: error: {message}" in failure(tmp_path, program + f"print({call})\n",
                                                      "bad.m")


def test_tensor_functions_on_a_loaded_models_output(tmp_path: Path) -> None:
    """A loaded model's output has an unknown rank: reductions, matmul, clamp, cast,
    shape and the losses take it (its IR failed to verify, with a traceback)."""
    out = run_both(tmp_path, NET + """\
save(net, "net.mpk")
let m = load_model("net.mpk")
let p = m(x)
let y = tensor([0, 2])
print(sum(abs(p - net(x))), shape(mean(p, axis=0)), argmax(p, 1) == argmax(net(x), 1))
print(shape(p), shape(p @ ones([3, 5])), shape(clamp(p, -0.1, 0.1)), shape(cast(p, i64)))
print(mse(p, net(x)), cross_entropy(p, y) == cross_entropy(net(x), y))
""")
    assert out.splitlines() == [
        "0.0 [3] [ True  True]", "[2, 3] [2, 5] [2, 3] [2, 3]", "0.0 True"]


def test_layout_functions_on_a_loaded_models_output(tmp_path: Path) -> None:
    """Indexing, slicing and the layout functions take a tensor of unknown rank (they
    were refused: "needs a tensor of known rank"); shapes are checked when it runs."""
    out = run_both(tmp_path, NET + """\
save(net, "net.mpk")
let m = load_model("net.mpk")
let p = m(x)
let q = net(x)
print(sum(abs(p[1] - q[1])), sum(abs(p[:, -1] - q[:, -1])), shape(p[0, 1:]))
print(shape(reshape(p, [3, 2])), shape(reshape(p, [-1])), shape(permute(p, [1, 0])))
print(shape(transpose(p, 0, 1)), shape(flatten(p, start=0)), shape(concat([p, q], 0)))
print(sum(abs(softmax(p) - softmax(q))), sum(abs(log_softmax(p, axis=0) - log_softmax(q, axis=0))))
print(shape(one_hot(argmax(p, 1), 4)))
""")
    assert out.splitlines() == ["0.0 0.0 [2]", "[3, 2] [6] [3, 2]", "[3, 2] [6] [4, 3]",
                                "0.0 0.0", "[2, 4]"]


def test_sampling_inside_model_methods(tmp_path: Path) -> None:
    """`randn` and `rand` inside a method (the torch backend refused them): both backends
    draw the same numbers from the generator that `seed` fixes, two draws differ, a seeded
    draw repeats, and an unused draw still moves the generator on."""
    out = run_both(tmp_path, """\
model Noisy(d: int) {
    fc = Linear(d, 3)
    fn forward(x: f32[N, d]) -> f32[N, 3] {
        let unused = rand([2, 2])
        return fc(x + 0.1 * randn([1, d]))
    }
    fn draws(x: f32[N, d]) -> (f32[2, 3], f32[2, 3]) {
        return (randn([2, 3]) - randn([2, 3]), rand([2, 3], seed=4) - rand([2, 3], seed=4))
    }
}
seed(3)
let data = dataset("iris")
let m = Noisy(4)
let x = data.x[0:4]
let (fresh, seeded) = m.draws(x)
print(sum(abs(fresh)) > 0, sum(abs(seeded)))
print(m(x))
print(fit(m, data, epochs=1, batch=50))
""")
    lines = out.splitlines()
    assert lines[0] == "True 0.0"
    assert len(lines) == 6


def test_functions_called_from_the_host_unroll_their_loops(tmp_path: Path) -> None:
    """A function inlined into the host program is a function body still: its loops are
    unrolled (they became host loops whose reassignments were lost, and whose index was
    not a constant), and its names are its own even where the host reassigns the same
    name (the host's `x` was read for the parameter `x`)."""
    out = run_both(tmp_path, """\
fn colsum(x: f32[N, D]) -> f32[N] {
    let acc = x[:, 0]
    for j in 1..3 { acc = acc + x[:, j] }
    return acc
}
fn f(x: f32[N]) -> f32[N] {
    let y = x
    for i in 0..4 { y = y * 2.0 + i }
    return y
}
let x = ones([2])
x = x + 1.0
print(colsum(ones([2, 3])), f(ones([2])), f(zeros([2])), x)
""")
    assert out.splitlines() == ["[3. 3.] [27. 27.] [11. 11.] [2. 2.]"]


def test_predict_gives_every_result_of_forward(tmp_path: Path) -> None:
    """`predict` of a forward that returns a tuple gives the tuple (it gave the first
    value, whose rows `let (a, b) = ...` then split), which unpacks and takes literal
    indices; `fit` and `evaluate` refuse it."""
    model = """\
model T() {
    fc = Linear(4, 3)
    fn forward(x: f32[N, 4]) -> (f32[N, 3], f32[N, 2]) { return (fc(x), x[:, 0:2]) }
}
let m = T()
"""
    out = run_both(tmp_path, model + "let (a, b) = predict(m, ones([2, 4]))\nprint(shape(a), b)\n"
                   "let r = predict(m, ones([2, 4]))\nprint(shape(r[0]), shape(r[-1]))\n")
    assert out.splitlines() == ["[2, 3] [[1. 1.]", " [1. 1.]]", "[2, 3] [2, 2]"]
    assert "r.m:7:9: error: index 2 is out of range for 2 items" in failure(
        tmp_path, model + "let r = predict(m, ones([2, 4]))\nprint(r[2])\n", "r.m")
    output = failure(tmp_path, model + 'print(evaluate(m, dataset("iris")))\n', "e.m")
    assert "e.m:6:7: error: fit and evaluate need a forward method that returns one tensor; " \
           "this one returns 2 values" in output


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("ids", ["[0, -1]", "[0, 5]"])
def test_an_embedding_id_out_of_range_is_an_error(tmp_path: Path, backend: str,
                                                  ids: str) -> None:
    """As in PyTorch, a negative id is an error (the torch backend read the last row)."""
    output = failure(tmp_path, f"""\
model E() {{
    e = Embedding(5, 3)
    fn forward(ids: i64[N]) -> f32[N, 3] {{ return e(ids) }}
}}
print(E()(tensor({ids})))
""", "e.m", backend)
    assert re.search(r"e\.m:5:7: error: .*out of range", output), output


def test_training_with_dropout_agrees(tmp_path: Path) -> None:
    """Both backends draw the same dropout masks while training (the reference drew its
    own with `torch.rand`, so losses after `fit` differed in the third digit)."""
    out = run_both(tmp_path, """\
model M(d: int) = Linear(d, 16) |> relu |> Dropout(0.3) |> Linear(16, 3)
seed(0)
let data = dataset("iris")
let m = M(4)
print(fit(m, data, epochs=3, batch=16))
print(predict(m, data.x[0:2]))
""")
    assert len(out.splitlines()) == 3


@pytest.mark.parametrize(("line", "message"), [
    ("print(p[0, 0, 0])", "too many indices"),
    ("print(reshape(p, [4]))", "cannot reshape"),
    ("print(transpose(p, 0, 2))", "out of range"),
    ("print(permute(p, [0, 0]))", "permute: [0, 0] is not a permutation"),
])
def test_layout_errors_on_a_loaded_models_output(tmp_path: Path, line: str,
                                                 message: str) -> None:
    """What only the run can check is reported at the call, like any run-time error."""
    program = NET + 'save(net, "net.mpk")\nlet p = load_model("net.mpk")(x)\n' + line + "\n"
    output = failure(tmp_path, program, "p.m")
    assert re.search(rf"p\.m:{program.count(chr(10))}:\d+: error: .*{re.escape(message)}",
                     output), output


def test_models_functions_and_host_control_flow(tmp_path: Path) -> None:
    """Sub-models, repeat, sequential shorthand, methods, free functions, host loops."""
    out = run_both(tmp_path, """\
fn sq(x: f32[N, D]) -> f32[N, D] {
    return x * x
}
model Ff(d: int) = LayerNorm(d) |> Linear(d, 2 * d) |> silu |> Linear(2 * d, d)
model Block(d: int) {
    ff = Ff(d)
    gate = Linear(d, 1, bias=false)
    fn forward(x: f32[N, d]) -> f32[N, d] {
        return x + sigmoid(gate(x)) * ff(x)
    }
}
model Deep(d: int, depth: int = 3) {
    blocks = repeat(depth, Block(d))
    head = Linear(d, 2)
    fn forward(x: f32[N, d]) -> f32[N, 2] {
        let h = x
        for b in blocks {
            h = b(h)
        }
        return head(sq(h))
    }
    fn first(x: f32[N, d]) -> f32[N, d] {
        return blocks[0](x)
    }
    fn last(x: f32[N, d]) -> f32[N, d] {
        return blocks[-1](x)
    }
}
seed(7)
let m = Deep(4)
print("params:", params(m))
let x = randn([3, 4], seed=1)
print(m(x))
print(m.first(x) |> sum(axis=1), m.last(x) |> mean)
let total = 0
for i in 0..4 {
    if i == 0 or i == 2 {
        total = total + i
    } else {
        total = total - 1
    }
}
print(total, [1, 2][-1], (1, "a"), 2 ** 10, 7 / 2, 1.0 / 3.0, "t\\"q")
""")
    lines = out.splitlines()
    assert lines[0] == "params: 274"
    assert lines[-1] == '0 2 (1, a) 1024 3.5 0.333333 t"q'


TRAINED = """\
model Net(d: int) {
    fc1 = Linear(d, 16)
    fc2 = Linear(16, 3)
    fn forward(x: f32[N, d]) -> f32[N, 3] {
        return fc2(relu(fc1(x)))
    }
}
seed(0)
let (train, test) = split(dataset("iris"), 0.8, seed=1)
let net = Net(4)
let loss = fit(net, train, optimizer="adamw", lr=0.01, epochs=1, batch=32, weight_decay=0.01)
let acc = evaluate(net, test)
"""
# No Dropout in TRAINED: the backends may draw different masks, so training would diverge.


def test_training_options_and_metrics(tmp_path: Path) -> None:
    """fit with options returns a loss; evaluate's metrics agree across backends."""
    out = run_both(tmp_path, TRAINED + """\
print(loss > 0.0, len(train), len(test))
print(acc, evaluate(net, test, metric="f1"), evaluate(net, test, metric="loss"))
""")
    assert out.splitlines()[0] == "true 120 30"


def test_quantized_copies_save_and_load(tmp_path: Path) -> None:
    """quantize leaves the original alone; a saved static copy loads back identical."""
    out = run_both(tmp_path, TRAINED + """\
let w = quantize(net, "int8")
let s = quantize(net, "int8", mode="static", calibrate=train[0:32])
print(abs(evaluate(w, test) - acc) < 0.1, abs(evaluate(s, test) - acc) < 0.1)
save(s, "s.mpk")
print(evaluate(load_model("s.mpk"), test) == evaluate(s, test), evaluate(net, test) == acc)
""")
    assert out.splitlines() == ["true true", "true true"]


def test_constants_beyond_their_dtype_behave_as_in_torch(tmp_path: Path) -> None:
    """A float past its dtype's range is an infinity and an integer wraps, in a model as on
    the host (packing them into the IR once raised a Python traceback)."""
    program = """\
model M() {
    fn forward(x: f32[N, 2]) -> f32[N, 2] {
        return cast(cast(x, f16) * 1e5, f32) + x * 1e39 + cast(cast(x, i8) + 300, f32)
    }
}
let m = M()
print(m(ones([1, 2])))
print(tensor([1e39]), cast(ones([1]), i8) + 300)
"""
    assert run_both(tmp_path, program) == "[[inf inf]]\n[inf] [45]\n"


def test_gelu_silu_and_softmax_of_integers_are_float32(tmp_path: Path) -> None:
    """The frontend types them f32, as `exp` of integers; the reference backend once passed
    the integers on to torch functions that refuse them."""
    program = """\
model M() {
    fn forward(x: i64[N, 2]) -> f32[N, 2] {
        return gelu(x) + silu(x) + softmax(x, axis=0) + log_softmax(x, axis=1)
    }
}
let m = M()
print(m(tensor([[1, -2], [0, 3]])))
print(softmax(arange(3)), gelu(arange(2)))
"""
    out = run_both(tmp_path, program)
    x = torch.tensor([[1.0, -2.0], [0.0, 3.0]])
    want = (torch.nn.functional.gelu(x) + torch.nn.functional.silu(x)
            + torch.softmax(x, 0) + torch.log_softmax(x, 1))
    got = [float(v) for v in NUMBER.findall(out)[:4]]
    assert got == pytest.approx(want.flatten().tolist(), rel=1e-5)


def test_seed_everything_seeds_every_source() -> None:
    """`mrun --seed N` and `seed(N)` share it: torch, Python's random and NumPy."""
    import random

    import numpy as np

    from mlang.runtime.interpreter import seed_everything

    def draw() -> tuple[float, float, float]:
        return torch.rand(1).item(), random.random(), float(np.random.rand())

    seed_everything(-3)
    first = draw()
    seed_everything(-3)
    assert draw() == first


def test_models_of_integer_ids_train_on_data_sets(tmp_path: Path) -> None:
    """A data set's features are f32; an `Embedding` model takes them as ids when they are
    whole numbers, in `fit`, `evaluate`, `predict` and static calibration (each refused
    them: "T.forward expects i64[?, 6], got f32")."""
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 20, (60, 6))
    np.savez(tmp_path / "ids.npz", x=ids, y=(ids.sum(1) > 57).astype(np.int64))
    out = run_both(tmp_path, """\
model T() {
    e = Embedding(20, 8)
    fc = Linear(8, 2)
    fn forward(ids: i64[N, 6]) -> f32[N, 2] { return fc(mean(e(ids), axis=1)) }
}
seed(0)
let data = load("ids.npz")
let t = T()
print(fit(t, data, epochs=2) > 0, evaluate(t, data) > 0, shape(predict(t, data)),
      shape(predict(t, data.x)))
let q = quantize(t, "int8", mode="static", calibrate=data)
print(evaluate(q, data) > 0)
""")
    assert out.splitlines() == ["true true [60, 2] [60, 2]", "true"]


def test_sequential_models_that_start_with_a_model_or_dropout(tmp_path: Path) -> None:
    """A sequential model takes its input type from its first stage that has one: past a
    `Dropout` or a function, and from a model of the user's (these were refused)."""
    out = run_both(tmp_path, """\
model B(d: int) = Linear(d, 4) |> relu
model C(w: int) {
    fc = Linear(w, 2)
    fn forward(x: f32[N, w]) -> f32[N, 2] { return fc(x) }
}
model M() = B(4) |> Linear(4, 3)
model D() = Dropout(0.2) |> Linear(4, 3)
model E() = relu |> C(4) |> softmax
seed(0)
let x = randn([2, 4])
print(shape(M()(x)), shape(D()(x)), sum(E()(x), axis=1))
""")
    assert out.splitlines() == ["[2, 3] [2, 3] [1. 1.]"]


def test_methods_take_numbers(tmp_path: Path) -> None:
    """A method's `float`, `int` and `bool` parameters take numbers from the host and from
    other methods (they were refused: "method parameters must be tensors")."""
    out = run_both(tmp_path, """\
model M(d: int) {
    fc = Linear(d, 3)
    fn forward(x: f32[N, d]) -> f32[N, 3] { return scaled(x, 2.0, 3, false) }
    fn scaled(x: f32[N, d], t: float, k: int, flip: bool) -> f32[N, 3] {
        let y = softmax(fc(x) / t) * k
        return where(flip, -y, y)
    }
}
seed(0)
let m = M(4)
let x = randn([2, 4])
let t = 2.0
t = t * 1.0
print(sum(abs(m.scaled(x, t, 3, false) - m(x))), sum(m.scaled(x, 0.5, 1, true)))
""")
    assert out.splitlines() == ["0.0 -2.0"]


def test_fields_are_called_from_the_host(tmp_path: Path) -> None:
    """`m.enc(x)`, `m.enc.half(x, 0.5)`, `m.fc(x)`: a field of a model instance, or one of
    its methods, runs on the instance's parameters (they were refused), in packages and
    quantized models too."""
    out = run_both(tmp_path, """\
model Enc(d: int, h: int) {
    fc = Linear(d, h)
    fn forward(x: f32[N, d]) -> f32[N, h] { return relu(fc(x)) }
    fn half(x: f32[N, d], s: float) -> f32[N, h] { return fc(x) * s }
}
model Head(d: int) = Linear(d, 3) |> softmax
model M(d: int) {
    enc = Enc(d, 2 * d)
    head = Head(2 * d)
    fc = Linear(d, d)
    fn forward(x: f32[N, d]) -> f32[N, 3] { return head(enc(x)) }
}
seed(0)
let m = M(4)
let x = randn([2, 4])
print(shape(m.enc(x)), shape(m.enc.half(x, 0.5)), shape(m.fc(x)))
print(sum(abs(m.head(m.enc(x)) - m(x))), sum(abs(m.enc.fc(x) * 0.5 - m.enc.half(x, 0.5))))
save(m, "m.mpk")
let back = load_model("m.mpk")
let q = quantize(m, "int8", mode="dynamic")
print(sum(abs(back(x) - m(x))), shape(q.enc(x)))
""")
    assert out.splitlines() == ["[2, 8] [2, 8] [2, 4]", "0.0 0.0", "0.0 [2, 8]"]


def test_calibrate_with_a_mode_known_only_when_it_runs(tmp_path: Path) -> None:
    """`calibrate=` with a mode from a loop variable is refused when it runs, as it is at
    compile time for a written mode (it was ignored)."""
    output = failure(tmp_path, """\
model E(d: int) = Linear(d, d)
let d = dataset("iris")
let modes = ["static"]
modes = ["weight", "dynamic"]
for mode in modes {
    let q = quantize(E(4), "int8", mode=mode, calibrate=d)
}
""", "c.m")
    assert 'c.m:6:13: error: calibrate is only read by mode="static"; mode="weight"' in output


def test_layer_fields_called_from_the_host_take_any_rank(tmp_path: Path) -> None:
    """A Linear, a norm, or a sequential model that starts with one, called from the host
    on a 3-d input (only 2-d ones were taken)."""
    out = run_both(tmp_path, """\
model Head(d: int) = LayerNorm(d) |> Linear(d, 3)
model M(d: int) {
    fc = Linear(d, 2)
    ln = LayerNorm(d)
    head = Head(d)
    fn forward(x: f32[N, T, d]) -> f32[N, T, 3] { return head(x) }
}
seed(0)
let m = M(4)
let x = randn([2, 5, 4])
print(shape(m.fc(x)), shape(m.ln(x)), shape(m.head(x)), shape(m.fc(x[0])))
print(sum(abs(m.head(x) - m(x))))
""")
    assert out.splitlines() == ["[2, 5, 2] [2, 5, 4] [2, 5, 3] [5, 2]", "0.0"]


def test_a_clamp_bound_beyond_f32_is_an_error(tmp_path: Path) -> None:
    """`clamp(x, 0.0, 1e39)` on f32 is a located error, as PyTorch refuses such a bound
    (lowering it was an internal error: "float too large to pack")."""
    output = failure(tmp_path, """\
model M(d: int) {
    fn forward(x: f32[N, d]) -> f32[N, d] { return clamp(x, 0.0, 1e39) }
}
print(M(2)(tensor([[-1.0, 3.0e38]])))
""", "c.m")
    assert "c.m:2:66: error: clamp: hi (1e+39) is outside the range of f32" in output
