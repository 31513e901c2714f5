"""`bench/pretrained.py --tiny` runs end to end on tiny checkpoints: each part prints its
table and the targets; the generation part runs or says why it cannot (std.llama)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench" / "pretrained.py"


def test_tiny_run_prints_every_part(tmp_path: Path) -> None:
    env = {**os.environ, "MLANG_CACHE_DIR": str(tmp_path / "cache")}
    proc = subprocess.run([sys.executable, str(BENCH), "--tiny", "--no-torch-compile",
                           "--runs", "1"], capture_output=True, text=True, timeout=600,
                          env=env, check=False)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert out.count("(a) BertModel forward") == 2 and "sdpa" in out
    assert "(b) Llama generate" in out or "(b) skipped: " in out
    if "(b) Llama generate" in out:
        assert "same tokens as transformers: yes" in out
    assert "(c) pretrained" in out and "warm cache" in out
    assert out.rstrip().splitlines()[-1].startswith("  warm pretrained < 2 s")
