"""Calibration: running a model on data to record the activation range of every
quantizable matmul, which `quantize{mode=static}` reads.

Running a model is runtime work, so calibration lives here, not in `passes/`: the IR
pass that consumes the ranges (`quantize`) only reads the attribute that `record` writes,

    calibration = {"fc1.weight" = 4.25 : f32, "fc2.weight" = 9.5 : f32}

mapping each site of `quantize` (a matmul with a 2-d float weight) to the largest
magnitude of that matmul's lhs over the data (`percentile=100`), or to the given
percentile of the magnitudes (`percentile=99.9` clips outliers). A site is named by its
weight, and a layer called twice has two sites with ranges of their own: `fc.weight`,
then `fc.weight#1` (`Site.key`).

How: a clone of the definition whose method also returns the lhs of each site
(`instrumented`) is compiled by a backend (`reference` or `torch`) and run on the data in
batches; the numbers are computed on the host. Two callers hold weights and data:

- the runtime's `quantize(model, "int8", mode="static", calibrate=DATA)`
  (`runtime/quantize.py`) calls `model_ranges` (`activation_ranges` with the model's own
  weights, its backend and the data set), writes the attribute with `record`, then runs
  `quantize{mode=static}`;
- `mopt -p calibrate` runs the `Calibrate` pass, registered with the runtime's passes
  (`runtime/passes.py`): it reads the data set named by `dataset` (a bundled name, or a
  `.csv` / `.npz` path) and the weights from `weights` (a `.safetensors` / `.pt` file with
  the definition's float parameter names), or, without one, initialises them as
  `instantiate` does after `seed(seed)`.

torch, a backend's code and the data sets are imported only when a model runs, so that
listing passes (`mopt --list-passes`) stays cheap.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import (
    DYNAMIC_INDEX, DictionaryAttr, FloatAttr, FunctionType, ModuleOp, TensorType, f32,
)
from xdsl.passes import ModulePass

from mlang.backends import Backend, RunOptions, get_backend
from mlang.dialects.model.structure import DefOp
from mlang.passes.lowering import is_tensor_level, not_tensor_level
from mlang.passes.quantize import CALIBRATION, find_sites
from mlang.support.diagnostics import CompileError, UserError
from mlang.support.ir_verification import op_loc
from mlang.support.language_options import BUILTIN_DATASETS
from mlang.support.pass_statistics import Statistic

if TYPE_CHECKING:
    import torch

    from mlang.runtime.datasets import Dataset
    from mlang.runtime.model import ModelInstance

BACKENDS = ("reference", "torch")
MODEL_BATCH = 256
"""The batch size of `model_ranges`."""


def instrumented(definition: DefOp, method: str) -> tuple[DefOp, list[str]]:
    """A clone of `definition` whose `method` also returns the lhs of each of its sites,
    and the key of each site, in the order of the extra results."""
    clone = definition.clone()
    f = clone.methods[method]
    sites = [s for s in find_sites(clone) if s.matmul.parent_op() is f]
    ret = f.body.block.last_op
    assert isinstance(ret, func.ReturnOp)
    observed = [s.matmul.lhs for s in sites]
    new_ret = func.ReturnOp(*ret.arguments, *observed)
    f.body.block.insert_op_before(new_ret, ret)
    f.body.block.erase_op(ret)
    outputs = [*f.function_type.outputs.data, *(v.type for v in observed)]
    f.function_type = FunctionType.from_lists(f.function_type.inputs.data, outputs)
    return clone, [s.key for s in sites]


def activation_ranges(definition: DefOp, params: Mapping[str, torch.Tensor],
                      batches: Iterable[torch.Tensor | list[torch.Tensor]], backend: Backend,
                      percentile: float = 100.0, method: str = "forward") -> dict[str, float]:
    """The range of the activations at each site of `method`, by site key, over batches
    of its one input (a tensor) or of its inputs (a list)."""
    import numpy as np
    import torch

    clone, keys = instrumented(definition, method)
    if not keys:
        return {}
    compiled = backend.compile(clone)
    outputs = len(definition.methods[method].function_type.outputs.data)
    seen: dict[str, list[torch.Tensor]] = {key: [] for key in keys}
    with torch.no_grad():
        for xb in batches:
            args = [xb] if isinstance(xb, torch.Tensor) else xb
            results = compiled.run(method, params, args, RunOptions())
            for key, value in zip(keys, results[outputs:]):
                assert isinstance(value, torch.Tensor)
                magnitudes = value.detach().abs().reshape(-1).float().cpu()
                if percentile >= 100.0:
                    magnitudes = magnitudes.amax().reshape(1)
                seen[key].append(magnitudes)
    ranges = {}
    for key, parts in seen.items():
        values = torch.cat(parts).numpy()
        ranges[key] = float(np.percentile(values, percentile) if percentile < 100
                            else values.max())
    return ranges


def model_ranges(model: ModelInstance, definition: DefOp, data: Dataset,
                 backend: Backend) -> dict[str, float]:
    """The ranges of `model`'s activations over `data`, running `definition` (the model's,
    lowered) with the model's float weights."""
    from mlang.runtime.datasets import take_rows
    from mlang.runtime.model import check_inputs
    from mlang.runtime.training import check_features

    # Data sets live on the CPU; the batches go where the parameters are (as in `fit`).
    device = next((p.device for p in model.params.values()), data.x.device)
    check_features(model, data.inputs)
    batches = []
    for lo in range(0, len(data), MODEL_BATCH):
        xb = take_rows(data.inputs, slice(lo, lo + MODEL_BATCH))
        args = [a.to(device) for a in model.forward_arguments(xb)]
        check_inputs(model, "forward", args)
        batches.append(args)
    return activation_ranges(definition, model.params, batches, backend)


def record(definition: DefOp, ranges: Mapping[str, float]) -> None:
    """Writes `ranges` as the definition's `calibration` attribute."""
    definition.attributes[CALIBRATION] = DictionaryAttr(
        {name: FloatAttr(value, f32) for name, value in sorted(ranges.items())}
    )


def _initial_weights(definition: DefOp, seed: int) -> dict[str, torch.Tensor]:
    """Parameters as `instantiate` draws them after `seed(seed)`."""
    import torch

    from mlang.backends.reference.init import init_parameter

    torch.manual_seed(seed)
    return {
        p.sym_name.data: init_parameter(p.init.data, tuple(p.param_type.get_shape()),
                                        p.scale.value.data)
        for p in definition.params
    }


@dataclass(frozen=True)
class Calibrate(ModulePass):
    """Records activation ranges of each model.def's matmuls from a data set (mopt)."""

    name = "calibrate"

    dataset: str = ""
    samples: int = 256
    batch: int = 256
    percentile: float = 100.0
    backend: str = "reference"
    weights: str = ""
    seed: int = 0
    method: str = "forward"

    ranges_recorded: ClassVar[Statistic] = Statistic(
        "ranges-recorded", "Number of sites given an activation range"
    )

    def __post_init__(self) -> None:
        if not 0.0 < self.percentile <= 100.0:
            raise ValueError(f"percentile must be in (0, 100], got {self.percentile}")
        if self.backend not in BACKENDS:
            raise ValueError(f"unknown backend '{self.backend}', expected one of "
                             f"{', '.join(BACKENDS)}")
        if self.samples < 1 or self.batch < 1:
            raise ValueError("samples and batch must be positive")

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        """Calibrates every `model.def` of the module."""
        for definition in [d for d in op.walk() if isinstance(d, DefOp)]:
            try:
                ranges = self.calibrate(definition)
            except UserError as err:
                raise CompileError(op_loc(definition), f"calibrate: {err}") from None
            record(definition, ranges)
            self.ranges_recorded.add(len(ranges))

    def calibrate(self, definition: DefOp) -> dict[str, float]:
        """The ranges of one definition, from the data set and weights the options name."""
        from mlang.runtime.datasets import builtin_dataset
        from mlang.runtime.loading import load_dataset
        from mlang.runtime.model import features_as_input
        from mlang.runtime.weights import assign_state_dict, read_state_dict

        if not self.dataset:
            raise UserError("needs a data set: calibrate{dataset=digits} (a bundled name or "
                            "a .csv or .npz path)")
        if self.method not in definition.methods:
            raise UserError(f"model.def @{definition.sym_name.data} has no method "
                            f"'{self.method}'")
        illegal = [o for o in definition.methods[self.method].body.walk()
                   if not is_tensor_level(o)]
        if illegal:
            raise UserError(not_tensor_level(illegal[0], "calibrate"))
        data = (builtin_dataset(self.dataset) if self.dataset in BUILTIN_DATASETS
                else load_dataset(self.dataset))
        params = _initial_weights(definition, self.seed)
        if self.weights:
            assign_state_dict(params, read_state_dict(self.weights))
        x = features_as_input(data.x[: self.samples],
                              definition.methods[self.method].function_type.inputs.data)
        self._check_input(definition, x)
        batches = (x[i:i + self.batch] for i in range(0, len(x), self.batch))
        return activation_ranges(definition, params, batches, get_backend(self.backend),
                                 self.percentile, self.method)

    def _check_input(self, definition: DefOp, x: torch.Tensor) -> None:
        """The data's features must fit the method's one input: f32, or integer ids when
        the features are whole numbers."""
        inputs = definition.methods[self.method].function_type.inputs.data
        t = inputs[0] if len(inputs) == 1 else None
        ok = (isinstance(t, TensorType) and t.get_num_dims() == x.dim()
              and (t.element_type == f32 or not x.is_floating_point()))
        if ok:
            assert isinstance(t, TensorType)
            ok = all(d in (DYNAMIC_INDEX, n) for d, n in zip(t.get_shape(), x.shape))
        if not ok:
            raise UserError(f"the data set's features {list(x.shape)} do not fit the inputs "
                            f"of {self.method}: {', '.join(str(i) for i in inputs)}")
