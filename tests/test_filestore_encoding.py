"""The bulk line encoder writes exactly the bytes of the general one."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from complaintctl.filestore.lines import EventLineEncoder, decode_line, encode_line

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
