"""``[display]``: the language people read, and the names they read for the shop's own
keys (``[display.zh]``, ``[display.en]``).
"""

from __future__ import annotations

from typing import Any

from complaintctl.config.checks import ConfigError, known, one_of, subtable
from complaintctl.i18n import _

_DISPLAY_KEYS = frozenset({"language", "zh", "en"})
#: What ``[display.<language>]`` names: the shop's keys, shown to people by these names.
_NAMED = ("categories", "channels", "departments", "shifts")


def display_language(display: dict[str, Any]) -> str | None:
    """``[display] language``: one of the languages the CLI speaks (complaintctl.i18n)."""
    from complaintctl.i18n import LANGUAGES

    known(display, _DISPLAY_KEYS, "display")
    if "language" not in display:
        return None
    one_of("display.language", display["language"], LANGUAGES)
    return str(display["language"])


def display_names(display: dict[str, Any]) -> dict[str, dict[str, dict[str, str]]]:
    """``[display.zh]`` and ``[display.en]``: the names people read for the shop's own keys.

    Keys stay what scripts and imports type. A name for a key the config does not (or no
    longer) has is kept but never shown, so that editing a list never breaks the file.
    """
    out: dict[str, dict[str, dict[str, str]]] = {}
    for language in ("zh", "en"):
        if language not in display:
            continue
        table = subtable(display, language, "display")
        known(table, frozenset(_NAMED), f"display.{language}")
        out[language] = {}
        for what in _NAMED:
            where = f"display.{language}.{what}"
            names = subtable(table, what, f"display.{language}")
            for key, name in names.items():
                if not isinstance(name, str) or not name.strip():
                    raise ConfigError(f"{where}.{key}", _("must be a non-empty string"))
            out[language][what] = dict(names)
    return out
