"""The caches of generated code (`backends/common/cache.py`) and of the int8 C library
(`backends/torch/native.py`): a damaged entry is regenerated and never executed, keys
follow every source that shapes generated code, and a failed C build is remembered."""

from __future__ import annotations

import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from mlang.backends.common import cache
from mlang.backends.torch import backend as torch_backend
from mlang.backends.torch import codegen, native
from mlang.backends.triton import cache as triton_cache
from mlang.tools.mrun import main as mrun_main

SOURCE = """
func.func @double(%x: tensor<2xf32>) -> tensor<2xf32> {
  %0 = tensorops.add %x, %x : tensor<2xf32>, tensor<2xf32> -> tensor<2xf32>
  func.return %0 : tensor<2xf32>
}
"""

EVIL = "open({marker!r}, 'w').write('executed')\nraise SystemExit('executed')\n"
"""An edit of a cached module: it must never run."""


@pytest.fixture(autouse=True)
def fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty disk cache and empty in-memory caches."""
    monkeypatch.setenv("MLANG_CACHE_DIR", str(tmp_path / "cache"))
    codegen.forget_compiled()
    torch_backend.forget_compiled()
    triton_cache.forget_loaded()
    yield tmp_path / "cache"
    codegen.forget_compiled()
    torch_backend.forget_compiled()
    triton_cache.forget_loaded()


def test_cache_dir_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLANG_CACHE_DIR", "/a")
    assert cache.cache_dir("torch") == Path("/a/torch")
    monkeypatch.delenv("MLANG_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", "/b")
    assert cache.cache_dir("triton") == Path("/b/mlang/triton")
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache.cache_dir("torch") == Path.home() / ".cache" / "mlang" / "torch"


def test_an_entry_reads_back_as_written(tmp_path: Path) -> None:
    path = tmp_path / "entry.py"
    assert cache.write_entry(path, "x = 'é'\n")
    assert cache.read_entry(path) == "x = 'é'\n"
    assert path.read_text().startswith("x = 'é'\n")
    assert cache.read_entry(tmp_path / "missing.py") is None


# ------------------------------------------------------------------ damaged entries


def damage(path: Path, how: str, marker: Path) -> None:
    """Damages the cache entry at `path` as a crash, a full disk or a person might."""
    data = path.read_bytes()
    if how == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "garbled":
        path.write_bytes(b"\xff\xfe\x00garbage" + data[10:])
    elif how == "edited":  # a line put in front; the hash of the old text stays
        path.write_bytes(EVIL.format(marker=str(marker)).encode() + data)


DAMAGES = ["truncated", "empty", "garbled", "edited"]


def assert_recovered(path: Path, marker: Path) -> None:
    """The entry at `path` was written anew and the damaged one never ran."""
    assert not marker.exists(), "a damaged cache entry was executed"
    assert cache.read_entry(path) is not None


@pytest.mark.parametrize("how", DAMAGES)
def test_a_damaged_function_module_is_regenerated(fresh: Path, tmp_path: Path,
                                                  how: str) -> None:
    x = torch.tensor([1.0, -2.0])
    assert torch.equal(codegen.compile_module(SOURCE)["double"]({}, x), x + x)
    (path,) = (fresh / "torch").glob("*.py")
    marker = tmp_path / "marker"
    damage(path, how, marker)
    codegen.forget_compiled()  # as a new process would
    assert torch.equal(codegen.compile_module(SOURCE)["double"]({}, x), x + x)
    assert_recovered(path, marker)


MODEL = """\
model Tiny(d: int) {
    fc = Linear(d, 2)
    fn forward(x: f32[N, d]) -> f32[N, 2] {
        return relu(fc(x))
    }
}
seed(1)
let m = Tiny(3)
print(m(randn([2, 3], seed=2)))
"""


def run_program(directory: Path) -> str:
    """The output of `MODEL` under `mrun --backend torch`, which must succeed."""
    (directory / "tiny.m").write_text(MODEL)
    result = CliRunner().invoke(mrun_main, ["--backend", "torch", str(directory / "tiny.m")])
    assert result.exit_code == 0, (result.output, result.exc_info)
    return result.stdout


@pytest.mark.parametrize("how", DAMAGES)
def test_a_program_runs_after_its_cached_model_is_damaged(fresh: Path, tmp_path: Path,
                                                          how: str) -> None:
    first = run_program(tmp_path)
    (path,) = (fresh / "torch").glob("model-*.py")
    marker = tmp_path / "marker"
    damage(path, how, marker)
    torch_backend.forget_compiled()  # as a new process would
    torch_backend.stats.reset()
    assert run_program(tmp_path) == first
    assert torch_backend.stats.lowerings == 1 and torch_backend.stats.disk_hits == 0
    assert_recovered(path, marker)


TRITON_MODULE = "FUNCTIONS = {'seven': lambda: 7}\n"


@pytest.mark.parametrize("how", DAMAGES)
def test_a_damaged_triton_module_is_regenerated(fresh: Path, tmp_path: Path, how: str) -> None:
    assert triton_cache.load("k" * 64, lambda: TRITON_MODULE)[0]["seven"]() == 7
    path = fresh / "triton" / f"{'k' * 64}.py"
    marker = tmp_path / "marker"
    damage(path, how, marker)
    triton_cache.forget_loaded()
    functions, source = triton_cache.load("k" * 64, lambda: TRITON_MODULE)
    assert functions["seven"]() == 7 and source == TRITON_MODULE
    assert_recovered(path, marker)


def test_an_entry_that_fails_to_load_is_regenerated(tmp_path: Path) -> None:
    path = tmp_path / "entry.py"
    cache.write_entry(path, "FUNCTIONS = None\n")  # intact, but not what the loader wants

    def load(text: str, where: Path | None) -> int:
        namespace: dict[str, object] = {}
        exec(text, namespace)
        return len(namespace["FUNCTIONS"])  # type: ignore[arg-type]

    loaded = cache.load_or_generate(path, lambda: "FUNCTIONS = {'f': 1}\n", load)
    assert loaded.value == 1 and not loaded.hit
    assert cache.read_entry(path) == "FUNCTIONS = {'f': 1}\n"
    assert cache.load_or_generate(path, lambda: "unused", load).hit


def test_a_triton_module_runs_from_a_private_file_where_the_cache_is_unwritable(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("MLANG_CACHE_DIR", str(blocker))
    functions, source = triton_cache.load("u" * 64, lambda: TRITON_MODULE)
    assert functions["seven"]() == 7 and source == TRITON_MODULE


# ------------------------------------------------------------------ keys


@pytest.mark.parametrize("changed", ["support/shapes.py", "dialects/model.py",
                                     "passes/fuse.py", "backends/torch/int8_native.c"])
def test_the_fingerprint_covers_every_source_that_shapes_code(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, changed: str) -> None:
    for name in ("support/shapes.py", "dialects/model.py", "passes/fuse.py",
                 "backends/torch/int8_native.c", "runtime/interpreter.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("# one\n")
    monkeypatch.setattr(cache, "PACKAGE", tmp_path)
    cache.fingerprint.cache_clear()
    try:
        before = cache.fingerprint()
        (tmp_path / "runtime/interpreter.py").write_text("# the runtime shapes no code\n")
        cache.fingerprint.cache_clear()
        assert cache.fingerprint() == before
        (tmp_path / changed).write_text("# two\n")
        cache.fingerprint.cache_clear()
        assert cache.fingerprint() != before
    finally:
        cache.fingerprint.cache_clear()


def test_the_real_fingerprint_reads_the_package() -> None:
    for folder in ("support", "dialects", "passes", "backends"):
        assert any((cache.PACKAGE / folder).rglob("*.py")), folder


def test_a_changed_fingerprint_is_a_miss(monkeypatch: pytest.MonkeyPatch) -> None:
    generated: list[int] = []
    real = codegen.generate_module
    monkeypatch.setattr(codegen, "generate_module",
                        lambda functions: generated.append(1) or real(functions))
    codegen.compile_module(SOURCE)
    codegen.forget_compiled()
    codegen.compile_module(SOURCE)
    assert len(generated) == 1  # a disk hit
    codegen.forget_compiled()
    monkeypatch.setattr(cache, "fingerprint", lambda: "another compiler")
    codegen.compile_module(SOURCE)
    assert len(generated) == 2


# ------------------------------------------------------------------ the int8 C library


def fake_compiler(directory: Path, body: str) -> Path:
    """A compiler that logs each build (not its questions: `-E`) and then runs `body`."""
    script = directory / "fake-cc"
    script.write_text(
        "#!/bin/sh\n"
        'case " $* " in *" -E "*) exit 1;; esac\n'
        f'echo "$*" >> {directory / "builds.log"}\n'
        'out=""; prev=""; for a in "$@"; do [ "$prev" = "-o" ] && out="$a"; prev="$a"; done\n'
        f"{body}\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def builds(directory: Path) -> int:
    """How many builds the fake compiler in `directory` ran."""
    log = directory / "builds.log"
    return len(log.read_text().splitlines()) if log.exists() else 0


@pytest.fixture
def fresh_library() -> Iterator[None]:
    """The library looked up anew, and again after the test."""
    native.availability.cache_clear()
    yield
    native.availability.cache_clear()


def test_a_failed_build_is_remembered_and_reported_once(
        fresh_library: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CC", str(fake_compiler(tmp_path, "echo 'boom: no VNNI here' >&2; exit 1")))
    monkeypatch.setenv("MLANG_NATIVE", "1")  # the user asked for the kernels
    assert native.library() is None
    assert builds(tmp_path) == 2  # with OpenMP, then without
    assert "boom: no VNNI here" in native.availability().reason
    assert capsys.readouterr().err.count("boom: no VNNI here") == 1
    native.availability.cache_clear()  # as a new process would
    assert native.library() is None
    assert builds(tmp_path) == 2, "a remembered failure was built again"
    assert "boom: no VNNI here" in native.availability().reason
    assert list((tmp_path / "cache" / "native").glob("*.failed.json"))


def test_a_failed_build_is_silent_unless_asked_for(
        fresh_library: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CC", str(fake_compiler(tmp_path, "echo boom >&2; exit 1")))
    monkeypatch.delenv("MLANG_NATIVE", raising=False)
    assert native.library() is None
    assert capsys.readouterr().err == ""


def test_concurrent_first_uses_build_once(tmp_path: Path) -> None:
    compiler = fake_compiler(tmp_path, 'sleep 0.5; : > "$out"')
    paths: list[Path] = []

    def first_use() -> None:
        paths.append(native._built(str(compiler), ()))

    threads = [threading.Thread(target=first_use) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert builds(tmp_path) == 1
    assert len(paths) == 2 and paths[0] == paths[1] and paths[0].is_file()


def test_the_library_is_named_by_the_instruction_sets_it_targets(
        monkeypatch: pytest.MonkeyPatch) -> None:
    compiler = "/usr/bin/cc"
    monkeypatch.setattr(native, "_predefined_macros", lambda command: "#define __AVX512F__ 1")
    with_avx512 = native._key(compiler, ())
    monkeypatch.setattr(native, "_predefined_macros", lambda command: "#define __AVX2__ 1")
    assert native._key(compiler, ()) != with_avx512
    monkeypatch.setattr(native, "_cpu_flags", lambda: "flags : avx2")
    assert native._key(compiler, ()) != with_avx512


def test_no_compiler_is_reported_when_asked_for(
        fresh_library: None, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CC", "no-such-compiler-mlang")
    monkeypatch.setenv("MLANG_NATIVE", "1")
    assert native.library() is None
    assert "no-such-compiler-mlang" in capsys.readouterr().err
