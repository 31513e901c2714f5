"""`mopt --load-pass-plugin`: a plugin's passes work as built-in ones, and every way a
plugin can fail is an mlang diagnostic (exit 1, no traceback). Also: input that is not
text, a model package above all, is named as such."""

from __future__ import annotations

import runpy
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from mlang.passes import PassRegistrationError, get_all_passes, register_pass
from mlang.runtime.packages import save_package
from mlang.support.crash_reproducer import ReproducerConfiguration, read_reproducer_configuration

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "plugins" / "div_to_mul.py"
VALID = "func.func @f(%a: i32) -> i32 {\n  func.return %a : i32\n}\n"
HEADER = """\
from dataclasses import dataclass

from xdsl.passes import ModulePass

from mlang.passes import register_pass
"""


def _pass_source(name: str, body: str = "pass") -> str:
    """A plugin that registers one pass, `name`, whose `apply` runs `body`."""
    return HEADER + textwrap.dedent(f"""

        @register_pass
        @dataclass(frozen=True)
        class Plugged(ModulePass):
            \"\"\"A pass from a plugin.\"\"\"

            name = "{name}"

            def apply(self, ctx, op):
                {body}
        """)


def _mopt(*args: str, cwd: Path) -> tuple[int, str, str]:
    """Runs mopt in a fresh interpreter in `cwd`; returns its status, stdout and stderr."""
    done = subprocess.run(
        [sys.executable, "-m", "mlang.tools.mopt", *args],
        capture_output=True, check=False, timeout=120, cwd=cwd, text=True,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, done.stdout, done.stderr


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """A folder holding `in.mlir`, a valid input."""
    (tmp_path / "in.mlir").write_text(VALID)
    return tmp_path


# ------------------------------------------------------------------- plugins that work


def test_a_plugin_pass_runs_and_lists_as_from_its_plugin(work: Path) -> None:
    (work / "plugin.py").write_text(_pass_source("my-pass"))
    status, stdout, _ = _mopt("in.mlir", "--load-pass-plugin=plugin.py", "-p", "my-pass", cwd=work)
    assert status == 0 and "func.return %a" in stdout
    status, stdout, _ = _mopt("--load-pass-plugin=plugin.py", "--list-passes", cwd=work)
    assert status == 0
    assert "my-pass" in stdout and "A pass from a plugin. (from plugin plugin.py)" in stdout


def test_a_plugin_that_registers_nothing_just_loads(work: Path) -> None:
    """As MLIR's plugins: loading is all that a plugin is asked to do."""
    (work / "empty.py").write_text("")
    assert _mopt("in.mlir", "--load-pass-plugin=empty.py", cwd=work)[:2] == (0, VALID_OUT)


def test_a_plugin_named_twice_loads_once(work: Path) -> None:
    (work / "plugin.py").write_text(_pass_source("my-pass"))
    args = ("--load-pass-plugin=plugin.py", f"--load-pass-plugin={work / 'plugin.py'}")
    assert _mopt("in.mlir", *args, "-p", "my-pass", cwd=work)[0] == 0


def test_a_crash_reproducer_loads_the_plugin_again(work: Path) -> None:
    (work / "plugin.py").write_text(_pass_source("crash-me", 'raise RuntimeError("boom")'))
    status, _, stderr = _mopt(
        "in.mlir", "--load-pass-plugin=plugin.py", "-p", "crash-me",
        "--mlir-pass-pipeline-crash-reproducer=repro.mlir", cwd=work,
    )
    assert status == 1 and "internal error: pass 'crash-me' failed: RuntimeError: boom" in stderr
    first = (work / "repro.mlir").read_text().splitlines()[0]
    plugin = (work / "plugin.py").resolve()
    assert first == (
        f"// configuration: --load-pass-plugin={plugin} --pass-pipeline='builtin.module(crash-me)'"
    )
    elsewhere = work / "elsewhere"
    elsewhere.mkdir()
    status, _, stderr = _mopt(str(work / "repro.mlir"), "--run-reproducer", cwd=elsewhere)
    assert status == 1 and "pass 'crash-me' failed: RuntimeError: boom" in stderr


@pytest.mark.parametrize(
    ("line", "configuration"),
    [
        ("// configuration: --pass-pipeline='builtin.module(cse)'",
         ReproducerConfiguration("builtin.module(cse)")),
        ("// configuration: --load-pass-plugin='/a b/p.py' --load-pass-plugin=/q.py "
         "--pass-pipeline='builtin.module(x{s=\"it's\"})'",
         ReproducerConfiguration('builtin.module(x{s="it\'s"})', ("/a b/p.py", "/q.py"))),
        ("// configuration: --other=1 --pass-pipeline='builtin.module(cse)'", None),
    ],
)
def test_reproducer_configurations_read_back(
    line: str, configuration: ReproducerConfiguration | None
) -> None:
    assert read_reproducer_configuration(f"{line}\nbuiltin.module {{\n}}\n") == configuration


def test_the_example_plugin_keeps_inexact_divisions_unless_asked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Run without registering, so that this process's registry stays as it was.
    monkeypatch.setattr("mlang.passes.register_pass", lambda pass_type: pass_type)
    reciprocal = runpy.run_path(str(EXAMPLE))["reciprocal"]
    assert reciprocal(4.0, "f32", True) == 0.25
    assert reciprocal(-0.5, "f64", True) == -2.0
    assert reciprocal(3.0, "f32", True) is None
    assert reciprocal(3.0, "f32", False) == 1 / 3
    assert reciprocal(2.0**-20, "f16", True) is None  # 2**20 overflows f16
    assert reciprocal(0.0, "f32", False) is None


# ---------------------------------------------------------------- plugins that fail


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("x = (\n", "plugin.py:1:5: error: cannot load pass plugin: SyntaxError: '(' was never"),
        (
            "def f():\n    return 1 / 0\n\nf()\n",
            "plugin.py:2:12: error: cannot load pass plugin: ZeroDivisionError: division by zero\n"
            "    return 1 / 0\n           ^\n",
        ),
        ("import no_such_module_here\n", "plugin.py:1:1: error: cannot load pass plugin: "
         "ModuleNotFoundError: No module named 'no_such_module_here'"),
        (_pass_source("cse"), "plugin.py:8:2: error: cannot register pass 'cse': "
         "a built-in pass has that name"),
        (_pass_source("O2"), "error: cannot register pass 'O2': a named pipeline has that name"),
        (_pass_source("bad name"), "error: pass class 'Plugged' needs a `name` of letters"),
        (HEADER + "register_pass(int)\n", "plugin.py:6:1: error: register_pass takes a "
         "ModulePass class, not <class 'int'>"),
    ],
)
def test_a_broken_plugin_is_a_located_error(work: Path, source: str, expected: str) -> None:
    (work / "plugin.py").write_text(source)
    status, stdout, stderr = _mopt("in.mlir", "--load-pass-plugin=plugin.py", cwd=work)
    assert (status, stdout) == (1, "")
    assert expected in stderr


@pytest.mark.parametrize("path", ["missing.py", "."])
def test_a_plugin_that_is_not_a_file_is_an_error(work: Path, path: str) -> None:
    reason = "no such file" if path == "missing.py" else "it is a directory"
    for args in (("in.mlir",), ("--list-passes",)):
        status, stdout, stderr = _mopt(*args, f"--load-pass-plugin={path}", cwd=work)
        assert (status, stdout, stderr) == (
            1, "", f"error: cannot load pass plugin '{path}': {reason}\n"
        )


def test_two_plugins_cannot_register_one_name(work: Path) -> None:
    (work / "a.py").write_text(_pass_source("my-pass"))
    (work / "b.py").write_text(_pass_source("my-pass"))
    status, _, stderr = _mopt("in.mlir", "--load-pass-plugin=a.py", "--load-pass-plugin=b.py",
                              cwd=work)
    assert status == 1
    assert "b.py:8:2: error: cannot register pass 'my-pass': another registered pass" in stderr


def test_register_pass_rejects_what_is_not_a_pass_class() -> None:
    with pytest.raises(PassRegistrationError, match="takes a ModulePass class"):
        register_pass(object)  # type: ignore[arg-type]
    assert "object" not in get_all_passes()


# ------------------------------------------------------------------ input that is not text

VALID_OUT = "builtin.module {\n  func.func @f(%a: i32) -> i32 {\n    func.return %a : i32\n  }\n}\n"
NOT_TEXT = "mopt reads M (.m) and MLIR (.mlir) text\n"


def test_a_model_package_is_named_not_printed(tmp_path: Path) -> None:
    package = tmp_path / "net.mpk"
    save_package(package, VALID, {"w": torch.ones(3)}, {})
    status, stdout, stderr = _mopt(str(package), cwd=tmp_path)
    assert (status, stdout) == (1, "")
    assert stderr == f"{package}:1:1: error: not a text file: this is an mlang model package; " \
        + NOT_TEXT


def test_a_nul_byte_is_not_text(tmp_path: Path) -> None:
    (tmp_path / "in.mlir").write_bytes(b"func.func @f() {\n  \x00\x01\n}\n")
    status, _, stderr = _mopt("in.mlir", cwd=tmp_path)
    assert (status, stderr) == (1, "in.mlir:2:3: error: not a text file: it holds a NUL byte; "
                                + NOT_TEXT)

