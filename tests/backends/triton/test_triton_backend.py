"""The Triton backend end to end: two transformer blocks against the reference backend
(inference, random parameters, small batches, under the interpreter; every example's
models are in `test_triton_differential.py`), one tiny training program through
`mrun --backend triton`, the compile cache, and errors."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from triton_testing import check_forward, definitions, random_params

from mlang.backends import RunOptions
from mlang.backends.reference.backend import ReferenceBackend
from mlang.backends.triton import backend as triton_backend
from mlang.backends.triton import cache
from mlang.backends.triton.backend import TritonBackend

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "examples"

BLOCKS = """
model PreNorm(dim: int, heads: int) {
    ln1 = LayerNorm(dim)
    attn = Attention(dim, heads, causal=true)
    ln2 = LayerNorm(dim)
    up = Linear(dim, 4 * dim)
    down = Linear(4 * dim, dim)

    fn forward(x: f32[N, T, dim]) -> f32[N, T, dim] {
        let h = x + attn(ln1(x))
        return h + down(gelu(up(ln2(h))))
    }
}

model Tail(dim: int, classes: int) {
    norm = RMSNorm(dim)
    head = Linear(dim, classes)

    fn forward(x: f32[N, T, dim]) -> f32[N, classes] {
        return log_softmax(head(mean(norm(x), axis=1)), axis=1)
    }
}

let a = PreNorm(12, 3)
let b = Tail(12, 5)
"""



def test_transformer_blocks_match_the_reference(tmp_path: Path) -> None:
    program = tmp_path / "blocks.m"
    program.write_text(BLOCKS)
    torch.manual_seed(1)
    for definition in definitions(program):
        check_forward(definition, torch.randn(2, 19, 12))


def test_training_runs_on_torch_and_inference_on_triton() -> None:
    definition = definitions(EXAMPLES / "iris.m")[0]
    model = TritonBackend().compile(definition)
    params = random_params(definition)
    x = torch.randn(4, 4)
    torch.manual_seed(3)
    trained = model.run("forward", params, [x], RunOptions(training=True))[0]
    assert isinstance(trained, torch.Tensor) and trained.shape == (4, 3)
    assert model._torch is not None  # training went through the torch backend
    inferred = model.run("forward", params, [x], RunOptions())[0]
    want = ReferenceBackend().compile(definition).run("forward", params, [x], RunOptions())[0]
    torch.testing.assert_close(inferred, want)


def test_a_compiled_definition_is_found_on_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    definition = definitions(EXAMPLES / "digits.m")[0]
    first = TritonBackend().compile(definition)
    cache.forget_loaded()

    def fail(*args: object, **kwargs: object) -> str:
        raise AssertionError("generated again instead of read from the cache")

    monkeypatch.setattr(triton_backend, "generate_definition", fail)
    second = TritonBackend().compile(definition)
    assert second.source == first.source
    assert "@triton.jit" in second.source


def test_emit_prints_the_module_without_importing_triton(tmp_path: Path) -> None:
    program = tmp_path / "blocks.m"
    program.write_text(BLOCKS)
    code = (
        "import sys\n"
        "from mlang.tools.mopt import main\n"
        f"sys.argv = ['mopt', {str(program)!r}, '-t', 'triton']\n"
        "try:\n    main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        "assert 'triton' not in sys.modules and 'torch' not in sys.modules\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "# @forward: 7 kernels (1 attention, 4 matmul, 2 reduction); torch: none" in proc.stdout
    assert "def forward_attention2_kernel(" in proc.stdout


TRAINING = """
model Mlp(d: int, hidden: int, classes: int) =
    Linear(d, hidden) |> gelu |> Linear(hidden, classes)

seed(1)
let (train, test) = split(dataset("iris"), 0.8)
let net = Mlp(4, 8, 3)
let loss = fit(net, train, epochs=2, lr=0.01, batch=32)
print("final loss:", loss)
print("accuracy:", evaluate(net, test))
print("prediction:", predict(net, test)[0])
"""


def mrun(program: Path, backend: str) -> subprocess.CompletedProcess[str]:
    """`mrun --backend BACKEND PROGRAM` in a fresh process."""
    command = [shutil.which("mrun")] if shutil.which("mrun") else [
        sys.executable, "-c", "from mlang.tools.mrun import main; main()"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    env.pop("TRITON_INTERPRET", None)  # mrun must switch the interpreter on itself
    return subprocess.run([*command, "--backend", backend, str(program)], capture_output=True,
                          text=True, timeout=300, env=env, cwd=program.parent, check=False)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the interpreter fallback")
def test_mrun_trains_through_torch_and_evaluates_through_triton(tmp_path: Path) -> None:
    program = tmp_path / "train.m"
    program.write_text(TRAINING)
    triton_run, torch_run = mrun(program, "triton"), mrun(program, "torch")
    assert triton_run.returncode == 0, triton_run.stderr
    assert torch_run.returncode == 0, torch_run.stderr
    assert triton_run.stderr.splitlines() == [
        "warning: Triton kernels run on the CPU under the Triton interpreter, which is slow"
    ]
    # Training is the torch backend's: the loss and accuracy agree exactly, and the
    # prediction (from Triton kernels) to float32 rounding.
    got, want = triton_run.stdout.splitlines(), torch_run.stdout.splitlines()
    assert got[:2] == want[:2], (triton_run.stdout, torch_run.stdout)
    numbers = [[float(t) for t in re.findall(r"-?\d+\.\d+(?:e-?\d+)?", line)]
               for line in (got[2], want[2])]
    assert len(numbers[0]) == 3
    torch.testing.assert_close(torch.tensor(numbers[0]), torch.tensor(numbers[1]))
    reference = mrun(program, "reference")
    assert reference.returncode == 0, reference.stderr
    assert triton_run.stdout.splitlines()[1] == reference.stdout.splitlines()[1]  # accuracy
