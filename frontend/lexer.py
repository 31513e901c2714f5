"""The M lexer: source bytes to text (`decode_source`), text to tokens (`tokenize`).

Newlines are tokens because they end statements. The lexer drops the ones that cannot end
a statement (inside `( )` or `[ ]`, after a binary operator, `|>`, `,` or `=`, and before
a leading `|>`), so the parser sees only newlines that matter. Columns count code points
from 1; `\\r\\n`, `\\r` and `\\n` each end a line.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from mlang.support.diagnostics import CompileError, Loc, Note

# Token kinds other than keywords and operators; those use their own text as their kind.
NAME = "NAME"
INT = "INT"
FLOAT = "FLOAT"
STRING = "STRING"
NEWLINE = "NEWLINE"
EOF = "EOF"

KEYWORDS = frozenset(
    "model fn let return for in if else true false and or not import break continue".split())

# Longest first, so that `**` is never read as two `*` nor `..` as two `.`.
OPERATORS = tuple("|> ** // == != <= >= .. -> @ + - * / < > = ( ) [ ] { } , : ; . ?".split())

# A newline after one of these continues the statement on the next line.
_CONTINUES_LINE = frozenset("|> , = + - * / // @ ** == != < <= > >= and or ..".split())

_CLOSER_OF = {"(": ")", "[": "]", "{": "}"}

# Deeper bracket nesting is refused: the parser recurses once per level, and so do the
# passes that walk the tree, and Python's default recursion limit must hold them all.
MAX_NESTING = 64

INT64_MAX = 2**63 - 1

_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}

_TOKEN_RE = re.compile(
    r"""
      (?P<space>[ \t]+)
    | (?P<newline>\r\n|\r|\n)
    | (?P<comment>\#[^\r\n]*)
    | (?P<number>[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)
    | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<string>"(?:[^"\\\r\n]|\\[^\r\n])*(?P<close>")?)
    | (?P<operator>"""
    + "|".join(re.escape(op) for op in OPERATORS)
    + ")",
    re.VERBOSE,
)

_LINE_BREAK_RE = re.compile(r"\r\n|\r|\n")

# Control characters other than tab, CR and LF are invisible in an editor, and some (like
# the Unicode line separators) count as line breaks in `str.splitlines`, which would make
# the diagnostics renderer quote a different line from the one reported.
_FORBIDDEN_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")


@dataclass(frozen=True, slots=True)
class Token:
    """A token: `kind` is NAME, INT, FLOAT, STRING, NEWLINE, EOF or a keyword's/operator's text.

    `value` is the int, float or decoded string of a literal, else None.
    """

    kind: str
    text: str
    value: int | float | str | None
    loc: Loc


def decode_source(data: bytes, file: str) -> str:
    """Decodes UTF-8 source, dropping a byte-order mark; raises CompileError at a bad byte."""
    data = data.removeprefix(codecs.BOM_UTF8)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        # Everything before the first bad byte decodes, so its position is exact.
        prefix = data[: err.start].decode("utf-8")
        loc = _loc_at(prefix, len(prefix), file)
        raise CompileError(loc, f"invalid UTF-8 byte 0x{data[err.start]:02x}") from None
    _reject_forbidden_characters(text, file)
    return text


def tokenize(text: str, file: str) -> list[Token]:
    """Splits `text` into tokens ending with EOF; raises CompileError at the first bad one."""
    _reject_forbidden_characters(text, file)
    return _Lexer(text, file).run()


def _loc_at(text: str, offset: int, file: str) -> Loc:
    """Returns the location of `text[offset]`."""
    breaks = list(_LINE_BREAK_RE.finditer(text, 0, offset))
    line_start = breaks[-1].end() if breaks else 0
    return Loc(file, len(breaks) + 1, offset - line_start + 1)


def _reject_forbidden_characters(text: str, file: str) -> None:
    """Raises CompileError at the first control character other than tab, CR and LF."""
    match = _FORBIDDEN_RE.search(text)
    if match is not None:
        loc = _loc_at(text, match.start(), file)
        raise CompileError(loc, f"unexpected character {match.group()!r}")


class _Lexer:
    """The state of one tokenization: position, open brackets and tokens so far."""

    def __init__(self, text: str, file: str):
        self.text = text
        self.file = file
        self.line = 1
        self.line_start = 0
        self.brackets: list[Token] = []  # the open brackets, innermost last
        self.tokens: list[Token] = []

    def run(self) -> list[Token]:
        """Tokenizes the whole text."""
        handlers = {
            "newline": self.newline,
            "number": self.number,
            "name": self.name,
            "string": self.string,
            "operator": self.operator,
        }
        pos = 0
        while pos < len(self.text):
            match = _TOKEN_RE.match(self.text, pos)
            if match is None:
                raise CompileError(self.loc(pos), f"unexpected character {self.text[pos]!r}")
            handler = handlers.get(match.lastgroup or "")
            if handler is not None:  # spaces and comments have none
                handler(match)
            pos = match.end()
        self.tokens.append(Token(EOF, "", None, self.eof_loc()))
        return self.tokens

    def loc(self, pos: int) -> Loc:
        """Returns the location of `text[pos]` on the current line."""
        return Loc(self.file, self.line, pos - self.line_start + 1)

    def emit(self, kind: str, match: re.Match[str], value: int | float | str | None) -> None:
        """Appends the token that `match` spans."""
        self.tokens.append(Token(kind, match.group(), value, self.loc(match.start())))

    def newline(self, match: re.Match[str]) -> None:
        """Emits a NEWLINE unless it cannot end a statement here."""
        if self.ends_statement():
            self.emit(NEWLINE, match, None)
        self.line += 1
        self.line_start = match.end()

    def ends_statement(self) -> bool:
        """Whether a newline at this point would end a statement."""
        if not self.tokens or (self.brackets and self.brackets[-1].kind != "{"):
            return False
        last = self.tokens[-1].kind
        return last != NEWLINE and last not in _CONTINUES_LINE

    def number(self, match: re.Match[str]) -> None:
        """Emits an INT or FLOAT, refusing a value out of range or a letter right after."""
        text = match.group()
        end = match.end()
        if end < len(self.text) and (self.text[end].isalnum() or self.text[end] == "_"):
            raise CompileError(self.loc(match.start()), "invalid number literal")
        if "." in text or "e" in text or "E" in text:
            value = float(text)
            if value == float("inf"):
                raise CompileError(self.loc(match.start()), "float literal too large")
            self.emit(FLOAT, match, value)
            return
        # Measure the digits before converting: `int()` refuses very long strings.
        digits = text.lstrip("0") or "0"
        if len(digits) > len(str(INT64_MAX)) or int(digits) > INT64_MAX:
            raise CompileError(self.loc(match.start()), "integer literal too large")
        self.emit(INT, match, int(digits))

    def name(self, match: re.Match[str]) -> None:
        """Emits a keyword or a NAME."""
        text = match.group()
        self.emit(text if text in KEYWORDS else NAME, match, None)

    def string(self, match: re.Match[str]) -> None:
        """Emits a STRING, decoding its escapes."""
        if match.group("close") is None:
            raise CompileError(self.loc(match.start()), "unterminated string literal")
        body_start = match.start() + 1
        body = self.text[body_start : match.end() - 1]
        value = re.sub(r"\\(.)", lambda esc: self.escape(esc, body_start), body)
        self.emit(STRING, match, value)

    def escape(self, esc: re.Match[str], body_start: int) -> str:
        """Decodes one escape sequence of a string whose body starts at `body_start`."""
        char = esc.group(1)
        if char not in _ESCAPES:
            loc = self.loc(body_start + esc.start())
            raise CompileError(loc, f"unknown escape sequence '\\{char}'")
        return _ESCAPES[char]

    def operator(self, match: re.Match[str]) -> None:
        """Emits an operator, tracking bracket nesting."""
        op = match.group()
        if op == "|>" and self.tokens and self.tokens[-1].kind == NEWLINE:
            # A line that starts with `|>` continues the previous one.
            self.tokens.pop()
        self.emit(op, match, None)
        if op in _CLOSER_OF:
            self.open_bracket(self.tokens[-1])
        elif op in _CLOSER_OF.values():
            self.close_bracket(self.tokens[-1])

    def open_bracket(self, tok: Token) -> None:
        """Enters a bracket level, refusing nesting deeper than MAX_NESTING."""
        self.brackets.append(tok)
        if len(self.brackets) > MAX_NESTING:
            raise CompileError(tok.loc, f"nesting too deep (more than {MAX_NESTING} levels)")

    def close_bracket(self, tok: Token) -> None:
        """Leaves a bracket level, refusing a closer that does not match its opener."""
        if not self.brackets:
            raise CompileError(tok.loc, f"unmatched '{tok.kind}'")
        opener = self.brackets.pop()
        if _CLOSER_OF[opener.kind] != tok.kind:
            note = Note(opener.loc, f"'{opener.kind}' opened here")
            raise CompileError(
                tok.loc, f"closing '{tok.kind}' does not match '{opener.kind}'", [note]
            )

    def eof_loc(self) -> Loc:
        """Returns the position just after the last token, or 1:1 for an empty file."""
        last = next((tok for tok in reversed(self.tokens) if tok.kind != NEWLINE), None)
        if last is None:
            return Loc(self.file, 1, 1)
        return Loc(self.file, last.loc.line, last.loc.col + len(last.text))
