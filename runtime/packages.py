"""Model packages: one safetensors file holding a model's IR, weights and metadata.

The IR text and the caller's metadata travel in the safetensors header's string map,
beside `format`, `version` and a SHA-256 digest of everything else, so that damage to
any byte that matters is detected on reading. Version 2 stores the IR compressed (zlib,
then base64, since the header holds strings): a quantized model's IR is tensor-level
text several times the size of a small model's int8 weights. Version 1 packages, with
the IR as plain text, are still read. Writing is atomic: a crash mid-write leaves
the old file or none, and a temporary file that a killed writer left behind is removed
by the next save to that folder. The bytes depend only on the contents (keys in sorted
order), so the same model saves to the same file. Reading goes through safetensors only
and never runs code, and the IR may expand to at most `IR_EXPANSION` times the file's
size (with a floor of `MIN_IR_LIMIT`), so that a small file cannot claim gigabytes.
Other long texts of the metadata (a tokenizer.json) use the same compressed form and
limit (`compress_text`, `decompress_text`).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import os
import re
import secrets
import zlib
from collections.abc import Mapping
from pathlib import Path

import safetensors
import torch

from mlang.support.diagnostics import UserError
from mlang.support.source_input import PACKAGE_FORMAT

VERSION = "2"
READABLE_VERSIONS = ("1", VERSION)
_RESERVED_KEYS = frozenset({"format", "version", "ir", "sha256"})

IR_EXPANSION = 64
"""How many times the package file's size its IR text may take once decompressed; real IR
compresses about 10 times, a decompression bomb about 1000 times."""
MIN_IR_LIMIT = 1 << 20
"""The IR size always allowed, whatever the file's size (a model with tiny weights)."""

# The safetensors names of the dtypes a package holds.
_DTYPE_NAMES = {
    torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
    torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8",
    torch.uint8: "U8", torch.bool: "BOOL",
}
# `.NAME.PID-HEX.tmp`, the temporary files of `_write_atomically`.
_TEMP_NAME = re.compile(r"\..+\.(?P<pid>[0-9]+)-[0-9a-f]{8}\.tmp")


def save_package(
    path: str | Path, ir_text: str, tensors: Mapping[str, torch.Tensor], metadata: Mapping[str, str]
) -> None:
    """Writes the package atomically; a failure leaves any earlier file at `path` untouched."""
    _check_metadata(metadata)
    # pathlib drops a trailing "/", which would turn "dir/" or "file/" into a file name.
    if not Path(path).name or str(path).endswith(("/", os.sep)):
        raise UserError(f"cannot write model package '{path}': it is not a file name")
    cpu = {name: t.detach().to("cpu", copy=True).contiguous() for name, t in tensors.items()}
    header = {**metadata, "format": PACKAGE_FORMAT, "version": VERSION,
              "ir": compress_text(ir_text)}
    header["sha256"] = _digest(header, cpu)
    _write_atomically(Path(path), _serialize(cpu, header))


def load_package(path: str | Path) -> tuple[str, dict[str, torch.Tensor], dict[str, str]]:
    """`(ir_text, tensors, metadata)` of the package at `path`, checked for damage."""
    path = Path(path)
    if path.is_dir():
        raise UserError(f"'{path}' is a directory, not a model package")
    if not path.is_file():
        raise UserError(f"no such model package: '{path}'")
    header, tensors = _read_safetensors(path)
    if header.get("format") != PACKAGE_FORMAT:
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
    if header["version"] == "1":
        return header["ir"], tensors, metadata
    return decompress_text(header["ir"], path, "IR"), tensors, metadata


def compress_text(text: str) -> str:
    """The header form of a long text (the IR in version 2, a tokenizer.json): zlib, then
    base64, since the header holds strings."""
    return base64.b64encode(zlib.compress(text.encode(), 9)).decode("ascii")


def decompress_text(stored: str, path: str | Path, what: str) -> str:
    """The inverse of `compress_text` for a text of the package at `path` (`what` names it
    in errors), refusing text over `IR_EXPANSION` times the file's size (at least
    `MIN_IR_LIMIT`); a string it cannot undo is damage."""
    limit = max(MIN_IR_LIMIT, IR_EXPANSION * Path(path).stat().st_size)
    inflater = zlib.decompressobj()
    try:
        # Streaming with a cap: a bomb stops after `limit` bytes, not when memory runs out.
        data = inflater.decompress(base64.b64decode(stored, validate=True), limit)
        if inflater.unconsumed_tail:
            raise UserError(
                f"model package '{path}' is damaged: its {what} expands to more than {limit} "
                f"bytes, the limit for a file of its size ({IR_EXPANSION} times its size)"
            )
        if not inflater.eof or inflater.unused_data:
            raise zlib.error("incomplete stream or trailing data")
        return data.decode()
    except (binascii.Error, zlib.error, UnicodeDecodeError):
        raise UserError(f"model package '{path}' is damaged: its {what} cannot be read") \
            from None


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


def _serialize(tensors: Mapping[str, torch.Tensor], metadata: Mapping[str, str]) -> bytes:
    """The safetensors file of `tensors` and `metadata`, its bytes a function of them alone:
    keys sorted, tensors laid out in name order (safetensors' own writer orders the
    metadata by a hash map, different in each process)."""
    entries: dict[str, object] = {"__metadata__": dict(sorted(metadata.items()))}
    chunks, offset = [], 0
    for name in sorted(tensors):
        tensor = tensors[name]
        data = tensor.reshape(-1).view(torch.uint8).numpy().tobytes()
        entries[name] = {"dtype": _DTYPE_NAMES[tensor.dtype], "shape": list(tensor.shape),
                         "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    header = json.dumps(entries, separators=(",", ":"), ensure_ascii=False).encode()
    header += b" " * (-len(header) % 8)  # the data starts 8-byte aligned, as safetensors does
    return b"".join([len(header).to_bytes(8, "little"), header, *chunks])


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
        _update(digest, tensor.reshape(-1).view(torch.uint8).numpy().data)
    return digest.hexdigest()


def _update(digest: hashlib._Hash, data: bytes | memoryview) -> None:
    """Adds `data` with its length in front, so that adjacent fields cannot run together."""
    view = memoryview(data)
    digest.update(view.nbytes.to_bytes(8, "little"))
    digest.update(view)


def _write_atomically(path: Path, data: bytes) -> None:
    """Writes `data` to a temporary file beside `path`, syncs it, then renames it over."""
    _remove_stale_temporaries(path.parent)
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


def _remove_stale_temporaries(directory: Path) -> None:
    """Removes the temporary files in `directory` that writers killed mid-save left: only
    names of ours, made by a process that is gone (or whose id a later process now has)."""
    with contextlib.suppress(OSError):
        for entry in os.scandir(directory):
            match = _TEMP_NAME.fullmatch(entry.name)
            if not match or not entry.is_file(follow_symlinks=False):
                continue
            if _is_stale(entry, int(match["pid"])):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


def _is_stale(entry: os.DirEntry[str], pid: int) -> bool:
    """Whether the temporary file `entry`, written by process `pid`, outlived its writer."""
    if pid == os.getpid():
        return False  # ours: a save in progress on another thread
    started = _process_start_time(pid)
    return started is None or started > entry.stat(follow_symlinks=False).st_mtime


def _process_start_time(pid: int) -> float | None:
    """When process `pid` started (seconds since the epoch), or None when there is none.
    Where /proc cannot tell (not Linux), a live process counts as started long ago."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except (PermissionError, OverflowError, ValueError):
        pass  # alive under another user, or not a process id at all
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        ticks = int(stat.rpartition(")")[2].split()[19])  # field 22: start time since boot
        boot = next(float(line.split()[1]) for line in Path("/proc/stat").read_text()
                    .splitlines() if line.startswith("btime"))
        return boot + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return 0.0


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
