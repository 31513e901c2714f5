"""`quantize(model, "int8", mode=...)`: a new model whose matmul weights are int8.

The new model's definition is made by passes, so that its IR says what runs:

    model.def --lower-to-tensor--> tensorops
              [--calibration (`runtime/calibration.py`: the model's weights, the data set)-->]
              --quantize{mode=M}, cse--> int8 weights and scales as parameters

and its weights are quantized once, here, per output channel, with the reference
arithmetic (`backends/reference/quantization.py`): the new instance keeps int8 tensors and
their scales, not float weights. `save` stores that definition and those tensors. The
original model is unchanged.
"""

from __future__ import annotations

import torch
from torch import Tensor
from xdsl.dialects.builtin import ModuleOp, TensorType, i8

from mlang.backends import Backend
from mlang.backends.common.pipeline import run_passes
from mlang.backends.reference.quantization import quantize_weight
from mlang.dialects.model.structure import SCALE_SUFFIX, DefOp
from mlang.runtime.calibration import model_ranges, record
from mlang.runtime.datasets import Dataset
from mlang.runtime.model import ModelInstance, tie_parameters
from mlang.runtime.summary import LAYERS, layer_table
from mlang.support.diagnostics import CompileError, InternalError, UserError
from mlang.support.language_options import QUANT_MODES

LOWERING = "lower-to-tensor"


def quantize_model(model: ModelInstance, dtype: str, mode: str, calibrate: Dataset | None,
                   backend: Backend) -> ModelInstance:
    """A quantized copy of `model`, compiled by `backend`; the original is unchanged."""
    if dtype != "int8":
        raise UserError(f"unknown quantization type '{dtype}'; expected int8")
    if mode not in QUANT_MODES:
        raise UserError(f"unknown quantization mode '{mode}'; expected one of "
                        + ", ".join(QUANT_MODES))
    if model.quantization is not None:
        raise UserError("this model is already quantized")
    if mode == "static":
        _check_calibration(calibrate)
    module = ModuleOp([model.definition.clone()])
    run_pipeline(module, LOWERING)
    definition = next(op for op in module.ops if isinstance(op, DefOp))
    definition.attributes[LAYERS] = layer_table(model.definition)
    if mode == "static":
        assert calibrate is not None  # checked above
        record(definition, model_ranges(model, definition, calibrate, backend))
    run_pipeline(module, f"quantize{{mode={mode}}},cse")
    module.body.block.detach_op(definition)
    params = tie_parameters(definition, quantized_params(model, definition))
    return ModelInstance(definition, backend.compile(definition), params, model.loss_name,
                         model.tokenizer, model.classes)


def _check_calibration(calibrate: Dataset | None) -> None:
    """Raises a `UserError` unless static quantization has calibration data."""
    if calibrate is None:
        raise UserError('mode="static" needs calibrate=DATASET')
    if len(calibrate) == 0:
        raise UserError("the calibration data set is empty")


def quantized_params(model: ModelInstance, definition: DefOp) -> dict[str, Tensor]:
    """The float parameters of `model` that stay float, and for each int8 parameter of
    `definition` its quantized tensor and scale."""
    params: dict[str, Tensor] = {}
    for p in definition.params:
        name = p.sym_name.data
        if name in model.params and p.param_type.element_type != i8:
            params[name] = model.params[name].detach().clone()
            continue
        if p.param_type.element_type != i8:
            continue
        scale_type = next(s.param_type for s in definition.params
                          if s.sym_name.data == name + SCALE_SUFFIX)
        assert isinstance(scale_type, TensorType)
        _check_finite(name, model.params[name])
        q, s = quantize_weight(model.params[name], tuple(scale_type.get_shape()))
        params[name], params[name + SCALE_SUFFIX] = q, s
    return params


def _check_finite(name: str, weight: Tensor) -> None:
    """Refuses a weight holding NaN or infinity: int8 has neither, and rounding them to a
    number would silently change what the model computes."""
    bad = ~torch.isfinite(weight)
    if bad.any():
        value = weight[bad][0].item()
        raise UserError(f"cannot quantize weight '{name}': it holds {value} "
                        f"({int(bad.sum())} of its {weight.numel()} values are not finite)")


def run_pipeline(module: ModuleOp, pipeline: str) -> None:
    """Runs a pass pipeline (`-p` syntax) on `module`. A pass that reports an error in the
    model (an op that has no tensor-level form) makes it a `UserError` at the caller; any
    other failure is an internal error (see `backends/common/pipeline.py`)."""
    try:
        run_passes(module, pipeline, "quantize")
    except InternalError:
        raise
    except CompileError as err:
        raise UserError(f"this model cannot be quantized: {err.message}") from None
