"""Fuzzing `load_model` with hostile packages: random header fields, tensor sizes and
dtypes, IR edits, decompression bombs, truncations and flipped bytes. Each case is a
`UserError` (reported at the loading statement) or a package whose every tensor matches
the IR it declares; anything else fails. Run with `-s` to see the counts."""

from __future__ import annotations

import base64
import json
import zlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlang.backends import get_backend
from mlang.frontend import compile_source
from mlang.runtime import model_io, packages
from mlang.runtime.interpreter import Interpreter
from mlang.support.diagnostics import UserError

PROGRAM = ('model Net() = Linear(4, 3) |> relu |> Linear(3, 2)\nseed(0)\n'
           'save(Net(), "{path}")\n')
OUTCOMES: Counter[str] = Counter()
TEXT = st.text(st.characters(codec="utf-8"), max_size=40)
NUMBERS = st.one_of(st.integers(-2, 12), st.integers(0, 2**64), st.sampled_from([2**63 - 1]))


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A valid package of a small model, as bytes."""
    path = tmp_path_factory.mktemp("fuzz") / "net.mpk"
    module = compile_source(PROGRAM.format(path=path), "prog.m")
    Interpreter(module, get_backend("reference")).run()
    return path.read_bytes()


@pytest.fixture(scope="module", autouse=True)
def report() -> Iterator[None]:
    """Prints the outcome counts once the module's cases have run."""
    yield
    total = sum(OUTCOMES.values())
    print(f"\npackage fuzz: {total} cases, {OUTCOMES['error']} clean errors, "
          f"{OUTCOMES['loaded']} successes, {total - OUTCOMES['error'] - OUTCOMES['loaded']} "
          "anything else")


def split(data: bytes) -> tuple[dict, bytes]:
    """A safetensors file's JSON header and its data."""
    n = int.from_bytes(data[:8], "little")
    return json.loads(data[8:8 + n]), data[8 + n:]


def join(header: dict, body: bytes) -> bytes:
    """The inverse of `split`."""
    text = json.dumps(header).encode()
    return len(text).to_bytes(8, "little") + text + body




@st.composite
def hostile(draw: st.DrawFn, base: bytes, folder: Path) -> bytes:
    """A package derived from `base` by one or two mutations."""
    ir, tensors, metadata = packages.load_package(_write(folder / "base.mpk", base))
    kind = draw(st.sampled_from(["metadata", "tensor", "ir", "bomb", "json", "cut", "flip"]))
    if kind in ("metadata", "tensor", "ir", "bomb"):
        # Forged through the writer, so the checksum is valid: only the contents are wrong.
        if kind == "metadata":
            key = draw(st.sampled_from(["model", "loss", "quantization", "other"]))
            metadata[key] = draw(TEXT)
        elif kind == "tensor":
            name = draw(st.sampled_from(sorted(tensors) + ["extra"]))
            dtype = draw(st.sampled_from([torch.float32, torch.float64, torch.int8, torch.bool]))
            shape = draw(st.lists(st.integers(0, 6), max_size=3))
            if draw(st.booleans()):
                tensors.pop(name, None)
            else:
                tensors[name] = torch.zeros(shape, dtype=dtype)
        elif kind == "ir":
            ir = _mutate_ir(ir, draw)
        path = folder / "forged.mpk"
        packages.save_package(path, ir, tensors, metadata)
        data = path.read_bytes()
        if kind == "bomb":
            header, body = split(data)
            spaces = draw(st.integers(1, 8)) << 20
            bomb = zlib.compress(ir.encode() + b" " * spaces, 9)
            header["__metadata__"]["ir"] = base64.b64encode(bomb).decode()
            header["__metadata__"]["sha256"] = _resigned(header["__metadata__"], tensors)
            data = join(header, body)
        return data
    if kind == "json":
        header, body = split(base)
        name = draw(st.sampled_from(sorted(header)))
        entry = header[name]
        field = draw(st.sampled_from(sorted(entry)))
        if field in ("shape", "data_offsets"):
            entry[field] = draw(st.lists(NUMBERS, max_size=3))
        else:
            entry[field] = draw(st.one_of(TEXT, st.sampled_from(["F16", "I64", "BOOL", "U8"])))
        return join(header, body)
    if kind == "cut":
        return base[:draw(st.integers(0, len(base) - 1))]
    data = bytearray(base)
    for _ in range(draw(st.integers(1, 4))):
        data[draw(st.integers(0, len(data) - 1))] ^= 1 << draw(st.integers(0, 7))
    return bytes(data)


def _mutate_ir(ir: str, draw: st.DrawFn) -> str:
    """The IR with a symbol renamed, a size changed or a span deleted."""
    choice = draw(st.sampled_from(["rename", "size", "delete", "dtype"]))
    if choice == "rename":
        old = draw(st.sampled_from(["@forward", '@"0.weight"', '@"2.bias"', "@Net"]))
        return ir.replace(old, "@" + json.dumps(draw(TEXT)), draw(st.integers(1, 3)))
    if choice == "size":
        return ir.replace("4x", f"{draw(st.integers(0, 2**40))}x", 1)
    if choice == "dtype":
        return ir.replace("f32", draw(st.sampled_from(["f64", "i8", "f16", "i1"])), 1)
    lo = draw(st.integers(0, len(ir)))
    return ir[:lo] + ir[lo + draw(st.integers(1, 60)):]


def _resigned(header: dict, tensors: dict) -> str:
    """The checksum of a header (without its own) and the tensors."""
    return packages._digest({k: v for k, v in header.items() if k != "sha256"}, tensors)


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@settings(max_examples=250, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_hostile_packages_fail_cleanly_or_load_consistently(base: bytes, tmp_path_factory:
                                                           pytest.TempPathFactory,
                                                           data: st.DataObject) -> None:
    folder = tmp_path_factory.mktemp("case", numbered=True)
    path = _write(folder / "case.mpk", data.draw(hostile(base, folder)))
    try:
        model = model_io.load_model(str(path), get_backend("reference"), "cpu")
    except UserError as err:
        assert str(err) and "\n" not in str(err), str(err)
        OUTCOMES["error"] += 1
        return
    except BaseException:
        OUTCOMES["other"] += 1
        raise
    for p in model.definition.params:
        tensor = model.params[p.sym_name.data]
        assert list(tensor.shape) == list(p.param_type.get_shape())
    OUTCOMES["loaded"] += 1
