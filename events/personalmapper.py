"""The library's side of sealing personal data: its mapper and a transcoding (writers).

:mod:`events.personal` seals and opens the values and is all a reader needs;
this module plugs that into the library's ``Mapper`` and ``Transcoding``, so
that only the write model imports the library's persistence and domain
modules (a read of the file store never does).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import (
    DataError,
    Mapper,
    MapperDeserialisationError,
    StoredEvent,
    Transcoding,
)
from eventsourcing.utils import get_topic

from events.personal import (
    FORGOTTEN,
    PERSONAL_FIELDS,
    RECEIVED,
    SEALED,
    TEXT_FIELDS,
    TYPE_NAME,
    Keyring,
    Personal,
    seal,
    seal_all,
    subject_of,
    unseal,
)


class PersonalTranscoding(Transcoding):
    """Seals :class:`Personal` values on encode; opens them (or says forgotten) on decode."""

    type = Personal
    name = TYPE_NAME

    def __init__(self, keyring: Keyring | None) -> None:
        self.keyring = keyring

    def encode(self, obj: Personal) -> dict[str, str]:
        if self.keyring is None:
            raise TypeError("personal values are sealed only with a keyring")
        return seal(obj.text, obj.subject, self.keyring.create_key(obj.subject))

    def decode(self, data: dict[str, str]) -> str:
        return unseal(data, self.keyring)


def _sealable(value: Any) -> bool:
    """A field's value is sealed if it is a non-empty string or a list holding one."""
    if isinstance(value, str):
        return bool(value)
    return isinstance(value, list) and any(isinstance(v, str) and v for v in value)


def _sealed(
    state: dict[str, Any], names: tuple[str, ...], subject: str, key: bytes
) -> dict[str, Any]:
    """The fields ``names`` of ``state`` as stored: each string (or each string of a list;
    "" stays) sealed, in the wrapper the transcoder reads back
    (``{"_type_": "personal", "_data_": ...}``), all in one :func:`seal_all`."""
    texts: list[str] = []
    for name in names:
        value = state.get(name)
        if isinstance(value, str):
            if value:
                texts.append(value)
        elif isinstance(value, list):
            texts += [v for v in value if isinstance(v, str) and v]
    done = iter(seal_all(texts, subject, key))

    def wrap(text: Any) -> Any:
        if isinstance(text, str) and text:
            return {"_type_": TYPE_NAME, "_data_": next(done)}
        return text

    out: dict[str, Any] = {}
    for name in names:
        value = state.get(name)
        if isinstance(value, str):
            out[name] = wrap(value)
        elif isinstance(value, list):
            out[name] = [wrap(v) for v in value]
    return out


class PersonalMapper(Mapper[UUID]):
    """The library's mapper, with the personal fields wrapped for sealing before encoding.

    With ``seal_text`` the free text of case events (:data:`TEXT_FIELDS`) is sealed
    too, under the key of the case's customer. A later event does not name its
    customer: the mapper learns each case's subject when it writes or reads the
    case's ``Received`` (every command loads the case before it changes it). A
    case whose customer was forgotten has no key left: its later text stays plain.
    """

    keyring: Keyring | None = None
    seal_text: bool = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: case id -> subject, as learnt from the case's receipt (bounded: see _learn).
        self.subjects: dict[UUID, str] = {}

    def _learn(self, oid: UUID, subject: str) -> None:
        if len(self.subjects) > 100_000:
            self.subjects.clear()
        self.subjects[oid] = subject

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        topic = get_topic(type(domain_event))
        fields = PERSONAL_FIELDS.get(topic, ())
        text = TEXT_FIELDS.get(topic, ()) if self.seal_text else ()
        if (fields or text) and self.keyring is not None:
            state = vars(domain_event)
            oid = domain_event.originator_id
            if fields:
                subject: str | None = subject_of(topic, state, self.keyring)
                if topic == RECEIVED and subject is not None:
                    self._learn(oid, subject)
            else:
                subject = self.subjects.get(oid)
            names = tuple(n for n in (*fields, *text) if _sealable(state.get(n)))
            if subject is not None and names:
                key = self.keyring.create_key(subject)  # once per event, not per value
                # A copy with the fields sealed: the aggregate keeps its plain strings.
                sealed = object.__new__(type(domain_event))
                sealed.__dict__.update(state, **_sealed(state, names, subject, key))
                domain_event = sealed
        return super().to_stored_event(domain_event)

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        """As the library's, but a damaged sealed value stays a ``DataError`` (exit 6)."""
        try:
            event = super().to_domain_event(stored_event)
        except MapperDeserialisationError as e:
            if isinstance(e.__cause__, DataError):
                raise e.__cause__ from None
            raise
        if self.seal_text and self.keyring is not None and stored_event.topic == RECEIVED:
            state = vars(event)
            if state.get("customer") not in (FORGOTTEN, SEALED):
                self._learn(event.originator_id, subject_of(RECEIVED, state, self.keyring))
        return event
