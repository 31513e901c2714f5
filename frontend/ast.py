"""The M abstract syntax tree: frozen dataclasses, each carrying its source `Loc`.

The parser builds it, `frontend.irgen` walks it. Sugar is removed by the parser:
`a |> f(k=v)` is a `Call` of `f` with `a` prepended, `model M(...) = A |> B` is a
`ModelDecl` whose `stages` hold the stage expressions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from mlang.support.diagnostics import Loc

# ---------------------------------------------------------------------------- types


@dataclass(frozen=True)
class Dim:
    """One dimension of a tensor type: `kind` is "int" (value int), "name" (value str) or "any"."""

    loc: Loc
    kind: str
    value: int | str | None = None


@dataclass(frozen=True)
class TensorTypeExpr:
    """`f32[N, 64]`: a dtype name and its dimensions (empty for a 0-d tensor)."""

    loc: Loc
    dtype: str
    dims: tuple[Dim, ...]


@dataclass(frozen=True)
class ScalarTypeExpr:
    """`int`, `float`, `bool` or `str`."""

    loc: Loc
    name: str


@dataclass(frozen=True)
class TupleTypeExpr:
    """`(f32[N], f32[N])`: a tuple of types, allowed as a function result."""

    loc: Loc
    elts: tuple[TypeExpr, ...]


TypeExpr = Union[TensorTypeExpr, ScalarTypeExpr, TupleTypeExpr]

# ---------------------------------------------------------------------- expressions


@dataclass(frozen=True)
class Name:
    """A name: a variable, a model, a function, a dtype (`f32`) or `none`."""

    loc: Loc
    id: str


@dataclass(frozen=True)
class IntLit:
    """An integer literal (arbitrary size; range is checked later)."""

    loc: Loc
    value: int


@dataclass(frozen=True)
class FloatLit:
    """A float literal."""

    loc: Loc
    value: float


@dataclass(frozen=True)
class StrLit:
    """A string literal, escapes already decoded."""

    loc: Loc
    value: str


@dataclass(frozen=True)
class BoolLit:
    """`true` or `false`."""

    loc: Loc
    value: bool


@dataclass(frozen=True)
class ListLit:
    """`[a, b, c]`."""

    loc: Loc
    elts: tuple[Expr, ...]


@dataclass(frozen=True)
class TupleLit:
    """`(a, b)` (two or more elements, or `(a,)`)."""

    loc: Loc
    elts: tuple[Expr, ...]


@dataclass(frozen=True)
class BinOp:
    """A binary operator: `+ - * / @ ** == != < <= > >= and or`; loc is the operator's."""

    loc: Loc
    op: str
    lhs: Expr
    rhs: Expr


@dataclass(frozen=True)
class UnaryOp:
    """`-a` or `not a`."""

    loc: Loc
    op: str
    operand: Expr


@dataclass(frozen=True)
class Keyword:
    """`name=value` in a call."""

    loc: Loc
    name: str
    value: Expr


@dataclass(frozen=True)
class Call:
    """`f(a, b, k=v)`; `func` is any expression (a `Name` or an `Attribute` usually)."""

    loc: Loc
    func: Expr
    args: tuple[Expr, ...]
    kwargs: tuple[Keyword, ...]


@dataclass(frozen=True)
class Attribute:
    """`value.name`."""

    loc: Loc
    value: Expr
    name: str


@dataclass(frozen=True)
class Slice:
    """`lo:hi` or `lo:hi:step` inside a subscript; each part may be omitted (None)."""

    loc: Loc
    lo: Expr | None
    hi: Expr | None
    step: Expr | None


@dataclass(frozen=True)
class Subscript:
    """`value[i]`, `value[i:j]`, `value[:, 0]`: one item per subscripted dimension."""

    loc: Loc
    value: Expr
    items: tuple[Expr | Slice, ...]


@dataclass(frozen=True)
class Range:
    """`lo..hi` (hi excluded), as written after `for NAME in`."""

    loc: Loc
    lo: Expr
    hi: Expr


@dataclass(frozen=True)
class IfExp:
    """`a if cond else b`: `cond` must be known at compile time."""

    loc: Loc
    body: Expr
    cond: Expr
    orelse: Expr


@dataclass(frozen=True)
class ListComp:
    """`[elt for var in iter]`, the layers of a field (`layers = [Block(i) for i in 0..n]`)."""

    loc: Loc
    elt: Expr
    var: Name
    iter: Expr


Expr = Union[
    Name, IntLit, FloatLit, StrLit, BoolLit, ListLit, TupleLit, BinOp, UnaryOp, Call,
    Attribute, Subscript, Range, IfExp, ListComp,
]

# ----------------------------------------------------------------------- statements


@dataclass(frozen=True)
class Let:
    """`let a = e` (one name) or `let (a, b) = e` (`unpack` is True)."""

    loc: Loc
    names: tuple[Name, ...]
    value: Expr
    unpack: bool


@dataclass(frozen=True)
class Assign:
    """`a = e`: rebinding an existing variable."""

    loc: Loc
    target: Name
    value: Expr


@dataclass(frozen=True)
class ExprStmt:
    """An expression evaluated for its effect (usually a call)."""

    loc: Loc
    expr: Expr


@dataclass(frozen=True)
class Return:
    """`return e` or a bare `return`."""

    loc: Loc
    value: Expr | None


@dataclass(frozen=True)
class For:
    """`for x in iter { body }`; `iter` is a `Range` or any expression."""

    loc: Loc
    var: Name
    iter: Expr
    body: tuple[Stmt, ...]


@dataclass(frozen=True)
class If:
    """`if c { } else { }`; `else if` nests an `If` as the only else statement."""

    loc: Loc
    cond: Expr
    then: tuple[Stmt, ...]
    orelse: tuple[Stmt, ...]


@dataclass(frozen=True)
class Jump:
    """`break` or `continue` (`kind`), inside a loop."""

    loc: Loc
    kind: str


Stmt = Union[Let, Assign, ExprStmt, Return, For, If, Jump]

# --------------------------------------------------------------------- declarations


@dataclass(frozen=True)
class Param:
    """A hyper-parameter or function argument: `name: type` with an optional default."""

    loc: Loc
    name: str
    type: TypeExpr | None
    default: Expr | None


@dataclass(frozen=True)
class Field:
    """`name = LAYER-EXPRESSION` inside a model body, or a raw tensor field
    `param name: TYPE = INIT` / `buffer name: TYPE = INIT` (`kind` "param" or "buffer",
    `value` the initialiser)."""

    loc: Loc
    name: str
    value: Expr
    kind: str = "field"
    type: TensorTypeExpr | None = None


@dataclass(frozen=True)
class Tie:
    """`tie A = B` in a model body: parameter path `target` is the same tensor as `source`;
    with `if COND` (`tie A = B if tie_word_embeddings`), only where the compile-time
    `condition` holds."""

    loc: Loc
    target: str
    source: str
    source_loc: Loc
    condition: Expr | None = None


@dataclass(frozen=True)
class FnDecl:
    """`fn name(params) -> type { body }`: a method (inside a model) or a free function."""

    loc: Loc
    name: str
    params: tuple[Param, ...]
    result: TypeExpr | None
    body: tuple[Stmt, ...]


@dataclass(frozen=True)
class ModelDecl:
    """`model Name(hparams) { fields; methods }` or the sequential `= A |> B` form (stages)."""

    loc: Loc
    name: str
    hparams: tuple[Param, ...]
    fields: tuple[Field, ...]
    methods: tuple[FnDecl, ...]
    stages: tuple[Expr, ...] | None = None
    ties: tuple[Tie, ...] = ()


@dataclass(frozen=True)
class Import:
    """`import "path.m"`, relative to the importing file, or `import std.NAME`, a module
    of the standard library (`module` true, `path` the dotted name)."""

    loc: Loc
    path: str
    module: bool = False


Item = Union[ModelDecl, FnDecl, Import, Stmt]


@dataclass(frozen=True)
class Program:
    """A parsed source file: its declarations and host statements, in source order."""

    loc: Loc
    file: str
    items: tuple[Item, ...]
