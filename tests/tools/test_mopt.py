"""mopt where lit tests reach badly: pipeline parsing, diagnostic matching, hostile input."""

from __future__ import annotations

import random
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from io import StringIO
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass
from xdsl.utils.exceptions import PassFailedException

from mlang.passes import get_all_passes, get_all_pipelines
from mlang.support.diagnostic_verifier import (
    Diagnostic,
    check_diagnostics,
    diagnostics_of,
    parse_expectations,
)
from mlang.support.diagnostics import CompileError, InternalError, Loc, Note
from mlang.support.pass_manager import OpPipelinePass, PipelineBuilder, format_pipeline
from mlang.support.pass_pipeline import (
    NestedPipeline,
    PassRef,
    PipelineSyntaxError,
    format_elements,
    parse_pass_list,
    parse_pass_pipeline,
)
from mlang.support.source_input import decode_utf8, split_source
from mlang.tools import opt_driver
from mlang.tools.opt_driver import OptOptions, run_opt

LOCATED = re.compile(r"^\S+:\d+:\d+: (error|internal error): ", re.MULTILINE)
VALID = "func.func @f(%a: i32) -> i32 {\n  func.return %a : i32\n}\n"


# ----------------------------------------------------------------------- pipeline parser


def test_nested_pipeline_parses_to_a_tree() -> None:
    top = parse_pass_pipeline('builtin.module(a, b{x=1 s="}"}, func.func(c))')
    assert top == NestedPipeline(
        "builtin.module",
        (
            PassRef("a", "a", 16),
            PassRef("b", 'b{x=1 s="}"}', 19),
            NestedPipeline("func.func", (PassRef("c", "c", 43),), 33),
        ),
        1,
    )


def test_formatting_inverts_parsing() -> None:
    text = "builtin.module(a,b{x=1},func.func(c,builtin.module()))"
    top = parse_pass_pipeline(text)
    assert format_elements(top.anchor, top.elements) == text


def test_pass_list_is_the_inside_of_a_pipeline() -> None:
    assert parse_pass_list("") == ()
    assert parse_pass_list(" a , func.func(b) ") == (
        PassRef("a", "a", 2),
        NestedPipeline("func.func", (PassRef("b", "b", 16),), 6),
    )


@pytest.mark.parametrize(
    ("text", "col", "message"),
    [
        ("cse", 1, "expected 'cse(...)'"),
        ("builtin.module(a,)", 18, "expected a pass name, found ')'"),
        ("builtin.module(a))", 18, "unexpected ')'"),
        ("builtin.module(a", 17, "expected ')', found end of pipeline"),
        ('builtin.module(a{s="}")', 17, "unterminated option list"),
        ("builtin.module(a b)", 18, "expected ')', found 'b'"),
    ],
)
def test_syntax_errors_point_at_the_column(text: str, col: int, message: str) -> None:
    with pytest.raises(PipelineSyntaxError) as info:
        parse_pass_pipeline(text)
    assert info.value.col == col
    assert message in info.value.message


# ----------------------------------------------------------------------- pipeline builder


def _build(text: str, pipelines: dict[str, tuple[str, str]] | None = None) -> list[ModulePass]:
    builder = PipelineBuilder(get_all_passes(), pipelines or get_all_pipelines())
    return list(builder.build(NestedPipeline("builtin.module", parse_pass_list(text), 1)).passes)


def test_named_pipelines_expand_in_place_and_nest() -> None:
    passes = _build("dce,func.func(model-cleanup)")
    assert format_pipeline(passes) == "builtin.module(dce,func.func(canonicalize,cse))"
    assert isinstance(passes[1], OpPipelinePass) and passes[1].anchor == "func.func"


def test_options_reach_the_pass_and_print_back() -> None:
    (crash,) = _build('test-crash{message="a b"}')
    assert crash == get_all_passes()["test-crash"]()(message="a b")
    assert format_pipeline([crash]) == 'builtin.module(test-crash{message="a b"})'


@pytest.mark.parametrize(
    ("text", "col", "message"),
    [
        ("cse,nope", 5, "unknown pass 'nope'"),
        ("cse,csee", 5, "did you mean 'cse'?"),
        ("cse{x=1}", 1, "invalid options for pass 'cse'"),
        ("cse,test-crash{message=}", 24, "Unknown argument value"),
        ("loop", 1, "in pipeline 'loop': pipeline 'loop' expands to itself"),
        ("broken", 1, "in pipeline 'broken': unknown pass 'nope'"),
        ("model-cleanup{x=1}", 1, "pipeline 'model-cleanup' takes no options"),
    ],
)
def test_build_errors_are_located_in_the_pipeline_text(text: str, col: int, message: str) -> None:
    pipelines = {**get_all_pipelines(), "loop": ("", "cse,loop"), "broken": ("", "cse,nope")}
    with pytest.raises(CompileError) as info:
        _build(text, pipelines)
    assert info.value.loc == Loc("<pass-pipeline>", 1, col)
    assert message in info.value.message


def test_a_pass_that_fails_to_load_is_an_internal_error_where_it_is_used() -> None:
    def broken() -> type[ModulePass]:
        raise ImportError("no module named 'mlang.passes.broken'")

    builder = PipelineBuilder({**get_all_passes(), "broken": broken}, get_all_pipelines())
    with pytest.raises(InternalError) as info:
        builder.build(NestedPipeline("builtin.module", parse_pass_list("cse,broken"), 1))
    assert info.value.loc == Loc("<pass-pipeline>", 1, 5)
    assert "cannot load pass 'broken': ImportError" in info.value.message


# ------------------------------------------------------------------- diagnostic verifier


def test_annotations_resolve_to_lines() -> None:
    text = "\n".join(
        [
            "a",  # 1
            "b // expected-error {{x}} expected-note@-1 {{y}}",
            "// expected-warning@above {{z}}",  # 3: line 1, 2 is annotated
            "// expected-remark@below {{w}}",  # 4: line 6, 5 is annotated
            "// expected-error@+2 {{v}}",  # 5: line 7
            "c",  # 6
            "d",  # 7
        ]
    )
    lines = [(e.severity, e.message, e.line) for e in parse_expectations(text, "f")]
    assert lines == [
        ("error", "x", 2),
        ("note", "y", 1),
        ("warning", "z", 1),
        ("error", "v", 7),
        ("remark", "w", 6),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "// expected-error",
        "// expected-error@+ {{x}}",
        "// expected-error@-5 {{x}}",
        "// expected-error@above {{x}}",
        "// expected-error@below {{x}}",
    ],
)
def test_malformed_annotations_are_errors(text: str) -> None:
    with pytest.raises(CompileError):
        parse_expectations(text, "f")


def test_matching_is_by_file_line_severity_and_substring() -> None:
    expected = parse_expectations("x // expected-error {{bad op}}", "f")
    ok = Diagnostic(Loc("f", 1, 3), "error", "a bad op here")
    assert check_diagnostics("f", expected, [ok]) == []
    for wrong in (
        Diagnostic(Loc("g", 1, 3), "error", "a bad op"),
        Diagnostic(Loc("f", 2, 3), "error", "a bad op"),
        Diagnostic(Loc("f", 1, 3), "warning", "a bad op"),
        Diagnostic(Loc("f", 1, 3), "error", "a good op"),
        Diagnostic(None, "error", "a bad op"),
    ):
        problems = [p.message for p in check_diagnostics("f", expected, [wrong])]
        assert problems == [
            f"unexpected {wrong.severity}: {wrong.message}",
            'expected error "bad op" was not produced',
        ]


def test_notes_are_diagnostics_too() -> None:
    err = CompileError(Loc("f", 1, 1), "main", [Note(Loc("f", 2, 1), "see here")])
    expected = parse_expectations("// expected-error {{main}}\n// expected-note {{see}}", "f")
    assert check_diagnostics("f", expected, diagnostics_of(err)) == []


# ------------------------------------------------------------------------------- input


def test_invalid_utf8_is_located_at_the_byte() -> None:
    with pytest.raises(CompileError) as info:
        decode_utf8(b"ok\nstill ok\nb\xc3\xa9\xff!", "in.mlir")
    assert info.value.loc == Loc("in.mlir", 3, 3)  # Columns count characters: b, é, then 0xff.


def test_chunks_keep_the_lines_of_the_file() -> None:
    chunks = split_source("a\n// -----\nb\n  // -----  \nc\n", "f", "// -----")
    assert [(c.first_line, c.text.split("\n").index(c.text.strip())) for c in chunks] == [
        (1, 0),
        (3, 2),
        (5, 4),
    ]


# ------------------------------------------------------------------- the driver, in process


def _run(tmp_path: Path, text: str, **options: object) -> tuple[int, str, str]:
    path = tmp_path / "in.mlir"
    path.write_text(text)
    stdout, stderr = StringIO(), StringIO()
    status = run_opt(OptOptions(input=str(path), **options), stdout, stderr)  # type: ignore[arg-type]
    return status, stdout.getvalue(), stderr.getvalue()


@dataclass(frozen=True)
class EraseReturns(ModulePass):
    """Breaks the IR: erases every func.return."""

    name = "erase-returns"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for ret in [o for o in op.walk() if isinstance(o, func.ReturnOp)]:
            ret.detach()
            ret.erase()


@dataclass(frozen=True)
class FailCleanly(ModulePass):
    """Fails the way xDSL passes are meant to: with a PassFailedException."""

    name = "fail-cleanly"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        raise PassFailedException("nothing to do here")


@pytest.fixture
def extra_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Registers the two passes above for the driver."""
    passes = {
        **get_all_passes(),
        "erase-returns": lambda: EraseReturns,
        "fail-cleanly": lambda: FailCleanly,
    }
    monkeypatch.setattr(opt_driver, "get_all_passes", lambda: passes)


@pytest.mark.usefixtures("extra_passes")
def test_invalid_ir_after_a_pass_is_an_error_naming_it(tmp_path: Path) -> None:
    status, _, stderr = _run(tmp_path, VALID, passes="func.func(erase-returns)")
    assert status == 1
    assert "in.mlir:1:1: error: IR is invalid after pass 'erase-returns':" in stderr


@pytest.mark.usefixtures("extra_passes")
def test_a_pass_failing_on_purpose_is_an_error_not_a_crash(tmp_path: Path) -> None:
    status, _, stderr = _run(tmp_path, VALID, passes="fail-cleanly")
    assert status == 1
    assert "in.mlir:1:1: error: pass 'fail-cleanly' failed: nothing to do here" in stderr
    assert "reproducer" not in stderr


def test_verify_diagnostics_passes_and_fails(tmp_path: Path) -> None:
    bad = "func.func @f() {\n  %0 = arith.constant 1 : i32\n  func.return %0 : i32\n}\n"
    expected = bad.replace(": i32\n}", ": i32 // expected-error {{Expected arguments}}\n}")
    assert _run(tmp_path, expected, verify_diagnostics=True)[0] == 0
    spaced = bad.replace("  func.return", "  // expected-error @+1 {{Expected arguments}}\n  func.return")
    assert _run(tmp_path, spaced, verify_diagnostics=True)[0] == 0
    status, _, stderr = _run(tmp_path, bad, verify_diagnostics=True)
    assert status == 1 and "in.mlir:3:3: error: unexpected error:" in stderr


# --------------------------------------------------------------------- mopt, as a process


def _mopt(*args: str, stdin: bytes = b"") -> tuple[int, str, str]:
    """Runs mopt in a fresh interpreter; returns its status, stdout and stderr."""
    done = subprocess.run(
        [sys.executable, "-m", "mlang.tools.mopt", *args],
        input=stdin,
        capture_output=True,
        check=False,
        timeout=120,
    )
    return (
        done.returncode,
        done.stdout.decode(errors="replace"),
        done.stderr.decode(errors="replace"),
    )


@pytest.mark.parametrize(
    "data",
    [
        b"func.func @f() {\n  \xff\xfe\n}\n",
        b"\x00\x01\x02 func.func",
        random.Random(7).randbytes(300),
        b"func.func @f(%a: i32 {{{ loc(",
    ],
)
def test_malformed_input_is_a_located_error(data: bytes) -> None:
    status, _, stderr = _mopt("-", stdin=data)
    assert status == 1
    assert LOCATED.search(stderr), stderr
    assert "Traceback" not in stderr


@pytest.mark.parametrize("data", [b"", b"\n\n", b"// only a comment\n"])
def test_input_without_ops_is_an_empty_module(data: bytes) -> None:
    """As for mlir-opt: no ops is a valid, empty module, not a parse error."""
    assert _mopt("-", stdin=data) == (0, "builtin.module {\n}\n", "")


def test_an_unterminated_string_fails_fast() -> None:
    """xDSL's own pattern backtracks exponentially here; 200 characters would never end."""
    status, _, stderr = _mopt("-", stdin=b'"' + b"a" * 200 + b"\n")
    assert status == 1
    assert stderr.startswith("<stdin>:1:1: error: End of file reached before closing string")


def test_a_failed_run_keeps_the_output_file(tmp_path: Path) -> None:
    output = tmp_path / "out.mlir"
    output.write_text("earlier output\n")
    status, _, stderr = _run(tmp_path, "func.func @f() {", output=str(output))
    assert status == 1 and "error:" in stderr
    assert output.read_text() == "earlier output\n"


def test_a_crash_on_m_input_is_located_in_the_file(tmp_path: Path) -> None:
    """The M frontend's module has no location: the crash is placed at the file's start."""
    path = tmp_path / "prog.m"
    path.write_text('print("hi")\n')
    stderr = StringIO()
    options = OptOptions(input=str(path), passes="test-crash", reproducer=str(tmp_path / "r"))
    assert run_opt(options, StringIO(), stderr) == 1
    assert stderr.getvalue().startswith(
        f"{path}:1:1: internal error: pass 'test-crash' failed: RuntimeError: deliberate crash"
    )


def test_a_closed_pipe_ends_quietly() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "mlang.tools.mopt"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdin and process.stdout and process.stderr
    process.stdout.close()  # The reader is gone before mopt writes (`mopt x | head -0`).
    process.stdin.write(VALID.encode())
    process.stdin.close()
    stderr = process.stderr.read()
    assert (process.wait(timeout=120), stderr) == (1, b"")


def test_the_command_line_imports_nothing_heavy() -> None:
    code = (
        "import sys, mlang.tools.mopt; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'xdsl', 'torch', 'triton'}))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_m_input_goes_through_the_frontend(tmp_path: Path) -> None:
    path = tmp_path / "bad.m"
    path.write_text("model X = @@@\n")
    stderr = StringIO()
    assert run_opt(OptOptions(input=str(path)), StringIO(), stderr) == 1
    assert stderr.getvalue().startswith(f"{path}:1:")


@pytest.mark.parametrize("name", ["in.mlir", "in.m"])
def test_memory_error_is_located_not_internal(tmp_path: Path, name: str,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Memory running out while mopt builds IR is blamed on the input, with no traceback."""
    def exhausted(*args: object) -> object:
        raise MemoryError

    monkeypatch.setattr(opt_driver._Driver, "_parse", exhausted)
    path = tmp_path / name
    path.write_text("\n\nbuiltin.module {}\n")
    stderr = StringIO()
    assert run_opt(OptOptions(input=str(path), split_input_file=True), StringIO(), stderr) == 1
    assert stderr.getvalue().startswith(f"{path}:1:1: error: out of memory processing this input")
    assert "Traceback" not in stderr.getvalue() and "internal error" not in stderr.getvalue()


# ----------------------------------------------------------------------------- fuzzing

_TOKENS = [
    "func.func",
    "@f",
    "(",
    ")",
    "%a",
    "%0",
    ":",
    "i32",
    "{",
    "}",
    "->",
    "=",
    "arith.addi",
    "arith.constant",
    "1",
    "func.return",
    ",",
    '"',
    "loc(",
    "#",
    "!",
    "<",
    ">",
    "^bb0",
    "builtin.module",
    "\n",
    " ",
    "[",
    "]",
    "0x1",
    "1.5e",
    "tensor<",
]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(_TOKENS), max_size=40))
def test_token_soup_never_escapes_as_a_traceback(tokens: list[str]) -> None:
    with tempfile.TemporaryDirectory() as directory:
        status, _, stderr = _run(Path(directory), " ".join(tokens), passes="canonicalize,cse")
    assert status in (0, 1)
    if status == 1:
        assert LOCATED.match(stderr), stderr
