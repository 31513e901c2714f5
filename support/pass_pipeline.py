"""MLIR's textual pass pipelines, `builtin.module(a, b{opt=1}, func.func(c))`, as a tree.

xDSL parses flat lists only (`a,b{opt=1}`), so mopt parses the nesting itself:

    pipeline     ::= anchor `(` element-list? `)`
    element-list ::= element (`,` element)*
    element      ::= name options? | anchor `(` element-list? `)`
    options      ::= `{` any text, `}` only inside a "quoted string" `}`
    name, anchor ::= [A-Za-z0-9_.-]+

Options are kept as written (`b{opt=1}`) for xDSL's `parse_spec` to read. Every node
records the column where it starts, so that errors point into the pipeline text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NAME = re.compile(r"[A-Za-z0-9_.\-]+")


@dataclass(frozen=True)
class PassRef:
    """A pass or named pipeline: its name, its spec text `name{...}` and its column."""

    name: str
    spec: str
    col: int

    @property
    def has_options(self) -> bool:
        """Whether the reference carries an option list in braces."""
        return self.spec != self.name


@dataclass(frozen=True)
class NestedPipeline:
    """`anchor(elements)`: the elements run on each op named `anchor`."""

    anchor: str
    elements: tuple[PassRef | NestedPipeline, ...]
    col: int


PipelineElement = PassRef | NestedPipeline


class PipelineSyntaxError(Exception):
    """A malformed pipeline; `col` counts from 1 in the pipeline text."""

    def __init__(self, col: int, message: str):
        super().__init__(message)
        self.col = col
        self.message = message


def parse_pass_pipeline(text: str) -> NestedPipeline:
    """Parses an anchored pipeline such as `builtin.module(a,func.func(b))`."""
    parser = _Parser(text)
    element = parser.element()
    parser.expect_end()
    if not isinstance(element, NestedPipeline):
        raise PipelineSyntaxError(
            element.col,
            f"expected '{element.name}(...)': a pipeline "
            "must name the op it runs on, as in 'builtin.module(...)'",
        )
    return element


def parse_pass_list(text: str) -> tuple[PipelineElement, ...]:
    """Parses a comma-separated element list, the `-p a,b{x=1},func.func(c)` form."""
    parser = _Parser(text)
    elements = parser.element_list(closing="")
    parser.expect_end()
    return elements


def is_pass_name(text: str) -> bool:
    """Whether `text` can name a pass in a pipeline."""
    return _NAME.fullmatch(text) is not None


def format_elements(anchor: str, elements: tuple[PipelineElement, ...]) -> str:
    """Prints `anchor(elements)` in MLIR's syntax; the inverse of `parse_pass_pipeline`."""
    inner = ",".join(
        format_elements(e.anchor, e.elements) if isinstance(e, NestedPipeline) else e.spec
        for e in elements
    )
    return f"{anchor}({inner})"


class _Parser:
    """Recursive descent over the pipeline text; `pos` counts from 0."""

    def __init__(self, text: str):
        self.text = text
        self.pos = 0

    def element_list(self, closing: str) -> tuple[PipelineElement, ...]:
        """Parses `element (, element)*` up to `closing` (not consumed) or the end."""
        self._skip_spaces()
        if self._at_end() or (closing and self.text.startswith(closing, self.pos)):
            return ()
        elements = [self.element()]
        while self._accept(","):
            elements.append(self.element())
        return tuple(elements)

    def element(self) -> PipelineElement:
        """Parses `name`, `name{options}` or `anchor(elements)`."""
        self._skip_spaces()
        start = self.pos
        match = _NAME.match(self.text, self.pos)
        if match is None:
            raise self._error("expected a pass name")
        self.pos = match.end()
        if self.text.startswith("{", self.pos):
            self._skip_options()
            return PassRef(match.group(), self.text[start : self.pos], start + 1)
        if self._accept("("):
            elements = self.element_list(closing=")")
            self._expect(")")
            return NestedPipeline(match.group(), elements, start + 1)
        return PassRef(match.group(), match.group(), start + 1)

    def expect_end(self) -> None:
        """Fails unless only spaces remain."""
        self._skip_spaces()
        if not self._at_end():
            raise PipelineSyntaxError(self.pos + 1, f"unexpected '{self.text[self.pos]}'")

    def _skip_options(self) -> None:
        """Moves past `{...}`; a `}` inside a quoted string does not close it."""
        open_col = self.pos + 1
        in_string = False
        self.pos += 1
        while self.pos < len(self.text):
            char = self.text[self.pos]
            self.pos += 1
            if in_string and char == "\\":
                self.pos += 1
            elif char == '"':
                in_string = not in_string
            elif char == "}" and not in_string:
                return
        raise PipelineSyntaxError(open_col, "unterminated option list: missing '}'")

    def _accept(self, token: str) -> bool:
        self._skip_spaces()
        if self.text.startswith(token, self.pos):
            self.pos += len(token)
            return True
        return False

    def _expect(self, token: str) -> None:
        if not self._accept(token):
            raise self._error(f"expected '{token}'")

    def _skip_spaces(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def _at_end(self) -> bool:
        return self.pos >= len(self.text)

    def _error(self, message: str) -> PipelineSyntaxError:
        found = "end of pipeline" if self._at_end() else f"'{self.text[self.pos]}'"
        return PipelineSyntaxError(self.pos + 1, f"{message}, found {found}")
