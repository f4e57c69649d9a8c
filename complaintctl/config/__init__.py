"""``complaintctl.toml``: read with tomllib (the parse kept for the same bytes: :mod:`.parsed`),
checked key by key, written with tomli-w.

Every problem names its key (``tiers.2.remedy_limit: not a decimal``) so a
shop can fix its file without reading code; the CLI turns it into exit 2.

The file's tables are checked by the modules of this package: :mod:`.rules` (the
shop's rules, the read models' settings), :mod:`.store` (store and privacy),
:mod:`.display` (names and language), each value by :mod:`.checks`; this module
reads and writes the file and builds the :class:`Config` everything reads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from complaintctl.config.checks import ConfigError, ConfigUnreadable, flag, known, subtable
from complaintctl.config.display import display_language, display_names
from complaintctl.config.rules import read_settings, shop_policy
from complaintctl.config.store import BACKENDS, SSLMODES, store_and_privacy
from complaintctl.i18n import _
from events.policy import Policy
from events.records import field, frozen
from projections.settings import ReadSettings

__all__ = [
    "BACKENDS",
    "CONFIG_NAME",
    "MAX_CONFIG_BYTES",
    "SSLMODES",
    "Config",
    "ConfigError",
    "ConfigUnreadable",
    "load",
    "parse",
    "parse_local",
    "read",
    "write",
]

CONFIG_NAME = "complaintctl.toml"

# The keys each table may hold; anything else is refused, naming the dotted key.
_TOP_KEYS = frozenset(
    {
        "shop",
        "store",
        "categories",
        "channels",
        "departments",
        "severities",
        "reply",
        "regulatory",
        "tiers",
        "staff",
        "major",
        "privacy",
        "attachments",
        "display",
        "calendar",
    }
)
_SHOP_KEYS = frozenset(
    {
        "name",
        "preset",
        "timezone",
        "currency",
        "working_days",
        "holidays",
        "allow_unknown_staff",
        "followup_days",
        "followup_quota",
        "due_soon_hours",
        "shifts",
    }
)


@frozen
class Config:
    """The parsed file, once: everything that reads the config reads it from here.

    ``policy`` is what the write model's rules read, ``read`` what the read
    models add; the rest is the edge's: how to open the store (``backend``,
    and ``store``, the checked ``[store]`` table in the shape the persistence
    environment takes, as a ``migrate --target``'s settings are), whether
    personal fields are sealed, and the shop's name for people.
    """

    policy: Policy
    read: ReadSettings = field(default_factory=ReadSettings)
    backend: str = "file"
    store: dict[str, Any] = field(default_factory=dict)
    # Customers' names, contacts and accounts sealed per customer (events.personal).
    encrypt_personal: bool = False
    # Their cases' free text (summary, notes, ...) sealed with the same key (init writes true;
    # absent: an older store, its free text stays plain).
    seal_free_text: bool = False
    shop_name: str = ""
    preset: str | None = None
    #: ``[display.<language>]``: language -> category/channel/department/shift -> key -> name.
    names: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    #: ``[display] language``: what people read (None: the locale decides; complaintctl.i18n).
    language: str | None = None
    # The mapping as read, for rewriting the file; settings never come from here.
    raw: dict[str, Any] = field(default_factory=dict)


def parse(data: dict[str, Any]) -> Config:
    """Check a config mapping and build everything that reads it; ConfigError names the key."""
    known(data, _TOP_KEYS, "")
    shop = subtable(data, "shop")
    known(shop, _SHOP_KEYS, "shop")
    store, backend, encrypt_personal, retention = store_and_privacy(data)
    policy = shop_policy(data, shop, retention)
    name = shop.get("name", "")
    if not isinstance(name, str):
        raise ConfigError("shop.name", _("must be a string"))
    preset = shop.get("preset")
    if preset is not None and not isinstance(preset, str):
        raise ConfigError("shop.preset", _("must be a string"))
    read = read_settings(shop, subtable(data, "reply"))
    display = subtable(data, "display")
    return Config(
        policy=policy,
        read=read,
        backend=backend,
        store=store,
        encrypt_personal=encrypt_personal,
        seal_free_text=flag(subtable(data, "privacy"), "seal_free_text", "privacy", False),
        shop_name=name,
        preset=preset,
        language=display_language(display),
        names=display_names(display),
        raw=data,
    )


def load(path: Path) -> Config:
    """Read and check a config file."""
    return parse(read(path))


def parse_local(data: dict[str, Any]) -> Config:
    """A joined desk's file (``init --join``): only its [store] table; the rules are the store's.

    The policy here is a placeholder until the store's settings are applied
    (``complaintctl.settings.rules_in_force``).
    """
    known(data, frozenset({"store"}), "")
    store, backend, _, _ = store_and_privacy(data)
    return Config(policy=Policy(), backend=backend, store=store, raw=data)


#: A shop's config is a few kB; anything this big is not one (and is not read whole).
MAX_CONFIG_BYTES = 1 << 20


def read(path: Path) -> dict[str, Any]:
    """A config file's mapping, as TOML (ConfigError for a missing or unreadable file)."""
    from complaintctl.regularfile import NotRegular, read_regular

    try:
        text = read_regular(path, MAX_CONFIG_BYTES)
    except NotRegular as e:
        raise ConfigError(str(path), str(e).removeprefix(f"{path}: ")) from None
    except FileNotFoundError:
        raise ConfigError(
            str(path), _("no configuration here; run `complaintctl init` first")
        ) from None
    except PermissionError as e:
        raise ConfigUnreadable(
            str(path), _("cannot read: {error}").format(error=e.strerror)
        ) from None
    except OSError as e:
        raise ConfigError(str(path), _("cannot read: {error}").format(error=e.strerror)) from None
    from complaintctl.config.parsed import parse_toml  # a parse kept for the same bytes

    try:
        data = parse_toml(path, text)
    except UnicodeDecodeError:
        raise ConfigError(str(path), _("not UTF-8")) from None
    except ValueError as e:
        import tomllib  # imported by the parse already

        if not isinstance(e, tomllib.TOMLDecodeError):
            raise
        raise ConfigError(str(path), _("not valid TOML: {error}").format(error=e)) from None
    return data


def write(path: Path, data: dict[str, Any], *, local: bool = False) -> None:
    """Check, then write the config with tomli-w (atomically: a temp file and a rename).

    ``local``: a joined desk's file, only its [store] table (``parse_local``).
    """
    (parse_local if local else parse)(data)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    import tomli_w  # writing only: a read of the config never loads it

    tmp.write_text(tomli_w.dumps(data), encoding="utf-8")
    tmp.replace(path)
