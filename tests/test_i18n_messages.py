"""i18n's kept catalog parse: the same translations as gettext's, never stale."""

from __future__ import annotations

import gettext
import io
from pathlib import Path

import pytest

from complaintctl import i18n

PO = i18n.LOCALE_DIR / "zh" / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"


@pytest.fixture
def mo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> bytes:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return i18n.compile_po(PO)


def test_every_message_as_gettext_gives_it(mo: bytes) -> None:
    real = gettext.GNUTranslations(io.BytesIO(mo))
    first = i18n._messages("zh", mo)  # parsed, and kept
    again = i18n._messages("zh", mo)  # from the kept parse
    assert isinstance(again, i18n.Messages)
    keys = list(real._catalog)  # type: ignore[attr-defined]
    assert len(keys) > 1000
    for key in keys:
        context, sep, message = key.partition("\x04")
        for cat in (first, again):
            if sep:
                assert cat.pgettext(context, message) == real.pgettext(context, message)
            else:
                assert cat.gettext(key) == real.gettext(key)
    for cat in (first, again):
        assert cat.gettext("no such message") == "no such message"
        assert cat.pgettext("status", "no such status") == "no such status"
        assert cat.pgettext("nonsense", "open") == real.pgettext("nonsense", "open")


def test_changed_bytes_are_parsed_again(mo: bytes, tmp_path: Path) -> None:
    i18n._messages("zh", mo)
    kept = tmp_path / "cache" / "complaintctl" / "complaintctl-zh.messages.marshal"
    assert kept.is_file()
    po = tmp_path / "x.po"
    po.write_text(
        PO.read_text("utf-8").replace('msgstr "警告:{message}"', 'msgstr "注意:{message}"'),
        "utf-8",
    )
    other = i18n.compile_po(po)
    assert other != mo
    assert i18n._messages("zh", other).gettext("Warning: {message}") != (
        i18n._messages("zh", mo).gettext("Warning: {message}")
    )
    for damage in (b"", b"junk", kept.read_bytes()[:-5]):
        kept.write_bytes(damage)
        assert i18n._messages("zh", mo).gettext("Warning: {message}") == (
            gettext.GNUTranslations(io.BytesIO(mo)).gettext("Warning: {message}")
        )


@pytest.mark.parametrize("home", ["", "relative/home"])
def test_no_absolute_cache_directory_keeps_nothing_in_the_current_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, home: str
) -> None:
    """A relative ``XDG_CACHE_HOME`` is ignored (the XDG rule) and an empty or
    relative ``HOME`` gives no cache: the catalog is parsed, nothing is written."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", "cache")
    monkeypatch.setenv("HOME", home)
    mo = i18n.compile_po(PO)
    cat = i18n._messages("zh", mo)
    assert cat.gettext("Warning: {message}") == (
        gettext.GNUTranslations(io.BytesIO(mo)).gettext("Warning: {message}")
    )
    assert list(tmp_path.iterdir()) == []
