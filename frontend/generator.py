"""What the parts of `IRGen` (frontend/irgen.py) share: the state of the program being
generated, and the methods one part calls on another.

`IRGen` is assembled from one part per job (statements, expressions, calls, models,
methods), each a class in its own module. A part calls the others through `self`, so each
derives from `IRGenBase`, which declares those methods; the part that defines one says
what it does. The type checker then knows every cross-part call, and that `IRGen` leaves
none of them undefined.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from xdsl.dialects.builtin import ModuleOp, TensorType

from mlang.dialects.model.structure import DefOp
from mlang.frontend import ast, limits
from mlang.frontend.emitter import Emitter
from mlang.frontend.scopes import Frame, Scope
from mlang.frontend.typecheck import Subst
from mlang.frontend.types import MType
from mlang.frontend.values import Dyn, Field, FieldPath, MethodRef, StaticValue, Value
from mlang.support.diagnostics import Loc

ModelKey = tuple[int, tuple[tuple[str, StaticValue], ...]]
"""A specialised model's key: its declaration's identity and its hyper-parameters."""


@dataclass
class ModelInfo:
    """A specialised model: its declaration, hyper-parameters, fields and `model.def`."""

    symbol: str
    decl: ast.ModelDecl
    hparams: dict[str, StaticValue]
    fields: dict[str, Field]
    scope: Scope
    definition: DefOp
    params: dict[str, tuple[str, TensorType]] = field(default_factory=dict)
    results: dict[str, MType] = field(default_factory=dict)
    field_methods: dict[str, list[ast.TypeExpr]] = field(default_factory=dict)
    """Methods made for the host's calls of fields (`@encoder.forward`): argument types."""


class IRGenBase(ABC):
    """The state and the cross-part methods of `IRGen`; each part derives from it."""

    module: ModuleOp
    globals: Scope
    """The program's declarations and the built-in names."""
    models: dict[ModelKey, ModelInfo]
    by_symbol: dict[str, ModelInfo]
    expanding: list[ast.ModelDecl]
    """The models whose fields are being made, outermost first (a model may not hold
    itself)."""
    slots: set[str]
    """Host variables assigned more than once: they live in variable slots."""
    slot_types: dict[str, MType]
    budget: limits.Budget

    # Statements (frontend/statements.py).

    @abstractmethod
    def block(self, stmts: tuple[ast.Stmt, ...] | list[ast.Stmt], frame: Frame) -> None:
        """Generates statements in order, stopping after a `return`."""

    @abstractmethod
    def tuple_get(self, value: Dyn[MType], i: int, frame: Frame, loc: Loc) -> Dyn[MType]:
        """Element `i` of a host tuple."""

    # Expressions (frontend/expressions.py).

    @abstractmethod
    def expr(self, e: ast.Expr, frame: Frame) -> Value:
        """Evaluates an expression to a compile-time value or emits the ops computing it."""

    # Calls (frontend/calls.py).

    @abstractmethod
    def call(self, e: ast.Call, frame: Frame) -> Value:
        """Any call: built-ins, layers, models, methods and functions."""

    @abstractmethod
    def keywords(self, e: ast.Call, frame: Frame) -> dict[str, Value]:
        """The keyword arguments of a call, each named once."""

    @abstractmethod
    def builtin_call(self, name: str, e: ast.Call, args: list[Value], kwargs: dict[str, Value],
                     frame: Frame) -> Value:
        """A built-in function."""

    @abstractmethod
    def inline_method(self, ref: MethodRef, e: ast.Call, args: list[Value],
                      kwargs: dict[str, Value], frame: Frame) -> Value:
        """Inlines a method of the enclosing model or of a sub-model field."""

    @abstractmethod
    def inline(self, decl: ast.FnDecl, parent: Scope, e: ast.Call, args: list[Value],
               kwargs: dict[str, Value], frame: Frame, model: Scope | None) -> Value:
        """Generates a function body in place, its parameters bound to the arguments."""

    @abstractmethod
    def finish(self, decl: ast.FnDecl, frame: Frame, subst: Subst, scope: Scope,
               loc: Loc) -> Value:
        """The value a function body returned, checked against its declared result."""

    @abstractmethod
    def host_method_call(self, owner: Dyn[MType], method: str, e: ast.Call, args: list[Value],
                         kwargs: dict[str, Value], frame: Frame) -> Value:
        """A method of a model instance called from the host program: a `model.call`."""

    # Models (frontend/models.py).

    @abstractmethod
    def instantiate(self, decl: ast.ModelDecl, e: ast.Call, args: list[Value],
                    kwargs: dict[str, Value], frame: Frame) -> Value:
        """Creates a model instance in the host program."""

    # Methods (frontend/methods.py).

    @abstractmethod
    def methods(self, info: ModelInfo) -> None:
        """Generates every method of a specialised model as a `func.func`."""

    @abstractmethod
    def apply_stages(self, decl: ast.ModelDecl, scope: Scope, x: Value, em: Emitter,
                     loc: Loc) -> Value:
        """Applies the stages of a sequential model to `x`."""

    @abstractmethod
    def field_call(self, fp: FieldPath, method: str, e: ast.Call, args: list[Value],
                   kwargs: dict[str, Value], frame: Frame) -> Value:
        """A method of a field of a model instance called from the host program."""
