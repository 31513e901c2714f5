"""`mrun PROGRAM.m`: compiles an M program and runs it.

Errors are printed as `FILE:LINE:COL: error: ...` with the source line and a caret, and
exit with status 1; Ctrl-C exits with status 130. No Python traceback reaches the user.
"""

from __future__ import annotations

import os
import sys

import click

from mlang.support.diagnostics import CompileError, SourceManager, render


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
                sources: SourceManager) -> None:
    """Compiles and runs one program; raises CompileError on any user error."""
    from mlang.frontend import compile_file

    module = compile_file(path, sources)
    import torch

    from mlang.backends import get_backend
    from mlang.runtime import distributed
    from mlang.runtime.interpreter import Interpreter, seed_everything
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
    Interpreter(module, chosen, device).run()
    distributed.finish()


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


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
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
@click.option("--nproc", type=click.IntRange(1), default=1, show_default=True,
              help="Processes that run the program together (fit splits each batch).")
def main(program: str, backend: str, device: str, seed: int | None, nproc: int) -> None:
    """Run the M program PROGRAM."""
    if nproc > 1 and "WORLD_SIZE" not in os.environ:
        try:
            _launch(nproc)
        except KeyboardInterrupt:
            sys.stderr.write("interrupted\n")
            sys.exit(130)
    sources = SourceManager()
    try:
        run_program(program, backend, device, seed, sources)
    except CompileError as err:
        sys.stdout.flush()
        _tell(render(err, sources))
        sys.exit(1)
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    except MemoryError:
        # Where no statement could be blamed (reading the source, say); the interpreter
        # and the frontend report one at the statement they were running.
        sys.stdout.flush()
        sys.stderr.write("error: out of memory\n")
        sys.exit(1)
    except BrokenPipeError:
        os._exit(0)
