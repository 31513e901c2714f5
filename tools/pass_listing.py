"""`mopt --list-passes`: each pass with its summary and options, then the named pipelines.
A pass that a plugin registered says so after its summary."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import IO

from xdsl.passes import ModulePass, get_pass_option_infos

from mlang.passes import PASS_SUMMARIES, get_all_pipelines
from mlang.runtime.passes import get_all_passes
from mlang.support.diagnostics import CompileError, SourceManager, render
from mlang.tools.pass_plugins import load_pass_plugins, plugin_of_pass

# Under `from __future__ import annotations`, xDSL shows an option's type as "'int'".
_QUOTES = "'\""


def list_passes(plugins: Sequence[str], stdout: IO[str], stderr: IO[str]) -> int:
    """Loads the plugins and prints the list; returns the exit status."""
    try:
        loaded = load_pass_plugins(plugins)
    except CompileError as err:
        stderr.write(render(err, SourceManager()))
        return 1
    stdout.write(format_pass_list(plugin_of_pass(loaded)))
    return 0


def format_pass_list(plugin_of: Mapping[str, str] | None = None) -> str:
    """Lists registered passes (summary, options) and named pipelines (summary, passes);
    `plugin_of` maps the name of each plugin pass to its plugin's path."""
    plugin_of = plugin_of or {}
    passes = sorted(get_all_passes().items())
    pipelines = sorted(get_all_pipelines().items())
    width = max(len(name) for name, _ in [*passes, *pipelines]) + 2
    lines = ["Passes:"]
    for name, factory in passes:
        lines += [
            f"  {name:<{width}}{line}" if i == 0 else f"  {'':<{width}}  {line}"
            for i, line in enumerate(_describe_pass(name, factory, plugin_of.get(name)))
        ]
    lines.append("Pipelines:")
    for name, (summary, text) in pipelines:
        lines.append(f"  {name:<{width}}{summary}")
        lines.append(f"  {'':<{width}}  = {text}")
    return "\n".join(lines) + "\n"


def _describe_pass(
    name: str, factory: Callable[[], type[ModulePass]], plugin: str | None
) -> list[str]:
    """The summary of a pass (and its plugin), then its options; a pass that fails to
    load says why."""
    try:
        pass_type = factory()
    except Exception as err:  # One broken pass module must not hide the others.
        return [f"<cannot load: {type(err).__name__}: {err}>"]
    origin = f" (from plugin {plugin})" if plugin is not None else ""
    return [_summary(name, pass_type) + origin, *_options(pass_type)]


def _summary(name: str, pass_type: type[ModulePass]) -> str:
    """The first line of the pass's docstring, or its registered summary."""
    doc = (pass_type.__doc__ or "").strip()
    return doc.splitlines()[0] if doc else PASS_SUMMARIES.get(name, "")


def _options(pass_type: type[ModulePass]) -> list[str]:
    """`--name=<type> (default: value)` for each option of the pass."""
    return [
        f"--{info.name.replace('_', '-')}=<{info.expected_type.strip(_QUOTES)}>"
        + (f" (default: {info.default_value})" if info.default_value is not None else "")
        for info in get_pass_option_infos(pass_type)
    ]
