"""`mopt --load-pass-plugin=FILE`: passes from a Python file, without editing mlang.

A plugin is a Python file that registers passes with `mlang.passes.register_pass`, the
registry of the built-in passes, so that `-p`, `--pass-pipeline`, `--list-passes`, the
IR printing flags and crash reproducers treat its passes as they treat mlang's own:

    @register_pass
    @dataclass(frozen=True)
    class DivToMul(ModulePass):
        name = "div-to-mul"

The file is imported once per run under a private module name. As MLIR's plugins, a file
that registers nothing just loads. What goes wrong while loading is an error located in
the plugin (a syntax error, an exception, a name already taken), never a traceback.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import itertools
import re
import sys
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mlang.passes import PassRegistrationError, get_all_passes
from mlang.support.diagnostics import CompileError, Loc, describe_exception

_MODULE_NUMBERS = itertools.count()


@dataclass(frozen=True)
class PassPlugin:
    """A loaded plugin: its path as given, as an absolute path, and the passes it added."""

    path: str
    resolved: Path
    passes: tuple[str, ...]


def load_pass_plugins(paths: Sequence[str]) -> tuple[PassPlugin, ...]:
    """Loads each plugin in order, a file named twice once; returns what each added."""
    loaded: dict[Path, PassPlugin] = {}
    for path in paths:
        resolved = Path(path).resolve()
        if resolved not in loaded:
            loaded[resolved] = _load(path, resolved)
    return tuple(loaded.values())


def plugin_of_pass(plugins: Sequence[PassPlugin]) -> dict[str, str]:
    """Each plugin pass's name mapped to the path of its plugin, as given."""
    return {name: plugin.path for plugin in plugins for name in plugin.passes}


def _load(path: str, resolved: Path) -> PassPlugin:
    """Imports the plugin at `path`; the names it registered are its passes."""
    if not resolved.is_file():
        reason = "it is a directory" if resolved.is_dir() else "no such file"
        raise _load_error(path, None, reason)
    before = set(get_all_passes())
    _import(path, resolved)
    added = tuple(name for name in get_all_passes() if name not in before)
    return PassPlugin(path, resolved, added)


def _import(path: str, resolved: Path) -> None:
    """Runs the plugin's file as a new module; its failures become located errors."""
    stem = re.sub(r"\W", "_", resolved.stem)
    name = f"_mlang_pass_plugin_{next(_MODULE_NUMBERS)}_{stem}"
    # An explicit loader: the file need not end in `.py`. The path as given becomes the
    # code's file name, so that errors name the plugin as the user wrote it.
    loader = importlib.machinery.SourceFileLoader(name, path)
    spec = importlib.util.spec_from_file_location(name, path, loader=loader)
    assert spec is not None  # A loader is given: a spec is always made.
    module = importlib.util.module_from_spec(spec)
    # In sys.modules while it runs, as imports are: dataclasses and typing look it up.
    sys.modules[name] = module
    try:
        loader.exec_module(module)
    except PassRegistrationError as err:
        raise CompileError(_raised_at(err, path), str(err)) from err
    except SyntaxError as err:  # In the plugin, else in a module it imports.
        own = err.filename == path and err.lineno is not None
        loc = Loc(path, err.lineno or 1, err.offset or 1) if own else _raised_at(err, path)
        raise _load_error(path, loc, f"SyntaxError: {err.msg}") from err
    except Exception as err:
        raise _load_error(path, _raised_at(err, path), describe_exception(err)) from err


def _load_error(path: str, loc: Loc | None, reason: str) -> CompileError:
    """`cannot load pass plugin`, naming the plugin unless the location does."""
    where = "" if loc is not None else f" '{path}'"
    return CompileError(loc, f"cannot load pass plugin{where}: {reason}")


def _raised_at(err: BaseException, path: str) -> Loc | None:
    """The innermost line of the plugin's own code that `err` passed through."""
    frames = [frame for frame in traceback.extract_tb(err.__traceback__) if frame.filename == path]
    if not frames:
        return None
    frame = frames[-1]
    return Loc(path, frame.lineno or 1, (frame.colno or 0) + 1)
