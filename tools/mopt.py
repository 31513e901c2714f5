"""`mopt`, mlang's mlir-opt: parse MLIR or M, run a pass pipeline, print the result.

    mopt input.mlir -p canonicalize,cse
    mopt input.mlir --pass-pipeline='builtin.module(func.func(cse))' --mlir-timing
    mopt invalid.mlir --split-input-file --verify-diagnostics
    mopt input.mlir --load-pass-plugin=my_passes.py -p my-pass

This file is the command line only; `opt_driver` does the work. Nothing heavy is imported
before the options are parsed, so that `mopt --help` stays fast.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from mlang.tools.targets import get_all_targets


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("input_path", metavar="[INPUT]", default="-")
@click.option("-o", "--output", metavar="FILE", help="Write the output to FILE (default: stdout).")
@click.option(
    "-x",
    "language",
    type=click.Choice(["m", "mlir"]),
    help="Input language (default: from the extension; stdin is mlir).",
)
@click.option(
    "-t",
    "--target",
    type=click.Choice(sorted(get_all_targets())),
    default="mlir",
    show_default=True,
    help="What to emit.",
)
@click.option(
    "-p",
    "--passes",
    metavar="PIPELINE",
    help="Passes to run on the module: 'a,b{opt=1},func.func(c)'.",
)
@click.option(
    "--pass-pipeline",
    metavar="PIPELINE",
    help="MLIR's pipeline syntax: 'builtin.module(a,func.func(b))'.",
)
@click.option(
    "--load-pass-plugin",
    "pass_plugins",
    metavar="FILE",
    multiple=True,
    help="Load a Python file that registers passes (repeatable).",
)
@click.option("--list-passes", is_flag=True, help="List passes and named pipelines, then exit.")
@click.option(
    "--list-fallbacks",
    is_flag=True,
    help="List the tensor ops the Triton backend hands to PyTorch, and why; then exit.",
)
@click.option(
    "--dump-pass-pipeline",
    is_flag=True,
    help="Print the expanded pipeline, with every option, to stderr.",
)
@click.option("--print-op-generic", is_flag=True, help="Print ops in generic form.")
@click.option("--mlir-print-debuginfo", is_flag=True, help="Print each op's location.")
@click.option(
    "--mlir-print-ir-before",
    metavar="PASS",
    multiple=True,
    help="Print the IR before PASS (repeatable, or a,b).",
)
@click.option(
    "--mlir-print-ir-after",
    metavar="PASS",
    multiple=True,
    help="Print the IR after PASS (repeatable, or a,b).",
)
@click.option("--mlir-print-ir-after-all", is_flag=True, help="Print the IR after every pass.")
@click.option(
    "--mlir-print-ir-after-change",
    is_flag=True,
    help="Print the IR after a pass (all, or those named) only if it changed it.",
)
@click.option("--mlir-timing", is_flag=True, help="Report the time spent in each pass.")
@click.option("--mlir-pass-statistics", is_flag=True, help="Report the passes' statistics.")
@click.option(
    "--split-input-file",
    is_flag=True,
    help="Process each '// -----' (M: '# -----') chunk of the input on its own.",
)
@click.option(
    "--verify-diagnostics",
    is_flag=True,
    help="Check diagnostics against 'expected-error {{...}}' annotations.",
)
@click.option(
    "--mlir-pass-pipeline-crash-reproducer",
    "reproducer",
    metavar="FILE",
    help="Where to write the reproducer of a crashing pass (default: a temp file).",
)
@click.option(
    "--run-reproducer",
    is_flag=True,
    help="Run the pipeline named in the input's '// configuration:' line.",
)
@click.option("--allow-unregistered-dialect", is_flag=True, help="Accept ops of unknown dialects.")
@click.option(
    "--show-traceback",
    is_flag=True,
    help="Print the Python traceback of internal errors (for mlang developers).",
)
def cli(
    input_path: str,
    list_passes: bool,
    list_fallbacks: bool,
    mlir_print_ir_before: tuple[str, ...],
    mlir_print_ir_after: tuple[str, ...],
    mlir_print_ir_after_all: bool,
    mlir_print_ir_after_change: bool,
    print_op_generic: bool,
    mlir_print_debuginfo: bool,
    mlir_timing: bool,
    mlir_pass_statistics: bool,
    **options: Any,
) -> None:
    """Parses INPUT (.mlir or .m; '-' or nothing: stdin), runs passes, prints the result."""
    if list_passes:
        from mlang.tools.pass_listing import list_passes as list_all

        sys.exit(list_all(options["pass_plugins"], sys.stdout, sys.stderr))
    if list_fallbacks:
        from mlang.backends.triton.fallbacks import format_fallbacks

        sys.stdout.write(format_fallbacks())
        sys.exit(0)
    from mlang.support.ir_printing import IRPrinter, PrintIRConfig
    from mlang.tools.opt_driver import OptOptions, run_opt

    print_ir = PrintIRConfig(
        _names(mlir_print_ir_before),
        _names(mlir_print_ir_after),
        mlir_print_ir_after_all,
        mlir_print_ir_after_change,
    )
    opt_options = OptOptions(
        input=input_path,
        printer=IRPrinter(print_op_generic, mlir_print_debuginfo),
        print_ir=print_ir,
        timing=mlir_timing,
        statistics=mlir_pass_statistics,
        **options,
    )
    sys.exit(run_opt(opt_options, sys.stdout, sys.stderr))


def _names(values: tuple[str, ...]) -> frozenset[str]:
    """Pass names from a repeatable, comma-separable option."""
    return frozenset(name.strip() for value in values for name in value.split(",") if name.strip())


def main() -> None:
    """The `mopt` console script; click exits quietly on a closed pipe or Ctrl-C."""
    cli()


if __name__ == "__main__":
    main()
