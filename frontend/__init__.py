"""The M frontend: lexing, parsing, import resolution, checking and IR generation.

`compile_source` and `compile_file` turn M source into a verified `builtin.module` at the
model level; every error is a located `CompileError`. Every model is checked for its
names (frontend/resolution.py) before the host program specialises the ones it uses.
"""

from __future__ import annotations

from pathlib import Path

from xdsl.dialects.builtin import ModuleOp

from mlang.frontend import ast
from mlang.frontend.irgen import IRGen
from mlang.frontend.lexer import decode_source
from mlang.frontend.parser import parse_program
from mlang.frontend.resolution import check_declarations
from mlang.frontend.std_library import std_path, std_source
from mlang.support.collector import collector_paused
from mlang.support.diagnostics import CompileError, InternalError, Loc, SourceManager
from mlang.support.ir_verification import verify_located


@collector_paused()  # the IR is built, not freed: collections would find nothing to free
def compile_source(text: str, file: str, sources: SourceManager | None = None) -> ModuleOp:
    """Compiles M source text (of `file`, for locations and imports) to model-level IR."""
    sources = sources or SourceManager()
    sources.add(file, text)
    program = parse_program(text, file)
    decls = collect_declarations(program, sources, [str(Path(file).resolve())])
    check_declarations(decls)
    statements = [i for i in program.items
                  if not isinstance(i, (ast.ModelDecl, ast.FnDecl, ast.Import))]
    module = IRGen(decls, statements).generate(end_loc(text, file))
    try:
        verify_located(module)
    except CompileError as err:
        # The frontend checks programs itself, so IR that does not verify is its own bug.
        raise InternalError(err.loc, f"frontend produced invalid IR: {err.message}") from None
    return module


def compile_file(path: str, sources: SourceManager | None = None) -> ModuleOp:
    """Reads, decodes and compiles an M file."""
    try:
        data = Path(path).read_bytes()
    except OSError as err:
        raise CompileError(None, f"cannot read '{path}': {err.strerror}") from None
    return compile_source(decode_source(data, path), path, sources)


def collect_declarations(program: ast.Program, sources: SourceManager,
                         stack: list[str]) -> list[ast.ModelDecl | ast.FnDecl]:
    """The models and functions of a program and of everything it imports."""
    out: list[ast.ModelDecl | ast.FnDecl] = []
    seen: dict[str, Loc] = {}
    for item in program.items:
        if isinstance(item, ast.Import):
            for d in load_import(item, program.file, sources, stack):
                prev = seen.get(d.name)
                if prev is None:
                    out.append(d)
                    seen[d.name] = d.loc
                elif not same_place(prev, d.loc):
                    raise CompileError(item.loc, f"'{d.name}' imported from '{item.path}' is "
                                                 f"already declared at {prev}")
        elif isinstance(item, (ast.ModelDecl, ast.FnDecl)):
            if item.name in seen:
                prev = seen[item.name]
                raise CompileError(item.loc, f"'{item.name}' is already declared at {prev}")
            seen[item.name] = item.loc
            out.append(item)
    return out


def load_import(item: ast.Import, importer: str, sources: SourceManager,
                stack: list[str]) -> list[ast.ModelDecl | ast.FnDecl]:
    """The declarations of an imported file (its host statements are not run)."""
    if item.module:
        path = std_path(item.path, item.loc)
        text, program = std_source(path)
        sources.add(str(path), text)
        return collect_declarations(program, sources, stack + [str(path)])
    path = Path(importer).parent / item.path
    key = str(path.resolve())
    if key in stack:
        chain = " -> ".join(Path(p).name for p in stack[stack.index(key):] + [key])
        raise CompileError(item.loc, f"import cycle: {chain}")
    try:
        data = path.read_bytes()
    except OSError as err:
        raise CompileError(item.loc, f"cannot import '{item.path}': {err.strerror}") from None
    text = decode_source(data, str(path))
    sources.add(str(path), text)
    return collect_declarations(parse_program(text, str(path)), sources, stack + [key])


def same_place(a: Loc, b: Loc) -> bool:
    """True when two locations are one place of one file (a file imported twice)."""
    return (a.line, a.col) == (b.line, b.col) and Path(a.file).resolve() == Path(b.file).resolve()


def end_loc(text: str, file: str) -> Loc:
    """The location just past the last line, for ops that close the program."""
    lines = text.splitlines() or [""]
    return Loc(file, len(lines), len(lines[-1]) + 1)
