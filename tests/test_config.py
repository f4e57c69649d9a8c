"""``complaintctl.toml`` parsed once: every table checked, unknown keys refused, numbers bounded.

Each problem is a ConfigError naming the dotted key; through the CLI it is
exit 2 before anything is written or read.
"""

from __future__ import annotations

import tomllib
from datetime import date, datetime, time
from typing import Any

import pytest
import tomli_w
from conftest import MANAGER, Store

from complaintctl import config as configuration
from complaintctl.config import ConfigError, parse
from complaintctl.presets import PRESETS, preset
from events.complaint import STATUSES
from events.policy import DEFAULT_CATEGORIES, DEFAULT_CHANNELS, Policy
from projections.settings import ReadSettings


def changed(path: tuple[str, ...], value: Any, name: str = "car-service") -> dict[str, Any]:
    """A preset with one value set at ``path`` (tables made on the way)."""
    data = preset(name)
    target = data
    for key in path[:-1]:
        target = target.setdefault(key, {})
    target[path[-1]] = value
    return data


def refused(data: dict[str, Any]) -> ConfigError:
    with pytest.raises(ConfigError) as e:
        parse(data)
    return e.value


# -- unknown keys, wherever they are ---------------------------------------------------

UNKNOWN = [
    ("colour",),
    ("shop", "colour"),
    ("store", "colour"),
    ("privacy", "colour"),
    ("reply", "colour"),
    ("regulatory", "colour"),
    ("tiers", "1", "colour"),
    ("staff", "张伟", "colour"),
    ("major", "colour"),
    ("shop", "shifts", "day", "colour"),
]


@pytest.mark.parametrize("path", UNKNOWN, ids=".".join)
def test_an_unknown_key_is_refused_by_its_dotted_name(path: tuple[str, ...]) -> None:
    data = changed(path, "blue")
    if path[:2] == ("shop", "shifts"):
        data["shop"]["shifts"]["day"] |= {"start": "08:00", "end": "20:00"}
    e = refused(data)
    assert e.key == ".".join(path)
    assert e.problem.startswith("unknown key (known: ")


def test_an_unknown_key_exits_2_before_any_command_runs(store: Store) -> None:
    path = store.path / configuration.CONFIG_NAME
    data = tomllib.loads(path.read_text("utf-8"))
    data["reply"]["resolve_hour"] = 48  # a typo: before, silently ignored
    path.write_text(tomli_w.dumps(data), "utf-8")
    for args in (["list"], ["new", "--customer", "a", "--contact", "b", "--channel", "phone",
                            "--category", "other", "--summary", "s"]):  # fmt: skip
        r = store.invoke(*args)
        assert r.exit_code == 2, r.stderr
        assert "invalid config: reply.resolve_hour: unknown key" in r.stderr


# -- what only reads checked before ----------------------------------------------------


def test_the_read_settings_come_from_the_one_parse() -> None:
    data = preset("car-service")
    data["reply"] |= {"pause_statuses": ["awaiting_customer", "acknowledged"], "resolve_hours": 72}
    data["shop"] |= {
        "followup_quota": 30,
        "followup_days": 5,
        "due_soon_hours": 8,
        "shifts": {"early": {"start": "06:00", "end": "14:00"}},
    }
    read = parse(data).read
    assert read == ReadSettings(
        pause_statuses=("awaiting_customer", "acknowledged"),
        resolve_hours=72,
        followup_days=5,
        followup_quota=30,
        due_soon_hours=8,
        shifts={"early": (time(6), time(14))},
    )


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_parses_with_the_default_read_settings(name: str) -> None:
    assert parse(preset(name)).read == ReadSettings()


@pytest.mark.parametrize(
    ("path", "value", "key"),
    [
        (("reply", "pause_statuses"), ["sleeping"], "reply.pause_statuses"),
        (("reply", "pause_statuses"), "awaiting_customer", "reply.pause_statuses"),
        (("reply", "resolve_hours"), -1, "reply.resolve_hours"),
        (("reply", "resolve_hours"), "168", "reply.resolve_hours"),
        (("shop", "followup_days"), 2.5, "shop.followup_days"),
        (("shop", "followup_quota"), True, "shop.followup_quota"),
        (("shop", "shifts"), {}, "shop.shifts"),
        (("shop", "shifts"), "day", "shop.shifts"),
        (("shop", "shifts", "x"), {"start": "soon"}, "shop.shifts.x"),
        (("shop", "shifts", "x"), {"start": "08:00"}, "shop.shifts.x"),
        (("shop", "shifts", "x"), "08:00-20:00", "shop.shifts.x"),
    ],
)
def test_read_settings_are_checked_when_the_config_loads(
    path: tuple[str, ...], value: Any, key: str
) -> None:
    e = refused(changed(path, value))
    assert e.key == key


def test_a_bad_read_setting_refuses_a_write_too(store: Store) -> None:
    """Checked at load: a broken shift table no longer lets writing commands through."""
    path = store.path / configuration.CONFIG_NAME
    good = path.read_text("utf-8")
    data = tomllib.loads(good)
    data["shop"]["shifts"] = {"day": {"start": "soon", "end": "20:00"}}
    before = store.event_count()
    path.write_text(tomli_w.dumps(data), "utf-8")
    r = store.invoke("new", "--customer", "a", "--contact", "b", "--channel", "phone",
                     "--category", "other", "--summary", "s")  # fmt: skip
    assert r.exit_code == 2 and "shop.shifts.day: needs start and end" in r.stderr
    path.write_text(good, "utf-8")
    assert store.event_count() == before


# -- numbers within bounds -------------------------------------------------------------

ABSURD = [
    ("reply", "hours"),
    ("reply", "major_hours"),
    ("reply", "resolve_hours"),
    ("shop", "followup_days"),
    ("shop", "followup_quota"),
    ("shop", "due_soon_hours"),
    ("regulatory", "decision_days"),
    ("major", "repeat_count"),
    ("major", "repeat_days"),
    ("privacy", "retention_days"),
    ("store", "port"),
]


@pytest.mark.parametrize("path", ABSURD, ids=".".join)
@pytest.mark.parametrize("value", [10**15, 1e15, 2**63 - 1])
def test_absurd_numbers_are_refused_naming_the_key(path: tuple[str, ...], value: float) -> None:
    e = refused(changed(path, value))
    assert e.key == ".".join(path)


def test_absurd_reply_hours_exit_2_naming_the_key_not_an_overflow(store: Store) -> None:
    path = store.path / configuration.CONFIG_NAME
    good = path.read_text("utf-8")
    ref = store.new()
    for text in ("hours = 1e15", "hours = 1000000000000000"):
        path.write_text(good.replace("hours = 24", text, 1), "utf-8")
        for args in (["ack", ref], ["overdue"], ["sla", ref]):
            r = store.invoke(*args)
            assert r.exit_code == 2, (args, r.exit_code, r.stderr)
            assert "invalid config: reply.hours: must be a whole number" in r.stderr


def test_extensions_and_days_are_bounded_too() -> None:
    assert refused(changed(("regulatory", "extensions"), [30, 10**9])).key == (
        "regulatory.extensions"
    )
    assert refused(changed(("regulatory", "extensions"), [True])).key == "regulatory.extensions"


# -- the calendar's inputs -------------------------------------------------------------


def test_the_calendar_needs_a_working_day_and_dates_for_holidays() -> None:
    assert refused(changed(("shop", "working_days"), [])).key == "shop.working_days"
    assert refused(changed(("shop", "working_days"), [0])).key == "shop.working_days"
    moment = datetime(2026, 10, 1, 9, 0)
    assert refused(changed(("shop", "holidays"), [moment])).key == "shop.holidays[0]"
    cfg = parse(changed(("shop", "holidays"), [date(2026, 10, 1), "2026-10-02"]))
    assert cfg.policy.calendar.holidays == {date(2026, 10, 1), date(2026, 10, 2)}
    assert refused(changed(("reply", "basis"), "weekly")).key == "reply.basis"


# -- the edge's own settings -----------------------------------------------------------


def test_store_settings_are_typed_and_kept_for_the_persistence_environment() -> None:
    pg = {"backend": "postgres", "host": "db", "port": 5432, "dbname": "c", "user": "u",
          "password": "p", "schema": "s", "lock_timeout": 3}  # fmt: skip
    cfg = parse(changed(("store",), pg))
    assert (cfg.backend, cfg.store) == ("postgres", pg)
    assert refused(changed(("store", "port"), "5432")).key == "store.port"
    assert refused(changed(("store", "host"), 1)).key == "store.host"
    assert refused(changed(("store", "sqlite_dbname"), "")).key == "store.sqlite_dbname"
    assert refused(changed(("store", "key_file"), 3)).key == "store.key_file"


def test_the_shop_name_and_privacy_are_parsed() -> None:
    data = changed(("privacy",), {"encrypt_personal": True, "retention_days": 1095})
    data["shop"]["preset"] = "car-service"
    cfg = parse(data)
    assert (cfg.shop_name, cfg.preset) == ("汽车维修服务站", "car-service")
    assert cfg.encrypt_personal and cfg.policy.retention_days == 1095
    assert refused(changed(("shop", "name"), 3)).key == "shop.name"


# -- single homes ----------------------------------------------------------------------


def test_the_default_lists_live_in_the_policy_and_the_general_preset_writes_them() -> None:
    general = parse(preset("general")).policy
    assert general.categories == DEFAULT_CATEGORIES == Policy().categories
    assert general.channels == DEFAULT_CHANNELS == Policy().channels
    assert general.major.channels == Policy().major.channels
    assert general.tiers == Policy().tiers
    for name in PRESETS:  # every kind of shop meets the default channels
        assert parse(preset(name)).policy.channels == DEFAULT_CHANNELS


def test_pause_statuses_are_the_write_models_statuses() -> None:
    cfg = parse(changed(("reply", "pause_statuses"), list(STATUSES)))
    assert cfg.read.pause_statuses == STATUSES


def test_init_writes_a_config_that_parses_with_the_same_settings(store: Store) -> None:
    store.ok("init", "--preset", "bank", "--force", actor=MANAGER)
    cfg = configuration.load(store.path / configuration.CONFIG_NAME)
    assert cfg.preset == "bank" and cfg.policy.reply_basis == "working"
    assert cfg.read == ReadSettings()
