"""Model structure: definitions, parameters, instances and method calls."""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects import func
from xdsl.dialects.builtin import (
    DYNAMIC_INDEX, DictionaryAttr, FloatAttr, StringAttr, SymbolNameConstraint, SymbolRefAttr,
    TensorType, f64,
)
from xdsl.ir import Attribute, Block, Region, SSAValue
from xdsl.irdl import (
    IRDLOperation, irdl_op_definition, operand_def, prop_def, region_def, result_def,
    traits_def, var_operand_def, var_result_def,
)
from xdsl.traits import IsolatedFromAbove, NoTerminator, Pure, SymbolOpInterface, SymbolTable
from xdsl.utils.exceptions import VerifyException

from mlang.dialects.model.types import ModelType


def symbol_name(ref: SymbolRefAttr) -> str:
    """The dotted name a symbol reference stands for: `fc1.weight` for `@fc1.weight`.

    What xDSL's `SymbolRefAttr.string_value()` returns, typed (xDSL leaves it unannotated).
    """
    return ".".join([ref.root_reference.data, *(r.data for r in ref.nested_references)])


INIT_KINDS = ("uniform", "normal", "ones", "zeros", "full")


def _agree(given: Attribute, declared: Attribute) -> bool:
    """Whether a value of type `given` may stand for one of type `declared` in a call:
    ranked tensors agree in rank and in the sizes both know; anything else (a host
    number for a 0-d tensor, a tensor whose rank is known only at run time) is checked
    when the call runs."""
    if not (isinstance(given, TensorType) and isinstance(declared, TensorType)):
        return True
    return given.get_num_dims() == declared.get_num_dims() and all(
        DYNAMIC_INDEX in (a, b) or a == b for a, b in zip(given.get_shape(), declared.get_shape()))


@irdl_op_definition
class DefOp(IRDLOperation):
    """A specialised model: its parameters and its methods (`func.func`s).

    ```
    model.def @Classifier_64_10 attributes {source = "Classifier", hparams = {...}} {
      model.param @fc1.weight : tensor<10x64xf32> init "uniform" (1.25e-01 : f64)
      model.tie @head.weight = @fc1.weight
      func.func @forward(%x: tensor<?x64xf32>) -> tensor<?x10xf32> { ... }
    }
    ```
    """

    name = "model.def"
    sym_name = prop_def(SymbolNameConstraint())
    body = region_def("single_block")
    traits = traits_def(SymbolOpInterface(), SymbolTable(), NoTerminator(), IsolatedFromAbove())
    assembly_format = "$sym_name attr-dict-with-keyword $body"

    def __init__(self, name: str, source: str, hparams: dict[str, Attribute]):
        super().__init__(
            properties={"sym_name": StringAttr(name)},
            attributes={"source": StringAttr(source), "hparams": DictionaryAttr(hparams)},
            regions=[Region(Block())],
        )

    @property
    def params(self) -> list[ParamOp]:
        """The parameter declarations, in definition order."""
        return [op for op in self.body.block.ops if isinstance(op, ParamOp)]

    @property
    def ties(self) -> dict[str, str]:
        """Each tied parameter's name and the name of the parameter it is the same tensor as."""
        return {symbol_name(op.target): symbol_name(op.source)
                for op in self.body.block.ops if isinstance(op, TieOp)}

    @property
    def buffers(self) -> set[str]:
        """The names of the parameters declared as buffers (saved, never trained)."""
        return {p.sym_name.data for p in self.params if BUFFER_ATTR in p.attributes}

    @property
    def methods(self) -> dict[str, func.FuncOp]:
        """The methods by name."""
        return {
            op.sym_name.data: op for op in self.body.block.ops if isinstance(op, func.FuncOp)
        }

    def verify_(self) -> None:
        if "forward" not in self.methods:
            raise VerifyException(f"model.def @{self.sym_name.data} has no 'forward' method")
        for op in self.body.block.ops:
            if not isinstance(op, (ParamOp, TieOp, func.FuncOp)):
                raise VerifyException(
                    f"model.def may only hold model.param, model.tie and func.func, not {op.name}"
                )
        self.verify_param_reads()
        self.verify_ties()

    def verify_ties(self) -> None:
        """Each tie joins two declared parameters of one type; a tied parameter is tied
        once and to a parameter that is itself not tied (one tensor, one owner)."""
        declared = {p.sym_name.data: p.param_type for p in self.params}
        ties = self.ties
        for target, source in ties.items():
            for name in (target, source):
                if name not in declared:
                    raise VerifyException(f"model.tie: no parameter @{name} in "
                                          f"@{self.sym_name.data}")
            if declared[target] != declared[source]:
                raise VerifyException(f"model.tie: @{target} is {declared[target]} but "
                                      f"@{source} is {declared[source]}")
            if source in ties or target == source:
                raise VerifyException(f"model.tie: @{source} is itself tied; tie @{target} "
                                      "to the parameter it is tied to")

    def verify_param_reads(self) -> None:
        """Checks every `model.get_param` against the declarations, in one pass over the
        body (a symbol-table lookup per read would make verification quadratic)."""
        declared = {p.sym_name.data: p.param_type for p in self.params}
        for op in self.body.walk():
            if not isinstance(op, GetParamOp):
                continue
            name = symbol_name(op.param)
            if name not in declared:
                raise VerifyException(
                    f"model.get_param: no parameter @{name} in @{self.sym_name.data}"
                )
            if declared[name] != op.result.type:
                raise VerifyException(
                    f"model.get_param: @{name} has type {declared[name]}, not {op.result.type}"
                )


BUFFER_ATTR = "buffer"
"""The unit attribute of a `model.param` that declares a buffer (saved, not trained)."""

ZERO_ROW_ATTR = "zero_row"
"""The integer attribute of a `model.param` whose row of that index is zeroed after the
initial values are drawn (an Embedding's `padding_idx`, as PyTorch initialises it)."""

SCALE_SUFFIX = ".scale"
"""The scale of int8 weight `W` is the parameter `W.scale` (written by the `quantize` pass)."""


@irdl_op_definition
class ParamOp(IRDLOperation):
    """Declares a parameter of a model, its shape and its initialiser.

    `init` is one of `uniform` (U(-scale, scale)), `normal` (N(0, scale)), `ones`, `zeros`,
    `full` (every element `scale`). A `{buffer}` attribute makes it a buffer: saved and
    loaded as a parameter, never trained.
    """

    name = "model.param"
    sym_name = prop_def(SymbolNameConstraint())
    param_type = prop_def(TensorType)
    init = prop_def(StringAttr)
    scale = prop_def(FloatAttr)
    traits = traits_def(SymbolOpInterface())
    assembly_format = "$sym_name `:` $param_type `init` $init `(` $scale `)` attr-dict"

    def __init__(self, name: str, type: TensorType, init: str, scale: float):
        super().__init__(
            properties={
                "sym_name": StringAttr(name),
                "param_type": type,
                "init": StringAttr(init),
                "scale": FloatAttr(scale, f64),
            }
        )

    def verify_(self) -> None:
        if self.init.data not in INIT_KINDS:
            raise VerifyException(
                f"model.param: unknown init '{self.init.data}', expected one of "
                + ", ".join(INIT_KINDS)
            )
        if not self.param_type.has_static_shape():
            raise VerifyException("model.param: a parameter must have a static shape")


@irdl_op_definition
class TieOp(IRDLOperation):
    """Makes parameter `target` the same tensor as parameter `source` (`tie A = B`):
    training updates one tensor; a state dict lists both names.

    ```
    model.tie @lm_head.weight = @wte.weight
    ```
    """

    name = "model.tie"
    target = prop_def(SymbolRefAttr)
    source = prop_def(SymbolRefAttr)
    assembly_format = "$target `=` $source attr-dict"

    def __init__(self, target: str, source: str):
        super().__init__(properties={"target": SymbolRefAttr(target),
                                     "source": SymbolRefAttr(source)})

    def verify_(self) -> None:
        # The declarations are checked by the enclosing model.def, with all its ties.
        if not isinstance(self.parent_op(), DefOp):
            raise VerifyException("model.tie must be directly inside a model.def")


@irdl_op_definition
class GetParamOp(IRDLOperation):
    """Reads a parameter of the enclosing model by its symbol, `@fc1.weight`."""

    name = "model.get_param"
    param = prop_def(SymbolRefAttr)
    result = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = "$param attr-dict `:` type($result)"

    def __init__(self, param: str, type: TensorType):
        super().__init__(properties={"param": SymbolRefAttr(param)}, result_types=[type])

    def verify_(self) -> None:
        # The declaration itself is checked by the enclosing model.def, in one pass.
        model = self.parent_op()
        while model is not None and not isinstance(model, DefOp):
            model = model.parent_op()
        if model is None:
            raise VerifyException("model.get_param must be inside a model.def")


@irdl_op_definition
class InstantiateOp(IRDLOperation):
    """Creates a fresh instance of a model definition, its parameters initialised."""

    name = "model.instantiate"
    definition = prop_def(SymbolRefAttr)
    result = result_def(ModelType)
    assembly_format = "$definition attr-dict `:` type($result)"

    def __init__(self, definition: str):
        super().__init__(
            properties={"definition": SymbolRefAttr(definition)},
            result_types=[ModelType(StringAttr(definition))],
        )

    def verify_(self) -> None:
        assert isinstance(self.result.type, ModelType)
        if self.result.type.model_name.data != self.definition.root_reference.data:
            raise VerifyException(
                f"model.instantiate: result type {self.result.type} must name the "
                f"definition {self.definition}"
            )
        if _definition(self, self.definition.root_reference.data) is None:
            raise VerifyException(f"model.instantiate: no model.def {self.definition} in "
                                  "this module")


def _definition(op: IRDLOperation, name: str) -> DefOp | None:
    """The `model.def @name` of the module around `op`; None when there is none, and
    when `op` is in no module (a definition is checked once it is in one)."""
    found = SymbolTable.lookup_symbol(op, name) if _in_module(op) else None
    return found if isinstance(found, DefOp) else None


def _in_module(op: IRDLOperation) -> bool:
    """Whether `op` lies inside a symbol table (a module) it can look definitions up in."""
    parent = op.parent_op()
    while parent is not None:
        if parent.has_trait(SymbolTable) and not isinstance(parent, DefOp):
            return True
        parent = parent.parent_op()
    return False


@irdl_op_definition
class CallOp(IRDLOperation):
    """Calls a method of a model instance from the host program: `net(x)`, `net.encode(x)`."""

    name = "model.call"
    model = operand_def(ModelType)
    method = prop_def(SymbolRefAttr)
    args = var_operand_def()
    res = var_result_def()
    assembly_format = (
        "$model $method `(` $args `)` attr-dict `:` type($model) `,` "
        "functional-type($args, $res)"
    )

    def __init__(
        self, model: SSAValue, method: str, args: Sequence[SSAValue], results: Sequence[Attribute]
    ):
        super().__init__(
            operands=[model, args],
            properties={"method": SymbolRefAttr(method)},
            result_types=[results],
        )

    def verify_(self) -> None:
        """The method exists in the model's definition (where the module holds it) and
        takes and gives as many values as the call, of agreeing ranks and sizes."""
        t = self.model.type
        assert isinstance(t, ModelType)
        definition = None if t.is_dynamic else _definition(self, t.model_name.data)
        if definition is None:
            return
        name = self.method.root_reference.data
        method = definition.methods.get(name)
        if method is None:
            raise VerifyException(f"model.call: model.def @{t.model_name.data} has no method "
                                  f"@{name}")
        ftype = method.function_type
        for what, given, declared in (("argument", self.args.types, ftype.inputs.data),
                                      ("result", self.res.types, ftype.outputs.data)):
            if len(given) != len(declared):
                raise VerifyException(f"model.call: the call has {len(given)} {what}(s) where "
                                      f"@{name} has {len(declared)}")
            for i, (a, b) in enumerate(zip(given, declared)):
                if not _agree(a, b):
                    raise VerifyException(f"model.call: {what} {i} of @{name} is {b}, the "
                                          f"call's {a}")
