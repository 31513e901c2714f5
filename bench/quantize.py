"""Int8 benchmark: the BERT-base-shaped encoder of `bench/encoder.py` (hidden 768, 12 heads,
FFN 3072, sequence 128, batch 1), float32 against int8, on mlang's torch backend and in
PyTorch, in one process, on this machine's CPU.

    mlang f32        the encoder on the torch backend (generated code calling torch)
    mlang int8 w     quantize(..., mode="weight"): int8 weights, dequantized per call
    mlang int8 dyn   quantize(..., mode="dynamic"): activations quantized per row,
                     int8 x int8 products accumulated in int32; quantization, and the
                     product with its rescale (AVX-512 VNNI), by the fused C kernels of
                     backends/torch/native.py (elsewhere, and with MLANG_NATIVE=0:
                     torch._int_mm and eager operators)
    eager f32        the same weights in the PyTorch `nn.Module`
    eager int8 dyn   torch.ao.quantization.quantize_dynamic of that module (nn.Linear)
    torchao int8 dyn torchao's Int8DynamicActivationInt8WeightConfig, if torchao imports
                     (optional: `pip install --no-deps torchao`)

Latency is the median of interleaved calls after warm-up, under `torch.no_grad()`; the
ratios compare each row with mlang f32 and with eager f32. Cosine similarity of each
output to the float32 output says how much int8 changed it. Threads are torch's default.

    python bench/quantize.py              # 12 layers
    python bench/quantize.py --layers 2   # quicker
    python bench/quantize.py --threads 1  # one thread: steadier on a busy machine
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import encoder as E  # noqa: E402 - the encoder benchmark's M program and PyTorch model


def mlang_models(depth: int, eager: torch.nn.Module) -> dict[str, E.Forward]:
    """Forward functions of the encoder on the torch backend: float32 and int8 modes."""
    from mlang.backends.torch.backend import TorchBackend
    from mlang.dialects.model.structure import DefOp
    from mlang.frontend import compile_source
    from mlang.runtime.model import ModelInstance
    from mlang.runtime.quantize import quantize_model

    module = compile_source(E.m_program(depth), "encoder.m")
    definition = next(op for op in module.ops if isinstance(op, DefOp))
    backend = TorchBackend()
    f32 = ModelInstance(definition, backend.compile(definition), E.mlang_params(eager))
    models = {
        "mlang f32": f32,
        "mlang int8 w": quantize_model(f32, "int8", "weight", None, backend),
        "mlang int8 dyn": quantize_model(f32, "int8", "dynamic", None, backend),
    }
    return {name: E.mlang_forward(m.compiled, m.params) for name, m in models.items()}


def eager_int8(eager: torch.nn.Module) -> torch.nn.Module:
    """PyTorch's own dynamic int8 quantization of the eager model's linear layers."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.ao.quantization is deprecated in 2.13
        from torch.ao.quantization import quantize_dynamic

        return quantize_dynamic(eager, {torch.nn.Linear}, dtype=torch.qint8)


def torchao_int8(eager: torch.nn.Module) -> torch.nn.Module | None:
    """torchao's int8 dynamic-activation, int8-weight quantization of a copy of the eager
    model's linear layers, or None when torchao is not installed (it is optional)."""
    import copy

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from torchao.quantization import Int8DynamicActivationInt8WeightConfig, quantize_
    except ImportError:
        return None
    model = copy.deepcopy(eager)
    quantize_(model, Int8DynamicActivationInt8WeightConfig())
    return model


def cosine(a: torch.Tensor, b: torch.Tensor) -> float:
    """Cosine similarity of two tensors, flattened."""
    return float(torch.nn.functional.cosine_similarity(a.flatten(), b.flatten(), dim=0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=12)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: default)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    print(f"encoder: {args.layers} layers, hidden {E.HIDDEN}, heads {E.HEADS}, ffn {E.FFN}, "
          f"seq {E.SEQ}, batch {E.BATCH}; torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads")
    torch.manual_seed(0)
    x = torch.randn(E.BATCH, E.SEQ, E.HIDDEN)
    eager = E.Encoder(args.layers).eval()
    fns = mlang_models(args.layers, eager)
    fns["eager f32"] = eager
    fns["eager int8 dyn"] = eager_int8(eager)
    if (torchao := torchao_int8(eager)) is not None:
        fns["torchao int8 dyn"] = torchao

    with torch.no_grad():
        outputs = {name: fn(x) for name, fn in fns.items()}
    torch.testing.assert_close(outputs["mlang f32"], outputs["eager f32"], rtol=1e-4, atol=1e-4)
    latency = E.interleaved_latency(fns, x, args.warmup, args.runs)

    base, eager_base = latency["mlang f32"], latency["eager f32"]
    print(f"\nforward latency, median of {args.runs} after {args.warmup} warm-up")
    print(f"{'':>16} {'ms':>8} {'vs mlang f32':>13} {'vs eager f32':>13} {'cosine to f32':>14}")
    for name, seconds in latency.items():
        reference = outputs["mlang f32" if name.startswith("mlang") else "eager f32"]
        print(f"{name:>16} {1000 * seconds:>8.1f} {base / seconds:>12.2f}x "
              f"{eager_base / seconds:>12.2f}x {cosine(outputs[name], reference):>14.5f}")
    speedup = base / latency["mlang int8 dyn"]
    versus = latency["eager int8 dyn"] / latency["mlang int8 dyn"]
    print(f"\nmlang dynamic int8 is {speedup:.2f}x faster than mlang f32 (target 1.5x), "
          f"{versus:.2f}x the speed of torch.ao quantize_dynamic")
    if "torchao int8 dyn" in latency:
        print(f"{'':>22}{latency['torchao int8 dyn'] / latency['mlang int8 dyn']:.2f}x the "
              "speed of torchao's int8 dynamic quantization")


if __name__ == "__main__":
    main()
