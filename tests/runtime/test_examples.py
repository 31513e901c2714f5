"""End-to-end runs of every program in examples/ through `mrun --backend reference`
(sentiment.m, a BERT, shrunk and through the torch backend).

Each example runs in a fresh subprocess whose working directory is a temporary folder
(examples write `.mpk` packages), and the test checks what it prints. torch is limited to
one thread: these models are tiny, and on a small shared machine intra-op threads cost
far more in synchronisation than they gain (digits takes ~4x longer with two threads
under load). Every example then finishes in roughly 5-10 s; the tests check what the
examples print, not how long they take (a loaded machine would make that flaky).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from mlang.runtime.packages import load_package

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
HANG_LIMIT_S = 600.0
"""Only a hung run is stopped: how fast examples run is measured in bench/, not asserted."""
# The console script when installed, else the same entry point through this interpreter.
MRUN = [shutil.which("mrun")] if shutil.which("mrun") else [
    sys.executable, "-c", "from mlang.tools.mrun import main; main()"]


def mrun_env() -> dict[str, str]:
    """The environment of an `mrun` subprocess: one torch thread, unbuffered output."""
    env = dict(os.environ)
    env.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONUNBUFFERED="1")
    return env


def run_example(name: str, cwd: Path) -> str:
    """Runs examples/NAME.m under the reference backend in `cwd` and returns its stdout."""
    program = EXAMPLES / f"{name}.m"
    assert program.is_file(), f"missing example {program}"
    proc = subprocess.run(
        [*MRUN, "--backend", "reference", str(program)],
        check=False, cwd=cwd, capture_output=True, text=True, timeout=HANG_LIMIT_S,
        env=mrun_env(),
    )
    assert proc.returncode == 0, f"{name}.m failed ({proc.returncode}):\n{proc.stderr}"
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.stdout


def value(stdout: str, label: str) -> str:
    """The text after `label` on the line that starts with it."""
    match = re.search(rf"^{re.escape(label)}\s*(.*)$", stdout, re.MULTILINE)
    assert match, f"no line starting with {label!r} in:\n{stdout}"
    return match.group(1).strip()


def number(stdout: str, label: str) -> float:
    """The number printed after `label`."""
    return float(value(stdout, label))


def test_every_example_is_covered() -> None:
    """A new example must get a test here (and the list below must not go stale)."""
    found = sorted(p.stem for p in EXAMPLES.glob("*.m"))
    assert found == sorted(COVERED), f"examples {found} vs tests {sorted(COVERED)}"


def test_digits(tmp_path: Path) -> None:
    out = run_example("digits", tmp_path)
    assert number(out, "fp32 accuracy:") >= 0.95
    assert number(out, "int8 accuracy:") >= 0.95
    package = tmp_path / "digits.mpk"
    assert package.is_file() and package.stat().st_size > 0
    _, tensors, metadata = load_package(package)
    assert metadata.get("quantization") == "weight"
    assert tensors["fc1.weight"].dtype == torch.int8


def test_iris(tmp_path: Path) -> None:
    out = run_example("iris", tmp_path)
    lines = out.splitlines()
    # summary(net): a header, one row per layer with its path, then the total.
    assert lines[0].split() == ["layer", "type", "output", "dtype", "params"]
    assert lines[1].split() == ["0", "Linear", "[?,", "32]", "f32", "160"]
    assert "Dropout" in lines[2]
    assert lines[3].split() == ["3", "Linear", "[?,", "3]", "f32", "99"]
    assert lines[4].split() == ["total", "Mlp", "259"]
    assert number(out, "final loss:") < 0.5
    assert number(out, "accuracy:") >= 0.9
    assert number(out, "macro f1:") >= 0.85
    assert value(out, "parameters:") == "259"


def test_diabetes(tmp_path: Path) -> None:
    out = run_example("diabetes", tmp_path)
    mse = number(out, "test mse:")
    assert value(out, "rmse below 70:") == "true"
    assert mse ** 0.5 < 70
    assert 0 < number(out, "test mae:") < 70


def test_transformer(tmp_path: Path) -> None:
    out = run_example("transformer", tmp_path)
    assert number(out, "accuracy:") >= 0.9
    assert value(out, "parameters:") == "26346"


def test_finetune(tmp_path: Path) -> None:
    out = run_example("finetune", tmp_path)
    pretrained = value(out, "pretrained:")
    # Reloading the package must give exactly the same model, hence the same text.
    assert value(out, "reloaded:") == pretrained
    assert float(pretrained) >= 0.85
    assert 0.8 <= number(out, "fine-tuned:") <= 1.0
    assert (tmp_path / "finetune-base.mpk").is_file()


def test_finetune_schedule(tmp_path: Path) -> None:
    out = run_example("finetune_schedule", tmp_path)
    assert number(out, "test accuracy:") >= 0.9
    rows = (tmp_path / "finetune-log.csv").read_text().splitlines()
    assert rows[0] == "epoch,loss,val_accuracy,lr,seconds" and len(rows) >= 2
    assert (tmp_path / "finetune-curves.png").read_bytes().startswith(b"\x89PNG")


def test_quantize(tmp_path: Path) -> None:
    out = run_example("quantize", tmp_path)
    f32 = number(out, "f32 accuracy:")
    assert f32 >= 0.95
    for mode in ("weight-only", "dynamic", "static"):
        acc = number(out, f"int8 {mode} accuracy:")
        assert abs(acc - f32) <= 0.03, f"int8 {mode}: {acc} vs f32 {f32}"
    # summary(static) shows int8 weights.
    assert re.search(r"^fc1\s+Linear\s+\[\?, 256\]\s+int8\s+16640$", out, re.MULTILINE), out
    sizes = {mode: (tmp_path / f"quantize-{mode}.mpk").stat().st_size
             for mode in ("f32", "weight", "dynamic", "static")}
    for mode in ("weight", "dynamic", "static"):
        assert sizes[mode] <= 0.35 * sizes["f32"], sizes
    # file_size prints the same sizes, and the ratios.
    assert int(number(out, "f32 package bytes:")) == sizes["f32"]
    for mode, label in (("weight", "weight-only"), ("dynamic", "dynamic"), ("static", "static")):
        printed = value(out, f"int8 {label} package bytes:").split()
        assert int(printed[0]) == sizes[mode] and printed[1] == "ratio:"
        assert float(printed[2]) == pytest.approx(sizes[mode] / sizes["f32"], rel=1e-5)


def shrunk_sentiment(tmp_path: Path, source: str) -> str:
    """Runs sentiment.m's `source` shrunk to stay fast in CI (300 tweets, one epoch, the
    torch backend) in `tmp_path`, checks what it prints and saves (not its accuracy: its
    full run is measured by hand, see the README) and returns its output."""
    shrunk = re.sub(r"epochs=\d+", "epochs=1", source.replace(
        'split(dataset("tweets"),', 'split(dataset("tweets")[0:300],'))
    assert shrunk.count("[0:300]") == 1 and "epochs=1" in shrunk
    program = tmp_path / "sentiment.m"
    program.write_text(shrunk)
    proc = subprocess.run([*MRUN, "--backend", "torch", str(program)], check=False,
                          cwd=tmp_path, capture_output=True, text=True,
                          timeout=HANG_LIMIT_S, env=mrun_env())
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    accuracy, share = value(out, "accuracy:").split(" share of positives: ")
    assert 0.0 <= float(accuracy) <= 1.0 and 0.0 < float(share) < 1.0
    assert 0.0 <= number(out, "int8 accuracy:") <= 1.0
    names = out.splitlines()[-1]
    assert re.fullmatch(r"\[(negative|positive), (negative|positive)\]", names), out
    _, tensors, metadata = load_package(tmp_path / "sentiment.mpk")
    assert metadata["quantization"] == "weight" and "tokenizer" in metadata
    assert metadata["classes"] == '["negative", "positive"]'
    assert tensors["classifier.weight"].dtype == torch.int8
    return out


def test_sentiment(tmp_path: Path) -> None:
    shrunk_sentiment(tmp_path, (EXAMPLES / "sentiment.m").read_text())


def test_sentiment_with_a_checkpoint_folder(tmp_path: Path) -> None:
    """The one change sentiment.m's header describes: `checkpoint` set to the path of a
    (tiny, random) Hugging Face BERT checkpoint folder that holds a tokenizer.json."""
    from mlang.runtime.datasets import builtin_dataset
    from mlang.runtime.text import train_tokenizer
    from test_pretrained import save, tiny_bert

    folder = save(tiny_bert("BertModel", vocab_size=300, max_position_embeddings=64),
                  tmp_path / "bert")
    tok = train_tokenizer(builtin_dataset("tweets").column("text"), vocab=300)
    (folder / "tokenizer.json").write_text(tok.to_str())
    source = (EXAMPLES / "sentiment.m").read_text()
    assert source.count('let checkpoint = ""\n') == 1
    shrunk_sentiment(tmp_path, source.replace('let checkpoint = ""',
                                              f'let checkpoint = "{folder}"'))


COVERED = ("digits", "iris", "diabetes", "transformer", "finetune", "finetune_schedule",
           "quantize", "sentiment")
