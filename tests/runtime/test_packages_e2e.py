"""End-to-end tests of model packages, PyTorch weights, `summary` and `print` through `mrun`.

Programs run in-process through click's test runner (the same `main` as the console
script), each in its own temporary directory; packages are then inspected and damaged
through the Python API (`mlang.runtime.model_io`, `mlang.runtime.packages`).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest
import safetensors.torch
import torch
from click.testing import CliRunner

from mlang.backends import get_backend
from mlang.runtime import model_io, packages
from mlang.support.diagnostics import CompileError, UserError
from mlang.tools.mrun import main


pytestmark = pytest.mark.usefixtures("one_thread")


def mrun(cwd: Path, program: str, *options: str, expect: int = 0):
    """Runs `program` (written to cwd/prog.m) with `mrun --backend reference` in `cwd`."""
    (cwd / "prog.m").write_text(program)
    old = os.getcwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(main, ["--backend", "reference", *options, "prog.m"])
    finally:
        os.chdir(old)
    assert result.exit_code == expect, (result.exit_code, result.stdout, result.stderr,
                                        result.exc_info)
    assert "Traceback" not in result.stderr
    if expect == 0:
        assert result.exception is None, result.exc_info
    return result


def parse_array(text: str) -> np.ndarray:
    """The numbers of an array as NumPy prints it, flattened."""
    return np.array([float(t) for t in text.replace("[", " ").replace("]", " ").split()])


def printed_blocks(stdout: str, marker: str = "---") -> list[str]:
    """The program's output split at lines equal to `marker`."""
    return [b.strip("\n") for b in stdout.split(marker + "\n")]


def backend():
    return get_backend("reference")


# ----------------------------------------------------------------- float round trip

MODELS = """
model Block(dim: int) {
    ln = LayerNorm(dim)
    attn = Attention(dim, 2, causal=true)
    norm = RMSNorm(dim)
    fn forward(x: f32[N, T, dim]) -> f32[N, T, dim] {
        return norm(x + attn(ln(x)))
    }
}
model Seq(dim: int) {
    embed = Linear(8, dim)
    pos = Embedding(8, dim)
    blocks = repeat(2, Block(dim))
    head = Linear(dim, 10)
    fn forward(x: f32[N, 64]) -> f32[N, 10] {
        let h = embed(reshape(x / 16.0, [-1, 8, 8])) + pos(arange(8))
        for b in blocks {
            h = b(h)
        }
        return head(mean(h, axis=1))
    }
}
model Conv() = Conv2d(1, 4, 3, padding=1) |> relu |> MaxPool2d(2) |> Flatten() |> Linear(64, 10)
model Mlp(d: int) = Linear(d, 32) |> gelu |> Dropout(0.2) |> Linear(32, 10)
"""

ROUND_TRIP = MODELS + """
seed(3)
let (train, test) = split(dataset("digits"), 0.9)
let x = test.x[0:4]
let mlp = Mlp(64)
fit(mlp, train, epochs=1)
let seq = Seq(16)
fit(seq, train[0:256], epochs=1)
let conv = Conv()
print(predict(mlp, x))
print(predict(seq, x))
print(predict(conv, reshape(x, [-1, 1, 8, 8])))
print(evaluate(mlp, test), evaluate(seq, test, metric="loss"), params(seq))
save(mlp, "mlp.mpk")
save(seq, "seq.mpk")
save(conv, "conv.mpk")
print("---")
let mlp2 = load_model("mlp.mpk")
let seq2 = load_model("seq.mpk")
let conv2 = load_model("conv.mpk")
print(predict(mlp2, x))
print(predict(seq2, x))
print(predict(conv2, reshape(x, [-1, 1, 8, 8])))
print(evaluate(mlp2, test), evaluate(seq2, test, metric="loss"), params(seq2))
"""


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A directory holding mlp.mpk, seq.mpk and conv.mpk, and the round-trip output."""
    d = tmp_path_factory.mktemp("packages")
    return d, mrun(d, ROUND_TRIP).stdout


def test_round_trip_prints_identical_results(saved: tuple[Path, str]) -> None:
    _, stdout = saved
    before, after = printed_blocks(stdout)
    assert before == after
    assert len(before.splitlines()) > 4
    # evaluate(seq, loss) uses the loss the model was trained with: it travels along.
    assert before.splitlines()[-1] == after.splitlines()[-1]


def test_loaded_package_has_identical_parameters(saved: tuple[Path, str]) -> None:
    d, _ = saved
    first = model_io.load_model(str(d / "seq.mpk"), backend(), "cpu")
    second = model_io.load_model(str(d / "seq.mpk"), backend(), "cpu")
    assert list(first.params) == [p.sym_name.data for p in first.definition.params]
    assert "blocks.1.attn.q.weight" in first.params
    for name, t in first.params.items():
        assert torch.equal(t, second.params[name]), name
    x = torch.rand(3, 64)
    assert torch.equal(first.forward(x, False), second.forward(x, False))


def test_the_training_loss_travels_with_the_package(tmp_path: Path) -> None:
    """evaluate(metric="loss") uses the loss fit used, also after save and load_model."""
    program = """model R() = Linear(10, 1)
seed(0)
let d = dataset("diabetes")[0:100]
let m = R()
fit(m, d, loss="mse", epochs=1)
print(evaluate(m, d, metric="loss"), evaluate(m, d, metric="mse"))
save(m, "r.mpk")
let r = load_model("r.mpk")
print(evaluate(r, d, metric="loss"), evaluate(r, d, metric="mse"))
save(quantize(r, "int8"), "q.mpk")
print(evaluate(load_model("q.mpk"), d, metric="loss") > 0.0)
"""
    lines = mrun(tmp_path, program).stdout.splitlines()
    assert lines[0] == lines[1]
    assert lines[0].split()[0] == lines[0].split()[1]  # the loss is the mse
    assert lines[2] == "true"


# ----------------------------------------------------------------- damaged packages


def loads_or_user_error(path: Path) -> bool:
    """True when the package loads; False when it is refused with a user-level error.
    Any other exception fails the test."""
    try:
        model_io.load_model(str(path), backend(), "cpu")
    except (UserError, CompileError) as err:
        assert str(err), "an empty message"
        return False
    return True


def test_every_truncation_is_refused_cleanly(saved: tuple[Path, str], tmp_path: Path) -> None:
    whole = (saved[0] / "mlp.mpk").read_bytes()
    cut = tmp_path / "cut.mpk"
    cuts = range(0, len(whole), 10)
    for n in cuts:
        cut.write_bytes(whole[:n])
        assert not loads_or_user_error(cut), f"a package cut at byte {n} loaded"
    assert len(cuts) > 100
    cut.write_bytes(whole)
    assert loads_or_user_error(cut)


def test_flipped_bytes_are_refused_cleanly(saved: tuple[Path, str], tmp_path: Path) -> None:
    """Damage anywhere (length prefix, JSON header, IR, tensor bytes) is detected."""
    whole = (saved[0] / "mlp.mpk").read_bytes()
    damaged = tmp_path / "damaged.mpk"
    for n in range(0, len(whole), 37):
        data = bytearray(whole)
        data[n] ^= 0xFF
        damaged.write_bytes(bytes(data))
        assert not loads_or_user_error(damaged), f"a flipped byte {n} went unnoticed"


def test_truncated_packages_through_mrun(saved: tuple[Path, str], tmp_path: Path) -> None:
    whole = (saved[0] / "conv.mpk").read_bytes()
    for n in (0, 7, 8, 100, len(whole) // 2, len(whole) - 1):
        (tmp_path / "cut.mpk").write_bytes(whole[:n])
        result = mrun(tmp_path, 'let m = load_model("cut.mpk")\nsummary(m)\n', expect=1)
        first = result.stderr.splitlines()[0]
        assert first.startswith("prog.m:1:9: error: "), result.stderr
        assert "cut.mpk" in first


def test_package_with_mismatched_tensors(saved: tuple[Path, str], tmp_path: Path) -> None:
    """A well-formed package (valid checksum) whose tensors do not fit its IR."""
    ir, tensors, metadata = packages.load_package(saved[0] / "mlp.mpk")
    tensors.pop("0.bias")
    packages.save_package(tmp_path / "bad.mpk", ir, tensors, metadata)
    with pytest.raises(UserError, match="does not match its architecture"):
        model_io.load_model(str(tmp_path / "bad.mpk"), backend(), "cpu")
    packages.save_package(tmp_path / "ir.mpk", "this is not IR", tensors, metadata)
    with pytest.raises(UserError, match="invalid IR"):
        model_io.load_model(str(tmp_path / "ir.mpk"), backend(), "cpu")


def test_a_tensor_of_another_shape_is_refused_at_load(saved: tuple[Path, str],
                                                     tmp_path: Path) -> None:
    """Not at the first call, in torch's words: the statement that loads it is located."""
    ir, tensors, metadata = packages.load_package(saved[0] / "mlp.mpk")
    tensors["0.weight"] = torch.zeros(5, 7)
    packages.save_package(tmp_path / "bad.mpk", ir, tensors, metadata)
    result = mrun(tmp_path, 'let m = load_model("bad.mpk")\nprint(m(zeros([1, 64])))\n',
                  expect=1)
    assert result.stderr.startswith(
        "prog.m:1:9: error: model package 'bad.mpk' does not match its architecture: "
        "tensor '0.weight' is f32[5, 7] but the IR declares f32[32, 64]"), result.stderr


@pytest.mark.parametrize("symbol", ['"fc\\22\\22\\22 + __import__(\\22os\\22)"', '"a b"',
                                    '"0x"', '"x..y"'])
def test_a_symbol_that_is_not_an_identifier_is_refused(saved: tuple[Path, str], tmp_path: Path,
                                                       symbol: str) -> None:
    """Backends write symbols into generated code; a package cannot choose them freely."""
    ir, tensors, metadata = packages.load_package(saved[0] / "mlp.mpk")
    ir = ir.replace("@Mlp_64", f"@{symbol}")
    packages.save_package(tmp_path / "names.mpk", ir, tensors, metadata)
    with pytest.raises(UserError, match="model.def has sym_name .*, which is not an identifier"):
        model_io.load_model(str(tmp_path / "names.mpk"), backend(), "cpu")


def test_a_renamed_parameter_must_still_be_an_identifier(saved: tuple[Path, str],
                                                         tmp_path: Path) -> None:
    ir, tensors, metadata = packages.load_package(saved[0] / "mlp.mpk")
    evil = '"0.weight\\0A"'
    ir = ir.replace("@\"0.weight\"", f"@{evil}")
    tensors["0.weight\n"] = tensors.pop("0.weight")
    packages.save_package(tmp_path / "param.mpk", ir, tensors, metadata)
    with pytest.raises(UserError, match="'0.weight\\\\n', which is not an identifier"):
        model_io.load_model(str(tmp_path / "param.mpk"), backend(), "cpu")


# -------------------------------------------------------------- interrupted saves


def leftovers(directory: Path) -> list[str]:
    """Temporary files a save may have left behind."""
    return [p.name for p in directory.iterdir() if p.name.endswith(".tmp")]


def test_failed_rename_keeps_the_earlier_file(saved: tuple[Path, str], tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "model.mpk"
    target.write_bytes((saved[0] / "mlp.mpk").read_bytes())
    before = target.read_bytes()
    other = model_io.load_model(str(saved[0] / "conv.mpk"), backend(), "cpu")

    def no_space(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(packages.os, "replace", no_space)
    with pytest.raises(UserError, match=r"cannot write model package .*No space left"):
        model_io.save_model(other, str(target))
    assert target.read_bytes() == before
    assert leftovers(tmp_path) == []


def test_interrupt_mid_write_keeps_the_earlier_file(saved: tuple[Path, str], tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C (or a crash) after half the bytes are written: the old package survives."""
    target = tmp_path / "model.mpk"
    target.write_bytes((saved[0] / "mlp.mpk").read_bytes())
    before = target.read_bytes()
    other = model_io.load_model(str(saved[0] / "seq.mpk"), backend(), "cpu")
    real = packages._write_synced

    def half_then_interrupt(path: Path, data: bytes) -> None:
        real(path, data[: len(data) // 2])
        raise KeyboardInterrupt

    monkeypatch.setattr(packages, "_write_synced", half_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        model_io.save_model(other, str(target))
    assert target.read_bytes() == before
    assert leftovers(tmp_path) == []
    assert loads_or_user_error(target)


def test_failed_save_in_mrun_is_located(saved: tuple[Path, str], tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "m.mpk"
    target.write_bytes((saved[0] / "mlp.mpk").read_bytes())
    before = target.read_bytes()

    def no_space(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(packages.os, "replace", no_space)
    result = mrun(tmp_path, 'model M() = Linear(64, 10)\nprint("go")\nsave(M(), "m.mpk")\n',
                  expect=1)
    assert result.stdout == "go\n"
    assert result.stderr.startswith("prog.m:3:1: error: cannot write model package 'm.mpk'")
    assert target.read_bytes() == before
    assert leftovers(tmp_path) == []


# ------------------------------------------------------------ quantized round trip

QUANTIZED = """
model Classifier(features: int, hidden: int, classes: int) {
    fc1 = Linear(features, hidden)
    fc2 = Linear(hidden, classes)
    fn forward(x: f32[N, features]) -> f32[N, classes] {
        return fc2(relu(fc1(x / 16.0)))
    }
}
seed(0)
let (train, test) = split(dataset("digits"), 0.8)
let x = test.x[0:5]
let net = Classifier(64, 256, 10)
fit(net, train, epochs=1, lr=0.003)
let w = quantize(net, "int8")
let dy = quantize(net, "int8", mode="dynamic")
let st = quantize(net, "int8", mode="static", calibrate=train[0:128])
save(net, "f32.mpk")
save(w, "weight.mpk")
save(dy, "dynamic.mpk")
save(st, "static.mpk")
print(predict(w, x))
print(predict(dy, x))
print(predict(st, x))
print(evaluate(w, test), evaluate(dy, test), evaluate(st, test))
summary(st)
print("---")
let w2 = load_model("weight.mpk")
let dy2 = load_model("dynamic.mpk")
let st2 = load_model("static.mpk")
print(predict(w2, x))
print(predict(dy2, x))
print(predict(st2, x))
print(evaluate(w2, test), evaluate(dy2, test), evaluate(st2, test))
summary(st2)
"""


def test_quantized_round_trip_and_sizes(tmp_path: Path) -> None:
    before, after = printed_blocks(mrun(tmp_path, QUANTIZED).stdout)
    assert before == after
    assert re.search(r"^fc1\s+Linear\s+\[\?, 256\]\s+int8\s+16640$", after, re.MULTILINE)
    # The modes really differ: dynamic and static quantize activations too.
    weight_out, dynamic_out, static_out = re.findall(r"\[\[.*?\]\]", before, re.DOTALL)
    assert weight_out != dynamic_out and weight_out != static_out
    size = {m: (tmp_path / f"{m}.mpk").stat().st_size
            for m in ("f32", "weight", "dynamic", "static")}
    for mode in ("weight", "dynamic", "static"):
        assert size[mode] <= 0.35 * size["f32"], size
        _, tensors, metadata = packages.load_package(tmp_path / f"{mode}.mpk")
        assert metadata["quantization"] == mode
        assert tensors["fc1.weight"].dtype == torch.int8
        assert tensors["fc1.weight.scale"].numel() == 256  # one scale per output channel
    # The package's IR says int8: int8 weights with their scales, the calibrated ranges
    # and the constant activation scales that static mode made of them.
    ir, _, _ = packages.load_package(tmp_path / "static.mpk")
    assert "model.param @fc1.weight : tensor<256x64xi8>" in ir
    assert "model.param @fc1.weight.scale : tensor<256x1xf32>" in ir
    assert re.search(r"calibration = \{fc1\.weight = [^,]+, fc2\.weight = [^}]+\}", ir)
    assert len(re.findall(r"tensorops\.quantize %\S+, %xs\S* : tensor<\?x\d+xf32>, tensor<f32>", ir)) == 2
    assert ir.count("-> tensor<?x256xi32>") == 1


# ------------------------------------------------------------ PyTorch weight files


def predict_program(model_decl: str, weights: str, reshape: str = "") -> str:
    x = f"reshape(d.x, {reshape})" if reshape else "d.x"
    return (f"{model_decl}\nlet m = M()\nload_weights(m, \"{weights}\")\n"
            f"let d = load(\"input.csv\")\nprint(predict(m, {x}))\n")


def write_input(path: Path, x: np.ndarray) -> None:
    """x as a CSV data set (with a dummy label column)."""
    header = ",".join([f"f{i}" for i in range(x.shape[1])] + ["y"])
    rows = [",".join(repr(float(v)) for v in row) + ",0" for row in x]
    path.write_text(header + "\n" + "\n".join(rows) + "\n")


class Fields(torch.nn.Module):
    """A module with named fields, like an M model with fields."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1 = torch.nn.Linear(6, 16)
        self.norm = torch.nn.LayerNorm(16)
        self.fc2 = torch.nn.Linear(16, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(torch.nn.functional.gelu(self.norm(self.fc1(x))))


FIELDS_M = """model M() {
    fc1 = Linear(6, 16)
    norm = LayerNorm(16)
    fc2 = Linear(16, 3)
    fn forward(x: f32[N, 6]) -> f32[N, 3] { return fc2(gelu(norm(fc1(x)))) }
}"""

TORCH_CASES = {
    "sequential": (
        lambda: torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3)),
        "model M() = Linear(6, 8) |> relu |> Linear(8, 3)", 6, None),
    "fields": (Fields, FIELDS_M, 6, None),
    "conv": (
        lambda: torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.ReLU(),
                                    torch.nn.MaxPool2d(2), torch.nn.Flatten(),
                                    torch.nn.Linear(64, 10)),
        ("model M() = Conv2d(1, 4, 3, padding=1) |> relu |> MaxPool2d(2) |> Flatten() "
        "|> Linear(64, 10)"), 64, [-1, 1, 8, 8]),
}


@pytest.mark.parametrize("kind", sorted(TORCH_CASES))
@pytest.mark.parametrize("fmt", ["pt", "safetensors", "checkpoint.pt"])
def test_load_weights_matches_torch(tmp_path: Path, kind: str, fmt: str) -> None:
    make, decl, features, shape = TORCH_CASES[kind]
    torch.manual_seed(7)
    module = make().eval()
    state = {k: v.detach().contiguous() for k, v in module.state_dict().items()}
    name = f"w.{fmt}"
    if fmt == "pt":
        torch.save(module.state_dict(), tmp_path / name)
    elif fmt == "checkpoint.pt":
        torch.save({"epoch": 3, "state_dict": module.state_dict()}, tmp_path / name)
    else:
        safetensors.torch.save_file(state, tmp_path / name)
    x = np.random.default_rng(1).standard_normal((3, features)).astype(np.float32)
    write_input(tmp_path / "input.csv", x)
    reshape = str(shape) if shape else ""
    stdout = mrun(tmp_path, predict_program(decl, name, reshape)).stdout
    with torch.no_grad():
        xt = torch.from_numpy(x)
        expected = module(xt.reshape(shape) if shape else xt).numpy().reshape(-1)
    got = parse_array(stdout)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=1e-5, rtol=1e-5)


# ------------------------------------------------------------------------ summary

SUMMARY = """
model Block(dim: int) {
    ln = LayerNorm(dim)
    attn = Attention(dim, 2)
    fn forward(x: f32[N, T, dim]) -> f32[N, T, dim] { return x + attn(ln(x)) }
}
model Enc(dim: int) {
    embed = Embedding(10, dim)
    blocks = repeat(2, Block(dim))
    head = Linear(dim, 3)
    fn forward(ids: i64[N, T]) -> f32[N, 3] {
        let h = embed(ids)
        for b in blocks {
            h = b(h)
        }
        return head(mean(h, axis=1))
    }
}
let e = Enc(8)
summary(e)
print(params(e))
"""


def test_summary_table(tmp_path: Path) -> None:
    out = mrun(tmp_path, SUMMARY).stdout.splitlines()
    rows = [line.split(None, 2) for line in out[:-1]]
    assert out[0].split() == ["layer", "type", "output", "dtype", "params"]
    assert [r[:2] for r in rows[1:]] == [
        ["embed", "Embedding"], ["blocks.0.ln", "LayerNorm"], ["blocks.0.attn", "Attention"],
        ["blocks.1.ln", "LayerNorm"], ["blocks.1.attn", "Attention"], ["head", "Linear"],
        ["total", "Enc"]]
    params = [int(line.split()[-1]) for line in out[1:-1]]
    # Embedding 10*8, LayerNorm 2*8, Attention 4*(8*8+8), Linear 8*3+3.
    assert params == [80, 16, 288, 16, 288, 27, 715]
    assert "[?, ?, 8]" in out[1] and "[?, 3]" in out[6]
    assert out[-1] == "715"
    # Columns line up: every row starts its type column at the same place.
    assert len({line.index(r[1]) for line, r in zip(out[1:-1], rows[1:], strict=True)}) == 1


def test_summary_lists_flatten_layers(tmp_path: Path) -> None:
    """A Flatten layer is a row, as every layer is (it was left out)."""
    out = mrun(tmp_path, "model Cnn() = Conv2d(1, 2, 3, padding=1) |> relu |> MaxPool2d(2) "
                         "|> Flatten() |> Linear(8, 2)\nsummary(Cnn())\n").stdout.splitlines()
    assert [line.split()[:2] for line in out[1:]] == [
        ["0", "Conv2d"], ["2", "MaxPool2d"], ["3", "Flatten"], ["4", "Linear"], ["total", "Cnn"]]


# ------------------------------------------------------------------------- print

PRINT = """
print(1, -3, 2.5, "text", true, false)
print(1e-7, 123456789.0, 0.1 + 0.2, 1.0 / 3.0, 2.0, 100000.0, 1000000.0)
print(tensor([[1.0, 2.5], [3.0, 4.0]]))
print(tensor([1, 2, 3]))
print(tensor([true, false]))
print(zeros([2, 3]) + 1.5)
print([1, 2], (1, "a"))
print("a\\tb", "")
print()
let d = load("five.csv")
print(len(d), d.y, d)
model M() = Linear(5, 2)
let m = M()
print(m, quantize(m, "int8", mode="dynamic"))
"""


def test_print_formatting(tmp_path: Path) -> None:
    (tmp_path / "five.csv").write_text("x1,x2,x3,x4,x5,y\n1,2,3,4,5,0\n2,3,4,5,6,1\n")
    out = mrun(tmp_path, PRINT).stdout
    expected = "\n".join([
        "1 -3 2.5 text true false",
        " ".join(f"{v:.6g}" for v in (1e-7, 123456789.0, 0.1 + 0.2, 1.0 / 3.0, 2.0,
                                       100000.0, 1000000.0)),
        str(np.array([[1.0, 2.5], [3.0, 4.0]], dtype=np.float32)),
        str(np.array([1, 2, 3])),
        str(np.array([True, False])),
        str(np.full((2, 3), 1.5, dtype=np.float32)),
        "[1, 2] (1, a)",
        "a\tb ",
        "",
        "2 [0 1] <dataset rows=2 features=5>",
        "<model M params=12> <model M params=12 int8=dynamic>",
    ]) + "\n"
    assert out == expected
    assert "1e-07 1.23457e+08 0.3 0.333333 2 100000 1e+06" in out
