"""Rule regexes run on RE2: matching time is linear in the text, whatever pattern a ruleset author writes.

Python's ``re`` backtracks, so one careless pattern (``(a+)+$``) could stall every call's inline analyzers;
RE2 rejects the few features that need backtracking (backreferences, lookaround) at load time instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import re2  # type: ignore[import-untyped]

__all__ = ["PatternSet", "RegexError", "compile_regex"]


class RegexError(ValueError):
    """A pattern RE2 cannot compile; the message is RE2's own reason."""


def _options() -> Any:
    options = re2.Options()
    options.case_sensitive = False  # ASR casing is arbitrary
    options.log_errors = False  # errors are raised (and named) by us, not printed to stderr
    options.never_nl = True
    return options


def compile_regex(pattern: str) -> Any:
    """A compiled, case-insensitive RE2 regex, or RegexError saying why the pattern is rejected."""
    try:
        return re2.compile(pattern, _options())
    except re2.error as exc:
        reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise RegexError(reason) from None


class PatternSet:
    """Many regexes matched in one RE2 pass, then the few that matched are run alone for their spans."""

    def __init__(self, patterns: Sequence[str]) -> None:
        self._compiled = [compile_regex(p) for p in patterns]
        self._set = re2.Set.SearchSet(_options())
        for pattern in patterns:
            self._set.Add(pattern)
        self._set.Compile()

    def __len__(self) -> int:
        return len(self._compiled)

    def matching(self, text: str) -> list[int]:
        """Indexes of the patterns that match somewhere in ``text``."""
        if not self._compiled:
            return []
        return sorted(self._set.Match(text) or ())

    def spans(self, index: int, text: str, *, limit: int = 8) -> list[tuple[int, int]]:
        """Up to ``limit`` match spans of one pattern, overlapping ones included (each search starts one character
        after the previous match's start), so an excused match cannot hide a later one inside it."""
        regex, pos = self._compiled[index], 0
        found: list[tuple[int, int]] = []
        while len(found) < limit and pos <= len(text):
            match = regex.search(text, pos)
            if match is None:
                break
            start, end = match.span()
            if end > start:
                found.append((start, end))
            pos = start + 1
        return found
