"""Programs that compile but fail while running: the error must be located and clean.

Every case is a program that the frontend accepts (checked here, so that no case drifts
into being a compile-time error) and that `mrun` then stops with

    FILE:LINE:COL: error: MESSAGE
    <the source line>
    <a caret under COL>

on standard error, exit status 1, and no Python traceback. In each program `@@` marks
where the caret must point (the marker is removed before the program is written). The
programs run in-process through click's test runner, for speed; one case also runs in a
real `mrun` subprocess.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import safetensors.torch
import torch
from click.testing import CliRunner

from mlang.frontend import compile_file
from mlang.tools.mrun import main

MARK = "@@"

# A model with a field, so that parameter names are `fc.weight` and `fc.bias`.
MODEL = """model M(i: int) {
    fc = Linear(i, 3)
    fn forward(x: f32[N, i]) -> f32[N, 3] { return fc(x) }
}
model K(i: int) = Linear(i, 10)
"""

def run_time(name: str) -> str:
    """`names`, a list of `name` known only when the program runs (a variable assigned
    twice): a loop over a list literal is unrolled, its items known at compile time."""
    return f'let names = [""]\nnames = ["{name}"]\n'


# Each case: (id, program, message fragment). Programs that start with `+` get MODEL
# prepended.
CASES = [
    # ---------------------------------------------------------------- data files
    ("load_missing_csv", 'let d = @@load("missing.csv")', "no such data file: 'missing.csv'"),
    ("load_unknown_target", 'let d = @@load("five.csv", target="label")',
     "'five.csv' has no column 'label'; its columns are x1, x2, x3, x4, x5, y"),
    ("csv_missing_value", 'let d = @@load("bad.csv")\nprint(len(d))',
     "'bad.csv' line 3, column 'b': missing value"),
    ("csv_ragged_row", 'let d = @@load("ragged.csv")',
     "'ragged.csv' line 3 has 2 cells but the header has 3"),
    ("load_wrong_suffix", 'let d = @@load("notes.txt")', "expected a .csv, .jsonl or .npz file"),
    ("npz_without_x", 'let d = @@load("nox.npz")', "'nox.npz' lacks the array(s) x"),
    ("dataset_name_at_run_time", run_time("mnist") + 'for n in names {\n    let d = @@dataset(n)\n}',
     'unknown data set "mnist"'),
    # --------------------------------------------------------------- load_weights
    ("load_weights_missing_file", '+let m = M(4)\n@@load_weights(m, "nope.safetensors")',
     "no such weights file: 'nope.safetensors'"),
    ("load_weights_missing_tensor", '+let m = M(4)\n@@load_weights(m, "missing.safetensors")',
     "weight 'fc.bias' is missing from the file"),
    ("load_weights_extra_tensor", '+let m = M(4)\n@@load_weights(m, "extra.safetensors")',
     "the file has a weight 'fc.extra' that the model does not have"),
    ("load_weights_misshapen_tensor", '+let m = M(4)\n@@load_weights(m, "shape.safetensors")',
     "weight 'fc.weight' has shape [3, 5] in the file but the model expects [3, 4]"),
    ("load_weights_misshapen_pt", '+let m = M(4)\n@@load_weights(m, "shape.pt")',
     "weight 'fc.weight' has shape [3, 5] in the file but the model expects [3, 4]"),
    ("load_weights_not_a_dict", '+let m = M(4)\n@@load_weights(m, "list.pt")',
     "'list.pt' holds a list, not a state_dict"),
    ("load_weights_pickled_module", '+let m = M(4)\n@@load_weights(m, "module.pt")',
     "cannot read 'module.pt' as a PyTorch state_dict file"),
    ("load_weights_garbage", '+let m = M(4)\n@@load_weights(m, "garbage.safetensors")',
     "cannot read 'garbage.safetensors' as a safetensors file"),
    # ----------------------------------------------------------------- load_model
    ("load_model_missing", 'let m = @@load_model("nope.mpk")', "no such model package: 'nope.mpk'"),
    ("load_model_truncated", 'let m = @@load_model("cut.mpk")',
     "'cut.mpk' is not a readable model package"),
    ("load_model_foreign_safetensors", 'let m = @@load_model("foreign.mpk")',
     "'foreign.mpk' is not an mlang model package"),
    ("load_model_random_bytes", 'let m = @@load_model("random.mpk")',
     "'random.mpk' is not a readable model package"),
    ("load_model_flipped_byte", 'let m = @@load_model("flipped.mpk")',
     "model package 'flipped.mpk' is damaged: its checksum does not match"),
    # ------------------------------------------------------------ shapes at run time
    ("call_with_wrong_feature_count",
     '+let m = M(4)\nlet d = load("five.csv")\nprint(@@m(d.x))',
     "M.forward expects f32[?, 4], got f32[2, 5]"),
    ("predict_with_wrong_feature_count",
     '+let m = M(4)\nlet d = load("five.csv")\nprint(@@predict(m, d))',
     "M.forward expects f32[?, 4], got f32[2, 5]"),
    ("fit_with_wrong_feature_count", '+let m = M(64)\n@@fit(m, dataset("iris"), epochs=1)',
     "M.forward expects f32[?, 64], got f32[32, 4]"),
    ("loaded_model_with_wrong_feature_count",
     '+save(M(4), "m4.mpk")\nlet r = load_model("m4.mpk")\nprint(@@r(zeros([2, 5])))',
     "M.forward expects f32[?, 4], got f32[2, 5]"),
    ("ids_model_on_fractional_features",
     'model E() {\n    e = Embedding(10, 4)\n    fc = Linear(4, 3)\n'
     '    fn forward(ids: i64[N, T]) -> f32[N, 3] { return fc(mean(e(ids), axis=1)) }\n}\n'
     'print(@@fit(E(), dataset("iris"), epochs=1))',
     "E.forward expects i64[?, ?], got f32[32, 4]; features become integer ids only when "
     "every one is a whole number"),
    ("loaded_model_field_call",
     '+save(M(4), "m4.mpk")\nlet r = load_model("m4.mpk")\nprint(@@r.fc(zeros([2, 4])))',
     "model M has no method 'fc' (its methods: forward); 'fc' is a field, and the fields of "
     "a model read by load_model cannot be called from the host"),
    ("tensor_index_out_of_range", 'let d = load("five.csv")\nprint(@@d.x[10])',
     "index 10 is out of range for dimension 0 of size 2"),
    ("embedding_id_out_of_range",
     ('model E() {\n    emb = Embedding(10, 4)\n'
     '    fn forward(ids: i64[N]) -> f32[N, 4] { return emb(ids) }\n}\n'
     'let e = E()\nlet d = load("labels12.csv")\nprint(@@e(cast(d.y, i64)))'),
     "12 is out of range [0, 10)"),
    ("evaluate_empty_slice", '+let d = dataset("iris")\nprint(@@evaluate(M(4), d[5:5]))',
     "the data set is empty"),
    # ------------------------------------------------------------------- training
    ("nan_loss_from_log_of_negative",
     ('model L() {\n    fc = Linear(4, 3)\n'
     '    fn forward(x: f32[N, 4]) -> f32[N, 3] { return log(fc(x) - 1000.0) }\n}\n'
     '@@fit(L(), dataset("iris"), epochs=1)'),
     "loss became nan at epoch 1, batch 1"),
    ("inf_loss_from_huge_lr",
     ('model R() = Linear(10, 1)\nlet m = R()\n'
     'print(@@fit(m, dataset("diabetes"), loss="mse", optimizer="sgd", lr=1e10, epochs=5))'),
     "loss became inf at epoch 1"),
    ("loss_name_at_run_time",
     '+let m = M(4)\n' + run_time("bogus")
     + 'for l in names {\n    @@fit(m, dataset("iris"), loss=l, epochs=1)\n}',
     "unknown loss 'bogus'"),
    ("optimizer_name_at_run_time",
     '+let m = M(4)\n' + run_time("rmsprop")
     + 'for o in names {\n    @@fit(m, dataset("iris"), optimizer=o)\n}',
     "unknown optimizer 'rmsprop'"),
    ("epochs_zero_at_run_time",
     '+let d = load("five.csv")\n@@fit(M(4), dataset("iris"), epochs=len(d) - 2)',
     "epochs must be an integer >= 1, got 0"),
    ("lr_negative_at_run_time",
     '+let d = load("five.csv")\n@@fit(M(4), dataset("iris"), lr=1.0 - len(d))',
     "lr must be a number > 0, got -1.0"),
    ("freeze_unknown_field", '+let m = M(4)\n@@fit(m, dataset("iris"), epochs=1, freeze=["body"])',
     ("cannot freeze 'body': the model has no field of that name with parameters; "
     "its fields are fc")),
    ("label_beyond_classes", '+let m = K(4)\n@@fit(m, load("labels12.csv"), epochs=1)',
     "label 12 is out of range [0, 10)"),
    ("cross_entropy_with_float_labels", '+@@fit(M(4), load("float.csv"), epochs=1)',
     "loss cross_entropy needs integer labels"),
    ("mse_with_mismatched_output", '+@@fit(M(4), dataset("iris"), loss="mse", epochs=1)',
     "does not match the labels' shape"),
    ("fit_quantized_loaded_model",
     ('+save(quantize(M(4), "int8"), "q.mpk")\nlet r = load_model("q.mpk")\n'
     '@@fit(r, dataset("iris"), epochs=1)'),
     "a quantized model cannot be trained"),
    # ----------------------------------------------------------- evaluate, split
    ("metric_name_at_run_time",
     '+' + run_time("precision")
     + 'for k in names {\n    print(@@evaluate(M(4), dataset("iris"), metric=k))\n}',
     "unknown metric 'precision'"),
    ("accuracy_with_float_labels", '+print(@@evaluate(M(4), load("float.csv")))',
     'metric "accuracy" needs integer labels'),
    ("split_fraction_at_run_time",
     'let d = load("five.csv")\nlet (a, b) = @@split(dataset("iris"), len(d) * 0.75)',
     "split fraction must be between 0 and 1 (exclusive), got 1.5"),
    # ------------------------------------------------------------------- quantize
    ("static_without_calibrate_at_run_time",
     '+' + run_time("static")
     + 'for mode in names {\n    let q = @@quantize(M(4), "int8", mode=mode)\n}',
     'mode="static" needs calibrate=DATASET'),
    ("calibrate_with_wrong_feature_count",
     '+let q = @@quantize(M(4), "int8", mode="static", calibrate=load("five.csv"))',
     "M.forward expects f32[?, 4], got f32[2, 5]"),
    ("calibrate_with_empty_data_set",
     '+let d = dataset("iris")\nlet q = @@quantize(M(4), "int8", mode="static", calibrate=d[0:0])',
     "the calibration data set is empty"),
    ("quantize_type_at_run_time",
     '+' + run_time("int4") + 'for t in names {\n    let q = @@quantize(M(4), t)\n}',
     "unknown quantization type 'int4'"),
    ("quantize_loaded_quantized_model",
     ('+save(quantize(M(4), "int8"), "q.mpk")\nlet r = load_model("q.mpk")\n'
     'let q = @@quantize(r, "int8")'),
     "this model is already quantized"),
    ("load_weights_into_quantized_model",
     ('+save(quantize(M(4), "int8"), "q.mpk")\nlet r = load_model("q.mpk")\n'
     '@@load_weights(r, "ok.safetensors")'),
     "load_weights cannot fill a quantized model (its weights are int8): load float weights before quantize, or read a saved quantized model with load_model"),
    # ----------------------------------------------------------------------- save
    ("save_into_missing_directory", '+@@save(M(4), "no/such/dir/m.mpk")',
     "cannot write model package 'no/such/dir/m.mpk'"),
    ("save_to_empty_path", '+@@save(M(4), "")',
     "cannot write model package '': it is not a file name"),
    # ------------------------------------------------------------- host tensor ops
    ("host_matmul_shape_mismatch", 'let d = load("five.csv")\nprint(d.x @@@ d.x)',
     "cannot be multiplied"),
]


def program_and_location(text: str) -> tuple[str, int, int]:
    """The program without the marker, and the line and column of the marker."""
    if text.startswith("+"):
        text = MODEL + text[1:]
    assert text.count(MARK) == 1, text
    before = text[: text.index(MARK)]
    line = before.count("\n") + 1
    col = len(before) - (before.rfind("\n") + 1) + 1
    return text.replace(MARK, "", 1) + "\n", line, col


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The files the programs read, made once."""
    d = tmp_path_factory.mktemp("runtime-error-data")
    (d / "five.csv").write_text("x1,x2,x3,x4,x5,y\n1,2,3,4,5,0\n2,3,4,5,6,1\n")
    (d / "bad.csv").write_text("a,b,y\n1,2,0\n1,,1\n")
    (d / "ragged.csv").write_text("a,b,y\n1,2,0\n1,2\n")
    (d / "labels12.csv").write_text("a,b,c,d,y\n1,2,3,4,0\n1,2,3,4,12\n")
    (d / "float.csv").write_text("a,b,c,d,y\n1,2,3,4,0.5\n1,2,3,4,1.5\n")
    (d / "notes.txt").write_text("hello\n")
    np.savez(d / "nox.npz", y=np.zeros(3))

    torch.manual_seed(0)
    lin = torch.nn.Linear(4, 3)
    w, b = lin.weight.detach().contiguous(), lin.bias.detach().contiguous()
    save = safetensors.torch.save_file
    save({"fc.weight": w, "fc.bias": b}, d / "ok.safetensors")
    save({"fc.weight": w}, d / "missing.safetensors")
    save({"fc.weight": w, "fc.bias": b, "fc.extra": torch.zeros(2)}, d / "extra.safetensors")
    save({"fc.weight": torch.zeros(3, 5), "fc.bias": b}, d / "shape.safetensors")
    torch.save({"fc.weight": torch.zeros(3, 5), "fc.bias": b}, d / "shape.pt")
    torch.save([w, b], d / "list.pt")
    torch.save(lin, d / "module.pt")  # a pickled module: weights_only must refuse it
    rng = np.random.default_rng(0)
    (d / "garbage.safetensors").write_bytes(rng.bytes(300))
    (d / "random.mpk").write_bytes(rng.bytes(1000))
    save({"a": torch.zeros(2)}, d / "foreign.mpk")

    result = invoke(d, 'model M(i: int) = Linear(i, 3)\nsave(M(4), "whole.mpk")\n')
    assert result.exit_code == 0, result.stderr
    whole = (d / "whole.mpk").read_bytes()
    (d / "cut.mpk").write_bytes(whole[: len(whole) // 2])
    flipped = bytearray(whole)
    flipped[-1] ^= 0x01  # the last byte of tensor data
    (d / "flipped.mpk").write_bytes(bytes(flipped))
    return d


def invoke(cwd: Path, program: str, name: str = "prog.m"):
    """Writes `program` to cwd/name and runs `mrun --backend reference name` in cwd."""
    (cwd / name).write_text(program)
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(main, ["--backend", "reference", name])
    finally:
        os.chdir(old)


pytestmark = pytest.mark.usefixtures("one_thread")


def assert_located_error(stderr: str, program: str, line: int, col: int, fragment: str) -> None:
    """stderr is exactly one `prog.m:LINE:COL: error: ...` diagnostic with its source line
    and caret."""
    assert "Traceback" not in stderr, stderr
    lines = stderr.splitlines()
    assert len(lines) == 3, f"expected header, source line and caret, got:\n{stderr}"
    header, source, caret = lines
    prefix = f"prog.m:{line}:{col}: error: "
    assert header.startswith(prefix), f"expected {prefix!r}, got:\n{stderr}"
    assert fragment in header, f"expected {fragment!r} in:\n{header}"
    assert source == program.splitlines()[line - 1]
    assert caret == " " * (col - 1) + "^"


@pytest.mark.parametrize(("text", "fragment"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_runtime_error(tmp_path: Path, data_dir: Path, text: str, fragment: str) -> None:
    for f in data_dir.iterdir():
        shutil.copy(f, tmp_path / f.name)
    program, line, col = program_and_location(text)
    (tmp_path / "prog.m").write_text(program)
    compile_file(str(tmp_path / "prog.m"))  # must compile: this is a run-time error
    result = invoke(tmp_path, program)
    assert result.exit_code == 1, (result.exit_code, result.stdout, result.stderr)
    # Anything but a clean exit (an escaped exception) would be stored here instead.
    assert isinstance(result.exception, SystemExit), result.exc_info
    assert_located_error(result.stderr, program, line, col, fragment)


def test_enough_cases() -> None:
    assert len(CASES) >= 20
    assert len({c[0] for c in CASES}) == len(CASES)


def test_output_before_the_error_is_kept(tmp_path: Path) -> None:
    """What the program printed before failing reaches stdout; the error goes to stderr."""
    program = 'print("before")\nlet d = load("missing.csv")\nprint("after")\n'
    result = invoke(tmp_path, program)
    assert result.exit_code == 1
    assert result.stdout == "before\n"
    assert_located_error(result.stderr, program, 2, 9, "no such data file")


def test_csv_with_byte_order_mark(tmp_path: Path) -> None:
    """A spreadsheet export starts with a BOM; its first column is still found by name."""
    (tmp_path / "bom.csv").write_bytes(b"\xef\xbb\xbfa,b,y\n1,2,0\n3,4,1\n")
    result = invoke(tmp_path, 'let d = load("bom.csv", target="a")\nprint(d.y, d.x)\n')
    assert result.exit_code == 0, result.stderr
    assert result.stdout.split("\n")[0].startswith("[1 3] [[2. 0.]")


def test_runtime_error_in_a_real_process(tmp_path: Path, data_dir: Path) -> None:
    """The same diagnostic from the installed `mrun`, in its own process."""
    shutil.copy(data_dir / "five.csv", tmp_path / "five.csv")
    program, line, col = program_and_location(
        '+let m = M(4)\nlet d = load("five.csv")\nprint(@@m(d.x))')
    (tmp_path / "prog.m").write_text(program)
    mrun = shutil.which("mrun")
    cmd = [mrun] if mrun else [sys.executable, "-c", "from mlang.tools.mrun import main; main()"]
    proc = subprocess.run([*cmd, "--backend", "reference", "prog.m"], check=False, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout == ""
    assert_located_error(proc.stderr, program, line, col, "M.forward expects f32[?, 4]")
