"""The declared PyTorch fallbacks of the Triton backend: every tensor op that may run as a
`kernel.extern` (PyTorch) instead of a Triton kernel, when, and why.

`wrap-kernels` makes an op `kernel.extern` when no kernel kind fits it
(`passes.wrap_kernels.kernel_kinds`); this registry is the one place that says which ops
those are and whether each is deliberate (PyTorch is the better implementation, or the op
costs no kernel) or not yet a kernel. `mopt --list-fallbacks` prints it, and
`tests/backends/triton/test_triton_differential.py` checks that it names every op that
`wrap-kernels` can only hand to PyTorch, and no op that is not a tensor op.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.dialects.builtin import TensorType
from xdsl.ir import Attribute
from xdsl.utils.hints import isa

from mlang.dialects.kernel import KernelOp
from mlang.dialects.tensorops import MatmulOp

__all__ = [
    "ARCH_FALLBACKS", "ArchFallback", "FALLBACKS", "Fallback", "arch_fallback", "format_fallbacks",
]

ALWAYS = "always"
"""The `when` of an op that no kernel kind computes."""
REDUCTION_WHEN = ("of integers over other axes than the last, of several axes of unknown "
                  "sizes, or of rows longer than 16384 or of unknown length")
REDUCTION_REASON = ("a lone reduction is a read at memory bandwidth, which PyTorch reaches; "
                    "what a kernel adds is fusing a row's prologue and epilogue (softmax, "
                    "norms), which needs the row in one block of at most 16384, the reduced "
                    "axes moved last and merged (known sizes) first")


@dataclass(frozen=True)
class Fallback:
    """A tensor op that may run on PyTorch in a Triton-compiled program."""

    op: str
    """The tensorops op name."""
    when: str
    """`always`, or the forms of the op that fall back."""
    deliberate: bool
    """Whether PyTorch stays the implementation by design (else: not yet a kernel)."""
    reason: str


FALLBACKS: tuple[Fallback, ...] = (
    Fallback("tensorops.conv2d", ALWAYS, True,
             "cuDNN convolutions (through PyTorch) beat a generic Triton template; "
             "convolutions are outside the transformer workloads the kernels target"),
    *(Fallback(op, ALWAYS, True,
               "cuDNN pooling through PyTorch; a windowed op the kernel kinds do not tile")
      for op in ("tensorops.max_pool2d", "tensorops.avg_pool2d")),
    Fallback("tensorops.batch_norm", ALWAYS, True,
             "cuDNN batch norm through PyTorch, which also updates the running statistics "
             "in place while training; a CNN op outside the transformer kernels' scope"),
    Fallback("tensorops.cumsum", ALWAYS, True,
             "a scan: PyTorch's cumsum (CUB on CUDA) is bandwidth-bound already, and scans "
             "are off the transformer hot path"),
    Fallback("tensorops.topk", ALWAYS, True,
             "PyTorch's radix select; used when sampling tokens, once per step, not per layer"),
    Fallback("tensorops.take_along", ALWAYS, True,
             "an index gather along an axis: one memory-bound copy that PyTorch's gather "
             "kernel already does at full bandwidth"),
    Fallback("tensorops.pad", ALWAYS, True,
             "a copy into a larger buffer: one memory-bound PyTorch call"),
    Fallback("tensorops.reshape_dynamic", ALWAYS, True,
             "a view with sizes read at run time: no data moves"),
    Fallback("tensorops.slice_dynamic", ALWAYS, True,
             "a view with bounds read at run time: no data moves"),
    Fallback("tensorops.full_dynamic", ALWAYS, True,
             "a constant fill with sizes read at run time: one PyTorch call"),
    Fallback("tensorops.broadcast_dynamic", ALWAYS, True,
             "an expand with sizes read at run time: a view, no data moves"),
    Fallback("tensorops.random", ALWAYS, True,
             "PyTorch's generator keeps seed() streams identical to the torch backend's"),
    Fallback("tensorops.constant", "when no kernel reads it", True,
             "a host tensor made once; kernels inline the constants they read"),
    *(Fallback(op, "when no kernel absorbs it as a view", True,
               "a PyTorch view costs no copy and no launch")
      for op in ("tensorops.reshape", "tensorops.reshape_tail", "tensorops.transpose",
                 "tensorops.slice")),
    Fallback("tensorops.concat", "when no kernel absorbs it", True,
             "a pure copy, already at memory bandwidth in PyTorch"),
    Fallback("tensorops.gather", ALWAYS, True,
             "embedding lookup: a lone row copy, at memory bandwidth in PyTorch "
             "(F.embedding, which also rejects ids out of range); a kernel would pay only "
             "fused with its reader (embedding + position add + layer norm), which no "
             "fusion pass does"),
    Fallback("tensorops.argmax", "over an axis other than the last", True,
             "kernel.reduction computes argmax over the last axis (class picks); another "
             "axis would cost a transposed copy first, which PyTorch's strided argmax avoids"),
    *(Fallback(f"tensorops.reduce_{kind}", REDUCTION_WHEN, True, REDUCTION_REASON)
      for kind in ("sum", "mean", "max", "min")),
    Fallback("tensorops.matmul", "integer operands other than int8", True,
             "only int8 products have a quantized kernel; other integer products are rare"),
)
"""Every declared fallback, by op."""


@dataclass(frozen=True)
class ArchFallback:
    """Kernels that GPUs older than an architecture run through PyTorch: Triton cannot
    compile them there. The generated host code takes the kernel's PyTorch form on a CUDA
    device of a lower compute capability (`launch.falls_back`), and the AOT check (`mrun
    --aot-check`) reports their compile failures below `below` as notes, not errors."""

    kind: str
    """What the rule covers, as `mopt --list-fallbacks` prints it."""
    below: int
    """The first architecture that compiles them (80: sm_80)."""
    reason: str


INT8_MATMUL = ArchFallback(
    "kernel.matmul of int8 operands", 80,
    "Triton's matmul-acceleration pass fails on int8 tl.dot for sm_75 and older (no "
    "int8 mma lowering before Ampere)")
ARCH_FALLBACKS: tuple[ArchFallback, ...] = (INT8_MATMUL,)
"""Every declared fallback by GPU architecture."""


def arch_fallback(kernel: KernelOp) -> ArchFallback | None:
    """The architecture rule that covers `kernel`, if any: an int8 product in its body."""
    for op in kernel.block.ops:
        if isinstance(op, MatmulOp) and _element(op.lhs.type) == "i8":
            return INT8_MATMUL
    return None


def _element(t: Attribute) -> str:
    """The element type of a tensor type, as text."""
    return str(t.element_type) if isa(t, TensorType[Attribute]) else ""


def format_fallbacks() -> str:
    """The registry as a text table (what `mopt --list-fallbacks` prints)."""
    width = max(len(f.op) for f in FALLBACKS)
    lines = ["Tensor ops the Triton backend hands to PyTorch (kernel.extern):", ""]
    for f in FALLBACKS:
        kind = "deliberate" if f.deliberate else "not yet a kernel"
        lines.append(f"  {f.op:<{width}}  {f.when}; {kind}: {f.reason}")
    lines += ["", "Kernels that older GPUs run through PyTorch (Triton cannot compile them):", ""]
    for a in ARCH_FALLBACKS:
        lines.append(f"  {a.kind}  below sm_{a.below}: {a.reason}")
    return "\n".join(lines) + "\n"
