"""IR generation, the frontend's last step: `IRGen` turns the declarations and host
statements of a parsed program into a `builtin.module` that holds a `model.def` per
specialised model and the host program as `func.func @main`.

Types and shapes are checked while the IR is built, not by a later pass: every value
carries its M type with symbolic sizes, and a mismatch is a `CompileError` at the node
that causes it. Model methods, sub-models and free functions called from a method are
inlined; `for` and `if` inside them are resolved at compile time.

`IRGen` is assembled from one part per job, each in its own module: statements
(frontend/statements.py), expressions (frontend/expressions.py), calls and built-ins
(frontend/calls.py), specialisation of models (frontend/models.py) and their methods
(frontend/methods.py), each deriving from `IRGenBase` (frontend/generator.py), which
declares the state they share and the methods one calls on another; the scopes and frames
they share are in frontend/scopes.py.
"""

from __future__ import annotations

from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Block, Region

from mlang.frontend import ast, limits
from mlang.frontend.calls import CallGen
from mlang.frontend.emitter import Emitter
from mlang.frontend.expressions import ExpressionGen
from mlang.frontend.methods import MethodGen
from mlang.frontend.generator import ModelInfo, ModelKey
from mlang.frontend.models import ModelGen
from mlang.frontend import generation  # noqa: F401 - registers the host function generate
from mlang.frontend import pretrained  # noqa: F401 - registers the host function pretrained
from mlang.frontend.scopes import Frame, Scope, builtin_names
from mlang.frontend.statements import SlotWidened, StatementGen, assigned_names
from mlang.frontend.types import MType
from mlang.frontend.values import FnRef, ModelClass
from mlang.support.diagnostics import Loc


class IRGen(StatementGen, ExpressionGen, CallGen, ModelGen, MethodGen):
    """Generates the IR of one program (its imports already merged into `decls`)."""

    def __init__(self, decls: list[ast.ModelDecl | ast.FnDecl], statements: list[ast.Stmt],
                 widened: dict[str, MType] | None = None):
        self.decls = decls
        self.module = ModuleOp([])
        self.statements = statements
        self.models: dict[ModelKey, ModelInfo] = {}
        self.expanding: list[ast.ModelDecl] = []
        self.by_symbol: dict[str, ModelInfo] = {}
        self.globals = Scope(None, builtin_names())
        for d in decls:
            self.globals.names[d.name] = ModelClass(d) if isinstance(d, ast.ModelDecl) else FnRef(d)
        self.slots = assigned_names(statements)
        self.widened = dict(widened or {})
        """Host variables whose types an earlier attempt widened (see `SlotWidened`)."""
        self.slot_types: dict[str, MType] = dict(self.widened)
        self.budget = limits.Budget()

    def generate(self, end: Loc) -> ModuleOp:
        """Builds the module: models as they are instantiated, then `func.func @main`;
        again with a wider type for a host variable assigned tensors of several sizes."""
        try:
            return self.generate_once(end)
        except SlotWidened as w:
            wider = {**self.widened, w.name: w.type}
            return IRGen(self.decls, self.statements, wider).generate(end)

    def generate_once(self, end: Loc) -> ModuleOp:
        """Builds the module with the host variables' types as they are known now."""
        block = Block()
        frame = Frame(Emitter(block, in_model=False), Scope(self.globals))
        self.block(self.statements, frame)
        ret = frame.em.insert(func.ReturnOp(), end)
        main = func.FuncOp("main", ((), ()), Region(block))
        main.location = ret.location
        self.module.body.block.add_op(main)
        return self.module
