"""The torch backend against the reference: small programs, the examples, the caches.

Small programs (one per layer kind, and the tensor functions; fixed seeds, no training)
run in this process on both backends and must print the same tensors to 1e-4 relative.
Every example runs through `mrun --backend torch` and `mrun --backend reference`, the two
processes side by side, and its accuracies must agree within 0.02 (training numerics may
differ in the last bits, which a few epochs amplify); each run's wall time is printed
(`pytest -s` shows them).
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import textwrap
import time
from io import StringIO
from pathlib import Path

import pytest
import torch

from mlang.backends import RunOptions, get_backend
from mlang.backends.torch import backend as torch_backend
from mlang.dialects.model.structure import DefOp
from mlang.frontend import compile_source
from mlang.runtime.interpreter import Interpreter
from mlang.runtime.model import ModelInstance
from mlang.support.diagnostics import InternalError
from mlang.tools.mrun import _select_backend

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "examples"
MRUN = [sys.executable, "-c", "from mlang.tools.mrun import main; main()"]

# ------------------------------------------------------------------ small programs

PROGRAMS: dict[str, str] = {
    "linear": """
        model M() {
            fc = Linear(6, 5)
            last = Linear(5, 3, bias=false)
            fn forward(x: f32[N, 6]) -> f32[N, 3] {
                return last(fc(x))
            }
            fn tokens(x: f32[N, T, 6]) -> f32[N, T, 5] {
                return fc(x)
            }
        }
        seed(1)
        let m = M()
        print(m(randn([4, 6])))
        print(m.tokens(randn([2, 3, 6])))
    """,
    "conv2d": """
        model M() {
            conv = Conv2d(2, 3, 3, stride=2, padding=1)
            plain = Conv2d(3, 2, 2, bias=false)
            fn forward(x: f32[N, 2, 7, 7]) -> f32[N, 2, 3, 3] {
                return plain(conv(x))
            }
        }
        seed(2)
        let m = M()
        print(m(randn([2, 2, 7, 7])))
    """,
    "embedding": """
        model M() {
            embed = Embedding(10, 4)
            fn forward(ids: i64[N, T]) -> f32[N, T, 4] {
                return embed(ids)
            }
        }
        seed(3)
        let m = M()
        print(m(tensor([[1, 2, 0], [3, 9, 9]])))
    """,
    "layer_norm": """
        model M() {
            fc = Linear(6, 6)
            norm = LayerNorm(6)
            loose = LayerNorm(6, eps=0.001)
            fn forward(x: f32[N, T, 6]) -> f32[N, T, 6] {
                return loose(norm(fc(x)) * 3.0)
            }
        }
        seed(4)
        let m = M()
        print(m(randn([2, 3, 6])))
    """,
    "rms_norm": """
        model M() {
            fc = Linear(6, 6)
            norm = RMSNorm(6)
            fn forward(x: f32[N, 6]) -> f32[N, 6] {
                return norm(fc(x))
            }
        }
        seed(5)
        let m = M()
        print(m(randn([3, 6])))
    """,
    "attention": """
        model M() {
            attn = Attention(8, 2)
            masked = Attention(8, 4, causal=true)
            fn forward(x: f32[N, T, 8]) -> f32[N, T, 8] {
                return masked(attn(x))
            }
        }
        seed(6)
        let m = M()
        print(m(randn([2, 5, 8])))
    """,
    "dropout_at_inference": """
        model M() {
            fc = Linear(4, 4)
            drop = Dropout(0.5)
            fn forward(x: f32[N, 4]) -> f32[N, 4] {
                return drop(fc(x))
            }
        }
        seed(7)
        let m = M()
        print(m(randn([3, 4])))
        print(predict(m, randn([2, 4])))
    """,
    "pooling": """
        model M() {
            maxp = MaxPool2d(2)
            avgp = AvgPool2d(2, stride=1)
            flat = Flatten()
            fn forward(x: f32[N, 2, 6, 6]) -> f32[N, 8] {
                return flat(avgp(maxp(x)))
            }
        }
        seed(8)
        let m = M()
        print(m(randn([2, 2, 6, 6])))
    """,
    "sequential": """
        model Mlp(d: int, classes: int) = Linear(d, 8) |> gelu |> Dropout(0.1) |>
            Linear(8, classes) |> softmax(axis=-1)
        seed(9)
        let m = Mlp(5, 3)
        print(m(randn([4, 5])))
    """,
    "repeat_and_nesting": """
        model Block(d: int) {
            fc = Linear(d, d)
            norm = LayerNorm(d)
            fn forward(x: f32[N, d]) -> f32[N, d] {
                return x + tanh(fc(norm(x)))
            }
        }
        model Deep(d: int) {
            blocks = repeat(3, Block(d))
            head = Block(d)
            fn forward(x: f32[N, d]) -> f32[N, d] {
                let h = x
                for b in blocks {
                    h = b(h)
                }
                return head(blocks[-1](h))
            }
        }
        seed(10)
        let m = Deep(4)
        print(m(randn([3, 4])))
    """,
    "elementwise": """
        fn elementwise(x: f32[N, 4]) -> f32[N, 4] {
            let a = gelu(x) + silu(x) + sigmoid(x) + tanh(x) + exp(x) + log(x)
            let b = sqrt(x) + rsqrt(x) + abs(x) + sin(x) + cos(x) + relu(x)
            return maximum(a, b) - minimum(a, 0.5) + clamp(x, -1, 1) * (1.0 / sqrt(16))
        }
        fn arithmetic(a: f32[N, 4], b: f32[N, 4]) -> f32[N, 4] {
            return (a + b * a ** 2 - a / b) * -a + a @ transpose(b, 0, 1) @ b
        }
        model M() {
            fn forward(x: f32[N, 4]) -> f32[N, 4] {
                return elementwise(abs(x) + 0.1)
            }
            fn arith(a: f32[N, 4], b: f32[N, 4]) -> f32[N, 4] {
                return arithmetic(a, b)
            }
            fn logic(a: f32[N, 4], b: f32[N, 4]) -> f32[N, 4] {
                let c = a < b or a == b and not a >= 1.0
                let d = (a != b) and (a <= b) or a > b
                return where(c, a, b) + cast(d, f32)
            }
        }
        seed(11)
        let m = M()
        let x = randn([3, 4])
        let y = randn([3, 4])
        print(m(x))
        print(m.arith(x, y))
        print(m.logic(x, y))
    """,
    "reductions": """
        model M() {
            fn forward(x: f32[N, 4, 5]) -> f32[N] {
                let s = sum(x) + mean(x, axis=1, keepdim=true)[:, 0, 0] + max(x, 2)[:, 0]
                return s + min(x, axis=-1)[:, 1] + cast(argmax(x, axis=1)[:, 0], f32)
            }
            fn probs(x: f32[N, 4, 5]) -> f32[N, 4, 5] {
                return softmax(x, axis=1) + log_softmax(x) + softmax(x)
            }
        }
        seed(12)
        let m = M()
        let x = randn([2, 4, 5])
        print(m(x))
        print(m.probs(x))
    """,
    "layout": """
        model M() {
            fn forward(x: f32[2, 3, 4]) -> f32[4, 6] {
                let t = transpose(x, 0, 2)
                let f = flatten(t, start=1)
                let r = reshape(x, [6, -1])
                return where(f > 0.0, f, transpose(r, 0, 1))
            }
            fn mix(x: f32[2, 3, 4]) -> f32[3, 2, 6] {
                let p = permute(x, [1, 0, 2])
                return concat([p, p[:, :, 1:3] * 2.0], axis=2)
            }
            fn pick(x: f32[2, 3, 4]) -> f32[3] {
                return x[1, :, 2] + x[-1, ::2, 1:][0, 1] + flatten(x)[0, 1:4]
            }
        }
        seed(13)
        let m = M()
        let x = randn([2, 3, 4])
        print(m(x))
        print(m.mix(x))
        print(m.pick(x))
    """,
    "creation_and_casts": """
        model M() {
            fn forward(ids: i64[N]) -> f32[N, 3] {
                let e = cast(one_hot(ids, 3), f32)
                let c = zeros([3]) + ones([3]) + full([3], 2.0) + cast(arange(3), f32)
                let t = tensor([[1.0, 2.0, 3.0]]) + cast(full([1, 3], 7), f32)
                return softmax(e * c, axis=-1) + log_softmax(t) +
                    cast(tensor([true, false, true]), f32)
            }
            fn ints(ids: i64[N]) -> i64[N] {
                return ids * 2 + sum(ids) - cast(cast(ids, f64) / 2.0, i64)
            }
        }
        seed(14)
        let m = M()
        print(m(tensor([0, 2, 1, 1])))
        print(m.ints(tensor([0, 2, 1, 5])))
    """,
    "losses": """
        model M() {
            fc = Linear(4, 3)
            fn forward(x: f32[N, 4]) -> f32[N, 3] {
                return fc(x)
            }
            fn loss(x: f32[N, 4], labels: i64[N]) -> f32[] {
                let logits = fc(x)
                return cross_entropy(logits, labels) + mse(logits, logits * 0.5)
            }
        }
        seed(15)
        let m = M()
        print(m.loss(randn([5, 4]), tensor([0, 2, 1, 1, 0])))
    """,
    "tuples": """
        fn halves(x: f32[N, 8]) -> (f32[N, 4], f32[N, 4]) {
            return (x[:, :4], x[:, 4:])
        }
        model Pair(dim: int) {
            fc = Linear(dim, 8)
            fn forward(x: f32[N, dim]) -> f32[N, 4] {
                let (a, b) = halves(fc(x))
                return a - b
            }
        }
        seed(16)
        let net = Pair(4)
        print(net(randn([2, 4])))
    """,
}

_NUMBER = re.compile(r"[-+]?(?:nan|inf|(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)")


def run_in_process(source: str, backend: str) -> str:
    """What a program prints when its model methods run on `backend`."""
    module = compile_source(textwrap.dedent(source), "program.m")
    out = StringIO()
    Interpreter(module, get_backend(backend), "cpu", out).run()
    return out.getvalue()


def assert_same_printout(actual: str, expected: str, rtol: float = 1e-4) -> None:
    """Equal text around the numbers, and numbers equal to `rtol` (NaNs equal)."""
    skeleton = lambda text: "".join(_NUMBER.sub("#", text).split())
    assert skeleton(actual) == skeleton(expected), f"{actual}\nvs reference\n{expected}"
    got = [float(n) for n in _NUMBER.findall(actual)]
    want = [float(n) for n in _NUMBER.findall(expected)]
    assert got and len(got) == len(want), f"{actual}\nvs reference\n{expected}"
    for g, w in zip(got, want):
        same = (math.isnan(g) and math.isnan(w)) or math.isclose(g, w, rel_tol=rtol, abs_tol=1e-6)
        assert same, f"{g} vs reference {w}\n{actual}\nvs reference\n{expected}"


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_program_matches_reference(name: str) -> None:
    expected = run_in_process(PROGRAMS[name], "reference")
    assert_same_printout(run_in_process(PROGRAMS[name], "torch"), expected)


def test_mrun_backend_torch_matches_reference(tmp_path: Path) -> None:
    program = tmp_path / "attention.m"
    program.write_text(textwrap.dedent(PROGRAMS["attention"]))
    outputs = {}
    for backend in ("torch", "reference"):
        proc = subprocess.run([*MRUN, "--backend", backend, str(program)], check=False,
                              capture_output=True, text=True, timeout=120,
                              env=_env(tmp_path / "cache"))
        assert proc.returncode == 0, proc.stderr
        outputs[backend] = proc.stdout
    assert_same_printout(outputs["torch"], outputs["reference"])


# --------------------------------------------------------------------------- examples

ACCURACY_LABELS: dict[str, tuple[str, ...]] = {
    "digits": ("fp32 accuracy:", "int8 accuracy:"),
    "iris": ("accuracy:", "macro f1:"),
    "diabetes": (),
    "transformer": ("accuracy:",),
    "finetune": ("pretrained:", "reloaded:", "fine-tuned:"),
    "finetune_schedule": ("test accuracy:",),
    "quantize": ("f32 accuracy:", "int8 weight-only accuracy:", "int8 dynamic accuracy:",
                 "int8 static accuracy:"),
}
"""The lines of each example that print an accuracy (or F1), compared within 0.02."""
EXACT_LABELS = ("parameters:", "rmse below 70:")
RELATIVE_LABELS = {"test mse:": 0.05, "test mae:": 0.05}
"""Errors after training without dropout, compared to a relative tolerance. (The backends
draw dropout masks differently, the reference with `torch.rand` and the generated code
with `F.dropout`, so a loss after training with dropout is not comparable.)"""


def _env(cache: Path) -> dict[str, str]:
    """An mrun environment: one torch thread (as tests/runtime does), a private cache."""
    env = dict(os.environ)
    env.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONUNBUFFERED="1",
               MLANG_CACHE_DIR=str(cache))
    return env


def _labelled(stdout: str, label: str) -> str:
    match = re.search(rf"^{re.escape(label)}\s*(.*)$", stdout, re.MULTILINE)
    assert match, f"no line starting with {label!r} in:\n{stdout}"
    return match.group(1).strip()


NOT_COMPARED = {"sentiment": "a BERT trained for 8 epochs, minutes on the reference backend; "
                             "tests/runtime/test_examples.py runs it shrunk on this backend"}
"""Examples too slow to run twice here, and where they run instead."""


def test_every_example_is_compared() -> None:
    assert sorted(p.stem for p in EXAMPLES.glob("*.m")) == \
        sorted([*ACCURACY_LABELS, *NOT_COMPARED])


@pytest.mark.parametrize("name", sorted(ACCURACY_LABELS))
def test_example_matches_reference(name: str, tmp_path: Path) -> None:
    runs: dict[str, tuple[subprocess.Popen[str], float]] = {}
    for backend in ("torch", "reference"):
        cwd = tmp_path / backend
        cwd.mkdir()
        proc = subprocess.Popen([*MRUN, "--backend", backend, str(EXAMPLES / f"{name}.m")],
                                cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, env=_env(tmp_path / "cache"))
        runs[backend] = (proc, time.monotonic())
    out: dict[str, str] = {}
    for backend, (proc, start) in runs.items():
        stdout, stderr = proc.communicate(timeout=300)
        elapsed = time.monotonic() - start
        assert proc.returncode == 0, f"{name}.m on {backend}:\n{stderr}"
        print(f"{name}.m --backend {backend}: {elapsed:.1f} s")
        out[backend] = stdout
    torch_out, reference = out["torch"], out["reference"]
    for label in ACCURACY_LABELS[name]:
        got, want = float(_labelled(torch_out, label)), float(_labelled(reference, label))
        assert abs(got - want) <= 0.02, f"{name}.m {label} {got} vs reference {want}"
    for label in EXACT_LABELS:
        if label in reference:
            assert _labelled(torch_out, label) == _labelled(reference, label)
    for label, rtol in RELATIVE_LABELS.items():
        if label in reference:
            got, want = float(_labelled(torch_out, label)), float(_labelled(reference, label))
            assert math.isclose(got, want, rel_tol=rtol), f"{name}.m {label} {got} vs {want}"
    assert torch_out.count("\n") == reference.count("\n")


# ----------------------------------------------------------------------------- caches

CACHED = textwrap.dedent("""
    model Cached(d: int) {
        fc = Linear(d, 3)
        fn forward(x: f32[N, d]) -> f32[N, 3] {
            return relu(fc(x))
        }
    }
    let m = Cached(5)
""")


def _definition(source: str = CACHED) -> DefOp:
    module = compile_source(source, "cached.m")
    return next(op for op in module.ops if isinstance(op, DefOp))


@pytest.fixture
def fresh_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty disk cache and in-memory cache, and zeroed counters."""
    monkeypatch.setenv("MLANG_CACHE_DIR", str(tmp_path / "cache"))
    torch_backend.forget_compiled()
    torch_backend.stats.reset()
    return tmp_path / "cache"


def test_second_compile_is_a_memory_hit(fresh_cache: Path) -> None:
    backend = torch_backend.TorchBackend()
    first = backend.compile(_definition())
    assert torch_backend.stats.lowerings == 1 and torch_backend.stats.memory_hits == 0
    # The same IR, from a second compilation of the source: no lowering, no disk read.
    second = backend.compile(_definition())
    assert torch_backend.stats.lowerings == 1 and torch_backend.stats.memory_hits == 1
    assert second.functions["forward"] is first.functions["forward"]
    assert (fresh_cache / "torch" / f"model-{first.key}.py").is_file()


def test_cache_key_follows_the_model_ir(fresh_cache: Path) -> None:
    a = torch_backend.cache_key(_definition())
    assert torch_backend.cache_key(_definition()) == a
    assert torch_backend.cache_key(_definition(CACHED.replace("Cached(5)", "Cached(6)"))) != a
    assert torch_backend.cache_key(_definition(CACHED.replace("relu", "tanh"))) != a


_FRESH_PROCESS = """
import json, time, torch
from mlang.backends.torch import backend
from mlang.dialects.model.structure import DefOp
from mlang.frontend import compile_source
module = compile_source(open("cached.m").read(), "cached.m")
definition = next(op for op in module.ops if isinstance(op, DefOp))
start = time.perf_counter()
compiled = backend.TorchBackend().compile(definition)
seconds = time.perf_counter() - start
torch.manual_seed(0)
x = torch.randn(2, 5)
params = {"fc.weight": torch.ones(3, 5), "fc.bias": torch.zeros(3)}
y = compiled.run("forward", params, [x], backend.RunOptions())[0]
print(json.dumps({"lowerings": backend.stats.lowerings, "disk_hits": backend.stats.disk_hits,
                  "seconds": seconds, "y": y.tolist()}))
"""


def test_fresh_process_reuses_the_disk_cache(tmp_path: Path) -> None:
    (tmp_path / "cached.m").write_text(CACHED)
    env = _env(tmp_path / "cache")
    runs = []
    for _ in range(2):
        proc = subprocess.run([sys.executable, "-c", _FRESH_PROCESS], check=False, cwd=tmp_path,
                              env=env, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        runs.append(json.loads(proc.stdout.splitlines()[-1]))
    cold, warm = runs
    assert (cold["lowerings"], cold["disk_hits"]) == (1, 0)
    assert (warm["lowerings"], warm["disk_hits"]) == (0, 1)  # lowering and codegen skipped
    assert warm["y"] == cold["y"]
    print(f"compile: cold {cold['seconds']:.3f} s, warm {warm['seconds']:.3f} s")


# --------------------------------------------------------------- training, int8, errors

TRAINABLE = textwrap.dedent("""
    model T() {
        fc = Linear(4, 8)
        norm = LayerNorm(8)
        attn = Attention(8, 2)
        head = Linear(8, 3)
        fn forward(x: f32[N, 4]) -> f32[N, 3] {
            let h = reshape(gelu(norm(fc(x))), [-1, 2, 4])
            let a = attn(concat([h, h], axis=2))
            return head(mean(a, axis=1))
        }
    }
    let t = T()
""")


def test_training_gradients_match_reference(fresh_cache: Path) -> None:
    definition = _definition(TRAINABLE)
    torch.manual_seed(0)
    model = ModelInstance.create(definition, torch_backend.TorchBackend().compile(definition),
                                 "cpu")
    x, labels = torch.randn(6, 4), torch.tensor([0, 1, 2, 0, 1, 2])
    grads = {}
    for name in ("torch", "reference"):
        params = {k: v.detach().clone().requires_grad_(True) for k, v in model.params.items()}
        compiled = get_backend(name).compile(definition)
        logits = compiled.run("forward", params, [x], RunOptions(training=True))[0]
        torch.nn.functional.cross_entropy(logits, labels).backward()  # type: ignore[arg-type]
        grads[name] = {k: p.grad for k, p in params.items()}
    for k, g in grads["reference"].items():
        assert grads["torch"][k] is not None, k
        torch.testing.assert_close(grads["torch"][k], g, rtol=1e-4, atol=1e-6)


def test_activation_quantization_runs_generated_int8_code(fresh_cache: Path) -> None:
    program = "seed(1)\n" + CACHED + 'let q = quantize(m, "int8", mode="dynamic")\n' \
        "print(q(randn([3, 5])))\nprint(m(randn([2, 5])))\n"
    torch_backend.stats.reset()
    assert_same_printout(run_in_process(program, "torch"), run_in_process(program, "reference"))
    # The float model and its quantized definition were each lowered and generated once.
    assert torch_backend.stats.lowerings == 2
    generated = "\n".join(p.read_text() for p in fresh_cache.glob("torch/model-*.py"))
    assert "int8_linear(xq," in generated and "xq, xs = int8_quantize_rows(x, 1)" in generated


@pytest.mark.parametrize("mode", ["weight", "dynamic", "static"])
def test_quantized_model_matches_reference(mode: str, fresh_cache: Path) -> None:
    calibrate = ', calibrate=dataset("iris")[0:16]' if mode == "static" else ""
    program = ("seed(2)\n" + CACHED.replace("Cached(5)", "Cached(4)")
               + f'let q = quantize(m, "int8", mode="{mode}"{calibrate})\n'
               + 'print(q(randn([6, 4])), evaluate(q, dataset("iris"), metric="loss"))\n')
    assert_same_printout(run_in_process(program, "torch"), run_in_process(program, "reference"))


def test_auto_backend_is_torch_without_cuda() -> None:
    assert _select_backend("auto", "cpu") == "torch"
    assert _select_backend("reference", "cpu") == "reference"


def test_failing_lowering_is_an_internal_error(fresh_cache: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch_backend, "LOWERING", "test-crash")
    with pytest.raises(InternalError, match="pass 'test-crash' failed: RuntimeError"):
        torch_backend.TorchBackend().compile(_definition())


PAIR = textwrap.dedent("""
    model Pair(dim: int) {
        fc = Linear(dim, 8)
        fn forward(x: f32[N, dim]) -> f32[N, 8] {
            return fc(x)
        }
        fn both(x: f32[N, dim]) -> (f32[N, 4], f32[N, 4]) {
            let h = fc(x)
            return (h[:, :4], relu(h[:, 4:]))
        }
    }
    let p = Pair(4)
""")


def test_method_with_two_results(fresh_cache: Path) -> None:
    definition = _definition(PAIR)
    torch.manual_seed(0)
    params = {"fc.weight": torch.randn(8, 4), "fc.bias": torch.randn(8)}
    x = torch.randn(3, 4)
    got = torch_backend.TorchBackend().compile(definition).run("both", params, [x], RunOptions())
    want = get_backend("reference").compile(definition).run("both", params, [x], RunOptions())
    assert len(got) == 2
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w, rtol=1e-4, atol=1e-6)


# ----------------------------------------------------------------- freeing dead values


def test_released_code_computes_the_same(fresh_cache: Path) -> None:
    definition = _definition(TRAINABLE)
    python = torch_backend.generate_definition(definition)
    assert "    del " in python
    torch.manual_seed(0)
    params = {p.sym_name.data: torch.randn(p.param_type.get_shape()) for p in definition.params}
    x = torch.randn(6, 4)
    from mlang.backends.torch import codegen

    unreleased = codegen.load_module(python.replace("    del ", "    pass  # "))["forward"]
    released = codegen.load_module(python)["forward"]
    torch.testing.assert_close(released(params, x), unreleased(params, x), rtol=0, atol=0)


def test_boolean_max_and_min_are_any_and_all() -> None:
    program = """
        model D(d: int) {
            l = Linear(d, d)
            fn forward(x: f32[N, d]) -> f32[N, d] { return l(x) }
            fn any(a: bool[N, d]) -> bool[N] { return max(a, axis=1) }
            fn all(a: bool[N, d]) -> bool[N] { return min(a, axis=1) }
        }
        let m = D(3)
        let t = tensor([[1, 2, 3], [4, 5, 6], [-1, -2, -3]]) > 2
        print(m.any(t), m.all(t))
    """
    out = run_in_process(program, "torch")
    assert out == run_in_process(program, "reference") == "[ True  True False] [False  True False]\n"
