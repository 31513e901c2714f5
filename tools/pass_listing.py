"""`mopt --list-passes`: each pass with its summary and options, then the named pipelines."""

from __future__ import annotations

from xdsl.passes import ModulePass, get_pass_option_infos

from mlang.passes import PASS_SUMMARIES, get_all_passes, get_all_pipelines


def format_pass_list() -> str:
    """Lists registered passes (summary, options) and named pipelines (summary, passes)."""
    passes = {name: factory() for name, factory in sorted(get_all_passes().items())}
    pipelines = sorted(get_all_pipelines().items())
    width = max(len(name) for name in [*passes, *(name for name, _ in pipelines)]) + 2
    lines = ["Passes:"]
    for name, pass_type in passes.items():
        lines.append(f"  {name:<{width}}{_summary(name, pass_type)}")
        lines += [f"  {'':<{width}}  {option}" for option in _options(pass_type)]
    lines.append("Pipelines:")
    for name, (summary, text) in pipelines:
        lines.append(f"  {name:<{width}}{summary}")
        lines.append(f"  {'':<{width}}  = {text}")
    return "\n".join(lines) + "\n"


def _summary(name: str, pass_type: type[ModulePass]) -> str:
    """The first line of the pass's docstring, or its registered summary."""
    doc = (pass_type.__doc__ or "").strip()
    return doc.splitlines()[0] if doc else PASS_SUMMARIES.get(name, "")


def _options(pass_type: type[ModulePass]) -> list[str]:
    """`--name=<type> (default: value)` for each option of the pass."""
    return [
        f"--{info.name.replace('_', '-')}=<{info.expected_type}>"
        + (f" (default: {info.default_value})" if info.default_value is not None else "")
        for info in get_pass_option_infos(pass_type)
    ]
