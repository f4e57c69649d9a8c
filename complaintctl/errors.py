"""Exit codes of CLI.md, in one place: every expected failure is a ClickException here.

Imports only click at load time: :func:`translate` reaches for the exceptions of
the layers below when a failure happens, so ``--help`` stays lean.
"""

from __future__ import annotations

import click

OK = 0
UNEXPECTED = 1
USAGE = 2
NOT_FOUND = 3
REFUSED = 4
CONFLICT = 5
VERIFY_FAILED = 6
UNAVAILABLE = 7
#: Done, and attention is needed (``--fail-on-overdue``, ``alerts`` with something to say).
ATTENTION = 8


class CliError(click.ClickException):
    """An expected failure with its exit code; click prints "Error: ..." to stderr."""

    exit_code = UNEXPECTED

    def format_message(self) -> str:
        from complaintctl.render import safe

        return safe(self.message)


class UsageProblem(CliError):
    exit_code = USAGE


class NotFound(CliError):
    exit_code = NOT_FOUND


class Refused(CliError):
    exit_code = REFUSED


class Conflict(CliError):
    exit_code = CONFLICT


class VerifyFailed(CliError):
    exit_code = VERIFY_FAILED


class StoreUnavailable(CliError):
    exit_code = UNAVAILABLE


class Bug(CliError):
    exit_code = UNEXPECTED


def translate(exc: BaseException) -> CliError | None:
    """The CLI error for an exception from below, or None if it is not an expected one."""
    from eventsourcing.persistence import (
        DataError,
        IntegrityError,
        InterfaceError,
        OperationalError,
    )

    from complaintctl.config import ConfigError, ConfigUnreadable
    from complaintctl.eventimport import EventImportConflict, EventImportError
    from complaintctl.i18n import _
    from complaintctl.importer import ImportFileError
    from complaintctl.migrate import MigrationError, TargetNotEmptyError, TargetUnreachable
    from events.errors import (
        CaseNotFound,
        ConcurrentChange,
        DomainError,
        GroupNotFound,
        InvalidInput,
        RuleRefused,
    )
    from events.handovers import HandoverNotFound

    if isinstance(exc, ConfigUnreadable):
        return StoreUnavailable(_("store unavailable: config {problem}").format(problem=exc))
    if isinstance(exc, ConfigError):
        return UsageProblem(_("invalid config: {problem}").format(problem=exc))
    if isinstance(exc, TargetNotEmptyError):
        from complaintctl.refusals import refused

        return Refused(refused("migrate-into-empty", str(exc)))
    if isinstance(exc, TargetUnreachable):
        return StoreUnavailable(str(exc))
    if isinstance(exc, MigrationError):
        return VerifyFailed(str(exc))
    if isinstance(exc, EventImportConflict):
        return Refused(_("refused by rule import-events-into-empty: {problem}").format(problem=exc))
    if isinstance(exc, ImportFileError | EventImportError):
        return UsageProblem(str(exc))
    if isinstance(exc, CaseNotFound):
        return NotFound(_("no such case: {ref}").format(ref=exc.ref))
    if isinstance(exc, GroupNotFound):
        return NotFound(_("no such group: {name}").format(name=exc.name))
    if isinstance(exc, HandoverNotFound):
        return NotFound(str(exc))
    if isinstance(exc, RuleRefused):
        from complaintctl.refusals import refused

        return Refused(refused(exc.rule, exc.message))
    if isinstance(exc, InvalidInput):
        from complaintctl.refusals import detail

        return UsageProblem(detail(str(exc)))
    if isinstance(exc, ConcurrentChange | IntegrityError):
        return Conflict(_("conflict: {problem}").format(problem=exc))
    if isinstance(exc, DomainError):
        return Bug(_("unexpected domain error: {problem}").format(problem=exc))
    from eventsourcing.domain import OriginatorVersionError

    if isinstance(exc, OriginatorVersionError):  # a stored aggregate with a version gap
        return VerifyFailed(
            _(
                "the store is damaged: an aggregate's events are not contiguous {problem};"
                " run `complaintctl verify`"
            ).format(problem=exc)
        )
    if isinstance(exc, DataError):
        return VerifyFailed(
            _("the store is damaged: {problem}; run `complaintctl verify`").format(problem=exc)
        )
    sqlite_error = _sqlite_error(exc)
    if sqlite_error is not None:
        return sqlite_error
    # InterfaceError: the database cannot be opened or reached (a directory given as a
    # SQLite file, a server that refuses): unavailable, like a locked or full store.
    if isinstance(exc, OperationalError | InterfaceError | PermissionError):
        return StoreUnavailable(_("store unavailable: {problem}").format(problem=exc))
    if isinstance(exc, ValueError) and "null byte" in str(exc):
        # os and pathlib refuse NUL in a path; only a caller in Python can pass one.
        return UsageProblem(_("a NUL byte in a file name or path"))
    if isinstance(exc, OSError) and exc.errno is not None:
        import errno

        if exc.errno in (errno.ENOSPC, errno.EACCES, errno.EROFS, errno.EDQUOT, errno.EFBIG):
            return StoreUnavailable(_("store unavailable: {problem}").format(problem=exc.strerror))
        # A path the user named that cannot be one (too long, a directory, missing parent).
        bad_path = (errno.ENAMETOOLONG, errno.ENOTDIR, errno.EISDIR, errno.ENOENT, errno.EEXIST,
                    errno.ELOOP, errno.EINVAL)  # fmt: skip
        if exc.errno in bad_path:
            where = f"{exc.filename}: " if exc.filename is not None else ""
            return UsageProblem(f"{where}{exc.strerror}")
    return None


#: SQLite's primary result codes that mean the database cannot be used now, not a bug:
#: PERM, BUSY, LOCKED, NOMEM, READONLY, IOERR (a full tmpfs says so), FULL, CANTOPEN,
#: PROTOCOL, AUTH.
_SQLITE_UNAVAILABLE = {3, 5, 6, 7, 8, 10, 13, 14, 15, 23}
_SQLITE_DAMAGED = {11, 26}  # CORRUPT, NOTADB


def _sqlite_error(exc: BaseException) -> CliError | None:
    """A raw ``sqlite3`` error (the library's SQLite module, the keyring and the cache let
    some through, opening above all) by its result code: a full or read-only disk is
    exit 7, a damaged database exit 6; anything else (SQL the code got wrong) stays a bug.
    """
    import sqlite3

    if not isinstance(exc, sqlite3.DatabaseError):
        return None
    code = getattr(exc, "sqlite_errorcode", None)
    if not isinstance(code, int):
        return None
    from complaintctl.i18n import _

    if code & 0xFF in _SQLITE_UNAVAILABLE:
        return StoreUnavailable(
            _("store unavailable: {problem} (disk full, read-only or no permission?)").format(
                problem=exc
            )
        )
    if code & 0xFF in _SQLITE_DAMAGED:
        return VerifyFailed(
            _("the store is damaged: {problem}; run `complaintctl verify`").format(problem=exc)
        )
    return None
