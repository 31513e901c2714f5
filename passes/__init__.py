"""The passes and named pipelines mlang knows, by name.

Registering a pass is one line in `_PASSES`: its name (equal to the class's `name`)
mapped to a factory that imports the pass's module and returns the class, so that only
the passes a pipeline names are ever imported:

    "check-lowered": lambda: _load("check_lowered", "CheckLowered"),
    "choose-block-sizes": lambda: _load("choose_block_sizes", "ChooseBlockSizes"),
    "fuse-attention": lambda: _load("fuse_attention", "FuseAttention"),
    "fuse-matmul-epilogue": lambda: _load("fuse_matmul_epilogue", "FuseMatmulEpilogue"),
    "fuse-pointwise": lambda: _load("fuse_pointwise", "FusePointwise"),
    "fuse-reduction": lambda: _load("fuse_reduction", "FuseReduction"),

A named pipeline is one line in `_PIPELINES`: its name mapped to a one-line description
and a pipeline in `-p` syntax (`a,b{opt=1},func.func(c)`). It may be used wherever a pass
may, and expands to its passes; it may name other pipelines.

Code outside mlang (a pass plugin, loaded by `mopt --load-pass-plugin=FILE`) adds its
passes to the same registry with `register_pass`, which decorates a pass class:

    @register_pass
    @dataclass(frozen=True)
    class DivToMul(ModulePass):
        name = "div-to-mul"
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import TYPE_CHECKING, TypeVar

from mlang.support.pass_pipeline import is_pass_name

if TYPE_CHECKING:
    from xdsl.passes import ModulePass


def _load(module: str, cls: str) -> type[ModulePass]:
    """Imports the pass class `cls` from `mlang.passes.<module>`."""
    return _pass_class(f"mlang.passes.{module}", cls)


def _xdsl(module: str, cls: str) -> type[ModulePass]:
    """Imports the pass class `cls` from `xdsl.transforms.<module>`."""
    return _pass_class(f"xdsl.transforms.{module}", cls)


def _pass_class(module: str, cls: str) -> type[ModulePass]:
    """Imports `module` and returns its class `cls`, checked to be a pass."""
    from xdsl.passes import ModulePass

    found = getattr(import_module(module), cls)
    assert isinstance(found, type) and issubclass(found, ModulePass), f"{module}.{cls}"
    return found


_PASSES: dict[str, Callable[[], type[ModulePass]]] = {
    "canonicalize": lambda: _xdsl("canonicalize", "CanonicalizePass"),
    "cse": lambda: _xdsl("common_subexpression_elimination", "CommonSubexpressionElimination"),
    "dce": lambda: _xdsl("dead_code_elimination", "DeadCodeElimination"),
    "check-lowered": lambda: _load("check_lowered", "CheckLowered"),
    "choose-block-sizes": lambda: _load("choose_block_sizes", "ChooseBlockSizes"),
    "fuse-attention": lambda: _load("fuse_attention", "FuseAttention"),
    "fuse-matmul-epilogue": lambda: _load("fuse_matmul_epilogue", "FuseMatmulEpilogue"),
    "fuse-pointwise": lambda: _load("fuse_pointwise", "FusePointwise"),
    "fuse-reduction": lambda: _load("fuse_reduction", "FuseReduction"),
    "infer-shapes": lambda: _load("infer_shapes", "InferShapes"),
    "merge-qkv": lambda: _load("merge_qkv", "MergeQkv"),
    "quantize": lambda: _load("quantize", "Quantize"),
    "lower-activations": lambda: _load("lower_activations", "LowerActivationsPass"),
    "lower-arithmetic": lambda: _load("lower_arithmetic", "LowerArithmeticPass"),
    "lower-attention": lambda: _load("lower_attention", "LowerAttentionPass"),
    "lower-conv-pool": lambda: _load("lower_conv_pool", "LowerConvPoolPass"),
    "lower-creation": lambda: _load("lower_creation", "LowerCreationPass"),
    "lower-indexing": lambda: _load("lower_indexing", "LowerIndexingPass"),
    "lower-layout": lambda: _load("lower_layout", "LowerLayoutPass"),
    "lower-linear": lambda: _load("lower_linear", "LowerLinearPass"),
    "lower-norms": lambda: _load("lower_norms", "LowerNormsPass"),
    "lower-reductions": lambda: _load("lower_reductions", "LowerReductionsPass"),
    "select-torch-calls": lambda: _load("select_torch_calls", "SelectTorchCalls"),
    "wrap-kernels": lambda: _load("wrap_kernels", "WrapKernels"),
    "test-crash": lambda: _load("test_crash", "TestCrash"),
    "test-statistics": lambda: _load("test_statistics", "TestStatistics"),
}

_PIPELINES: dict[str, tuple[str, str]] = {
    "model-cleanup": ("Canonicalizes, then eliminates common subexpressions.", "canonicalize,cse"),
    "kernel-fusion": (
        "Fuses tensor ops into kernels and wraps the rest (extern: PyTorch).",
        "merge-qkv,fuse-attention,fuse-matmul-epilogue,fuse-reduction,fuse-pointwise,"
        "wrap-kernels",
    ),
    "lower-to-kernel": (
        "Fuses tensor ops into kernels, wraps the rest, then sets block sizes.",
        "kernel-fusion,choose-block-sizes",
    ),
    "O2": (
        "Lowers model methods to tensor ops, cleans up, then lowers to kernels.",
        "lower-to-tensor,canonicalize,cse,lower-to-kernel",
    ),
    "lower-to-tensor": (
        "Lowers every model op in model methods to tensor ops, then checks that none is left.",
        "lower-attention,lower-linear,lower-norms,lower-activations,lower-arithmetic,"
        "lower-conv-pool,lower-layout,lower-indexing,lower-creation,lower-reductions,"
        "canonicalize,cse,check-lowered{level=tensor}",
    ),
}

# One-line summaries for registered passes whose class has no docstring (xDSL's own).
PASS_SUMMARIES: dict[str, str] = {
    "cse": "Eliminates common subexpressions.",
    "dce": "Erases unused operations that have no side effects.",
}


def get_all_passes() -> dict[str, Callable[[], type[ModulePass]]]:
    """Returns every pass name mapped to a factory that imports and returns its class."""
    return dict(_PASSES)


def get_all_pipelines() -> dict[str, tuple[str, str]]:
    """Returns every named pipeline mapped to (one-line description, pipeline text)."""
    return dict(_PIPELINES)


_BUILT_IN: frozenset[str] = frozenset(_PASSES)

PassType = TypeVar("PassType", bound="type[ModulePass]")


class PassRegistrationError(ValueError):
    """A pass that cannot be registered: not a pass class, no valid name, or a name taken."""


def register_pass(pass_type: PassType) -> PassType:
    """Registers a `ModulePass` subclass under its `name`, beside the built-in passes, and
    returns it, so that it may decorate the class. Names are unique across passes and
    named pipelines."""
    from xdsl.passes import ModulePass  # Here: importing the registry must stay cheap.

    if not (isinstance(pass_type, type) and issubclass(pass_type, ModulePass)):
        raise PassRegistrationError(f"register_pass takes a ModulePass class, not {pass_type!r}")
    name = getattr(pass_type, "name", None)
    if not isinstance(name, str) or not is_pass_name(name):
        raise PassRegistrationError(
            f"pass class '{pass_type.__name__}' needs a `name` of letters, digits, '_', "
            f"'-' and '.', not {name!r}"
        )
    if name in _PASSES or name in _PIPELINES:
        raise PassRegistrationError(f"cannot register pass '{name}': {_holder(name)} has that name")
    _PASSES[name] = lambda: pass_type
    return pass_type


def _holder(name: str) -> str:
    """What already holds the registered `name`, in words."""
    if name in _PIPELINES:
        return "a named pipeline"
    return "a built-in pass" if name in _BUILT_IN else "another registered pass"
