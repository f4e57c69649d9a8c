"""The compiled methods of dataclasses, kept in the user's cache between processes.

:mod:`dataclasses` writes each generated method (``__init__``, ``__repr__``,
``__eq__``, ``__setattr__``, ...) as source text and ``exec``-utes it: Python
parses and compiles that text anew in every process. A write builds some
twenty dataclasses (the library's events and records, the case's event
classes as its replay meets them): parsing and compiling their methods was
about 70 M instructions of a ~480 M ``note`` (BENCHMARKS.md, issue 14, fifth
round). :func:`install` gives the :mod:`dataclasses` module an ``exec`` that
compiles a text once and keeps the code object, keyed by the text itself, in
``~/.cache/complaintctl`` (XDG), with the Python version that made it.

The result is the same as the standard library's: a code object is a
function of its text (compiled as ``exec`` compiles a string there: file
``<string>``, no inherited ``__future__`` flags), then run with the same
globals and namespace. A kept file is read only if this user owns it and
nobody else may write it (it holds code); any other problem with it (none,
corrupt, another Python's) means compiling as before, and a new file is
written at the process's end when something was compiled.
"""

from __future__ import annotations

import builtins
import os
import stat
import sys
from pathlib import Path
from typing import Any

#: What a kept file was made by (another Python's marshal is not trusted).
_MADE_BY = ("complaintctl-dataclass-code-1", sys.version, sys.implementation.cache_tag)
#: More texts than this are not kept (a process making dataclasses from varying text).
_MOST = 4000

_codes: dict[str, Any] = {}
_new = 0
_installed = False


def _kept() -> Path:
    from complaintctl.i18n import _cache_dir  # RuntimeError: no home to keep it in

    return _cache_dir() / f"dataclass-code-{sys.implementation.cache_tag}.marshal"


def _load(path: Path) -> None:
    import marshal

    try:
        st = path.stat()
        if st.st_uid != os.getuid() or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            return
        made_by, codes = marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return
    if made_by == _MADE_BY and type(codes) is dict:
        _codes.update(codes)


def _save() -> None:
    if not _new or len(_codes) > _MOST:
        return
    import marshal

    try:
        path = _kept()
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(marshal.dumps((_MADE_BY, _codes)))
        tmp.replace(path)
    except (OSError, RuntimeError, ValueError):
        pass  # a read-only home: compiled again next time


def _exec(source: Any, globals: Any = None, locals: Any = None, /, **kw: Any) -> None:
    """``exec`` for :mod:`dataclasses`: a text is compiled once, its code kept."""
    global _new
    if type(source) is str and not kw:
        code = _codes.get(source)
        if code is None:
            code = compile(source, "<string>", "exec", dont_inherit=True)
            _codes[source] = code
            _new += 1
        source = code
    builtins.exec(source, globals, locals, **kw)


def install() -> None:
    """From now on, dataclasses' methods come from the kept code (once per process)."""
    global _installed
    if _installed:
        return
    _installed = True
    import atexit
    import contextlib
    import dataclasses

    with contextlib.suppress(RuntimeError):  # no home directory: compiled here only
        _load(_kept())
    dataclasses.exec = _exec  # type: ignore[attr-defined]  # found before the builtin
    atexit.register(_save)
