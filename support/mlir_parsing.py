"""Parsing MLIR text into a module whose every op knows the source position of its text.

`LocatingParser` is xDSL's `Parser` with two changes, both what MLIR does: an op
written without `loc(...)` gets a `FileLineColLoc` of where its text starts (its
result list, if any), and the implicit top-level module that of the first line, so
that the verifier, passes and runtime can report errors at `FILE:LINE:COL` of the
input; and a hexadecimal element of a float `dense<...>` literal is the float's bits
(xDSL prints infinities and NaNs that way but reads the digits back as an integer).
"""

from __future__ import annotations

import bisect
import re
import struct

from xdsl.context import Context
from xdsl.dialects.builtin import (
    AnyDenseElement, AnyFloat, ComplexType, DenseIntOrFPElementsAttr, FileLineColLoc, IndexType,
    IntAttr, IntegerType, ModuleOp, RankedStructure, StringAttr, UnknownLoc,
)
from xdsl.ir import AttributeInvT, Operation, SSAValue
from xdsl.parser import AttrParser, Parser, UnresolvedOperand
from xdsl.utils.exceptions import MultipleSpansParseError, ParseError, VerifyException
from xdsl.utils.lexer import Span, Token
from xdsl.utils.mlir_lexer import MLIRLexer, MLIRToken, MLIRTokenKind, StringLiteral

from mlang.support.diagnostics import CompileError, InternalError, Loc, Note

# Two repairs of xDSL's lexer, for every parse in the process. First, xDSL's string-literal
# pattern nests `+` inside `*`, so an unterminated string (a missing
# `"` on a long line) backtracks exponentially and mopt hangs. This one accepts the same
# strings with one way to match each character, in linear time.
MLIRLexer._unescaped_characters_regex = re.compile(
    r'"(?:[^"\\\n\v\f]|\\(?:["nt\\]|[0-9A-Fa-f]{2}))*"'
)


_lex_string_literal = MLIRLexer._lex_string_literal


def _lex_utf8_string_literal(self: MLIRLexer, start_pos: int) -> MLIRToken:
    """xDSL's string lexing, except that escapes spelling UTF-8 text (xDSL prints "café" as
    `"caf\\C3\\A9"`) make a string, not bytes, as its own docstring says they should:
    mopt read back its own output of a program with a non-ASCII string as an error."""
    token = _lex_string_literal(self, start_pos)
    if token.kind is not MLIRTokenKind.BYTES_LIT:
        return token
    try:
        StringLiteral.from_span(token.span).bytes_contents.decode()
    except UnicodeDecodeError:
        return token
    return Token(MLIRTokenKind.STRING_LIT, token.span)


MLIRLexer._lex_string_literal = _lex_utf8_string_literal  # type: ignore[method-assign]

class _FloatBits(AttrParser._TensorLiteralElement):
    """A hexadecimal tensor literal element: for a float type, the float of those bits."""

    def to_type(
        self, parser: AttrParser, type: AnyFloat | IntegerType | IndexType | ComplexType
    ) -> object:
        """The element as a value of `type`."""
        if isinstance(type, AnyFloat) and isinstance(self.value, int):
            return next(type.iter_unpack(self.value.to_bytes(type.compile_time_size, "little")))
        return super().to_type(parser, type)


_LITERAL_CHECKS = ("Shape mismatch in dense literal", "Expected at least one element",
                   "Dense literal attribute should have a static shape")
"""xDSL's checks of a whole dense literal against its type, made after reading both."""


class LocatingParser(Parser):
    """An xDSL Parser that sets `op.location` to the op's position when the text has none."""

    def __init__(self, ctx: Context, text: str, file: str):
        super().__init__(ctx, text, file)
        self._file = StringAttr(file)
        # Offsets of line starts, for a bisect per op instead of a count from the start.
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        # Where each value used before its definition is first used.
        self._early_uses: dict[str, Span[str]] = {}

    def parse_operation(self) -> Operation:
        """Parses one op and locates it at its first token unless it has a `loc(...)`."""
        start = self.pos
        try:
            op = super().parse_operation()
        except (VerifyException, ValueError, OverflowError, struct.error) as err:
            # Raised while the op is built (an element type its constraints refuse, an
            # integer too wide for its attribute): the op's error, not xDSL's failure.
            raise ParseError(Span(start, max(self.pos, start + 1), self.lexer.input),
                             str(err).removeprefix("error: ")) from None
        if isinstance(op.location, UnknownLoc):
            op.location = self._location(start)
        return op

    def _parse_tensor_literal_element(self) -> AttrParser._TensorLiteralElement:
        """A tensor literal element; one written in hexadecimal keeps that (`_FloatBits`)."""
        element = super()._parse_tensor_literal_element()
        if element.span.text.startswith(("0x", "0X")):
            return _FloatBits(element.is_negative, element.value, element.span)
        return element

    def parse_dense_int_or_fp_elements_attr(
        self, type: RankedStructure[AnyDenseElement] | None
    ) -> DenseIntOrFPElementsAttr:
        """A `dense<...>` literal; a literal that does not fit its type is an error at the
        literal (xDSL checks after reading the type, and pointed at the next token)."""
        start = self.pos
        try:
            return super().parse_dense_int_or_fp_elements_attr(type)
        except ParseError as err:
            if err.span.start > start and err.msg.startswith(_LITERAL_CHECKS):
                raise ParseError(Span(start, start + 1, self.lexer.input), err.msg) from None
            raise

    def resolve_operand(
        self, operand: UnresolvedOperand, type: AttributeInvT
    ) -> SSAValue[AttributeInvT]:
        """Resolves an operand, noting where a value not defined yet is first used."""
        if operand.operand_name not in self.ssa_values:
            self._early_uses.setdefault(operand.operand_name, operand.span)
        return super().resolve_operand(operand, type)

    def parse_module(self, allow_implicit_module: bool = True) -> ModuleOp:
        """Parses the whole input; an implicit module is located where the first op is."""
        start = self.pos
        if allow_implicit_module and self._current_token.kind == MLIRTokenKind.EOF:
            # Empty input (or only comments) is an empty module, as for mlir-opt.
            module = ModuleOp([])
            module.location = self._location(start)
            return module
        try:
            module = super().parse_module(allow_implicit_module)
        except ParseError as err:
            # xDSL reports values never defined at the end of the input: point at a use.
            if not err.msg.startswith("values used but not defined"):
                raise
            name = next(iter(self.forward_ssa_references))
            raise ParseError(self._early_uses[name], f"use of undefined value '%{name}'") from None
        if isinstance(module.location, UnknownLoc):
            module.location = self._location(start)
        return module

    def _location(self, offset: int) -> FileLineColLoc:
        """The FileLineColLoc of character `offset` of the input."""
        line = bisect.bisect_right(self._line_starts, offset)
        col = offset - self._line_starts[line - 1] + 1
        return FileLineColLoc(self._file, IntAttr(line), IntAttr(col))


def parse_mlir(ctx: Context, text: str, file: str) -> ModuleOp:
    """Parses MLIR text; any failure becomes a CompileError located in `file`."""
    parser: LocatingParser | None = None
    try:
        parser = LocatingParser(ctx, text, file)  # Lexes the first token: may raise already.
        return parser.parse_module()
    except ParseError as err:
        raise parse_error_to_compile_error(err) from None
    except Exception as err:
        # Not a ParseError: xDSL itself failed on this input; point at where it stopped.
        where = Span(parser.pos, parser.pos, parser.lexer.input) if parser else None
        loc = _span_loc(where) if where else Loc(file, 1, 1)
        raise InternalError(loc, f"parser failed: {type(err).__name__}: {err}") from err


def parse_error_to_compile_error(err: ParseError) -> CompileError:
    """Converts an xDSL ParseError, and the extra spans it may cite, to a CompileError."""
    notes: list[Note] = []
    if isinstance(err, MultipleSpansParseError):
        notes = [Note(_span_loc(span), message or "see here") for span, message in err.refs]
    message = err.msg
    if err.span.start >= len(err.span.input.content) and not message.split(" in ")[0].strip():
        # xDSL says only " in block definition" when the input ends inside a region.
        message = "the input ends inside a region: a '}' is missing"
    return CompileError(_span_loc(err.span), message, notes)


def _span_loc(span: Span[str] | Span[bytes]) -> Loc:
    """The Loc where `span` starts."""
    location = span.get_location()
    return Loc(location.file, location.line, location.col)
