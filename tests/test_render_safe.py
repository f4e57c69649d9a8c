"""render.safe: its ASCII fast path and its patterns compiled late escape as the regexes did."""

from __future__ import annotations

import random
import re

from complaintctl.render import Attention, safe

#: safe()'s patterns as they were compiled at import before (the reference).
UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f]")
UNSAFE_MULTILINE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f]")


def _escape(m: re.Match[str]) -> str:
    c = m.group()
    return f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}"


def test_safe_escapes_as_the_patterns_do() -> None:
    rng = random.Random(14)
    alphabet = [chr(i) for i in range(0x300)] + list("\u202a\u202e\u2066\u2069\u200e\u200f王。")
    for _ in range(20000):
        if rng.random() < 0.5:
            text = "".join(chr(rng.randint(0, 127)) for _ in range(rng.randint(0, 8)))
        else:
            text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8)))
        assert safe(text) == UNSAFE.sub(_escape, text)
        assert safe(text, multiline=True) == UNSAFE_MULTILINE.sub(_escape, text)
        marked = Attention(text)  # a table's marked cell: a plain str out, as re.sub gives
        assert type(safe(marked)) is str
        assert type(safe(marked, multiline=True)) is str
        assert safe(marked, multiline=True) == UNSAFE_MULTILINE.sub(_escape, text)


def test_controls_are_escaped() -> None:
    assert safe("a\x1b[31mb") == "a\\x1b[31mb"
    assert safe("a\nb") == "a\\x0ab"
    assert safe("a\nb", multiline=True) == "a\nb"
    assert safe("del\x7f") == "del\\x7f"
    assert safe("ok text 1") == "ok text 1"
    assert safe(12) == "12"
    assert safe(None) == ""
