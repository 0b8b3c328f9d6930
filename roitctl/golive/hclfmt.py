"""Align a tfvars text's ``=`` signs and trailing comments as ``terraform fmt`` does.

The plan build runs ``terraform fmt -check``, so what roitctl writes must already be formatted,
without Terraform at run time. :mod:`~roitctl.golive.hcl` writes each value with the spacing
Terraform uses; what is left is the vertical alignment, done here as Terraform's formatter
(hclwrite's ``formatCells``) does it:

- A line is an *assignment* when it has a ``=`` after its first token and the brackets from
  that ``=`` to the end of the line balance (``name = {`` opens a block: not one). Within each
  run of consecutive assignment lines, nested or not, the ``=`` signs line up one space after
  the longest name (indentation counted). Anything else — a blank line, a comment line, a
  bracket line — ends the run. A heredoc's lines belong to the line that opens it.
- Within each run of consecutive lines ending in a ``#`` or ``//`` comment after code, the
  comments line up one space after the longest code.

No library does this while keeping the file's comments (python-hcl2 rebuilds a file from its
tree and drops them); tests compare the result with the real ``terraform fmt -check``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["align"]

_HEREDOC = re.compile(r"<<-?([A-Za-z_][A-Za-z0-9_-]*)\s*$")
_OPENING, _CLOSING = "{[(", "}])"


@dataclass
class _Line:
    """One line cut into Terraform's cells: ``lead = assign  # comment``."""

    lead: str
    assign: str | None = None  # from the "=" on, when the line is an assignment
    comment: str | None = None  # a trailing comment after code
    heredoc: tuple[str, ...] = ()  # the heredoc's lines, closing marker included
    assign_gap: int = 1  # spaces before the "="
    comment_gap: int = 1  # spaces before the comment

    def code(self) -> str:
        if self.assign is None:
            return self.lead
        return self.lead + " " * self.assign_gap + self.assign

    def text(self) -> str:
        code = self.code()
        line = code if self.comment is None else code + " " * self.comment_gap + self.comment
        return "\n".join([line, *self.heredoc])


@dataclass
class _Scan:
    """Where a line's code ends and what it holds (strings and interpolations skipped)."""

    comment_at: int | None = None  # where a trailing comment starts
    equals_at: int | None = None  # the first "=" that is an assignment
    brackets_after_equals: int = 0  # net brackets from that "=" on
    heredoc: str | None = None  # the marker of a heredoc the line opens
    in_block_comment: bool = False  # a /* */ left open at the end of the line


def _scan(line: str, in_block_comment: bool) -> _Scan:
    found = _Scan(in_block_comment=in_block_comment)
    strings: list[int] = []  # one entry per open string: the brace depth of its interpolation
    index = 0
    while index < len(line):
        char, pair = line[index], line[index : index + 2]
        if found.in_block_comment:
            if pair == "*/":
                found.in_block_comment, index = False, index + 2
                continue
        elif strings and strings[-1] == 0:  # inside a string's text
            if char == "\\" or pair in ("$$", "%%"):
                index += 1
            elif pair in ("${", "%{"):
                strings[-1], index = 1, index + 1
            elif char == '"':
                strings.pop()
        elif char == '"':
            strings.append(0)
        elif strings:  # inside an interpolation: only its braces matter
            strings[-1] += {"{": 1, "}": -1}.get(char, 0)
        elif char == "#" or pair == "//":
            found.comment_at = index
            break
        elif pair == "/*":  # part of the code: Terraform lines up only # and // comments
            found.in_block_comment, index = True, index + 2
            continue
        elif match := _HEREDOC.match(line, index):
            found.heredoc = match.group(1)
            break
        elif char == "=" and found.equals_at is None and line[index - 1 : index] not in "=!<>":
            if line[index + 1 : index + 2] not in ("=", ">") and line[:index].strip():
                found.equals_at = index
        elif found.equals_at is not None and char in _OPENING + _CLOSING:
            found.brackets_after_equals += 1 if char in _OPENING else -1
        index += 1
    return found


def _cells(text: str) -> list[_Line]:
    lines: list[_Line] = []
    rows, index, in_block_comment = text.split("\n"), 0, False
    while index < len(rows):
        row, continues_comment = rows[index], in_block_comment
        scan = _scan(row, in_block_comment)
        in_block_comment, index = scan.in_block_comment, index + 1
        code = row if scan.comment_at is None else row[: scan.comment_at]
        if continues_comment or not code.strip():  # blank, a comment, or inside one
            lines.append(_Line(row.rstrip()))
            continue
        line = _Line(code.rstrip())
        if scan.comment_at is not None:
            line.comment = row[scan.comment_at :].rstrip()
        if scan.equals_at is not None and scan.brackets_after_equals == 0:
            line.lead = code[: scan.equals_at].rstrip()
            line.assign = "= " + code[scan.equals_at + 1 :].strip()
        if scan.heredoc is not None:
            end = next(
                (i for i in range(index, len(rows)) if rows[i].strip() == scan.heredoc), None
            )
            stop = len(rows) if end is None else end + 1
            line.heredoc, index = tuple(rows[index:stop]), stop
        lines.append(line)
    return lines


def _line_up(lines: list[_Line], cell: str) -> None:
    """Set the gap before ``cell`` ("assign" or "comment") in each run of lines having it."""
    run: list[_Line] = []
    for line in [*lines, _Line("")]:
        if getattr(line, cell) is not None:
            run.append(line)
            continue
        before = (lambda r: r.lead) if cell == "assign" else _Line.code
        width = max((len(before(r)) for r in run), default=0)
        for member in run:
            setattr(member, f"{cell}_gap", width - len(before(member)) + 1)
        run = []


def align(text: str) -> str:
    """``text`` with its assignments' ``=`` and its trailing comments aligned as
    ``terraform fmt`` aligns them; everything else unchanged."""
    lines = _cells(text)
    _line_up(lines, "assign")
    _line_up(lines, "comment")
    return "\n".join(line.text() for line in lines)
