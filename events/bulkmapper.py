"""Many events mapped to stored events in one pass each: a bulk import's mapping.

The library's ``Mapper.to_stored_event`` copies an event's state and encodes it;
:class:`~events.personalmapper.PersonalMapper` first makes a sealed copy of the
event, so each event's state is copied twice, and the transcoder walks the
whole state once more to see whether orjson may encode it. :func:`stored_events`
gives the same stored events (the same topics, the same keys in the same order,
the same sealing) with one copy per event, the sealed values put into that copy,
and orjson called at once where every value is of a type it writes as the
library does. Anything else (another transcoder, a compressor or a cipher, a
mapper of another class) goes through the mapper's own ``to_stored_event``.
``tests/test_import_bulk.py`` checks the two agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Mapper, StoredEvent
from eventsourcing.utils import get_topic

from events.personal import PERSONAL_FIELDS, RECEIVED, TEXT_FIELDS, subject_of
from events.personalmapper import PersonalMapper, _sealable, _sealed
from events.transcoding import _ALIKE, _OPTIONS, FastJSONTranscoder, _orjson_writes_it_alike


def _fast(mapper: Mapper[UUID]) -> bool:
    """Whether the one-pass mapping gives what this mapper gives."""
    return (
        type(mapper) in (Mapper, PersonalMapper)
        and type(mapper.transcoder) is FastJSONTranscoder
        and mapper.compressor is None
        and mapper.cipher is None
    )


def stored_events(
    mapper: Mapper[UUID], events: Sequence[DomainEventProtocol[UUID]]
) -> list[StoredEvent]:
    """``[mapper.to_stored_event(e) for e in events]``, in one pass per event."""
    if not _fast(mapper):
        return [mapper.to_stored_event(e) for e in events]
    transcoder = mapper.transcoder
    assert isinstance(transcoder, FastJSONTranscoder)
    default = transcoder._encode_obj
    personal = isinstance(mapper, PersonalMapper) and mapper.keyring is not None
    keyring = mapper.keyring if isinstance(mapper, PersonalMapper) else None
    seal_text = isinstance(mapper, PersonalMapper) and mapper.seal_text
    kinds: dict[type[Any], tuple[str, int, tuple[str, ...], tuple[str, ...]]] = {}
    out: list[StoredEvent] = []
    for event in events:
        cls = type(event)
        kind = kinds.get(cls)
        if kind is None:
            topic = get_topic(cls)
            kind = kinds[cls] = (
                topic,
                getattr(cls, "class_version", 1),
                PERSONAL_FIELDS.get(topic, ()),
                TEXT_FIELDS.get(topic, ()) if seal_text else (),
            )
        topic, class_version, fields, text = kind
        state = dict(vars(event))
        oid = state.pop("originator_id")
        version = state.pop("originator_version")
        if class_version > 1:
            state["class_version"] = class_version
        if personal and (fields or text):
            assert isinstance(mapper, PersonalMapper) and keyring is not None
            if fields:
                subject: str | None = subject_of(topic, state, keyring)
                if topic == RECEIVED and subject is not None:
                    mapper._learn(oid, subject)
            else:
                subject = mapper.subjects.get(oid)
            names = tuple(n for n in (*fields, *text) if _sealable(state.get(n)))
            if subject is not None and names:
                # In place, in this one copy: each key keeps its place.
                state.update(_sealed(state, names, subject, keyring.create_key(subject)))
        out.append(StoredEvent(oid, version, topic, _encode(state, transcoder, default)))
    return out


def _encode(state: dict[str, Any], transcoder: FastJSONTranscoder, default: Any) -> bytes:
    """``transcoder.encode(state)``: orjson at once when the top-level values are of the
    types it writes alike (the rest looked into as the transcoder looks)."""
    for value in state.values():
        if type(value) not in _ALIKE and not _orjson_writes_it_alike(value):
            return transcoder.encode(state)
    try:
        return orjson.dumps(state, default=default, option=_OPTIONS)
    except TypeError:
        return transcoder.encode(state)
