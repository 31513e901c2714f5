"""The M parser: recursive descent from `lexer` tokens to the `frontend.ast` tree.

Each node carries the location of its first token, except a `BinOp` (its operator's) and
the calls that `a |> f` becomes (the `|>`'s). Errors are `CompileError`s at the offending
token: "expected ')' but found 'x'", "unexpected end of file; expected an expression".
Chains that can grow without brackets (`- - x`, `not not x`, `a ** b ** c`, `else if`) are
parsed in loops, so only bracket nesting recurses, and the lexer bounds it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import pairwise
from pathlib import Path
from typing import TypeVar, cast

from mlang.frontend.ast import (
    Assign, Attribute, BinOp, BoolLit, Call, Dim, Expr, ExprStmt, Field, FloatLit, FnDecl, For,
    If, IfExp, Import, IntLit, Item, Jump, Keyword, Let, ListComp, ListLit, ModelDecl, Name,
    Param, Program, Range, Return, ScalarTypeExpr, Slice, Stmt, StrLit, Subscript,
    TensorTypeExpr, Tie, TupleLit, TupleTypeExpr, TypeExpr, UnaryOp,
)
from mlang.frontend.lexer import (
    EOF, FLOAT, INT, KEYWORDS, NAME, STRING, Token, decode_source, tokenize,
)
from mlang.frontend.token_stream import TERMINATORS, TokenStream
from mlang.support.diagnostics import CompileError, Loc

T = TypeVar("T")

_DTYPES = frozenset("f32 f16 bf16 f64 i64 i32 i8 bool".split())
_SCALAR_TYPES = frozenset("int float bool str".split())

# Binding power of the binary operators; `not` sits between `and` and the comparisons.
_OR, _AND, _NOT, _COMPARE, _SUM, _PRODUCT = range(1, 7)
_BINARY_PRECEDENCE = {
    "or": _OR,
    "and": _AND,
    **dict.fromkeys(("==", "!=", "<", "<=", ">", ">="), _COMPARE),
    "+": _SUM,
    "-": _SUM,
    "*": _PRODUCT,
    "/": _PRODUCT,
    "//": _PRODUCT,
    "@": _PRODUCT,
}

_LITERALS: dict[str, Callable[..., Expr]] = {INT: IntLit, FLOAT: FloatLit, STRING: StrLit}


# Words that start a model member only where a field name could not stand.
_TENSOR_FIELDS = ("param", "buffer")

# Keywords that also read as a name in a method, where a field may carry them (`model(x)`,
# `in.weight`): followed by one of `_NAME_FOLLOWERS` where an expression starts, they cannot
# begin anything else. At the start of a statement only those that begin no statement do.
_NAME_FOLLOWERS = ("(", ".", "[")
_EXPRESSION_KEYWORDS = frozenset(("true", "false", "not"))
_STATEMENT_KEYWORDS = frozenset(("let", "for", "if", "else", "return", "break", "continue"))

_MISPLACED_DECLARATION = {
    "model": "'model' is only allowed at the top level",
    "import": "'import' is only allowed at the top level",
    "fn": "'fn' is only allowed at the top level or in a model",
}


def parse_program(text: str, file: str) -> Program:
    """Parses the source text of `file` into a Program."""
    return _Parser(tokenize(text, file), file).parse_program()


def parse_file(path: str | Path) -> Program:
    """Reads, decodes and parses the file at `path`."""
    file = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as err:
        raise CompileError(None, f"cannot read '{file}': {err.strerror}") from None
    return parse_program(decode_source(data, file), file)


def _pipe_call(loc: Loc, arg: Expr, stage: Expr) -> Call:
    """Desugars `arg |> stage`: `f` becomes `f(arg)`, `f(x, k=v)` becomes `f(arg, x, k=v)`."""
    if isinstance(stage, Call):
        return Call(loc, stage.func, (arg, *stage.args), stage.kwargs)
    return Call(loc, stage, (arg,), ())


def _negate(signs: list[Token], expr: Expr) -> Expr:
    """Applies the prefix `-` tokens `signs` to `expr`, innermost last."""
    for sign in reversed(signs):
        expr = UnaryOp(sign.loc, "-", expr)
    return expr


class _Parser(TokenStream):
    """The state of one parse: the tokens, the position and whether in a function body."""

    def __init__(self, tokens: list[Token], file: str):
        super().__init__(tokens, file)
        self.in_function = False
        self.loops = 0  # how many loops enclose the statement being parsed

    # ------------------------------------------------------------------ declarations

    def parse_program(self) -> Program:
        """Parses the whole token list."""
        items: list[Item] = []
        self.skip_terminators()
        while not self.at(EOF):
            items.append(self.parse_item())
            self.end_statement()
        return Program(Loc(self.file, 1, 1), self.file, tuple(items))

    def parse_item(self) -> Item:
        """Parses a top-level declaration or host statement."""
        if self.at("model"):
            return self.parse_model()
        if self.at("fn"):
            return self.parse_fn()
        if self.at("import"):
            return self.parse_import()
        return self.parse_statement()

    def parse_import(self) -> Import:
        """Parses `import "path.m"` or `import std.NAME`."""
        tok = self.expect("import")
        if not (self.at(NAME) and self.peek().text == "std"):
            path = self.expect(STRING, "a path string after 'import'").value
            return Import(tok.loc, cast(str, path))
        parts = [self.advance().text]
        while self.accept("."):
            parts.append(self.expect(NAME, "a name after '.'").text)
        return Import(tok.loc, ".".join(parts), module=True)

    def parse_model(self) -> ModelDecl:
        """Parses `model NAME(PARAMS) { ... }` or `model NAME(PARAMS) = STAGE |> ...`."""
        tok = self.expect("model")
        name = self.expect(NAME, "a model name").text
        hparams = self.parse_params()
        if self.accept("="):
            stages = self.parse_stages()
            return ModelDecl(tok.loc, name, hparams, (), (), stages)
        self.skip_newline_before("{")
        if not self.at("{"):
            raise self.error_expected("'{' or '='")
        members = self.parse_braced(self.parse_model_member)
        fields = tuple(m for m in members if isinstance(m, Field))
        methods = tuple(m for m in members if isinstance(m, FnDecl))
        ties = tuple(m for m in members if isinstance(m, Tie))
        reject_duplicates(methods, "method")
        return ModelDecl(tok.loc, name, hparams, fields, methods, ties=ties)

    def parse_stages(self) -> tuple[Expr, ...]:
        """Parses the operands of a sequential model's `|>` chain, without desugaring."""
        stages = [self.parse_binary(_OR)]
        while self.accept("|>"):
            stages.append(self.parse_binary(_OR))
        return tuple(stages)

    def parse_model_member(self) -> Field | FnDecl | Tie:
        """Parses a field `NAME = EXPR` (NAME may be a keyword), a tensor field
        `param NAME: TYPE = EXPR` or `buffer ...`, a `tie A = B` or a method `fn ...`."""
        if self.at("fn") and self.peek(1).kind != "=":
            return self.parse_fn()
        if self.is_field_name(self.peek()) and self.peek(1).kind == "=":
            name = self.advance()
            self.advance()
            return Field(name.loc, name.text, self.parse_expr())
        word = self.peek()
        if word.kind == NAME and word.text in _TENSOR_FIELDS and self.is_field_name(self.peek(1)):
            return self.parse_tensor_field()
        if word.kind == NAME and word.text == "tie" and self.is_field_name(self.peek(1)):
            return self.parse_tie()
        raise self.error_expected("a field 'NAME = ...' or a method 'fn ...'")

    @staticmethod
    def is_field_name(tok: Token) -> bool:
        """Whether a token can name a field: a name or a keyword (Hugging Face's names)."""
        return tok.kind == NAME or tok.kind in KEYWORDS

    def is_field_keyword(self, tok: Token, statement: bool = False) -> bool:
        """Whether `tok` (the next token) is a keyword that names a field in a method, where
        an expression (or, with `statement`, a statement) starts."""
        taken = _EXPRESSION_KEYWORDS | (_STATEMENT_KEYWORDS if statement else frozenset())
        return (self.in_function and tok.kind in KEYWORDS and tok.kind not in taken
                and self.peek(1).kind in _NAME_FOLLOWERS)

    def parse_tensor_field(self) -> Field:
        """Parses `param NAME: TYPE = EXPR` or `buffer NAME: TYPE = EXPR`."""
        word = self.advance()
        name = self.advance()
        self.expect(":", f"':' and the tensor type of {word.text} '{name.text}'")
        type_ = self.parse_type()
        if not isinstance(type_, TensorTypeExpr):
            raise CompileError(type_.loc, f"{word.text} '{name.text}' must have a tensor type "
                                          "such as f32[4, 8]")
        if not self.accept("="):
            raise CompileError(name.loc, f"{word.text} '{name.text}' needs an initialiser: "
                                         f"{word.text} {name.text}: TYPE = zeros([...])")
        return Field(name.loc, name.text, self.parse_expr(), word.text, type_)

    def parse_tie(self) -> Tie:
        """Parses `tie A = B [if COND]`, each a dotted parameter path (`lm_head.weight`)."""
        tok = self.advance()
        target = self.parse_path()
        self.expect("=", "'=' in 'tie A = B'")
        source_loc = self.peek().loc
        if not self.is_field_name(self.peek()):
            raise self.error_expected("a parameter path such as wte.weight")
        source = self.parse_path()
        condition = self.parse_expr() if self.accept("if") else None
        return Tie(tok.loc, target, source, source_loc, condition)

    def parse_path(self) -> str:
        """Parses a parameter path `a.b.0.c` (or `a.b[0].c`) as its dotted text."""
        parts = [self.advance().text]
        while self.at(".", "["):
            if self.accept("["):
                parts.append(self.expect(INT, "an index").text)
                self.expect("]")
                continue
            self.advance()
            tok = self.peek()
            if not (self.is_field_name(tok) or tok.kind == INT):
                raise self.error_expected("a field name after '.'")
            parts.append(self.advance().text)
        return ".".join(parts)

    def parse_fn(self) -> FnDecl:
        """Parses `fn NAME(PARAMS) -> TYPE { BODY }`; the result type is optional."""
        tok = self.expect("fn")
        name = self.expect(NAME, "a function name").text
        params = self.parse_params()
        result = self.parse_type() if self.accept("->") else None
        self.in_function = True
        body = self.parse_braced(self.parse_statement)
        self.in_function = False
        return FnDecl(tok.loc, name, params, result, body)

    def parse_params(self) -> tuple[Param, ...]:
        """Parses `(NAME: TYPE = DEFAULT, ...)`, types and defaults optional."""
        self.expect("(")
        params = self.parse_comma_list(")", self.parse_param)
        for before, param in pairwise(params):
            if before.default is not None and param.default is None:
                raise CompileError(
                    param.loc, "a parameter without a default cannot follow one with a default"
                )
        reject_duplicates(params, "parameter")
        return params

    def parse_param(self) -> Param:
        """Parses one `NAME: TYPE = DEFAULT`."""
        name = self.expect(NAME, "a parameter name")
        type_ = self.parse_type() if self.accept(":") else None
        default = self.parse_expr() if self.accept("=") else None
        return Param(name.loc, name.text, type_, default)

    # ------------------------------------------------------------------------- types

    def parse_type(self) -> TypeExpr:
        """Parses `f32[N, 4]`, `int`, or a tuple of types `(f32[N], f32[N])`."""
        tok = self.peek()
        if tok.kind == "(":
            return self.parse_parenthesized(self.parse_type, TupleTypeExpr)
        if tok.kind != NAME:
            raise self.error_expected("a type")
        if tok.text in _DTYPES and self.peek(1).kind == "[":
            self.advance()
            self.advance()
            return TensorTypeExpr(tok.loc, tok.text, self.parse_comma_list("]", self.parse_dim))
        if tok.text in _SCALAR_TYPES:
            return ScalarTypeExpr(self.advance().loc, tok.text)
        if tok.text in _DTYPES:
            self.advance()
            raise self.error_expected(f"'[' after the tensor dtype '{tok.text}'")
        raise CompileError(
            tok.loc, f"unknown type '{tok.text}'; expected int, float, bool, str or DTYPE[...]"
        )

    def parse_dim(self) -> Dim:
        """Parses one tensor dimension: an integer, a name or `?`."""
        tok = self.peek()
        if tok.kind == INT:
            return Dim(self.advance().loc, "int", cast(int, tok.value))
        if tok.kind == NAME:
            return Dim(self.advance().loc, "name", tok.text)
        if tok.kind == "?":
            return Dim(self.advance().loc, "any")
        raise self.error_expected("a dimension (an integer, a name or '?')")

    # -------------------------------------------------------------------- statements

    def parse_statement(self) -> Stmt:
        """Parses one statement of the host program or of a function body."""
        tok = self.peek()
        if tok.kind in _MISPLACED_DECLARATION and not self.is_field_keyword(tok, True):
            raise CompileError(tok.loc, _MISPLACED_DECLARATION[tok.kind])
        if tok.kind == "let":
            return self.parse_let()
        if tok.kind == "for":
            return self.parse_for()
        if tok.kind == "if":
            return self.parse_if()
        if tok.kind == "return":
            return self.parse_return()
        if tok.kind in ("break", "continue"):
            return self.parse_jump()
        return self.parse_assign_or_expr()

    def parse_let(self) -> Let:
        """Parses `let NAME = EXPR` or `let (NAME, ...) = EXPR`."""
        tok = self.expect("let")
        unpack = self.accept("(")
        if unpack:
            names = self.parse_comma_list(")", self.parse_name, nonempty=True)
        else:
            names = (self.parse_name(),)
        self.expect("=")
        return Let(tok.loc, names, self.parse_expr(), unpack)

    def parse_name(self) -> Name:
        """Parses a NAME into a `Name` node."""
        tok = self.expect(NAME, "a name")
        return Name(tok.loc, tok.text)

    def parse_for(self) -> For:
        """Parses `for NAME in EXPR { }`, where EXPR may be a range `lo..hi`."""
        tok = self.expect("for")
        var = self.parse_name()
        self.expect("in")
        start = self.peek().loc
        iterable = self.parse_expr()
        if self.accept(".."):
            iterable = Range(start, iterable, self.parse_expr())
        self.loops += 1
        body = self.parse_braced(self.parse_statement)
        self.loops -= 1
        return For(tok.loc, var, iterable, body)

    def parse_if(self) -> If:
        """Parses `if C { } else if C { } else { }`, looping over the `else if` chain."""
        branches: list[tuple[Token, Expr, tuple[Stmt, ...]]] = []
        orelse: tuple[Stmt, ...] = ()
        while True:
            tok = self.expect("if")
            cond = self.parse_expr()
            branches.append((tok, cond, self.parse_braced(self.parse_statement)))
            self.skip_newline_before("else")
            if not self.accept("else"):
                break
            if not self.at("if"):
                orelse = self.parse_braced(self.parse_statement)
                break
        tok, cond, then = branches.pop()
        node = If(tok.loc, cond, then, orelse)
        for tok, cond, then in reversed(branches):
            node = If(tok.loc, cond, then, (node,))
        return node

    def parse_return(self) -> Return:
        """Parses `return EXPR` or a bare `return`, only inside a function."""
        tok = self.expect("return")
        if not self.in_function:
            raise CompileError(tok.loc, "'return' outside a function")
        if self.at(*TERMINATORS, "}", EOF):
            return Return(tok.loc, None)
        return Return(tok.loc, self.parse_expr())

    def parse_jump(self) -> Jump:
        """Parses `break` or `continue`, only inside a loop."""
        tok = self.advance()
        if not self.loops:
            raise CompileError(tok.loc, f"'{tok.kind}' outside a loop")
        return Jump(tok.loc, tok.kind)

    def parse_assign_or_expr(self) -> Assign | ExprStmt:
        """Parses `NAME = EXPR` or an expression statement."""
        start = self.peek().loc
        expr = self.parse_expr()
        if not self.at("="):
            return ExprStmt(start, expr)
        if not isinstance(expr, Name):
            raise CompileError(start, "cannot assign to this expression; only to a name")
        self.advance()
        return Assign(start, expr, self.parse_expr())

    # ------------------------------------------------------------------- expressions

    def parse_expr(self) -> Expr:
        """Parses a full expression; `a |> f(x)` becomes `f(a, x)`."""
        expr = self.parse_binary(_OR)
        while self.at("|>"):
            pipe = self.advance()
            expr = _pipe_call(pipe.loc, expr, self.parse_binary(_OR))
        if self.at("if"):
            tok = self.advance()
            cond = self.parse_binary(_OR)
            self.expect("else")
            return IfExp(tok.loc, expr, cond, self.parse_expr())
        return expr

    def parse_binary(self, min_precedence: int) -> Expr:
        """Parses binary operators binding at least as tightly as `min_precedence`."""
        if self.at("not") and min_precedence <= _NOT:
            lhs = self.parse_not()
        else:
            lhs = self.parse_unary()
        while _BINARY_PRECEDENCE.get(self.peek().kind, 0) >= min_precedence:
            op = self.advance()
            precedence = _BINARY_PRECEDENCE[op.kind]
            lhs = BinOp(op.loc, op.kind, lhs, self.parse_binary(precedence + 1))
            if precedence == _COMPARE and _BINARY_PRECEDENCE.get(self.peek().kind) == _COMPARE:
                raise CompileError(
                    self.peek().loc, "comparisons cannot be chained; combine them with 'and'"
                )
        return lhs

    def parse_not(self) -> Expr:
        """Parses `not not ... x` whose operand is a comparison."""
        nots: list[Token] = []
        while self.at("not"):
            nots.append(self.advance())
        expr = self.parse_binary(_COMPARE)
        for tok in reversed(nots):
            expr = UnaryOp(tok.loc, "not", expr)
        return expr

    def parse_unary(self) -> Expr:
        """Parses `-a`, `a ** b` and mixtures: `-a ** -b ** c` is `-(a ** -(b ** c))`."""
        signs = [self.parse_minus_signs()]
        operands = [self.parse_postfix()]
        powers: list[Token] = []
        while self.at("**"):
            powers.append(self.advance())
            signs.append(self.parse_minus_signs())
            operands.append(self.parse_postfix())
        # `**` is right-associative and binds tighter than a `-` on its left: fold from the
        # right, negating each partial power by the signs written before its base.
        expr = _negate(signs[-1], operands[-1])
        for i in reversed(range(len(powers))):
            expr = _negate(signs[i], BinOp(powers[i].loc, "**", operands[i], expr))
        return expr

    def parse_minus_signs(self) -> list[Token]:
        """Consumes and returns consecutive prefix `-` tokens."""
        signs: list[Token] = []
        while self.at("-"):
            signs.append(self.advance())
        return signs

    def parse_postfix(self) -> Expr:
        """Parses an atom followed by calls `(...)`, fields `.name` and subscripts `[...]`."""
        start = self.peek().loc
        expr = self.parse_atom()
        while True:
            if self.at("("):
                args, kwargs = self.parse_call_arguments()
                expr = Call(start, expr, args, kwargs)
            elif self.accept("."):
                if not self.is_field_name(self.peek()):
                    raise self.error_expected("a field name after '.'")
                expr = Attribute(start, expr, self.advance().text)
            elif self.accept("["):
                items = self.parse_comma_list("]", self.parse_subscript_item, nonempty=True)
                expr = Subscript(start, expr, items)
            else:
                return expr

    def parse_call_arguments(self) -> tuple[tuple[Expr, ...], tuple[Keyword, ...]]:
        """Parses `(a, b, k=v)`: positional arguments, then keyword arguments."""
        self.expect("(")
        args: list[Expr] = []
        kwargs: list[Keyword] = []
        for loc, arg in self.parse_comma_list(")", self.parse_argument):
            if isinstance(arg, Keyword):
                if any(kw.name == arg.name for kw in kwargs):
                    raise CompileError(loc, f"duplicate keyword argument '{arg.name}'")
                kwargs.append(arg)
            elif kwargs:
                raise CompileError(loc, "positional argument follows keyword argument")
            else:
                args.append(arg)
        return tuple(args), tuple(kwargs)

    def parse_argument(self) -> tuple[Loc, Expr | Keyword]:
        """Parses one call argument, `EXPR` or `NAME=EXPR`, with its first token's loc."""
        start = self.peek()
        if start.kind == NAME and self.peek(1).kind == "=":
            self.advance()
            self.advance()
            return start.loc, Keyword(start.loc, start.text, self.parse_expr())
        return start.loc, self.parse_expr()

    def parse_subscript_item(self) -> Expr | Slice:
        """Parses an index `i` or a slice `lo:hi:step`, each part optional."""
        start = self.peek().loc
        lo = None
        if not self.at(":"):
            lo = self.parse_expr()
            if not self.at(":"):
                return lo
        self.advance()
        hi = None if self.at(":", ",", "]") else self.parse_expr()
        step = None
        if self.accept(":") and not self.at(",", "]"):
            step = self.parse_expr()
        return Slice(start, lo, hi, step)

    def parse_list(self, bracket: Token) -> Expr:
        """Parses the rest of a list `[a, b, ...]` or of a comprehension `[ELT for ...]`."""
        if self.accept("]"):
            return ListLit(bracket.loc, ())
        items = [self.parse_expr()]
        if self.at("for"):
            return self.parse_comprehension(bracket, items[0])
        while self.accept(",") and not self.at("]"):
            items.append(self.parse_expr())
        self.expect("]", "',' or ']'")
        return ListLit(bracket.loc, tuple(items))

    def parse_comprehension(self, bracket: Token, elt: Expr) -> ListComp:
        """Parses the rest of `[ELT for NAME in EXPR]`, where EXPR may be a range."""
        self.expect("for")
        var = self.parse_name()
        self.expect("in")
        start = self.peek().loc
        iterable = self.parse_expr()
        if self.accept(".."):
            iterable = Range(start, iterable, self.parse_expr())
        self.expect("]")
        return ListComp(bracket.loc, elt, var, iterable)

    def parse_atom(self) -> Expr:
        """Parses a literal, a name, a list `[...]` or a parenthesised expression or tuple."""
        tok = self.peek()
        if tok.kind in _LITERALS:
            return _LITERALS[tok.kind](self.advance().loc, tok.value)
        if tok.kind in ("true", "false"):
            return BoolLit(self.advance().loc, tok.kind == "true")
        if tok.kind == NAME or self.is_field_keyword(tok):
            return Name(self.advance().loc, tok.text)
        if tok.kind == "[":
            self.advance()
            return self.parse_list(tok)
        if tok.kind == "(":
            return self.parse_parenthesized(self.parse_expr, TupleLit)
        if tok.kind == "{":
            self.advance()
            return TupleLit(tok.loc, self.parse_comma_list("}", self.parse_dict_entry))
        raise self.error_expected("an expression")

    def parse_dict_entry(self) -> Expr:
        """Parses `KEY: VALUE` of a dictionary literal `{K: V, ...}`, which stands for the
        tuple of its (key, value) pairs (what `load_weights`'s `rename` takes)."""
        key = self.parse_expr()
        self.expect(":", "':' after a dictionary key")
        return TupleLit(key.loc, (key, self.parse_expr()))

    def parse_parenthesized(
        self, parse_item: Callable[[], T], make_tuple: Callable[[Loc, tuple[T, ...]], T]
    ) -> T:
        """Parses `(x)` as x, and `(x,)` or `(x, y, ...)` as a tuple made by `make_tuple`."""
        open_paren = self.expect("(")
        first = parse_item()
        if self.accept(")"):
            return first
        self.expect(",", "',' or ')'")
        rest = self.parse_comma_list(")", parse_item)
        return make_tuple(open_paren.loc, (first, *rest))


def reject_duplicates(items: Sequence[Param | FnDecl], what: str) -> None:
    """An error at the second of two parameters (or methods) of one name."""
    seen: dict[str, Loc] = {}
    for item in items:
        if item.name in seen:
            raise CompileError(item.loc, f"{what} '{item.name}' is already declared at "
                                         f"{seen[item.name]}")
        seen[item.name] = item.loc
