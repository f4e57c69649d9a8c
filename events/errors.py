"""Named domain exceptions: the edge maps each one to an exit code."""

from __future__ import annotations


class DomainError(Exception):
    """Base class of every failure the write model reports on purpose."""


class InvalidInput(DomainError):
    """A value is not one the policy knows (unknown channel, bad tier, negative amount)."""


class CaseNotFound(DomainError):
    """No case with this reference exists in the store."""

    def __init__(self, ref: str) -> None:
        super().__init__(f"no such case: {ref}")
        self.ref = ref


class GroupNotFound(DomainError):
    """No group with this name exists in the store."""

    def __init__(self, name: str) -> None:
        super().__init__(f"no such group: {name}")
        self.name = name


class RuleRefused(DomainError):
    """A business rule (or the actor's role) refuses the action; nothing was written.

    ``rule`` is a stable identifier that scripts and tests can match on.
    """

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(f"refused by rule {rule}: {message}")
        self.rule = rule
        self.message = message


class ConcurrentChange(DomainError):
    """Another writer kept changing the same case; retries did not help."""
