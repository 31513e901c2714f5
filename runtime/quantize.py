"""`quantize(model, "int8", mode=...)`: a new model whose matmul weights are int8.

Weights feeding `model.linear`, `model.conv2d` and `model.attention` are quantized once,
here, per output channel; the new instance keeps int8 tensors and scales, not float
weights. `dynamic` also quantizes each linear layer's input per row at run time; `static`
fixes per-layer input scales from the largest magnitude seen on a calibration set.
"""

from __future__ import annotations

import torch
from xdsl.dialects import func

from mlang.backends.reference.quantization import ActivationQuant, quantize_per_channel, scales_for
from mlang.dialects.model import layers as L
from mlang.dialects.model.structure import GetParamOp
from mlang.runtime.datasets import Dataset
from mlang.runtime.model import Int8Weights, ModelInstance, check_inputs
from mlang.runtime.names import QUANT_MODES
from mlang.support.diagnostics import UserError

# Which operands of each layer op are matmul weights.
WEIGHT_OPERANDS = {L.LinearOp: (1,), L.Conv2dOp: (1,), L.AttentionOp: (1, 3, 5, 7)}


def quantize_model(model: ModelInstance, dtype: str, mode: str,
                   calibrate: Dataset | None) -> ModelInstance:
    """A quantized copy of `model`; the original is unchanged."""
    if dtype != "int8":
        raise UserError(f"unknown quantization type '{dtype}'; expected int8")
    if mode not in QUANT_MODES:
        raise UserError(f"unknown quantization mode '{mode}'; expected one of "
                        + ", ".join(QUANT_MODES))
    if model.int8 is not None:
        raise UserError("this model is already quantized")
    if mode == "static" and calibrate is None:
        raise UserError('mode="static" needs calibrate=DATASET')
    if mode == "static" and len(calibrate) == 0:  # type: ignore[arg-type]
        raise UserError("the calibration data set is empty")
    names = matmul_weights(model)
    params = {k: v.detach().clone() for k, v in model.params.items() if k not in names}
    weights = {n: quantize_per_channel(model.params[n]) for n in names}
    scales = calibrate_scales(model, calibrate) if mode == "static" else {}
    return ModelInstance(model.definition, model.compiled, params,
                         Int8Weights(mode, weights, scales), model.loss_name)


def matmul_weights(model: ModelInstance) -> list[str]:
    """The parameters used as matmul weights by any method, in declaration order."""
    used: set[str] = set()
    for f in model.definition.methods.values():
        used |= weights_in(f)
    return [p.sym_name.data for p in model.definition.params if p.sym_name.data in used]


def weights_in(f: func.FuncOp) -> set[str]:
    """Names of parameters that feed a weight operand of a layer op in `f`."""
    out: set[str] = set()
    for op in f.walk():
        for i in WEIGHT_OPERANDS.get(type(op), ()):
            owner = op.operands[i].owner
            if isinstance(owner, GetParamOp):
                out.add(owner.param.string_value())
    return out


def calibrate_scales(model: ModelInstance, data: Dataset, batch: int = 256) -> dict[str, float]:
    """Per-layer input scales: the largest input magnitude of each linear layer / 127."""
    seen: dict[str, float] = {}

    def observe(layer: str, x: torch.Tensor) -> None:
        seen[layer] = max(seen.get(layer, 0.0), float(x.detach().abs().max()))

    observer = ActivationQuant("static", observer=observe)
    # Data sets live on the CPU; the batches go where the parameters are (as in `fit`).
    device = next((p.device for p in model.params.values()), data.x.device)
    with torch.no_grad():
        for lo in range(0, len(data), batch):
            xb = data.x[lo:lo + batch].to(device)
            check_inputs(model, "forward", [xb])
            model.compiled.run("forward", model.params, [xb], model.options(False, observer))
    return {k: float(scales_for(torch.tensor(v))) for k, v in seen.items()}
