"""The display language: which one a person reads, and the gettext catalog that speaks it.

The language is, first found: ``--lang``, ``COMPLAINTCTL_LANG``, the config's
``[display] language``, the locale (``LC_ALL``, ``LC_MESSAGES``, ``LANG``:
``zh_*`` is Chinese), else English. English is the source text and needs no
catalog. The Chinese catalog's source is ``locale/zh/LC_MESSAGES/complaintctl.po``;
the build compiles it to a ``.mo`` next to it (``setup.py``). A checkout without
one (an editable install) compiles the ``.po`` once with Babel into the user's
cache, so a plain command only reads a ``.mo`` with the standard library.

Only what a person reads goes through here: JSON, CSV keys and values and exit
codes are the same in every language.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Protocol, TypeVar, cast


class Catalog(Protocol):
    """What this module asks of a catalog: gettext's two look-ups."""

    def gettext(self, message: str) -> str: ...

    def pgettext(self, context: str, message: str) -> str: ...


#: The languages of ``--lang`` and ``[display] language``.
LANGUAGES = ("en", "zh")
DOMAIN = "complaintctl"
LOCALE_DIR = Path(__file__).with_name("locale")

_catalogs: dict[str, Catalog | None] = {}
_language = "en"
#: Set by ``--lang``/``COMPLAINTCTL_LANG``: the config's language does not override it.
_explicit = False
#: The shop's names for its keys, per language: ``{"zh": {"categories": {"misquote": ...}}}``.
_names: dict[str, dict[str, dict[str, str]]] = {}
#: The columns that hold the shop's own keys, and the ``[display.<language>]`` table naming them.
SHOP_KEYS = {
    "category": "categories",
    "channel": "channels",
    "department": "departments",
    "shift": "shifts",
}


def from_locale(environ: os._Environ[str] | dict[str, str] | None = None) -> str:
    """The language the locale asks for: ``zh`` for any ``zh_*`` locale, else ``en``."""
    env = os.environ if environ is None else environ
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(var)
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def choose(language: str | None) -> None:
    """The language of ``--lang``/``COMPLAINTCTL_LANG`` (None: the locale, until the config)."""
    global _explicit, _names
    _explicit = language is not None
    _names = {}
    use(language or from_locale())


def config_says(language: str | None, names: dict[str, dict[str, dict[str, str]]]) -> None:
    """The config's ``[display] language`` (it wins over the locale, not over ``--lang``),
    and its ``[display.<language>]`` names for the shop's own keys."""
    global _names
    _names = names
    if language and not _explicit:
        use(language)


def chosen() -> str | None:
    """The language ``--lang``/``COMPLAINTCTL_LANG`` chose (None: none was chosen)."""
    return _language if _explicit else None


def use(language: str) -> None:
    """Speak ``language`` from now on; its catalog is read at the first message translated
    (a command that prints only JSON never reads it)."""
    global _language
    if language == _language:
        return
    _language = language
    if language != "en":
        _speak_for_click()


def _catalog_now() -> Catalog | None:
    """The catalog of the language (None in English), read once per process."""
    if _language == "en":
        return None
    if _language not in _catalogs:
        _catalogs[_language] = _catalog(_language)
    return _catalogs[_language]


def _speak_for_click() -> None:
    """click words its own messages (``Error:``, ``Missing option``...) through the standard
    gettext's global domain; bind the names its modules call to this catalog instead (in
    English it returns the message as it is, so this never needs undoing). Not click.core
    nor click.decorators: they word help texts that a command keeps once made (the
    formatter translates those as it writes them)."""
    import click.exceptions
    import click.formatting
    import click.parser
    import click.termui
    import click.types

    for module in (
        click.exceptions,
        click.formatting,
        click.parser,
        click.termui,
        click.types,
    ):
        module._ = _  # type: ignore[attr-defined]


def language() -> str:
    return _language


def _(message: str) -> str:
    """``message`` in the display language (the English text is the msgid)."""
    cat = _catalog_now()
    return message if cat is None else cat.gettext(message)


def pgettext(context: str, message: str) -> str:
    """``message`` in the display language, in a context (``status``, ``severity``...)."""
    cat = _catalog_now()
    return message if cat is None else cat.pgettext(context, message)


def N_(message: str) -> str:
    """Marks a message for the catalog where it is translated later (a table of names)."""
    return message


#: The contexts of the labels of built-in values, by the column or key that holds them.
LABEL_CONTEXTS = {
    "status": "status",
    "severity": "severity",
    "severity_by": "severity_by",
    "kind": "kind",
    "remedy": "kind",
    "state": "state",
    "remedy_state": "remedy_state",
    "outcome": "outcome",
    "role": "role",
    "type": "event",
    "event": "event",
    "deadline": "deadline",
    "mode": "mode",
    "attachment": "attachment",
    "field": "column",
    "key": "key",
    "promise": "promise",
    "action": "action",
    "age": "age",
    "from_status": "status",
    "previous_severity": "severity",
}


T = TypeVar("T")


def label(key: str, value: T) -> T:
    """A built-in value of column ``key`` as a person reads it (other values unchanged);
    a key of the shop's (category, channel...) by the name its config gives it."""
    if not isinstance(value, str) or not value:
        return value
    return labeller(key)(value)


def labeller(key: str) -> Callable[[T], T]:
    """:func:`label` of column ``key`` for many values: the shop's names, the catalog and
    the context looked up once (a table of 300 rows labels thousands of cells)."""
    names = _names.get(_language, {}).get(SHOP_KEYS[key], {}) if key in SHOP_KEYS else {}
    cat = _catalog_now()
    context = None if cat is None else LABEL_CONTEXTS.get(key)

    def one(value: T) -> T:
        if not isinstance(value, str) or not value:
            return value
        name = names.get(value)
        if name is not None:
            return cast(T, name)
        if context is None or cat is None:
            return value
        return cast(T, cat.pgettext(context, value))

    return one


def heading(column: str) -> str:
    """A column key (``received_at``) as a table heading a person reads."""
    cat = _catalog_now()
    return column if cat is None else cat.pgettext("column", column)


# -- the catalog ------------------------------------------------------------------------


def _catalog(language: str) -> Catalog | None:
    po = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    mo = po.with_suffix(".mo")
    try:
        po_stat = po.stat()
    except OSError:
        return None  # no catalog: the English text
    try:
        if mo.stat().st_mtime_ns >= po_stat.st_mtime_ns:
            return _read_mo(mo, language)
    except OSError:
        pass
    cached = _cache_dir() / f"{DOMAIN}-{language}-{po_stat.st_mtime_ns}-{po_stat.st_size}.mo"
    try:
        return _read_mo(cached, language)
    except OSError:
        pass
    data = compile_po(po)
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_name(f"{cached.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        tmp.replace(cached)
    except OSError:
        pass  # a read-only home: compile again next time
    return _messages(language, data)


def _read_mo(path: Path, language: str) -> Catalog:
    return _messages(language, path.read_bytes())


class Messages:
    """A compiled catalog's messages, looked up as ``gettext.GNUTranslations`` looks them
    up (a catalog without plural forms or a fallback: every key a str)."""

    def __init__(self, catalog: dict[str, str]) -> None:
        self._catalog = catalog

    def gettext(self, message: str) -> str:
        return self._catalog.get(message, message)

    def pgettext(self, context: str, message: str) -> str:
        return self._catalog.get(f"{context}\x04{message}", message)


#: What a kept parse of a catalog was made by (another Python's marshal is not trusted).
_MADE_BY = ("complaintctl-catalog-1", tuple(sys.version_info[:3]))


def _messages(language: str, mo: bytes) -> Catalog:
    """The catalog in ``mo`` (a ``.mo`` file's bytes), its parse kept in the user's cache.

    The standard library parses a ``.mo`` message by message in Python: about 16 M
    instructions for this catalog, every time a command prints text for a person
    (BENCHMARKS.md, issue 14, fourth round). The parse (``GNUTranslations``'s own
    dict) is kept with the bytes it was made from, and used only for the same bytes.
    A catalog with plural forms is not kept (its look-ups are gettext's own).
    """
    import marshal

    kept: Path | None = None
    try:
        kept = _cache_dir() / f"{DOMAIN}-{language}.messages.marshal"
        made_by, source, catalog = marshal.loads(kept.read_bytes())
        if made_by == _MADE_BY and source == mo and type(catalog) is dict:
            return Messages(catalog)
    except RuntimeError:  # no home directory to keep it in: parsed every time
        pass
    except (OSError, EOFError, ValueError, TypeError):
        pass
    import gettext
    import io

    parsed = gettext.GNUTranslations(io.BytesIO(mo))
    catalog = getattr(parsed, "_catalog", None)
    if type(catalog) is not dict or not all(
        type(k) is str and type(v) is str for k, v in catalog.items()
    ):
        return parsed
    if kept is None:
        return Messages(catalog)
    try:
        kept.parent.mkdir(parents=True, exist_ok=True)
        tmp = kept.with_name(f"{kept.name}.{os.getpid()}.tmp")
        tmp.write_bytes(marshal.dumps((_MADE_BY, mo, catalog)))
        tmp.replace(kept)
    except OSError:
        pass  # a read-only home: parsed again next time
    return Messages(catalog)


def _cache_dir() -> Path:
    """The user's cache (XDG); RuntimeError where there is no absolute one to use,
    so that a relative ``XDG_CACHE_HOME`` or an empty ``HOME`` never writes into
    the current directory."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        base = os.path.join(os.path.expanduser("~"), ".cache")
    if not os.path.isabs(base):
        raise RuntimeError("no home directory")
    return Path(base) / "complaintctl"


def compile_po(po: Path) -> bytes:
    """The ``.mo`` bytes of a ``.po`` file (Babel; only when no compiled catalog exists)."""
    import io

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as f:
        catalog = read_po(f)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    return buf.getvalue()
