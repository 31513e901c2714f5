"""Token access for the M parser (frontend/parser.py): looking ahead, consuming, expecting,
and the comma lists and braced bodies that every construct uses."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from mlang.frontend.lexer import EOF, NEWLINE, Token
from mlang.support.diagnostics import CompileError

T = TypeVar("T")

TERMINATORS = (NEWLINE, ";")
"""The tokens that end a statement."""


def describe(tok: Token) -> str:
    """Names a token in a message: `'x'`, or "end of line"."""
    if tok.kind == NEWLINE:
        return "end of line"
    text = tok.text if len(tok.text) <= 24 else tok.text[:21] + "..."
    return f"'{text}'"



class TokenStream:
    """The tokens of one file and the position of the parse in them."""

    def __init__(self, tokens: list[Token], file: str):
        self.tokens = tokens
        self.file = file
        self.pos = 0

    def peek(self, ahead: int = 0) -> Token:
        """Returns the token `ahead` places after the current one (EOF past the end)."""
        return self.tokens[min(self.pos + ahead, len(self.tokens) - 1)]

    def at(self, *kinds: str) -> bool:
        """Whether the current token is of one of `kinds`."""
        return self.peek().kind in kinds

    def advance(self) -> Token:
        """Consumes and returns the current token."""
        tok = self.peek()
        if tok.kind != EOF:
            self.pos += 1
        return tok

    def accept(self, kind: str) -> bool:
        """Consumes the current token if it is of `kind`."""
        if not self.at(kind):
            return False
        self.advance()
        return True

    def expect(self, kind: str, what: str | None = None) -> Token:
        """Consumes a token of `kind`, or fails saying that `what` was expected."""
        if not self.at(kind):
            raise self.error_expected(what or f"'{kind}'")
        return self.advance()

    def error_expected(self, what: str) -> CompileError:
        """An error at the current token saying that `what` was expected instead."""
        tok = self.peek()
        if tok.kind == EOF:
            return CompileError(tok.loc, f"unexpected end of file; expected {what}")
        return CompileError(tok.loc, f"expected {what} but found {describe(tok)}")

    def skip_newline_before(self, kind: str) -> None:
        """Lets `kind` (`{` or `else`) start the next line: nothing else can begin there."""
        if self.at(NEWLINE) and self.peek(1).kind == kind:
            self.advance()

    def skip_terminators(self) -> None:
        """Skips newlines and semicolons."""
        while self.at(*TERMINATORS):
            self.advance()

    def end_statement(self) -> None:
        """Requires the end of a statement: a terminator, `}` or the end of the file."""
        if self.at("}", EOF):
            return
        if not self.at(*TERMINATORS):
            if self.at(".."):
                raise CompileError(
                    self.peek().loc, "a range 'lo..hi' is only allowed after 'for NAME in'"
                )
            raise self.error_expected("a newline or ';'")
        self.skip_terminators()

    def parse_comma_list(
        self, close: str, parse_item: Callable[[], T], nonempty: bool = False
    ) -> tuple[T, ...]:
        """Parses `item, item, ...` and the `close` bracket; a trailing comma is allowed."""
        items: list[T] = []
        if nonempty or not self.at(close):
            items.append(parse_item())
            while self.accept(",") and not self.at(close):
                items.append(parse_item())
        self.expect(close, f"',' or '{close}'")
        return tuple(items)

    def parse_braced(self, parse_member: Callable[[], T]) -> tuple[T, ...]:
        """Parses `{ member; member ... }`, members separated by newlines or `;`."""
        self.skip_newline_before("{")
        self.expect("{")
        members: list[T] = []
        self.skip_terminators()
        while not self.at("}", EOF):
            members.append(parse_member())
            self.end_statement()
        self.expect("}")
        return tuple(members)
