"""`--verify-diagnostics`: emitted diagnostics checked against `expected-*` annotations.

Annotations follow MLIR's syntax, anywhere on a line (in practice, in a comment):

    %0 = arith.addi %a, %b : i32  // expected-error {{does not verify}}
    // expected-error@+1 {{must be the last operation}}   (or `expected-error @+1 {{...}}`)
    // expected-note@-2 {{declared here}}
    // expected-warning@above {{...}}   the closest line above that has no annotation
    // expected-remark@below {{...}}    the closest line below that has no annotation

An expected diagnostic is matched by one emitted in the same file, on its line, of its
severity, whose message contains the text between `{{` and `}}`. Every expectation
must be matched and every emitted diagnostic expected; `check_diagnostics` returns
each mismatch as an error, in MLIR's words, for the driver to print.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mlang.support.diagnostics import CompileError, Loc

_SEVERITIES = "error|warning|note|remark"
# Spaces may come before the `@` too, as MLIR's verifier allows: `expected-error @+1 {{...}}`.
_ANNOTATION = re.compile(
    rf"expected-({_SEVERITIES}) *(?:@([+-]\d+|above|below))?\s*\{{\{{(.*?)\}}\}}"
)
_MENTION = re.compile(rf"expected-({_SEVERITIES})\b")


@dataclass(frozen=True)
class Diagnostic:
    """One emitted diagnostic: where, how severe, what."""

    loc: Loc | None
    severity: str
    message: str


@dataclass(frozen=True)
class Expectation:
    """One annotation: the line it expects a diagnostic on, and where it is written."""

    severity: str
    message: str
    line: int
    written_at: Loc


def diagnostics_of(err: CompileError) -> list[Diagnostic]:
    """The diagnostics an error stands for: itself, then each of its notes."""
    return [Diagnostic(err.loc, err.severity, err.message)] + [
        Diagnostic(note.loc, "note", note.message) for note in err.notes
    ]


def parse_expectations(text: str, file: str) -> list[Expectation]:
    """Reads the annotations of `text`; a malformed one raises a CompileError."""
    expectations: list[Expectation] = []
    waiting_below: list[tuple[str, str, Loc]] = []
    last_plain_line = 0
    for number, line in enumerate(text.split("\n"), start=1):
        matches = list(_ANNOTATION.finditer(line))
        _check_well_formed(line, matches, Loc(file, number, 1))
        if not matches:
            expectations += [Expectation(s, m, number, at) for s, m, at in waiting_below]
            waiting_below = []
            last_plain_line = number
            continue
        for match in matches:
            severity, designator, message = match.groups()
            written_at = Loc(file, number, match.start() + 1)
            if designator == "below":
                waiting_below.append((severity, message, written_at))
                continue
            target = _target_line(designator, number, last_plain_line, written_at)
            expectations.append(Expectation(severity, message, target, written_at))
    if waiting_below:
        raise CompileError(waiting_below[0][2], "'@below' annotation has no line below it")
    return expectations


def check_diagnostics(
    file: str, expectations: list[Expectation], emitted: list[Diagnostic]
) -> list[CompileError]:
    """Matches emitted diagnostics against expectations; returns one error per mismatch."""
    matched: set[int] = set()
    problems: list[CompileError] = []
    for diagnostic in emitted:
        index = _find_match(file, expectations, diagnostic, matched)
        if index is None:
            problems.append(
                CompileError(
                    diagnostic.loc, f"unexpected {diagnostic.severity}: {diagnostic.message}"
                )
            )
        else:
            matched.add(index)
    for index, expectation in enumerate(expectations):
        if index not in matched:
            problems.append(
                CompileError(
                    expectation.written_at,
                    f'expected {expectation.severity} "{expectation.message}" was not produced',
                )
            )
    return problems


def _find_match(
    file: str, expectations: list[Expectation], diagnostic: Diagnostic, matched: set[int]
) -> int | None:
    """The expectation `diagnostic` satisfies, preferring one not matched yet."""
    loc = diagnostic.loc
    if loc is None or loc.file != file:
        return None
    candidates = [
        index
        for index, e in enumerate(expectations)
        if (e.line, e.severity) == (loc.line, diagnostic.severity)
        and e.message in diagnostic.message
    ]
    unmatched = [index for index in candidates if index not in matched]
    return next(iter(unmatched or candidates), None)


def _target_line(designator: str | None, line: int, last_plain_line: int, at: Loc) -> int:
    """The line an annotation on `line` refers to."""
    if designator is None:
        return line
    if designator == "above":
        if last_plain_line == 0:
            raise CompileError(at, "'@above' annotation has no line above it")
        return last_plain_line
    target = line + int(designator)
    if target < 1:
        raise CompileError(at, f"annotation refers to line {target}, before the file starts")
    return target


def _check_well_formed(line: str, matches: list[re.Match[str]], at: Loc) -> None:
    """Raises at the first `expected-<severity>` of `line` that is not a whole annotation."""
    starts = {match.start() for match in matches}
    for mention in _MENTION.finditer(line):
        if mention.start() not in starts:
            raise CompileError(
                Loc(at.file, at.line, mention.start() + 1),
                f"malformed 'expected-{mention.group(1)}' annotation: expected "
                "'@+N', '@-N', '@above' or '@below', then {{message}}",
            )
