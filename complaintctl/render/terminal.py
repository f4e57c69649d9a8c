"""What a terminal gets that a pipe does not: text fitted to its width, a pager, colour.

The way git does it: on a terminal, long output goes through
``COMPLAINTCTL_PAGER``, else ``PAGER``, else ``less -FRX`` (``--no-pager``, or a
pager of ``cat`` or nothing, turns it off); colour marks only what needs
attention (overdue, LATE, major, a regulator or consumer association) and
``NO_COLOR`` of any value turns it off. A pipe, JSON and CSV get neither, and
text is wrapped to ``COLUMNS`` or the terminal's width, never to a guess.

Widths are display columns (wcwidth): a Chinese character takes two.
Nothing here is imported before a table or a text for a person is printed.
"""

from __future__ import annotations

import os
import re
import shutil
import sys

import click
from wcwidth import wcswidth, wcwidth

#: Set by ``--no-pager`` (the global option).
_no_pager = False
#: A table never gets narrower columns than this (a wrapped word stays readable).
MIN_COLUMN = 8
#: The start of a word that wraps as a whole (Latin letters, digits, punctuation).
_CJK = r"\u2e80-\u303f\u3040-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef"
_WORD = re.compile(rf"[^\s{_CJK}]+|\s+|.", re.S)
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def no_pager(value: bool = True) -> None:
    """``--no-pager``: this process prints straight to stdout."""
    global _no_pager
    _no_pager = value


def is_terminal() -> bool:
    """Whether stdout is a terminal (never true under a pipe, a file or a test runner)."""
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def width() -> int | None:
    """The width to wrap to: ``COLUMNS``, else the terminal's; None in a pipe (no wrapping)."""
    cols = os.environ.get("COLUMNS", "")
    if cols.isdigit() and int(cols) > 0:
        return int(cols)
    if not is_terminal():
        return None
    return shutil.get_terminal_size().columns


def colour() -> bool:
    """Whether to colour: only on a terminal, and never when ``NO_COLOR`` is set."""
    return "NO_COLOR" not in os.environ and is_terminal()


def attention(text: str) -> str:
    """Text that needs attention, bold red on a terminal (plain elsewhere)."""
    if not text or not colour():
        return text
    return "\n".join(f"\x1b[1;31m{line}\x1b[0m" if line else line for line in text.split("\n"))


def text_width(text: str) -> int:
    """Display columns of one line (Chinese two a character, colour codes none)."""
    w = wcswidth(_ANSI.sub("", text))
    return w if w >= 0 else len(text)


def _char_width(ch: str) -> int:
    return max(wcwidth(ch), 0)


def wrap(text: str, columns: int | None, indent: str = "") -> str:
    """Text wrapped to ``columns`` display columns: at spaces between words, anywhere
    between Chinese characters, a word longer than the line cut; its own line breaks kept.
    ``indent`` starts every line but the first (a hanging paragraph)."""
    if columns is None:
        return text.replace("\n", "\n" + indent) if indent else text
    room = max(columns, MIN_COLUMN)
    rest = max(room - text_width(indent), MIN_COLUMN)
    lines: list[str] = []
    for para in text.split("\n"):
        line, used = "", 0
        start = len(lines)
        for token in _WORD.findall(para):
            limit = room if len(lines) == start == 0 else rest
            tw = text_width(token)
            if token.isspace():
                if line or len(lines) == start:  # a paragraph's own indent is kept
                    line, used = line + token, used + tw
                continue
            if used and used + tw > limit:
                lines.append(line.rstrip())
                line, used, limit = "", 0, rest
            while tw > limit - used:
                cut, cw = _cut(token, limit - used)
                lines.append(line + cut)
                line, used, limit = "", 0, rest
                token, tw = token[len(cut) :], tw - cw
            line, used = line + token, used + tw
        lines.append(line.rstrip())
    return lines[0] + "".join("\n" + indent + line for line in lines[1:])


def _cut(word: str, columns: int) -> tuple[str, int]:
    used = 0
    for i, ch in enumerate(word):
        w = _char_width(ch)
        if used + w > columns and i:
            return word[:i], used
        used += w
    return word, used


def longest_word(text: str) -> int:
    """The widest piece of text that wraps only when cut: a word, a reference, a date."""
    return max((text_width(t) for t in _WORD.findall(text) if not t.isspace()), default=0)


def fit_columns(natural: list[int], least: list[int], columns: int, gap: int = 2) -> list[int]:
    """Column widths that fit ``columns`` in all: the widest columns give way first (one
    cap for all), none below its ``least`` (its longest word), so a reference or a date
    is never cut; a table that cannot fit even so keeps those widths."""
    room = columns - gap * (len(natural) - 1)
    if sum(natural) <= room:
        return natural

    def capped(cap: int) -> list[int]:
        return [max(lo, min(n, cap)) for n, lo in zip(natural, least, strict=True)]

    low, high = 0, max(natural)
    while low < high:  # the largest cap that fits
        mid = (low + high + 1) // 2
        if sum(capped(mid)) <= room:
            low = mid
        else:
            high = mid - 1
    return capped(max(low, MIN_COLUMN))


def _pager() -> str | None:
    """The pager command, or None when paging is off."""
    if _no_pager:
        return None
    cmd = os.environ.get("COMPLAINTCTL_PAGER")
    if cmd is None:
        cmd = os.environ.get("PAGER")
    if cmd is None:
        cmd = "less -FRX"
    cmd = cmd.strip()
    return None if cmd in ("", "cat") else cmd


def _rows() -> int:
    lines = os.environ.get("LINES", "")
    if lines.isdigit() and int(lines) > 0:
        return int(lines)
    return shutil.get_terminal_size().lines


def emit(text: str) -> None:
    """Print text for a person; on a terminal, text longer than the screen goes through
    the pager (as git does: ``LESS=FRX`` when unset, so colour passes and a screenful
    is not held)."""
    pager = _pager() if is_terminal() else None
    if pager is None or text.count("\n") + 1 < _rows():
        click.echo(text)
        return
    env = dict(os.environ)
    env.setdefault("LESS", "FRX")
    env.setdefault("LV", "-c")
    sys.stdout.flush()
    import subprocess

    try:
        proc = subprocess.Popen(pager, shell=True, stdin=subprocess.PIPE, env=env)
    except OSError:
        click.echo(text)
        return
    assert proc.stdin is not None
    try:
        proc.stdin.write((text + "\n").encode("utf-8", "replace"))
        proc.stdin.close()
    except BrokenPipeError:  # the reader quit the pager before the end
        pass
    if proc.wait() in (126, 127):  # the shell found no such pager: the text is not lost
        click.echo(text)
