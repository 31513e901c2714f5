"""Model packages: round trip, damage detection, foreign files and atomic writes."""

from __future__ import annotations

import base64
import os
import zlib
from pathlib import Path

import pytest
import safetensors.torch
import torch

from mlang.runtime import packages
from mlang.runtime.packages import _digest, load_package, save_package
from mlang.support.diagnostics import UserError

IR = 'model.def @Net {\n  "unicode: é ✓"\n}\n'


def tensors() -> dict[str, torch.Tensor]:
    torch.manual_seed(0)
    return {
        "fc1.weight": torch.randn(4, 3),
        "fc1.weight_q": torch.randint(-128, 128, (4, 3), dtype=torch.int8),
        "fc1.scale": torch.rand(4, dtype=torch.float64),
        "emb.weight": torch.randn(2, 5).to(torch.bfloat16),
        "mask": torch.tensor([True, False]),
        "step": torch.tensor(7),
        "empty": torch.zeros(0, 3),
    }


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    path = tmp_path / "net.mpk"
    save_package(path, IR, tensors(), {"name": "Net", "backend": "reference"})
    return path


def test_round_trip_keeps_every_dtype_and_value(saved: Path) -> None:
    ir, loaded, metadata = load_package(saved)
    assert ir == IR
    assert metadata == {"name": "Net", "backend": "reference"}
    expected = tensors()
    assert set(loaded) == set(expected)
    for name, tensor in expected.items():
        assert loaded[name].dtype == tensor.dtype and loaded[name].equal(tensor), name


def test_package_is_a_plain_safetensors_file(saved: Path) -> None:
    with safetensors.safe_open(str(saved), framework="pt") as file:
        header = file.metadata()
    assert header["format"] == "mlang-package" and header["version"] == "2"
    assert zlib.decompress(base64.b64decode(header["ir"])).decode() == IR


def test_version_1_packages_with_plain_ir_are_read(tmp_path: Path) -> None:
    """Packages written before the IR was compressed still load."""
    old = tmp_path / "old.mpk"
    header = {"format": "mlang-package", "version": "1", "ir": IR, "name": "Net"}
    header["sha256"] = _digest(header, {"w": torch.ones(2)})
    safetensors.torch.save_file({"w": torch.ones(2)}, old, metadata=header)
    ir, loaded, metadata = load_package(old)
    assert ir == IR and metadata == {"name": "Net"} and loaded["w"].equal(torch.ones(2))


def test_an_unreadable_ir_is_damage(tmp_path: Path) -> None:
    bad = tmp_path / "bad.mpk"
    header = {"format": "mlang-package", "version": "2", "ir": "not base64 of zlib!"}
    header["sha256"] = _digest(header, {"w": torch.ones(2)})
    safetensors.torch.save_file({"w": torch.ones(2)}, bad, metadata=header)
    with pytest.raises(UserError, match="is damaged: its IR cannot be read"):
        load_package(bad)


def test_non_contiguous_and_shared_tensors_are_saved(tmp_path: Path) -> None:
    base = torch.randn(3, 4)
    path = tmp_path / "p.mpk"
    save_package(path, IR, {"t": base.T, "view": base[1]}, {})
    _, loaded, _ = load_package(path)
    assert loaded["t"].equal(base.T) and loaded["view"].equal(base[1])


def test_every_truncation_is_rejected(saved: Path, tmp_path: Path) -> None:
    data = saved.read_bytes()
    cut = tmp_path / "cut.mpk"
    for length in range(0, len(data), 10):
        cut.write_bytes(data[:length])
        with pytest.raises(UserError, match="not a readable model package"):
            load_package(cut)


def test_damaged_bytes_are_detected(saved: Path) -> None:
    data = bytearray(saved.read_bytes())
    data[-5] ^= 0xFF  # inside the last tensor's data, where safetensors itself cannot tell
    saved.write_bytes(bytes(data))
    with pytest.raises(UserError, match="is damaged: its checksum does not match"):
        load_package(saved)


def test_foreign_files_are_rejected(tmp_path: Path) -> None:
    foreign = tmp_path / "weights.safetensors"
    safetensors.torch.save_file({"w": torch.zeros(2)}, foreign, metadata={"format": "pt"})
    with pytest.raises(UserError, match="is not an mlang model package"):
        load_package(foreign)
    text = tmp_path / "notes.mpk"
    text.write_text("just some text that is long enough to have a header length\n" * 3)
    with pytest.raises(UserError, match="not a readable model package"):
        load_package(text)


def test_other_versions_and_missing_files(tmp_path: Path) -> None:
    newer = tmp_path / "newer.mpk"
    header = {"format": "mlang-package", "version": "3", "ir": IR}
    safetensors.torch.save_file({"w": torch.zeros(2)}, newer, metadata=header)
    with pytest.raises(UserError, match="version '3'; this mlang reads versions 1 and 2"):
        load_package(newer)
    with pytest.raises(UserError, match="no such model package"):
        load_package(tmp_path / "absent.mpk")
    with pytest.raises(UserError, match="is a directory, not a model package"):
        load_package(tmp_path)


def test_a_failure_mid_write_leaves_the_old_file(
    saved: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = saved.read_bytes()

    def crash(fd: int) -> None:
        raise KeyboardInterrupt  # as if the process were stopped between write and rename

    monkeypatch.setattr(packages.os, "fsync", crash)
    with pytest.raises(KeyboardInterrupt):
        save_package(saved, "other IR", {"w": torch.ones(3)}, {})
    monkeypatch.undo()
    assert saved.read_bytes() == before
    assert os.listdir(saved.parent) == [saved.name]
    assert load_package(saved)[0] == IR


def test_an_unwritable_place_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="cannot write model package"):
        save_package(tmp_path / "no" / "such" / "dir.mpk", IR, {}, {})


def test_a_file_as_the_parent_directory_is_a_user_error(saved: Path) -> None:
    # Cleaning up the temporary file fails the same way; the write's error is reported.
    with pytest.raises(UserError, match="cannot write model package .*: Not a directory"):
        save_package(saved / "inner.mpk", IR, {}, {})


def test_a_trailing_slash_does_not_overwrite_the_file(saved: Path) -> None:
    before = saved.read_bytes()
    with pytest.raises(UserError, match="it is not a file name"):
        save_package(f"{saved}/", "other IR", {}, {})
    assert saved.read_bytes() == before


@pytest.mark.parametrize(("metadata", "message"), [({"ir": "x"}, "reserved"), ({"a": 1}, "str")])
def test_bad_metadata_is_a_programming_error(
    tmp_path: Path, metadata: dict[str, str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        save_package(tmp_path / "p.mpk", IR, {}, metadata)


# ----------------------------------------------------------------- hostile packages


def forged(path: Path, ir_field: str, tensors: dict[str, torch.Tensor]) -> Path:
    """A version 2 package with the header field `ir` as given and a valid checksum."""
    header = {"format": "mlang-package", "version": "2", "ir": ir_field}
    header["sha256"] = _digest(header, tensors)
    safetensors.torch.save_file(tensors, path, metadata=header)
    return path


def test_a_decompression_bomb_is_refused_without_expanding_it(tmp_path: Path) -> None:
    """IR followed by megabytes of spaces: a small file whose checksum is valid."""
    expanded = packages.MIN_IR_LIMIT + 4 * (1 << 20)
    bomb = zlib.compress(IR.encode() + b" " * expanded, 9)
    path = forged(tmp_path / "bomb.mpk", base64.b64encode(bomb).decode(), {"w": torch.ones(2)})
    assert path.stat().st_size * packages.IR_EXPANSION < expanded
    with pytest.raises(UserError, match=r"bomb.mpk' is damaged: its IR expands to more than"):
        load_package(path)


def test_the_ir_limit_grows_with_the_file(tmp_path: Path) -> None:
    """Large weights allow a proportionally large IR (a quantized model's text)."""
    big_ir = IR + " " * (2 * packages.MIN_IR_LIMIT)
    path = tmp_path / "big.mpk"
    save_package(path, big_ir, {"w": torch.zeros(packages.MIN_IR_LIMIT // 64)}, {})
    assert load_package(path)[0] == big_ir


def test_trailing_bytes_after_the_compressed_ir_are_damage(tmp_path: Path) -> None:
    stored = base64.b64encode(zlib.compress(IR.encode()) + b"junk").decode()
    with pytest.raises(UserError, match="its IR cannot be read"):
        load_package(forged(tmp_path / "tail.mpk", stored, {"w": torch.ones(2)}))


def test_saving_twice_gives_the_same_bytes(tmp_path: Path) -> None:
    """Header keys sorted, tensors in name order: a package is a function of its contents."""
    metadata = {f"key{i}": str(i) for i in range(20)}
    save_package(tmp_path / "a.mpk", IR, tensors(), metadata)
    save_package(tmp_path / "b.mpk", IR, dict(reversed(tensors().items())),
                 dict(reversed(metadata.items())))
    assert (tmp_path / "a.mpk").read_bytes() == (tmp_path / "b.mpk").read_bytes()
    header = safetensors.safe_open(str(tmp_path / "a.mpk"), framework="pt").metadata()
    assert set(header) == {*metadata, "format", "version", "ir", "sha256"}


def test_saving_is_reproducible_across_processes(tmp_path: Path) -> None:
    """safetensors orders metadata by a hash map seeded per process; ours must not."""
    import subprocess
    import sys

    script = ("import sys, torch; from mlang.runtime.packages import save_package; "
              "save_package(sys.argv[1], 'ir', {'w': torch.ones(2)}, "
              "{f'k{i}': str(i) for i in range(20)})")
    for name in ("a.mpk", "b.mpk"):
        subprocess.run([sys.executable, "-c", script, str(tmp_path / name)], check=True)
    assert (tmp_path / "a.mpk").read_bytes() == (tmp_path / "b.mpk").read_bytes()


def dead_pid() -> int:
    """The id of a process that has exited."""
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_save_removes_what_killed_saves_left(saved: Path) -> None:
    folder = saved.parent
    stale = folder / f".net.mpk.{dead_pid()}-0123abcd.tmp"
    reused = folder / f".other.mpk.{os.getppid()}-89abcdef.tmp"  # a live pid, older file
    live = folder / f".net.mpk.{os.getpid()}-deadbeef.tmp"  # a save in progress
    foreign = folder / ".net.mpk.123-notours.tmp"
    for path in (stale, reused, live, foreign):
        path.write_bytes(b"partial")
    os.utime(reused, (0, 0))  # written before the process that now has its id started
    save_package(saved, IR, tensors(), {})
    assert not stale.exists() and not reused.exists()
    assert live.exists() and foreign.exists()
    assert load_package(saved)[0] == IR
