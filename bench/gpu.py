"""GPU benchmark: mlang's Triton backend against PyTorch on one CUDA device, in one run.

    (a) a BERT-base-shaped encoder (`bench/encoder.py`'s M program and its PyTorch twin,
        12 layers, hidden 768, sequence 128) at batch 1 and 8, in float16 and bfloat16:
        mlang (Triton backend) against PyTorch eager and `torch.compile`, as speedups
        (PyTorch's time / mlang's); targets: >= 1.3x eager and >= 1.0x torch.compile;
    (b) softmax, layer norm, matmul and attention: mlang's kernel (a one-layer M model)
        against its PyTorch equivalent, each with its achieved memory bandwidth (softmax,
        layer norm) or FLOP/s (matmul, attention) as a fraction of the device's peak.

Times are `triton.testing.do_bench` medians under `torch.no_grad()`. Peaks: the device's
datasheet numbers (`KNOWN_PEAKS`: dense float16/bfloat16 tensor-core FLOP/s, DRAM
bandwidth) where its name is known; otherwise derived from the driver's properties as
`triton.testing` derives them: bandwidth = 2 (DDR) x memory clock x bus width / 8, and
tensor-core FLOP/s = SMs x 4 sub-cores x SM clock x 512 (Ampere's float16 ops per
sub-core per cycle; Hopper does twice that, hence the table).

The M programs are written in float32 and run in float16 or bfloat16 as `mrun --dtype`
runs them (`runtime.precision.with_dtype`: the definition retyped to the half type, then
compiled by the Triton backend); the timed call is the retyped model itself, without the
float32 cast `--dtype` applies to its results. Rows whose M program does not compile print
`n/a` and the reason. Without CUDA the script prints `no GPU: ...` and exits 0. Run:

    python bench/gpu.py                   # everything, float16 and bfloat16
    python bench/gpu.py --dtype bf16      # one dtype
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import torch
from mlang.support.diagnostics import CompileError, UserError

sys.path.insert(0, str(Path(__file__).resolve().parent))

DTYPES = {"f16": torch.float16, "bf16": torch.bfloat16}
BATCHES = (1, 8)
SEQ = 128
EAGER_TARGET, COMPILE_TARGET = 1.3, 1.0
"""Encoder speedups mlang must reach over eager and over torch.compile."""


@dataclass(frozen=True)
class Peak:
    """A device's peak DRAM bandwidth (GB/s) and dense 16-bit tensor-core TFLOP/s."""

    gbps: float
    tflops: float


KNOWN_PEAKS: tuple[tuple[str, Peak], ...] = (
    ("H100 PCIe", Peak(2000.0, 756.0)),
    ("H100 NVL", Peak(3900.0, 835.0)),
    ("H100", Peak(3350.0, 989.0)),  # SXM5 ("NVIDIA H100 80GB HBM3")
    ("H200", Peak(4800.0, 989.0)),
    ("A100-SXM4-80GB", Peak(2039.0, 312.0)),
    ("A100 80GB PCIe", Peak(1935.0, 312.0)),
    ("A100", Peak(1555.0, 312.0)),  # 40 GB, SXM4 or PCIe
    ("L4", Peak(300.0, 121.0)),
)
"""Datasheet peaks by a substring of the CUDA device name, most specific first."""

Thunk = Callable[[], object]
NOT_YET = (CompileError, UserError)
"""What compiling an M program that mlang cannot compile raises."""


def device_peak(name: str) -> tuple[Peak, str]:
    """The peak of the current device and where it came from."""
    for key, peak in KNOWN_PEAKS:
        if key in name:
            return peak, "datasheet"
    import triton.testing
    from triton.runtime import driver

    props = driver.active.utils.get_device_properties(torch.cuda.current_device())
    tflops = triton.testing.get_max_tensorcore_tflops(torch.float16, props["sm_clock_rate"])
    return Peak(triton.testing.get_dram_gbps(), tflops), "derived from the driver"


def milliseconds(fn: Thunk) -> float:
    """Median milliseconds of one call (`do_bench`), under no_grad."""
    import triton.testing

    with torch.no_grad():
        return float(triton.testing.do_bench(fn, return_mode="median"))


# ------------------------------------------------------------------------ mlang side


Forward = Callable[[torch.Tensor], torch.Tensor]


def mlang_forward(source: str, params: dict[str, torch.Tensor], dt: str) -> Forward:
    """The forward of the (one) model of a float32 M program on the Triton backend, run
    in the half dtype `dt` (`mrun --dtype dt`'s retyped definition, its results uncast)."""
    from mlang.backends import RunOptions, get_backend
    from mlang.dialects.model.structure import DefOp
    from mlang.frontend import compile_source
    from mlang.runtime.precision import PrecisionModel, with_dtype

    module = compile_source(source, "bench.m")
    definition = next(op for op in module.ops if isinstance(op, DefOp))
    compiled = with_dtype(get_backend("triton"), dt).compile(definition)
    if isinstance(compiled, PrecisionModel):
        compiled = compiled.inner  # inputs and parameters are already of the half type
    options = RunOptions()

    def forward(x: torch.Tensor) -> torch.Tensor:
        output = compiled.run("forward", params, [x], options)[0]
        assert isinstance(output, torch.Tensor)
        return output

    return forward


def layer_program(field: str, body: str, shape: str, result: str) -> str:
    """A one-model M program whose forward computes `body` of `x: f32[shape]`."""
    fields = f"    {field}\n" if field else ""
    return (f"model K() {{\n{fields}    fn forward(x: f32[{shape}]) -> f32[{result}] {{\n"
            f"        return {body}\n    }}\n}}\nlet k = K()\n")


# ----------------------------------------------------------------------- the encoder


def encoder_row(dt: str, batch: int) -> list[str]:
    """One table row: the encoder's times and mlang's speedups."""
    import encoder

    dtype = DTYPES[dt]
    torch.manual_seed(0)
    eager = encoder.Encoder(12).to("cuda", dtype).eval()
    params = {k: v.detach() for k, v in eager.state_dict().items()}
    x = torch.randn(batch, SEQ, encoder.HIDDEN, device="cuda", dtype=dtype)
    compiled = torch.compile(eager)
    name = f"encoder {dt} b{batch}"
    try:
        mlang = mlang_forward(encoder.m_program(12), params, dt)
    except NOT_YET as err:  # a program mlang cannot compile: report, go on
        return [name, "n/a", f"{eager_ms(eager, x):.3f}", "", "", "", first_line(err)]
    with torch.no_grad():
        error = float((mlang(x).float() - eager(x).float()).abs().max())
    times = [milliseconds(partial(f, x)) for f in (mlang, eager, compiled)]
    over_eager, over_compile = times[1] / times[0], times[2] / times[0]
    met = over_eager >= EAGER_TARGET and over_compile >= COMPILE_TARGET
    return [name, *(f"{t:.3f}" for t in times), f"{over_eager:.2f}x", f"{over_compile:.2f}x",
            f"{'met' if met else 'MISSED'} (max |diff| {error:.1e})"]


def eager_ms(model: torch.nn.Module, x: torch.Tensor) -> float:
    """Milliseconds of one eager call."""
    return milliseconds(lambda: model(x))


def first_line(err: Exception) -> str:
    """The first line of an error, for a table cell."""
    return f"n/a: {str(err).strip().splitlines()[0][:90]}" if str(err).strip() else "n/a"


# ------------------------------------------------------------------------- kernels


@dataclass(frozen=True)
class KernelCase:
    """A kernel: its M program, its PyTorch equivalent, and its work."""

    name: str
    source: str
    params: dict[str, torch.Tensor]
    x: torch.Tensor
    torch_fn: Forward
    work: float
    """Bytes moved (a memory-bound kernel) or FLOPs (a compute-bound one)."""
    memory_bound: bool


def kernel_cases(dt: str) -> list[KernelCase]:
    """Softmax, layer norm, matmul and attention at BERT-base sizes (batch 8)."""
    import torch.nn.functional as F

    dtype, size = DTYPES[dt], torch.tensor([], dtype=DTYPES[dt]).element_size()
    rand = lambda *s: torch.randn(*s, device="cuda", dtype=dtype)
    rows, d, heads, n, t = 8 * 12 * SEQ, 768, 12, 8, SEQ
    ln = {"l.weight": rand(d), "l.bias": rand(d)}
    w = rand(3072, d) * 0.02
    attn = {f"l.{p}.{q}": rand(d, d) * 0.02 if q == "weight" else rand(d)
            for p in ("q", "k", "v", "out") for q in ("weight", "bias")}

    def attention(x: torch.Tensor) -> torch.Tensor:
        proj = lambda p: F.linear(x, attn[f"l.{p}.weight"], attn[f"l.{p}.bias"])
        split = lambda y: y.view(n, t, heads, d // heads).transpose(1, 2)
        ctx = F.scaled_dot_product_attention(split(proj("q")), split(proj("k")), split(proj("v")))
        out = ctx.transpose(1, 2).reshape(n, t, d)
        return F.linear(out, attn["l.out.weight"], attn["l.out.bias"])

    sources = kernel_sources()
    attention_flops = 4 * 2 * n * t * d * d + 2 * 2 * n * t * t * d
    return [
        KernelCase("softmax", sources["softmax"], {}, rand(rows, SEQ),
                   lambda x: torch.softmax(x, -1), 2 * rows * SEQ * size, True),
        KernelCase("layer norm", sources["layer norm"], ln, rand(n * t, d),
                   lambda x: F.layer_norm(x, (d,), ln["l.weight"], ln["l.bias"]),
                   2 * n * t * d * size, True),
        KernelCase("matmul", sources["matmul"], {"l.weight": w}, rand(n * t, d),
                   lambda x: F.linear(x, w), 2.0 * n * t * d * 3072, False),
        KernelCase("attention", sources["attention"], attn, rand(n, t, d), attention,
                   attention_flops, False),
    ]


def kernel_sources() -> dict[str, str]:
    """The (float32) M program of each kernel."""
    d, heads = 768, 12
    return {
        "softmax": layer_program("", "softmax(x, axis=1)", f"N, {SEQ}", f"N, {SEQ}"),
        "layer norm": layer_program(f"l = LayerNorm({d})", "l(x)", f"N, {d}", f"N, {d}"),
        "matmul": layer_program(f"l = Linear({d}, 3072, bias=false)", "l(x)", f"N, {d}",
                                "N, 3072"),
        "attention": layer_program(f"l = Attention({d}, {heads})", "l(x)",
                                   f"N, {SEQ}, {d}", f"N, {SEQ}, {d}"),
    }


def kernel_row(case: KernelCase, dt: str, peak: Peak) -> list[str]:
    """One table row: mlang's and PyTorch's times, and the fraction of peak each reaches."""
    name = f"{case.name} {dt}"
    torch_ms = milliseconds(lambda: case.torch_fn(case.x))
    try:
        mlang = mlang_forward(case.source, case.params, dt)
    except NOT_YET as err:  # a program mlang cannot compile: report, go on
        return [name, "n/a", f"{torch_ms:.3f}", "", "", "", first_line(err)]
    mlang_ms = milliseconds(lambda: mlang(case.x))
    per_s = lambda ms: case.work / (ms * 1e-3)
    unit, scale = ("GB/s", 1e9) if case.memory_bound else ("TFLOP/s", 1e12)
    full = (peak.gbps if case.memory_bound else peak.tflops) * scale
    return [name, f"{mlang_ms:.3f}", f"{torch_ms:.3f}", "", f"{torch_ms / mlang_ms:.2f}x", "",
            (f"mlang {per_s(mlang_ms) / scale:.0f} {unit} ({per_s(mlang_ms) / full:.0%} of "
             f"peak), torch {per_s(torch_ms) / full:.0%}")]


# --------------------------------------------------------------------------- report


HEADER = ["benchmark", "mlang ms", "eager ms", "compile ms", "vs eager", "vs compile", "notes"]


def table(rows: list[list[str]]) -> str:
    """Rows as aligned columns under HEADER."""
    widths = [max(len(r[i]) for r in [HEADER, *rows]) for i in range(len(HEADER) - 1)]
    lines = []
    for row in [HEADER, *rows]:
        cells = [c.ljust(w) for c, w in zip(row, widths)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(lines)


def run(dtypes: list[str]) -> None:
    """Runs every benchmark on the current CUDA device and prints the table."""
    name = torch.cuda.get_device_name()
    peak, origin = device_peak(name)
    print(f"device: {name} (peak {peak.gbps:.0f} GB/s, {peak.tflops:.0f} TFLOP/s 16-bit "
          f"dense, {origin})")
    rows = [encoder_row(dt, b) for dt in dtypes for b in BATCHES]
    rows += [kernel_row(case, dt, peak) for dt in dtypes for case in kernel_cases(dt)]
    print(table(rows))
    print(f"targets: encoder >= {EAGER_TARGET}x eager and >= {COMPILE_TARGET}x torch.compile; "
          "kernels' ratio is PyTorch's time over mlang's")


def main(argv: list[str] | None = None) -> int:
    """Parses the options; without CUDA, says so and succeeds."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dtype", choices=sorted(DTYPES), action="append",
                        help="a dtype to run (repeatable; default: all)")
    args = parser.parse_args(argv)
    if not torch.cuda.is_available():
        print("no GPU: CUDA is not available, so there is nothing to measure "
              "(bench/gpu.py times mlang's Triton kernels on a CUDA device)")
        return 0
    if os.environ.get("TRITON_INTERPRET", "") not in ("", "0"):
        print("error: TRITON_INTERPRET is set; unset it to time compiled kernels",
              file=sys.stderr)
        return 1
    run(args.dtype or sorted(DTYPES))
    return 0


if __name__ == "__main__":
    sys.exit(main())
