"""What every read model reads through: the caught-up cache, the SLA clock, the settings.

One :class:`Reading` per store and command, built by :class:`projections.models.ReadModels`;
each read model (``projections.cases``, ``customers``, ``deadlines``,
``stats``, ``reports``, ``groups``, ``handovers``, ``audit``) is a small
class over it (:class:`ReadModel`) with the questions of one area.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

from events.personal import Keyring
from events.policy import Policy
from events.records import record
from projections.cache import Projector
from projections.settings import ReadSettings
from projections.sla import Clock
from projections.source import EventSource


@record
class Reading:
    """The parts one store's read models share (opened lazily by the projector)."""

    policy: Policy
    settings: ReadSettings
    sla: Clock
    source: EventSource
    projector: Projector
    keyring: Keyring | None
    now: Callable[[], datetime]


class ReadModel:
    """A read model: the shared parts under short names."""

    def __init__(self, r: Reading) -> None:
        self.r = r
        self.policy = r.policy
        self.settings = r.settings
        self.sla = r.sla
        self.source = r.source
        self.projector = r.projector
        self.keyring = r.keyring
        self.now = r.now


@contextmanager
def no_gc() -> Iterator[None]:
    """The cyclic collector off while many acyclic documents are alive (it would rescan them)."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()
