"""render.to_json: orjson where it writes what json.dumps(indent=2) writes, byte for byte."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from complaintctl import render

scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(1 << 70), 1 << 70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.floats(min_value=-1e17, max_value=1e17)
    | st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=20)
    | st.sampled_from(["王先生", "\x1b[31m", "\u2028", "\x7f", "a\nb", "\\", '"', ""])
)
documents = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=8), inner, max_size=5)
    ),
    max_leaves=40,
)


def _stdlib(data: Any) -> str:
    return render.json_safe(json.dumps(data, ensure_ascii=False, indent=2))


@settings(max_examples=500, deadline=None)
@given(documents)
def test_the_same_text_as_the_standard_library(data: Any) -> None:
    assert render.to_json(data) == _stdlib(data)


def test_what_orjson_would_write_otherwise_goes_to_the_standard_library() -> None:
    for data in (
        1e-05,
        float("nan"),
        1e16,
        1 << 64,
        {1: "int key"},
        {"a": [{"b": 2.5e-7}]},
        ["x"] * 3 + [float("inf")],
    ):
        assert render._orjson_text(data) is None, data
        assert render.to_json(data) == _stdlib(data)
    assert render._orjson_text({"hours": 12.5, "ref": "C-2026-00001"}) is not None
    nested: Any = []
    for _ in range(300):
        nested = [nested]
    assert render.to_json(nested) == _stdlib(nested)


def test_what_neither_writes_still_fails_as_before() -> None:
    try:
        render.to_json({"x": Decimal("1")})
    except TypeError as e:
        assert "Decimal" in str(e)
    else:
        raise AssertionError("a Decimal was written")
