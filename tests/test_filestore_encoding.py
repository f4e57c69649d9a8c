"""The bulk line encoder writes exactly the bytes of the general one."""

from __future__ import annotations

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from complaintctl.filestore.lines import EventLineEncoder, decode_line, encode_line, is_plain_json
from events.transcoding import _OPTIONS

text = st.text(max_size=40)  # any Unicode the library could hand us, quotes and controls too


@settings(max_examples=300, deadline=None)
@given(
    position=st.integers(1, 10**12),
    originator_id=text,
    version=st.integers(0, 10**9),
    topic=text,
    commit=st.booleans(),
    state=st.one_of(st.binary(max_size=60), st.just(b'{"actor":"\xe5\xbc\xa0\xe4\xbc\x9f"}')),
    recorded_at=text,
)
def test_bulk_encoder_matches_encode_line(
    position: int,
    originator_id: str,
    version: int,
    topic: str,
    commit: bool,
    state: bytes,
    recorded_at: str,
) -> None:
    header = {
        "position": position,
        "originator_id": originator_id,
        "version": version,
        "topic": topic,
        "recorded_at": recorded_at,
        "commit": commit,
    }
    expected = encode_line("a" * 64, header, state)
    got = EventLineEncoder(recorded_at).event(
        "a" * 64, position, originator_id, version, topic, commit, state
    )
    assert got == expected
    line = decode_line(got[0][:-1])
    assert line.header == header and line.state == state


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats()  # NaN and infinities too: orjson writes null
    | st.text(),  # newlines, quotes, controls, U+2028, anything
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=400, deadline=None)
@given(value=st.dictionaries(st.text(max_size=10), json_values, max_size=6))
def test_orjson_output_is_plain_json_so_a_vouched_state_is_written_alike(
    value: dict[str, object],
) -> None:
    """What ``plain_json=True`` (``Log.append``) rests on: orjson's output without an
    indent option is always what ``is_plain_json`` accepts, so skipping the check writes
    the same line."""
    state = orjson.dumps(value, option=_OPTIONS)
    assert is_plain_json(state)
    encoder = EventLineEncoder("2026-12-01T00:00:00+00:00")
    args = ("b" * 64, 7, "case-1", 1, "complaints:Received", True, state)
    assert encoder.event(*args, True) == encoder.event(*args)
