"""Model packages: one safetensors file holding a model's IR, weights and metadata.

The IR text and the caller's metadata travel in the safetensors header's string map,
beside `format`, `version` and a SHA-256 digest of everything else, so that damage to
any byte that matters is detected on reading. Version 2 stores the IR compressed (zlib,
then base64, since the header holds strings): a quantized model's IR is tensor-level
text several times the size of a small model's int8 weights. Version 1 packages, with
the IR as plain text, are still read. Writing is atomic: a crash mid-write leaves
the old file or none. Reading goes through safetensors only and never runs code.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import os
import secrets
import zlib
from collections.abc import Mapping
from pathlib import Path

import safetensors
import safetensors.torch
import torch

from mlang.support.diagnostics import UserError

FORMAT = "mlang-package"
VERSION = "2"
READABLE_VERSIONS = ("1", VERSION)
_RESERVED_KEYS = frozenset({"format", "version", "ir", "sha256"})


def save_package(
    path: str | Path, ir_text: str, tensors: Mapping[str, torch.Tensor], metadata: Mapping[str, str]
) -> None:
    """Writes the package atomically; a failure leaves any earlier file at `path` untouched."""
    _check_metadata(metadata)
    # pathlib drops a trailing "/", which would turn "dir/" or "file/" into a file name.
    if not Path(path).name or str(path).endswith(("/", os.sep)):
        raise UserError(f"cannot write model package '{path}': it is not a file name")
    cpu = {name: t.detach().to("cpu", copy=True).contiguous() for name, t in tensors.items()}
    header = {**metadata, "format": FORMAT, "version": VERSION, "ir": _compress(ir_text)}
    header["sha256"] = _digest(header, cpu)
    _write_atomically(Path(path), safetensors.torch.save(cpu, metadata=header))


def load_package(path: str | Path) -> tuple[str, dict[str, torch.Tensor], dict[str, str]]:
    """`(ir_text, tensors, metadata)` of the package at `path`, checked for damage."""
    path = Path(path)
    if path.is_dir():
        raise UserError(f"'{path}' is a directory, not a model package")
    if not path.is_file():
        raise UserError(f"no such model package: '{path}'")
    header, tensors = _read_safetensors(path)
    if header.get("format") != FORMAT:
        raise UserError(f"'{path}' is not an mlang model package")
    if header.get("version") not in READABLE_VERSIONS:
        raise UserError(
            f"'{path}' is a model package of version {header.get('version')!r}; "
            f"this mlang reads versions {' and '.join(READABLE_VERSIONS)}"
        )
    stored = header.pop("sha256", None)
    if "ir" not in header or stored != _digest(header, tensors):
        raise UserError(f"model package '{path}' is damaged: its checksum does not match")
    metadata = {k: v for k, v in header.items() if k not in _RESERVED_KEYS}
    ir_text = header["ir"] if header["version"] == "1" else _decompress(header["ir"], path)
    return ir_text, tensors, metadata


def _compress(text: str) -> str:
    """The header form of the IR in version 2: zlib, then base64."""
    return base64.b64encode(zlib.compress(text.encode(), 9)).decode("ascii")


def _decompress(stored: str, path: Path) -> str:
    """The inverse of `_compress`; a string it cannot undo is damage."""
    try:
        return zlib.decompress(base64.b64decode(stored, validate=True)).decode()
    except (binascii.Error, zlib.error, UnicodeDecodeError):
        raise UserError(f"model package '{path}' is damaged: its IR cannot be read") from None


def _check_metadata(metadata: Mapping[str, str]) -> None:
    """Rejects metadata that is not string to string or that uses a reserved key."""
    for key, value in metadata.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise ValueError(f"package metadata must map str to str, got {key!r}: {value!r}")
        if key in _RESERVED_KEYS:
            raise ValueError(f"package metadata key '{key}' is reserved")


def _read_safetensors(path: Path) -> tuple[dict[str, str], dict[str, torch.Tensor]]:
    """The header's string map and every tensor; any failure is a `UserError`."""
    try:
        with safetensors.safe_open(str(path), framework="pt", device="cpu") as file:
            header = dict(file.metadata() or {})
            tensors = {name: file.get_tensor(name) for name in file.keys()}
    except Exception as err:  # noqa: BLE001 - safetensors and the OS raise several types
        raise UserError(
            f"'{path}' is not a readable model package (truncated, damaged or of "
            f"another format): {err}"
        ) from None
    return header, tensors


def _digest(header: Mapping[str, str], tensors: Mapping[str, torch.Tensor]) -> str:
    """SHA-256 over the header strings and each tensor's name, dtype, shape and bytes."""
    digest = hashlib.sha256()
    for key in sorted(header):
        _update(digest, key.encode())
        _update(digest, header[key].encode())
    for name in sorted(tensors):
        tensor = tensors[name].contiguous()
        _update(digest, f"{name} {tensor.dtype} {list(tensor.shape)}".encode())
        # A flat byte view hashes any dtype (bf16, bool, int8) without copying it.
        _update(digest, tensor.reshape(-1).view(torch.uint8).numpy())
    return digest.hexdigest()


def _update(digest: hashlib._Hash, data: bytes | memoryview) -> None:
    """Adds `data` with its length in front, so that adjacent fields cannot run together."""
    view = memoryview(data)
    digest.update(view.nbytes.to_bytes(8, "little"))
    digest.update(view)


def _write_atomically(path: Path, data: bytes) -> None:
    """Writes `data` to a temporary file beside `path`, syncs it, then renames it over."""
    temp = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
    try:
        _write_synced(temp, data)
        os.replace(temp, path)
    except BaseException as err:
        # Unlinking fails too when the parent is not a directory; report the first error.
        with contextlib.suppress(OSError):
            temp.unlink(missing_ok=True)
        if isinstance(err, OSError):
            raise UserError(f"cannot write model package '{path}': {err.strerror or err}") from None
        raise
    _sync_directory(path.parent)


def _write_synced(path: Path, data: bytes) -> None:
    """Creates `path` (it must not exist) and writes `data` through to the disk."""
    # os.open with 0o666 lets the umask decide the permissions, as for any new file.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    with os.fdopen(fd, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())


def _sync_directory(directory: Path) -> None:
    """Makes the rename durable; best effort, since not every platform can open a directory."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
