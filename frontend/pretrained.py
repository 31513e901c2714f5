"""`pretrained(PATH, labels=none, dtype=f32)`: a standard-library model built from a Hugging
Face checkpoint folder.

M is compiled, and a model's methods and their types must be known before the program
runs. So `PATH` must be known at compile time: the folder (or the name in the local
Hugging Face cache) is found and its `config.json` read here, the `std` model that
`architectures` names is specialised with the config's hyper-parameters, and the weights
are loaded at run time by `model.load_pretrained` (runtime/pretrained.py).

Each family of the standard library has its table in frontend/std_families/: the Hugging
Face architectures it builds, and how a config's fields become the M model's
hyper-parameters.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Protocol, cast

from xdsl.dialects.builtin import ArrayAttr, StringAttr, UnitAttr
from xdsl.ir import Attribute

from mlang.dialects.model import host
from mlang.dialects.model.structure import InstantiateOp
from mlang.frontend import ast
from mlang.frontend.builtin_args import Args, Locs, required
from mlang.frontend.emitter import Emitter
from mlang.frontend.host_functions import HostContext, host_function
from mlang.frontend.resolution import check_declarations
from mlang.frontend.scopes import Scope
from mlang.frontend.signatures import Signature
from mlang.frontend.std_families import ARCHITECTURES, Architecture, Config
from mlang.frontend.std_library import std_path, std_source
from mlang.frontend.types import ModelT
from mlang.frontend.values import DType, FnRef, ModelClass, Static, StaticValue, Value, describe
from mlang.support.diagnostics import CompileError, Loc

class _Specialised(Protocol):
    """What `specialise` returns that this module needs: the `model.def`'s symbol."""

    @property
    def symbol(self) -> str: ...


class PretrainedContext(HostContext, Protocol):
    """What `pretrained` needs from the IR generator beyond other host functions: the
    global names (where the std module's models are made visible) and specialisation."""

    globals: Scope

    def specialise(self, decl: ast.ModelDecl, hparams: dict[str, StaticValue],
                   loc: Loc) -> _Specialised:
        """The `model.def` of a model for these hyper-parameters."""
        ...


# --------------------------------------------------------------------- the folder


def hf_home() -> Path:
    """Hugging Face's cache root: `$HF_HOME`, else ~/.cache/huggingface."""
    return Path(os.environ.get("HF_HOME") or Path.home() / ".cache" / "huggingface")


def hub_cache() -> Path:
    """The folder of downloaded models: `$HF_HUB_CACHE`, else `$HF_HOME/hub`."""
    return Path(os.environ.get("HF_HUB_CACHE") or hf_home() / "hub")


def cached_snapshot(name: str) -> Path | None:
    """The snapshot folder of model `name` (`org/model`) in the hub cache, the revision
    `refs/main` names, else the only one there; None where it is not cached."""
    repo = hub_cache() / f"models--{name.replace('/', '--')}"
    snapshots = repo / "snapshots"
    ref = repo / "refs" / "main"
    if ref.is_file() and (snapshots / ref.read_text().strip()).is_dir():
        return snapshots / ref.read_text().strip()
    found = sorted(p for p in snapshots.glob("*") if p.is_dir()) if snapshots.is_dir() else []
    return found[0] if len(found) == 1 else None


def checkpoint_folder(path: str, loc: Loc) -> Path:
    """The folder `path` names: a folder, else a model of the local Hugging Face cache."""
    folder = Path(path)
    if folder.is_dir():
        return folder.resolve()
    snapshot = cached_snapshot(path) if path and not folder.exists() else None
    if snapshot is None:
        raise CompileError(loc, f"pretrained: '{path}' is not a folder, nor a model in the "
                                f"Hugging Face cache (looked in "
                                f"{hub_cache() / ('models--' + path.replace('/', '--'))}; the "
                                "network is never used)")
    return snapshot


def read_config(folder: Path, loc: Loc) -> Config:
    """The folder's config.json."""
    path = folder / "config.json"
    try:
        config = json.loads(path.read_text())
    except OSError:
        raise CompileError(loc, f"pretrained: no config.json in '{folder}'") from None
    except json.JSONDecodeError as err:
        raise CompileError(loc, f"pretrained: '{path}' is not JSON: {err}") from None
    if not isinstance(config, dict):
        raise CompileError(loc, f"pretrained: '{path}' does not hold a JSON object")
    return config


def architecture(config: Config, folder: Path, loc: Loc) -> tuple[str, Architecture]:
    """The architecture config.json's `architectures` names, and that name."""
    names = config.get("architectures")
    if not (isinstance(names, list) and names and isinstance(names[0], str)):
        raise CompileError(loc, f"pretrained: config.json in '{folder}' names no "
                                "architecture ('architectures')")
    arch = ARCHITECTURES.get(names[0])
    if arch is None:
        raise CompileError(loc, f"pretrained: unknown architecture '{names[0]}' in '{folder}'"
                                f"; the standard library builds {', '.join(ARCHITECTURES)}")
    return names[0], arch


def with_labels(arch: Architecture, labels: int | None, loc: Loc) -> Architecture:
    """The architecture to build for `labels=K`: a classification model keeps its kind
    and gets a new head; a base model becomes the family's sequence classifier."""
    if labels is None or arch.head:
        return arch
    if arch.model == arch.family.base_model and arch.family.classifier:
        return ARCHITECTURES[arch.family.classifier]
    raise CompileError(loc, f"pretrained: labels= gives a classification model a new head; "
                            f"{arch.model} does not classify")


# ------------------------------------------------------------------ the built-in


def static_labels(v: Value | None, loc: Loc) -> int | None:
    """`labels=`: none, or a positive count known at compile time."""
    if v is None or (isinstance(v, Static) and v.value is None):
        return None
    if isinstance(v, Static) and isinstance(v.value, int) and not isinstance(v.value, bool) \
            and v.value > 0:
        return v.value
    raise CompileError(loc, f"pretrained: labels must be a positive int known at compile "
                            f"time, got {describe(v)}")


def static_path(v: Value, loc: Loc) -> str:
    """The checkpoint's path, which must be known at compile time."""
    if isinstance(v, Static) and isinstance(v.value, str):
        return v.value
    raise CompileError(loc, f"pretrained needs a path known at compile time (a string "
                            f"literal): the model's type comes from its config.json, got "
                            f"{describe(v)}")


def std_model(ctx: PretrainedContext, arch: Architecture, loc: Loc) -> ast.ModelDecl:
    """The declaration of the architecture's std model, its module's models made visible
    to the program's models (once; a program's own model of the same name is an error)."""
    program = std_source(std_path(f"std.{arch.family.module}", loc))[1]
    decls = [d for d in program.items if isinstance(d, (ast.ModelDecl, ast.FnDecl))]
    names = ctx.globals.names
    new = [d for d in decls if not is_declared(names.get(d.name), d)]
    for d in new:
        if d.name in names:
            raise CompileError(loc, f"pretrained builds std.{arch.family.module}'s {d.name}, "
                                    f"but the program declares its own '{d.name}'")
    if new:
        check_declarations(decls)
    for d in new:
        names[d.name] = ModelClass(d) if isinstance(d, ast.ModelDecl) else FnRef(d)
    model = names[arch.model]
    assert isinstance(model, ModelClass)  # the table names models of the module
    return model.decl


def is_declared(value: Value | None, decl: ast.ModelDecl | ast.FnDecl) -> bool:
    """Whether a global name is bound to this very declaration (the module imported)."""
    return isinstance(value, (ModelClass, FnRef)) and value.decl is decl


@host_function(Signature.of("pretrained", "path", ("labels", None), ("dtype", None)))
def emit_pretrained(ctx: HostContext, em: Emitter, a: Args, locs: Locs, loc: Loc) -> Value:
    """A std model built from a checkpoint folder's config.json, its weights loaded."""
    gen = cast(PretrainedContext, ctx)  # IRGen, the one host context, is one
    dtype = static_dtype(a["dtype"], locs["dtype"])
    where = locs["path"]  # what the folder's files hold is reported at its path
    folder = checkpoint_folder(static_path(required(a, "path"), where), where)
    labels = static_labels(a["labels"], locs["labels"])
    config = read_config(folder, where)
    name, source = architecture(config, folder, where)
    arch = with_labels(source, labels, loc)
    symbol = specialised_model(gen, arch, config, labels, where, loc)
    m = em.result(InstantiateOp(symbol), ModelT(symbol), loc)
    em.insert(host.LoadPretrainedOp.create(
        operands=[m.ssa, em.value(Static(str(folder)), where).ssa],
        properties=load_properties(name, arch, labels is not None, dtype)), loc)
    return m


PRETRAINED_DTYPES = ("f32", "bf16", "f16")
"""The dtypes a pretrained model runs in (`dtype=`)."""


def static_dtype(v: Value | None, loc: Loc) -> str | None:
    """`dtype=`: left out (the program's precision), or one of PRETRAINED_DTYPES."""
    if v is None:
        return None
    if isinstance(v, Static) and isinstance(v.value, DType) \
            and v.value.name in PRETRAINED_DTYPES:
        return v.value.name
    raise CompileError(loc, f"pretrained: dtype must be f32, bf16 or f16, got {describe(v)}")


def specialised_model(gen: PretrainedContext, arch: Architecture, config: Config,
                      labels: int | None, where: Loc, loc: Loc) -> str:
    """The symbol of the std model of `arch` specialised with the config's
    hyper-parameters (`labels` classes, where given)."""
    hparams = arch.family.hparams(config, where)
    if labels is not None:
        hparams["num_labels"] = labels
    decl = std_model(gen, arch, loc)
    return gen.specialise(decl, {p.name: hparams[p.name] for p in decl.hparams}, loc).symbol


def load_properties(checkpoint: str, arch: Architecture, labels: bool,
                    dtype: str | None = None) -> dict[str, Attribute]:
    """The properties of `model.load_pretrained` that build `arch` from a checkpoint of
    architecture `checkpoint`: the base prefix, the fields that may be initialised anew
    (a new head, what the checkpoint's architecture lacks), whether the checkpoint has
    another head, and the dtype the model runs in (None: the program's)."""
    family, source = arch.family, ARCHITECTURES[checkpoint]
    in_base = arch.model == family.base_model
    fresh = [*(arch.head if labels else ()),
             *(f if in_base else f"{family.base}.{f}" for f in source.optional)]
    props: dict[str, Attribute] = {"base": StringAttr(family.base)}
    if fresh:
        props["fresh"] = ArrayAttr([StringAttr(f) for f in fresh])
    if checkpoint != arch.model:
        props["other_head"] = UnitAttr()
    if dtype is not None:
        props["dtype"] = StringAttr(dtype)
    return props
