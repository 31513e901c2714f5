"""Tests of the M lexer and parser: tokens, AST shapes, precedence, locations and errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlang.frontend import ast
from mlang.frontend.lexer import (
    EOF, FLOAT, INT, MAX_NESTING, NAME, NEWLINE, STRING, decode_source, tokenize,
)
from mlang.frontend.parser import parse_file, parse_program
from mlang.support.diagnostics import CompileError, Loc, SourceManager, render

# ------------------------------------------------------------------------------ helpers


def sexpr(node: object) -> str:
    """Writes an expression as a compact S-expression, so that shapes read at a glance."""
    match node:
        case None:
            return "_"
        case ast.Name(id=name):
            return name
        case ast.IntLit(value=value) | ast.FloatLit(value=value):
            return repr(value)
        case ast.StrLit(value=value):
            return repr(value)
        case ast.BoolLit(value=value):
            return "true" if value else "false"
        case ast.ListLit(elts=elts):
            return "[" + " ".join(map(sexpr, elts)) + "]"
        case ast.TupleLit(elts=elts):
            return "(tuple " + " ".join(map(sexpr, elts)) + ")"
        case ast.BinOp(op=op, lhs=lhs, rhs=rhs):
            return f"({op} {sexpr(lhs)} {sexpr(rhs)})"
        case ast.UnaryOp(op=op, operand=operand):
            return f"({'neg' if op == '-' else op} {sexpr(operand)})"
        case ast.Call(func=func, args=args, kwargs=kwargs):
            keywords = (f"{k.name}={sexpr(k.value)}" for k in kwargs)
            parts = [sexpr(func), *map(sexpr, args), *keywords]
            return "(call " + " ".join(parts) + ")"
        case ast.Attribute(value=value, name=name):
            return f"(. {sexpr(value)} {name})"
        case ast.Subscript(value=value, items=items):
            return "([] " + " ".join([sexpr(value), *map(sexpr, items)]) + ")"
        case ast.Slice(lo=lo, hi=hi, step=step):
            return f"(: {sexpr(lo)} {sexpr(hi)} {sexpr(step)})"
        case ast.Range(lo=lo, hi=hi):
            return f"(.. {sexpr(lo)} {sexpr(hi)})"
    raise TypeError(f"not an expression: {node!r}")


def parse(text: str) -> tuple[ast.Item, ...]:
    """Parses `text` as the file "t.m" and returns its items."""
    return parse_program(text, "t.m").items


def expr(text: str) -> ast.Expr:
    """Parses `text` as a one-expression program and returns the expression."""
    (stmt,) = parse(text)
    assert isinstance(stmt, ast.ExprStmt)
    return stmt.expr


def at(line: int, col: int) -> Loc:
    """The location `line:col` in "t.m"."""
    return Loc("t.m", line, col)


def fn_body(text: str) -> tuple[ast.Stmt, ...]:
    """Parses `text` as the body of a function and returns its statements."""
    (fn,) = parse("fn f() {\n" + text + "\n}")
    assert isinstance(fn, ast.FnDecl)
    return fn.body


# -------------------------------------------------------------------------------- lexer


def kinds(text: str) -> list[str]:
    """The kinds of the tokens of `text`, EOF left out."""
    return [tok.kind for tok in tokenize(text, "t.m")[:-1]]


def test_tokens_of_each_class() -> None:
    toks = tokenize('let x = f(3.5, "a\\tb") # note\n', "t.m")
    assert [(t.kind, t.text, t.value) for t in toks] == [
        ("let", "let", None),
        (NAME, "x", None),
        ("=", "=", None),
        (NAME, "f", None),
        ("(", "(", None),
        (FLOAT, "3.5", 3.5),
        (",", ",", None),
        (STRING, '"a\\tb"', "a\tb"),
        (")", ")", None),
        (NEWLINE, "\n", None),
        (EOF, "", None),
    ]
    assert [t.loc.col for t in toks[:9]] == [1, 5, 7, 9, 10, 11, 14, 16, 22]


@pytest.mark.parametrize(
    "text, value",
    [("42", 42), ("007", 7), ("3.5", 3.5), ("1e-3", 1e-3), ("2.5e+4", 2.5e4), ("1E3", 1e3),
     ("9223372036854775807", 2**63 - 1)],
)
def test_number_values(text: str, value: int | float) -> None:
    (tok, _) = tokenize(text, "t.m")
    assert tok.value == value and type(tok.value) is type(value)


def test_integer_range_lexes_as_int_dots_int() -> None:
    assert kinds("0..n") == [INT, "..", NAME]
    assert kinds("1..2") == [INT, "..", INT]


def test_every_operator_and_keyword() -> None:
    ops = "|> ** @ + - * / == != < <= > >= = ( ) [ ] { } , : ; . .. -> ?"
    assert kinds(ops) == ops.split()
    words = "model fn let return for in if else true false and or not import"
    assert kinds(words) == words.split()
    assert kinds("models fn_ int f32 none") == [NAME] * 5


def test_string_escapes() -> None:
    (tok, _) = tokenize(r'"a\nb\t\"q\"\\"', "t.m")
    assert tok.value == 'a\nb\t"q"\\'


def test_newlines_dropped_where_a_statement_continues() -> None:
    assert kinds("a\nb") == [NAME, NEWLINE, NAME]
    assert kinds("\n\n a \n\n\n b \n") == [NAME, NEWLINE, NAME, NEWLINE]
    assert kinds("f(a,\n b\n)") == [NAME, "(", NAME, ",", NAME, ")"]
    assert kinds("a +\n b") == [NAME, "+", NAME]
    assert kinds("a |>\n f") == [NAME, "|>", NAME]
    assert kinds("a\n |> f") == [NAME, "|>", NAME]
    assert kinds("x =\n 1") == [NAME, "=", INT]
    assert kinds("{ a\n b }") == ["{", NAME, NEWLINE, NAME, "}"]
    assert kinds("[{\n}]") == ["[", "{", NEWLINE, "}", "]"]


def test_line_endings_and_columns() -> None:
    toks = tokenize('a\r\nb\rc\n\t"é" d', "t.m")
    names = [t for t in toks if t.kind == NAME]
    assert [(t.loc.line, t.loc.col) for t in names] == [(1, 1), (2, 1), (3, 1), (4, 6)]


def test_decode_source() -> None:
    assert decode_source(b"\xef\xbb\xbfx = 1", "t.m") == "x = 1"
    assert decode_source("é".encode(), "t.m") == "é"


@pytest.mark.parametrize(
    "data, line, col, message",
    [
        (b"x = \xff", 1, 5, "invalid UTF-8 byte 0xff"),
        (b"a\r\n\xc3\xa9\xc3(", 2, 2, "invalid UTF-8 byte 0xc3"),
        (b"\xef\xbb\xbf\x80", 1, 1, "invalid UTF-8 byte 0x80"),
        (b"\xed\xa0\x80", 1, 1, "invalid UTF-8 byte 0xed"),  # an encoded surrogate
        (b"x\n# \x00", 2, 3, "unexpected character '\\x00'"),
        (b'"a\x1bb"', 1, 3, "unexpected character '\\x1b'"),
        ("a \u2028".encode(), 1, 3, "unexpected character '\\u2028'"),
    ],
)
def test_decode_source_errors(data: bytes, line: int, col: int, message: str) -> None:
    with pytest.raises(CompileError) as err:
        decode_source(data, "t.m")
    assert (err.value.loc, err.value.message) == (at(line, col), message)


def test_eof_is_located_after_the_last_token() -> None:
    assert tokenize("f(1  # c\n\n", "t.m")[-1].loc == at(1, 4)
    assert tokenize('x = "ab"', "t.m")[-1].loc == at(1, 9)
    assert tokenize("", "t.m")[-1].loc == at(1, 1)


# -------------------------------------------------------------------------- expressions


@pytest.mark.parametrize(
    "text, shape",
    [
        ("a + b * c", "(+ a (* b c))"),
        ("a * b + c", "(+ (* a b) c)"),
        ("a - b - c", "(- (- a b) c)"),
        ("a / b * c", "(* (/ a b) c)"),
        ("a @ b + c", "(+ (@ a b) c)"),
        ("(a + b) * c", "(* (+ a b) c)"),
        ("a ** b ** c", "(** a (** b c))"),
        ("-a ** b", "(neg (** a b))"),
        ("-a * b", "(* (neg a) b)"),
        ("a ** -b", "(** a (neg b))"),
        ("-a ** -b ** c", "(neg (** a (neg (** b c))))"),
        ("--a", "(neg (neg a))"),
        ("a - -b", "(- a (neg b))"),
        ("2 * x ** 2", "(* 2 (** x 2))"),
        ("-x.y ** 2", "(neg (** (. x y) 2))"),
        ("a == b + c", "(== a (+ b c))"),
        ("a < b or c >= d", "(or (< a b) (>= c d))"),
        ("a or b and c", "(or a (and b c))"),
        ("a and b or c", "(or (and a b) c)"),
        ("not a == b", "(not (== a b))"),
        ("not a and b", "(and (not a) b)"),
        ("a and not b", "(and a (not b))"),
        ("not not a", "(not (not a))"),
        ("a != b", "(!= a b)"),
        ("a <= b", "(<= a b)"),
        ("(a < b) < c", "(< (< a b) c)"),
        ("a |> f", "(call f a)"),
        ("a |> f(x, k=1)", "(call f a x k=1)"),
        ("a |> f |> g(1)", "(call g (call f a) 1)"),
        ("a + b |> f", "(call f (+ a b))"),
        ("a or b |> f", "(call f (or a b))"),
        ("a |> m.f", "(call (. m f) a)"),
        ("f(x).y[0]", "([] (. (call f x) y) 0)"),
        ("m.f(x)", "(call (. m f) x)"),
        ("a[i](h)", "(call ([] a i) h)"),
        ("f(g(x))(y)", "(call (call f (call g x)) y)"),
    ],
)
def test_precedence(text: str, shape: str) -> None:
    assert sexpr(expr(text)) == shape


@pytest.mark.parametrize(
    "text, shape",
    [
        ("42", "42"),
        ("2.5e+4", "25000.0"),
        ('"hi\\n"', "'hi\\n'"),
        ("true", "true"),
        ("false", "false"),
        ("[]", "[]"),
        ("[1, [2, 3],]", "[1 [2 3]]"),
        ("(1, 2)", "(tuple 1 2)"),
        ("(1,)", "(tuple 1)"),
        ("(1)", "1"),
        ("((a, b), c)", "(tuple (tuple a b) c)"),
        ("f()", "(call f)"),
        ("f(x, axis=-1)", "(call f x axis=(neg 1))"),
        ("f(k=v,)", "(call f k=v)"),
        ("zeros([2, 3])", "(call zeros [2 3])"),
        ("f(a == b)", "(call f (== a b))"),
    ],
)
def test_atoms_and_calls(text: str, shape: str) -> None:
    assert sexpr(expr(text)) == shape


@pytest.mark.parametrize(
    "text, shape",
    [
        ("a[i]", "([] a i)"),
        ("a[-1]", "([] a (neg 1))"),
        ("a[i, j]", "([] a i j)"),
        ("a[i:j]", "([] a (: i j _))"),
        ("a[1:]", "([] a (: 1 _ _))"),
        ("a[:-1]", "([] a (: _ (neg 1) _))"),
        ("a[:, 0]", "([] a (: _ _ _) 0)"),
        ("a[::2]", "([] a (: _ _ 2))"),
        ("a[::]", "([] a (: _ _ _))"),
        ("a[1:2:3]", "([] a (: 1 2 3))"),
        ("a[-3:, ::-1]", "([] a (: (neg 3) _ _) (: _ _ (neg 1)))"),
        ("d.x[0:4, :]", "([] (. d x) (: 0 4 _) (: _ _ _))"),
    ],
)
def test_subscripts_and_slices(text: str, shape: str) -> None:
    assert sexpr(expr(text)) == shape


def test_binary_and_unary_nodes_are_located_at_their_operator() -> None:
    node = expr("a + -b ** c")
    assert isinstance(node, ast.BinOp) and node.loc == at(1, 3)
    neg = node.rhs
    assert isinstance(neg, ast.UnaryOp) and neg.loc == at(1, 5)
    assert isinstance(neg.operand, ast.BinOp) and neg.operand.loc == at(1, 8)


def test_pipe_call_is_located_at_the_pipe() -> None:
    node = expr("x |> f(1)")
    assert isinstance(node, ast.Call) and node.loc == at(1, 3)
    assert node.func == ast.Name(at(1, 6), "f")
    assert node.args == (ast.Name(at(1, 1), "x"), ast.IntLit(at(1, 8), 1))


def test_postfix_nodes_are_located_at_their_first_token() -> None:
    node = expr("(a + b).c[d:](e, k=f)")
    assert isinstance(node, ast.Call) and node.loc == at(1, 1)
    assert node.kwargs == (ast.Keyword(at(1, 18), "k", ast.Name(at(1, 20), "f")),)
    sub = node.func
    assert isinstance(sub, ast.Subscript) and sub.loc == at(1, 1)
    assert sub.items == (ast.Slice(at(1, 11), ast.Name(at(1, 11), "d"), None, None),)
    assert isinstance(sub.value, ast.Attribute) and sub.value.loc == at(1, 1)
    lit = expr("  [1, (2, 3)]")
    assert isinstance(lit, ast.ListLit) and lit.loc == at(1, 3)
    assert isinstance(lit.elts[1], ast.TupleLit) and lit.elts[1].loc == at(1, 7)


# --------------------------------------------------------------------------- statements


def test_let_assign_and_expression_statements() -> None:
    let, unpack, assign, call = parse("let x = 1\nlet (a, b) = t\nx = a\nf(x)")
    assert let == ast.Let(at(1, 1), (ast.Name(at(1, 5), "x"),), ast.IntLit(at(1, 9), 1), False)
    assert isinstance(unpack, ast.Let) and unpack.unpack
    assert [n.id for n in unpack.names] == ["a", "b"]
    assert assign == ast.Assign(at(3, 1), ast.Name(at(3, 1), "x"), ast.Name(at(3, 5), "a"))
    assert isinstance(call, ast.ExprStmt) and sexpr(call.expr) == "(call f x)"


def test_semicolons_and_continuations() -> None:
    items = parse("let a = 1; let b = a +\n 2;; f(a,\n b)\nlet c = a\n |> g")
    assert [type(i).__name__ for i in items] == ["Let", "Let", "ExprStmt", "Let"]
    assert isinstance(items[3], ast.Let) and sexpr(items[3].value) == "(call g a)"


def test_for_over_range_and_over_a_list() -> None:
    loop, over = parse("for i in 0..n + 1 { f(i) }\nfor b in blocks {\n  h = b(h)\n}")
    assert isinstance(loop, ast.For) and loop.var == ast.Name(at(1, 5), "i")
    assert sexpr(loop.iter) == "(.. 0 (+ n 1))" and loop.iter.loc == at(1, 10)
    assert len(loop.body) == 1
    assert isinstance(over, ast.For) and sexpr(over.iter) == "blocks"
    assert isinstance(over.body[0], ast.Assign)


def test_if_else_if_else_chain() -> None:
    (node,) = parse("if a { x = 1 } else if b { x = 2 }\nelse { x = 3 }")
    assert isinstance(node, ast.If) and node.loc == at(1, 1) and sexpr(node.cond) == "a"
    (inner,) = node.orelse
    assert isinstance(inner, ast.If) and inner.loc == at(1, 21) and sexpr(inner.cond) == "b"
    assert isinstance(inner.orelse[0], ast.Assign)
    (plain,) = parse("if a\n{\n}")
    assert isinstance(plain, ast.If) and plain.then == () and plain.orelse == ()


def test_return_forms() -> None:
    value, bare, in_block = fn_body("return x + 1\nreturn\nif c { return }")
    assert isinstance(value, ast.Return) and sexpr(value.value) == "(+ x 1)"
    assert bare == ast.Return(at(3, 1), None)
    assert isinstance(in_block, ast.If) and in_block.then == (ast.Return(at(4, 8), None),)


def test_empty_and_comment_only_programs() -> None:
    assert parse_program("", "t.m") == ast.Program(at(1, 1), "t.m", ())
    assert parse("# nothing\n\n   # here\n;") == ()


# ------------------------------------------------------------------------- declarations


def test_model_with_fields_and_methods() -> None:
    (model,) = parse(
        "model Block(dim: int, heads: int = 4) {\n"
        "    attn = Attention(dim, heads)\n"
        "    fn forward(x: f32[N, T, dim]) -> f32[N, T, dim] { return attn(x) }\n"
        "    fn twice(x: f32[?], s: float) { return x * s }\n"
        "}"
    )
    assert isinstance(model, ast.ModelDecl) and model.name == "Block" and model.stages is None
    dim, heads = model.hparams
    assert dim == ast.Param(at(1, 13), "dim", ast.ScalarTypeExpr(at(1, 18), "int"), None)
    assert heads.default == ast.IntLit(at(1, 36), 4)
    (field,) = model.fields
    assert field.loc == at(2, 5) and sexpr(field.value) == "(call Attention dim heads)"
    forward, twice = model.methods
    assert forward.loc == at(3, 5) and forward.name == "forward"
    assert forward.result == ast.TensorTypeExpr(
        at(3, 38), "f32",
        (ast.Dim(at(3, 42), "name", "N"), ast.Dim(at(3, 45), "name", "T"),
         ast.Dim(at(3, 48), "name", "dim")),
    )
    assert twice.result is None
    any_dim = ast.Dim(at(4, 21), "any")
    assert twice.params[0].type == ast.TensorTypeExpr(at(4, 17), "f32", (any_dim,))


def test_sequential_model_keeps_its_stages() -> None:
    (model,) = parse(
        "model Mlp(d: int, classes: int) = Linear(d, 64) |> gelu\n"
        "    |> Dropout(0.1) |> softmax(axis=-1)"
    )
    assert isinstance(model, ast.ModelDecl) and model.fields == () and model.methods == ()
    assert model.stages is not None
    assert [sexpr(s) for s in model.stages] == [
        "(call Linear d 64)", "gelu", "(call Dropout 0.1)", "(call softmax axis=(neg 1))",
    ]


def test_free_function_with_types() -> None:
    (fn,) = parse(
        "fn f(a: f32[], b: i64[2, ?], c: bool[N], d: bool, e: str, g) -> (f32[N], f32[N]) {}"
    )
    assert isinstance(fn, ast.FnDecl) and fn.body == ()
    types = [p.type for p in fn.params]
    assert types[0] == ast.TensorTypeExpr(at(1, 9), "f32", ())
    assert types[1] == ast.TensorTypeExpr(
        at(1, 19), "i64", (ast.Dim(at(1, 23), "int", 2), ast.Dim(at(1, 26), "any"))
    )
    assert isinstance(types[2], ast.TensorTypeExpr) and types[2].dtype == "bool"
    assert types[3:] == [
        ast.ScalarTypeExpr(at(1, 45), "bool"), ast.ScalarTypeExpr(at(1, 54), "str"), None
    ]
    assert isinstance(fn.result, ast.TupleTypeExpr) and fn.result.loc == at(1, 65)
    assert len(fn.result.elts) == 2
    (one,) = parse("fn g() -> (f32[N]) {}")
    assert isinstance(one, ast.FnDecl) and isinstance(one.result, ast.TensorTypeExpr)


def test_import() -> None:
    assert parse('import "lib/other.m"') == (ast.Import(at(1, 1), "lib/other.m"),)


SAMPLE = """\
model Classifier(features: int, hidden: int, classes: int) {
    fc1 = Linear(features, hidden)
    fc2 = Linear(hidden, classes)
    blocks = repeat(2, Linear(hidden, hidden))
    fn forward(x: f32[N, features]) -> f32[N, classes] {
        let h = relu(fc1(x))
        for b in blocks { h = h + gelu(b(h)) }
        for i in 0..2 { h = blocks[i](h) }
        if classes > 2 { h = h * 2.0 } else { h = -h ** 2 }
        return fc2(h) |> softmax(axis=-1)
    }
}
model Mlp(d: int, classes: int) = Linear(d, 64) |> gelu |> Dropout(0.1) |> Linear(64, classes)
seed(0)
let data = dataset("digits")
let (train, test) = split(data, 0.8)
let x = cast(train.x[0:4, :], f32)
print("acc:", evaluate(net, test, metric="accuracy"), x[:, -1], [1, 2], (1, 2))
"""


def test_sample_program(tmp_path: Path) -> None:
    path = tmp_path / "sample.m"
    path.write_text(SAMPLE)
    program = parse_file(path)
    assert program.file == str(path)
    kinds_ = [type(item).__name__ for item in program.items]
    assert kinds_ == ["ModelDecl", "ModelDecl", "ExprStmt", "Let", "Let", "Let", "ExprStmt"]
    classifier = program.items[0]
    assert isinstance(classifier, ast.ModelDecl)
    assert [f.name for f in classifier.fields] == ["fc1", "fc2", "blocks"]
    body = classifier.methods[0].body
    assert [type(s).__name__ for s in body] == ["Let", "For", "For", "If", "Return"]
    assert isinstance(body[3], ast.If) and sexpr(body[3].orelse[0].value) == "(neg (** h 2))"
    assert isinstance(body[4], ast.Return)
    assert sexpr(body[4].value) == "(call softmax (call fc2 h) axis=(neg 1))"
    assert isinstance(program.items[5], ast.Let)
    assert sexpr(program.items[5].value) == "(call cast ([] (. train x) (: 0 4 _) (: _ _ _)) f32)"


# ------------------------------------------------------------------------------- errors

MALFORMED = [
    ("f(1", 1, 4, "unexpected end of file; expected ',' or ')'"),
    ("let x =", 1, 8, "unexpected end of file; expected an expression"),
    ("let x = 5 6", 1, 11, "expected a newline or ';' but found '6'"),
    ("f(a b)", 1, 5, "expected ',' or ')' but found 'b'"),
    ("f(k=1, 2)", 1, 8, "positional argument follows keyword argument"),
    ("f(k=1, k=(2))", 1, 8, "duplicate keyword argument 'k'"),
    ("x = a < b < c", 1, 11, "comparisons cannot be chained"),
    ('x = "abc', 1, 5, "unterminated string literal"),
    ('x = "abc\nf(1)"', 1, 5, "unterminated string literal"),
    ('x = "a\\qb"', 1, 7, "unknown escape sequence '\\q'"),
    ("let r = 0..3", 1, 10, "a range 'lo..hi' is only allowed after 'for NAME in'"),
    ("return 1", 1, 1, "'return' outside a function"),
    ("if c {\n  return\n}", 2, 3, "'return' outside a function"),
    ("fn f() {\n  fn g() {}\n}", 2, 3, "'fn' is only allowed at the top level or in a model"),
    ("for i in x { model M() {} }", 1, 14, "'model' is only allowed at the top level"),
    ('if c { import "a.m" }', 1, 8, "'import' is only allowed at the top level"),
    ("model M(a: int) { let x = 1 }", 1, 19, "expected a field 'NAME = ...' or a method"),
    ("model M(a: int)\nf(1)", 1, 16, "expected '{' or '=' but found end of line"),
    ("model M(a: int)", 1, 16, "unexpected end of file; expected '{' or '='"),
    ("model (a: int) {}", 1, 7, "expected a model name but found '('"),
    ("fn f(x: f33[N]) {}", 1, 9, "unknown type 'f33'"),
    ("fn f(x: f32) {}", 1, 12, "expected '[' after the tensor dtype 'f32' but found ')'"),
    ("fn f(x: f32[1.5]) {}", 1, 13, "expected a dimension"),
    ("fn f(x: f32[N) {}", 1, 14, "closing ')' does not match '['"),
    ("fn f(x: int) -> {}", 1, 17, "expected a type but found '{'"),
    ("fn f(a: int = 1, b: int) {}", 1, 18, "a parameter without a default cannot follow"),
    ("fn f(1) {}", 1, 6, "expected a parameter name but found '1'"),
    ("fn f() { let x = 1", 1, 19, "unexpected end of file; expected '}'"),
    ("x = " + "9" * 400, 1, 5, "integer literal too large"),
    ("x = 9223372036854775808", 1, 5, "integer literal too large"),
    ("x = 1e999", 1, 5, "float literal too large"),
    ("x = " + "1" * 400 + ".5", 1, 5, "float literal too large"),
    ("x = 12abc", 1, 5, "invalid number literal"),
    ("x = 2e", 1, 5, "invalid number literal"),
    ("x = $", 1, 5, "unexpected character '$'"),
    ("x = 'a'", 1, 5, "unexpected character \"'\""),
    ("x = a | b", 1, 7, "unexpected character '|'"),
    ("\n  é = 1", 2, 3, "unexpected character 'é'"),
    ("x = 1\0", 1, 6, "unexpected character '\\x00'"),
    ("a.b = 3", 1, 1, "cannot assign to this expression"),
    ("f(x) = 3", 1, 1, "cannot assign to this expression"),
    ("if x { } else { } y", 1, 19, "expected a newline or ';' but found 'y'"),
    ("if x { } else y", 1, 15, "expected '{' but found 'y'"),
    ("if x\nf(1)", 1, 5, "expected '{' but found end of line"),
    ("for 1 in x {}", 1, 5, "expected a name but found '1'"),
    ("for i x {}", 1, 7, "expected 'in' but found 'x'"),
    ("x = ()", 1, 6, "expected an expression but found ')'"),
    ("a[]", 1, 3, "expected an expression but found ']'"),
    ("a == not b", 1, 6, "expected an expression but found 'not'"),
    ("x = +1", 1, 5, "expected an expression but found '+'"),
    ("f(,)", 1, 3, "expected an expression but found ','"),
    ("}", 1, 1, "unmatched '}'"),
    ("f(a]", 1, 4, "closing ']' does not match '('"),
    ("model M() =", 1, 12, "unexpected end of file; expected an expression"),
    ("import foo", 1, 8, "expected a path string after 'import' but found 'foo'"),
    ("let () = 3", 1, 6, "expected a name but found ')'"),
    ("let (a b) = 3", 1, 8, "expected ',' or ')' but found 'b'"),
    ("let in = 3", 1, 5, "expected a name but found 'in'"),
    ("let x 3", 1, 7, "expected '=' but found '3'"),
    ("x.1", 1, 3, "expected a field name after '.' but found '1'"),
    ('f("' + "a" * 40 + '" x)', 1, 46, "expected ',' or ')' but found 'x'"),
    ('f(1 "' + "a" * 40 + '")', 1, 5, "but found '\"aaaaaaaaaaaaaaaaaaaa...'"),
    ("(" * (MAX_NESTING + 1) + "x" + ")" * (MAX_NESTING + 1), 1, MAX_NESTING + 1,
     "nesting too deep"),
    ("fn f(x: f32[N], x: f32[N]) -> f32[N] { return x }", 1, 17,
     "parameter 'x' is already declared at t.m:1:6"),
    ("model M(d: int, d: int) = Linear(d, 2)", 1, 17,
     "parameter 'd' is already declared at t.m:1:9"),
    ("model M() {\n  fn forward(x: f32[N]) -> f32[N] { return x }\n"
     "  fn forward(x: f32[N]) -> f32[N] { return x }\n}", 3, 3,
     "method 'forward' is already declared at t.m:2:3"),
]


@pytest.mark.parametrize("text, line, col, fragment", MALFORMED)
def test_malformed_program(text: str, line: int, col: int, fragment: str) -> None:
    with pytest.raises(CompileError) as err:
        parse_program(text, "t.m")
    assert fragment in err.value.message
    assert err.value.loc == at(line, col)


def test_mismatched_bracket_notes_the_opener() -> None:
    with pytest.raises(CompileError) as err:
        parse_program("f(\n  a]", "t.m")
    (note,) = err.value.notes
    assert note.loc == at(1, 2) and note.message == "'(' opened here"


def test_error_renders_with_a_caret() -> None:
    sources = SourceManager()
    text = "let x = 1\nlet y = f(x,, 2)\n"
    sources.add("t.m", text)
    with pytest.raises(CompileError) as err:
        parse_program(text, "t.m")
    assert render(err.value, sources) == (
        "t.m:2:13: error: expected an expression but found ','\n"
        "let y = f(x,, 2)\n"
        "            ^\n"
    )


def test_parse_file_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.m"
    bad.write_bytes(b"x = 1\ny = \xfe\n")
    with pytest.raises(CompileError) as err:
        parse_file(bad)
    assert err.value.loc == Loc(str(bad), 2, 5)
    with pytest.raises(CompileError) as err:
        parse_file(tmp_path / "missing.m")
    assert err.value.loc is None and "cannot read" in err.value.message


# -------------------------------------------------------------------------------- depth


@pytest.mark.parametrize(
    "opener, closer",
    [("(", ")"), ("f(", ")"), ("f(k=", ")"), ("[", "]"), ("a[:", "]"),
     ("a or not (", ")"), ("a or not f(k=", ")"), ("x |> f(", ")"), ("-(", ")")],
)
def test_deepest_allowed_nesting_parses(opener: str, closer: str) -> None:
    expr(opener * MAX_NESTING + "x" + closer * MAX_NESTING)


def test_deepest_allowed_block_nesting_parses() -> None:
    levels = MAX_NESTING - 1  # the function's own braces are one level
    (fn,) = parse("fn f() {" + "for i in x { if c {" * (levels // 2) + "}}" * (levels // 2) + "}")
    assert isinstance(fn, ast.FnDecl)


def test_very_deep_nesting_is_an_error_not_a_crash() -> None:
    with pytest.raises(CompileError, match="nesting too deep"):
        parse_program("x = " + "(" * 10_000 + "1" + ")" * 10_000, "t.m")
    with pytest.raises(CompileError, match="nesting too deep"):
        parse_program("[" * 10_000, "t.m")


def test_long_unbracketed_chains_do_not_recurse() -> None:
    n = 10_000
    assert isinstance(expr("-" * n + "x"), ast.UnaryOp)
    assert isinstance(expr("not " * n + "x"), ast.UnaryOp)
    assert isinstance(expr("x" + " ** x" * n), ast.BinOp)
    assert isinstance(expr("x" + " |> f" * n), ast.Call)
    assert isinstance(expr("x" + " + x" * n), ast.BinOp)
    (node,) = parse("if a {}" + " else if a {}" * n)
    assert isinstance(node, ast.If)
