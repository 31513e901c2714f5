"""`mrun PROGRAM.m`: compiles an M program and runs it; `mrun serve PACKAGE...` serves
saved models (tools/serve.py).

Errors are printed as `FILE:LINE:COL: error: ...` with the source line and a caret, and
exit with status 1; Ctrl-C exits with status 130. No Python traceback reaches the user.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, NoReturn

import click

from mlang.support.diagnostics import CompileError, SourceManager, render

if TYPE_CHECKING:
    from xdsl.dialects.builtin import ModuleOp

    from mlang.backends import Backend


def _select_backend(backend: str, device: str) -> str:
    """Resolves `auto`: triton on a CUDA device, torch otherwise, reference as the fallback."""
    from importlib.util import find_spec

    from mlang.backends import BACKENDS

    if backend != "auto":
        return backend
    if device == "cuda" and "triton" in BACKENDS and find_spec("triton") is not None:
        return "triton"
    return "torch" if "torch" in BACKENDS else "reference"


def run_program(path: str, backend: str, device: str, seed: int | None,
                sources: SourceManager, *, dtype: str = "f32",
                aot_check: str | None = None) -> None:
    """Compiles and runs one program; raises CompileError on any user error. `dtype` is
    the models' float type; `aot_check` (`sm_80,sm_90`) also compiles every Triton kernel
    run for those architectures."""
    from mlang.frontend import compile_file

    module = compile_file(path, sources)
    import torch

    from mlang.backends import get_backend
    from mlang.runtime import distributed
    from mlang.runtime.interpreter import seed_everything
    from mlang.runtime.precision import with_dtype
    from mlang.support.diagnostics import UserError

    if device == "cuda" and not torch.cuda.is_available():
        raise CompileError(None, "--device cuda was asked for, but no CUDA device is available")
    if seed is not None:
        seed_everything(seed)
    name = _select_backend(backend, device)
    if name == "triton":
        from mlang.backends.triton import configure

        configure(device)
    try:
        chosen = get_backend(name)
    except UserError as err:
        raise CompileError(None, str(err)) from None
    distributed.setup(device)
    _interpret(module, with_dtype(chosen, dtype), device, name, aot_check)
    distributed.finish()


def _interpret(module: ModuleOp, backend: Backend, device: str, name: str,
               aot_check: str | None) -> None:
    """Runs the host program, under the AOT check of `aot_check`'s architectures if any."""
    from mlang.runtime.interpreter import Interpreter
    from mlang.support.diagnostics import UserError

    if aot_check is None:
        Interpreter(module, backend, device).run()
        return
    from mlang.backends.triton import interpreting
    from mlang.backends.triton.aot import aot_check as checking, parse_archs

    if name != "triton" or not interpreting():
        raise CompileError(None, "--aot-check needs --backend triton on the CPU (interpreted)")
    try:
        archs = parse_archs(aot_check)
    except UserError as err:
        raise CompileError(None, str(err)) from None
    with checking(archs):
        Interpreter(module, backend, device).run()


def _launch(nproc: int) -> None:
    """Runs this command line in `nproc` worker processes, and exits as they did."""
    from mlang.runtime.distributed import launch

    error = launch(nproc, sys.argv[1:])
    if error is not None:
        sys.stdout.flush()
        sys.stderr.write(error)
    sys.exit(1 if error is not None else 0)


def _tell(message: str) -> None:
    """Writes an error message, or leaves it for `mrun --nproc` to write once."""
    if "WORLD_SIZE" in os.environ:
        from mlang.runtime.distributed import report_error

        if report_error(message):
            return
    sys.stderr.write(message)


def _exit(status: int) -> NoReturn:
    """Exits with `status`; a worker of several processes at once (see `end_worker`)."""
    if "WORLD_SIZE" in os.environ:
        from mlang.runtime.distributed import end_worker

        end_worker(status)
    sys.exit(status)


class _Mrun(click.Command):
    """`mrun PROGRAM.m`, whose first argument `serve` starts `mrun serve` instead (a
    program file called `serve` runs as `./serve`)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args[:1] == ["serve"]:
            from mlang.tools.serve import serve_command

            serve_command.main(args[1:], f"{ctx.info_name} serve")  # exits
        return super().parse_args(ctx, args)


@click.command(cls=_Mrun, context_settings={"help_option_names": ["-h", "--help"]},
               epilog="mrun serve PACKAGE... serves saved models over HTTP "
                      "(see mrun serve --help).")
# A plain string: a missing file or a directory is reported by compile_file, like any
# other error, with status 1.
@click.argument("program")
@click.option("--backend", type=click.Choice(["auto", "torch", "triton", "reference"]),
              default="auto", show_default=True, help="Which backend runs the model methods.")
@click.option("--device", type=click.Choice(["cpu", "cuda"]), default="cpu", show_default=True,
              help="Where tensors live.")
# The range of `seed(n)`: an M integer is 64-bit.
@click.option("--seed", type=click.IntRange(-(2**63), 2**63 - 1), default=None,
              help="Seeds every random source before running.")
@click.option("--dtype", type=click.Choice(["f32", "bf16", "f16"]), default="f32",
              show_default=True,
              help="The dtype of model weights and activations (f32 accumulation).")
@click.option("--aot-check", "aot_check", metavar="ARCHS", default=None,
              help="With --backend triton: also compile every kernel run for these GPU "
                   "architectures (sm_80,sm_90) with GPU block sizes; a failure is an error.")
@click.option("--nproc", type=click.IntRange(1), default=1, show_default=True,
              help="Processes that run the program together (fit splits each batch).")
def main(program: str, backend: str, device: str, seed: int | None, dtype: str,
         aot_check: str | None, nproc: int) -> None:
    """Run the M program PROGRAM."""
    if nproc > 1 and "WORLD_SIZE" not in os.environ:
        try:
            _launch(nproc)
        except KeyboardInterrupt:
            sys.stderr.write("interrupted\n")
            sys.exit(130)
    sources = SourceManager()
    try:
        run_program(program, backend, device, seed, sources, dtype=dtype, aot_check=aot_check)
        if "WORLD_SIZE" in os.environ:
            _exit(0)
    except CompileError as err:
        sys.stdout.flush()
        _tell(render(err, sources))
        _exit(1)
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        _exit(130)
    except MemoryError:
        # Where no statement could be blamed (reading the source, say); the interpreter
        # and the frontend report one at the statement they were running.
        sys.stdout.flush()
        sys.stderr.write("error: out of memory\n")
        _exit(1)
    except BrokenPipeError:
        os._exit(0)
