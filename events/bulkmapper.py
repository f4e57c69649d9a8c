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

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import DatetimeAsISO, Mapper, StoredEvent
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
    return mapped(mapper, events)[0]


def mapped(
    mapper: Mapper[UUID], events: Sequence[DomainEventProtocol[UUID]]
) -> tuple[list[StoredEvent], bool]:
    """:func:`stored_events`, and whether every state is orjson's own output (no indent
    option): valid JSON on one line, which a store may take without parsing it again."""
    if not _fast(mapper):
        return [mapper.to_stored_event(e) for e in events], False
    transcoder = mapper.transcoder
    assert isinstance(transcoder, FastJSONTranscoder)
    default = _default(transcoder)
    personal = mapper if isinstance(mapper, PersonalMapper) else None
    keyring = personal.keyring if personal is not None else None
    seal_text = personal is not None and personal.seal_text
    kinds: dict[type[Any], tuple[str, int, tuple[str, ...], tuple[str, ...]]] = {}
    # A batch's customers come again (a case, its customer file): each pseudonym and
    # key looked up once per batch.
    subjects: dict[tuple[Any, Any, Any], str] = {}
    keys: dict[str, bytes] = {}
    out: list[StoredEvent] = []
    plain = True
    for event in events:
        cls = type(event)
        kind = kinds.get(cls)
        if kind is None:
            topic = get_topic(cls)
            fields = PERSONAL_FIELDS.get(topic, ())
            text = TEXT_FIELDS.get(topic, ()) if seal_text else ()
            kind = kinds[cls] = (topic, getattr(cls, "class_version", 1), fields, (*fields, *text))
        topic, class_version, fields, sealable = kind
        state = dict(vars(event))
        oid = state.pop("originator_id")
        version = state.pop("originator_version")
        if class_version > 1:
            state["class_version"] = class_version
        alike = _alike(state)
        if sealable and keyring is not None:
            assert personal is not None
            if not fields:
                subject: str | None = personal.subjects.get(oid)
            elif topic == RECEIVED:
                basis = (state["customer"], state["contact"], state["account"])
                subject = subjects.get(basis)
                if subject is None:
                    subject = subjects[basis] = subject_of(topic, state, keyring)
                personal._learn(oid, subject)
            else:
                subject = subject_of(topic, state, keyring)
            # _sealable: a non-empty string, or a list holding one (None, "" and [] are not).
            names = tuple(
                n for n in sealable if (v := state.get(n)) and (type(v) is str or _sealable(v))
            )
            if subject is not None and names:
                key = keys.get(subject)
                if key is None:
                    key = keys[subject] = keyring.create_key(subject)
                # In place, in this one copy: each key keeps its place.
                state.update(_sealed(state, names, subject, key))
        encoded, by_orjson = _encode(state, alike, transcoder, default)
        plain = plain and by_orjson
        out.append(StoredEvent(oid, version, topic, encoded))
    return out, plain


_LISTED = frozenset({str})


def _alike(state: dict[str, Any]) -> bool:
    """Whether orjson writes this state as the library's encoder does (what
    ``FastJSONTranscoder`` asks), looked at before sealing: a sealed value is a dict of
    strings in place of a string."""
    for value in state.values():
        kind = type(value)
        if kind in _ALIKE or (kind is list and set(map(type, value)) <= _LISTED):
            continue
        if not _orjson_writes_it_alike(value):
            return False
    return True


def _default(transcoder: FastJSONTranscoder) -> Callable[[Any], Any]:
    """The transcoder's ``default`` for orjson, with a datetime (an event's every time)
    written at once where the library's own ``DatetimeAsISO`` is the one registered.
    For one :func:`mapped` call (its events keep their datetimes alive)."""
    encode_obj = transcoder._encode_obj
    iso = transcoder.types.get(datetime)
    if type(iso) is not DatetimeAsISO:
        return encode_obj
    name = iso.name
    # A batch's events share datetime objects (the save's recorded_at, a row's stated
    # time): each one's text made once, by identity (equal datetimes of two zones write
    # differently). Held with its object, so no id is reused while this mapping runs.
    made: dict[int, tuple[datetime, dict[str, str]]] = {}

    def default(obj: Any) -> Any:
        if type(obj) is datetime:
            hit = made.get(id(obj))
            if hit is None or hit[0] is not obj:
                hit = made[id(obj)] = (obj, {"_type_": name, "_data_": obj.isoformat()})
            return hit[1]
        return encode_obj(obj)

    return default


def _encode(
    state: dict[str, Any], alike: bool, transcoder: FastJSONTranscoder, default: Any
) -> tuple[bytes, bool]:
    """``transcoder.encode(state)``: orjson at once when ``alike``; and whether orjson
    wrote it (``_OPTIONS`` has no indent: one line of valid JSON)."""
    if alike:
        try:
            return orjson.dumps(state, default=default, option=_OPTIONS), True
        except TypeError:
            pass
    return transcoder.encode(state), False
