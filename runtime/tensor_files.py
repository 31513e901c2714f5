"""`write(PATH, name=tensor, ...)`: named tensors to a `.safetensors` or `.npz` file."""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save as safetensors_bytes

from mlang.support.diagnostics import UserError

FORMATS = (".safetensors", ".npz")


def write_tensors(path: str, tensors: dict[str, torch.Tensor]) -> None:
    """Writes `tensors` to `path`, whose extension picks the format, atomically: a reader
    sees the old file or the whole new one, never a part."""
    if not path.endswith(FORMATS):
        raise UserError(f"write makes a .safetensors or .npz file, not '{path}'")
    cpu = {name: t.detach().cpu().contiguous() for name, t in tensors.items()}
    data = safetensors_bytes(cpu) if path.endswith(".safetensors") else _npz_bytes(cpu)
    target = Path(path)
    try:
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as err:
        raise UserError(f"cannot write '{path}': {err.strerror or err}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(temp, target)
    except OSError as err:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise UserError(f"cannot write '{path}': {err.strerror or err}") from None


def _npz_bytes(tensors: dict[str, torch.Tensor]) -> bytes:
    """An uncompressed `.npz` archive of the tensors as NumPy arrays (no pickled objects)."""
    arrays = {}
    for name, t in tensors.items():
        if t.dtype == torch.bfloat16:
            raise UserError(f"'{name}' is bf16, which .npz cannot hold; write a .safetensors "
                            "file or convert it with cast(x, f32)")
        arrays[name] = t.numpy()
    # What np.savez writes, but with any name (savez's own parameters, `file`, clash).
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, array in arrays.items():
            with archive.open(f"{name}.npy", "w") as member:
                np.lib.format.write_array(member, array, allow_pickle=False)
    return buffer.getvalue()
