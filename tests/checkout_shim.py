"""Make this checkout importable as `mlang`, for tests run without installing it.

The repository root is the `mlang` package itself (setuptools maps it with `package-dir`),
so a checkout is importable only through an install, and an install made from another
checkout (a second worktree, say) would silently test that other code. This module lays
out `build/checkout/` once: a `mlang` link to the checkout and `bin/mopt`, `bin/mrun`
scripts. Putting it first on `sys.path`, `PYTHONPATH` and `PATH` makes this process, and
every `mopt`/`mrun`/`python -m mlang...` subprocess, run the checkout's own code.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHIM = ROOT / "build" / "checkout"
SCRIPTS = {"mopt": "mlang.tools.mopt", "mrun": "mlang.tools.mrun"}


def _write_atomically(path: Path, text: str) -> None:
    """Write `text` to `path` by rename, so that parallel test workers never see half."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    tmp.chmod(0o755)
    os.replace(tmp, path)


def lay_out() -> Path:
    """Create the shim folder (idempotent, safe under parallel workers) and return it."""
    (SHIM / "bin").mkdir(parents=True, exist_ok=True)
    link = SHIM / "mlang"
    if not link.is_symlink():
        try:
            link.symlink_to(ROOT, target_is_directory=True)
        except FileExistsError:
            pass
    for name, module in SCRIPTS.items():
        script = f"#!{sys.executable}\nimport sys\nfrom {module} import main\nsys.exit(main())\n"
        path = SHIM / "bin" / name
        if not path.exists() or path.read_text() != script:
            _write_atomically(path, script)
    return SHIM


def environment(base: dict[str, str]) -> dict[str, str]:
    """`base` with the shim first on PYTHONPATH and PATH."""
    shim = lay_out()
    env = dict(base)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(shim), base.get("PYTHONPATH")) if p)
    env["PATH"] = os.pathsep.join(p for p in (str(shim / "bin"), base.get("PATH")) if p)
    return env


def activate() -> None:
    """Make this process and its subprocesses import `mlang` from this checkout."""
    os.environ.update(environment(dict(os.environ)))
    sys.path.insert(0, str(SHIM))
    stale = [name for name in sys.modules if name == "mlang" or name.startswith("mlang.")]
    if stale:
        raise RuntimeError(f"mlang was imported before the checkout shim: {stale[:3]}")


if __name__ == "__main__":
    print(lay_out())
