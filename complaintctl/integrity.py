"""Checks over every event that hold on any backend, and the log's head.

The file store checks its own lines (``filestore.verify``); a database holds
no chain, so these checks read the events as the read side does (through an
:class:`~projections.source.EventSource`), where each event carries its chain
hash (the line's own on the file store, the computed chain elsewhere):

- the **head**: the position and hash of the last event, an anchor an auditor
  writes down and later hands back as ``verify --expect POSITION:HASH``;
- **contiguous versions**: every aggregate's events are numbered 1, 2, 3…
  without a gap, so an event cut out of a case (and the chain recomputed)
  is caught and the case named;
- the **counters**: each year's case counter agrees with the numbers the log
  allocated (a rewritten snapshot would hand out wrong numbers or none).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from events.numbering import CaseCounter
from events.topics import RECEIVED
from projections.source import Checkpoint, EventSource

_ALLOCATED = "complaints:NumberAllocated"

_EXPECT = re.compile(r"^(\d+):([0-9a-f]{64})$")


def parse_expect(text: str) -> tuple[int, str]:
    """``POSITION:HASH`` as given to ``verify --expect`` (ValueError if malformed)."""
    m = _EXPECT.match(text.strip().lower())
    if m is None:
        from complaintctl.i18n import _

        raise ValueError(_("expected POSITION:HASH (a number, a colon, 64 hex digits)"))
    return int(m.group(1)), m.group(2)


@dataclass
class LogWalk:
    """What one pass over the events found (``verify --json`` carries it)."""

    events: int = 0
    head: dict[str, Any] | None = None
    problems: list[dict[str, Any]] = field(default_factory=list)
    expected: dict[str, Any] | None = None
    #: Per counter aggregate: its version and the last number allocated in the log.
    counters: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems and (self.expected is None or self.expected["ok"])


def walk_log(source: EventSource, expect: tuple[int, str] | None = None) -> LogWalk:
    """One pass over every event: the head, version gaps, the expected line."""
    result = LogWalk()
    versions: dict[str, int] = {}
    refs: dict[str, str] = {}
    found: str | None = None
    last: dict[str, Any] | None = None
    for batch, _cp in source.read(Checkpoint()):
        for ev in batch:
            result.events += 1
            oid, version = ev["originator_id"], ev["version"]
            if ev["topic"] == RECEIVED:
                ref = ev["data"].get("ref")
                if isinstance(ref, str):
                    refs[oid] = ref
            before = versions.get(oid, 0)
            if version != before + 1:
                result.problems.append(
                    {
                        "problem": "version-gap",
                        "originator_id": oid,
                        "ref": refs.get(oid),
                        "position": ev["position"],
                        "expected_version": before + 1,
                        "found_version": version,
                    }
                )
            versions[oid] = version
            if ev["topic"] == _ALLOCATED:
                result.counters[oid] = (version, int(ev["data"].get("number", 0)))
            if expect is not None and ev["position"] == expect[0]:
                found = ev["hash"]
            last = ev
    for p in result.problems:  # a gap at version 1 is seen before the case's ref is
        p["ref"] = p["ref"] or refs.get(p["originator_id"])
    if last is not None:
        result.head = {"position": last["position"], "hash": last["hash"]}
    if expect is not None:
        result.expected = {
            "position": expect[0],
            "hash": expect[1],
            "found": found,
            "ok": found == expect[1],
        }
    return result


def check_counters(walk: LogWalk, load: Any) -> None:
    """Each counter as the application loads it (from its snapshot, if any) must agree
    with the log: same version, same last number. ``load(UUID)`` is the repository's get."""
    from uuid import UUID

    for oid, (version, number) in walk.counters.items():
        try:
            counter = load(UUID(oid))
            state = (counter.version, counter.last) if isinstance(counter, CaseCounter) else None
            detail = None if state == (version, number) else f"loads as {state}"
        except Exception as e:  # a snapshot that cannot be read at all
            detail = f"cannot be loaded ({type(e).__name__}: {e})"
        if detail is not None:
            walk.problems.append(
                {
                    "problem": "counter-mismatch",
                    "originator_id": oid,
                    "detail": (
                        f"case counter {oid}: the log allocated number {number} at version"
                        f" {version}, but the counter {detail}; its snapshot was changed"
                        " (new cases would get wrong numbers or fail)"
                    ),
                }
            )


def problem_text(p: dict[str, Any]) -> str:
    """One line for a person about a problem :func:`walk_log` found."""
    if p["problem"] == "version-gap":
        from complaintctl.i18n import _

        if p["ref"]:
            who = _("case {ref}").format(ref=p["ref"])
        else:
            who = _("aggregate {id}").format(id=p["originator_id"])
        gap = _(
            "{who}: version {found} at position {position} where {expected} was due "
            "(an event is missing)"
        )
        return gap.format(
            who=who,
            found=p["found_version"],
            position=p["position"],
            expected=p["expected_version"],
        )
    return str(p.get("detail") or p["problem"])
