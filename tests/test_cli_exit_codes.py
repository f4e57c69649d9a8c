"""Each exit code of CLI.md, reached the way a user reaches it; failures write nothing."""

from __future__ import annotations

import fcntl
import os
import tomllib
from pathlib import Path

import pytest
import tomli_w
from click.testing import CliRunner
from conftest import MANAGER, Store, run_cli

from complaintctl.cli import main
from complaintctl.errors import translate
from events.errors import ConcurrentChange

# -- 2: bad usage or invalid input -------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("ack", "{ref}", "--reply-by", "next tuesday"), "not a time"),
        (("ack", "{ref}", "--reply-by", "2026-02-30"), "not a time"),
        (("ack", "{ref}", "--bogus"), "No such option"),
        (("propose", "{ref}", "--remedy", "cash"), "cash"),
        (("propose", "{ref}", "--remedy", "refund", "--amount", "12,5"), "not a decimal"),
        (("propose", "{ref}", "--remedy", "refund", "--amount", "NaN"), "not a finite"),
        (("propose", "{ref}", "--remedy", "refund", "--amount", "-1"), "negative"),
        (("propose", "{ref}", "--remedy", "refund", "--currency", "CNY"), "needs --amount"),
        (("propose", "{ref}", "--remedy", "refund", "--amount", "1", "--currency", "¥"), "code"),
        (("escalate", "{ref}", "--tier", "4", "--reason", "x"), "tier"),
        (("followup", "{ref}", "--outcome", "maybe"), "maybe"),
        (("followup", "{ref}", "--outcome", "reached", "--satisfaction", "6"), "satisfaction"),
        (("classify", "{ref}", "--category", "weather"), "unknown category"),
        (("classify", "{ref}"), "needs --category or --severity"),
        (("transfer", "{ref}", "bakery"), "unknown department"),
        (("assess", "{ref}"), "--valid or --not-valid"),
        (("note", "{ref}", "   "), "needs some text"),
    ],
)
def test_bad_input_exits_2(store: Store, args: tuple[str, ...], message: str) -> None:
    ref = store.new()
    r = store.refused(*(a.format(ref=ref) for a in args), code=2)
    assert message in r.stderr


def test_new_with_unknown_channel_or_missing_option_exits_2(store: Store) -> None:
    base = ["new", "--customer", "a", "--contact", "b", "--category", "other", "--summary", "s"]
    r = store.refused(*base, "--channel", "pigeon", code=2)
    assert "unknown channel 'pigeon'" in r.stderr
    r = store.refused(*base, code=2)
    assert "--channel" in r.stderr
    store.refused(*base, "--channel", "phone", "--received-at", "soon", code=2)
    store.refused(*base, "--channel", "phone", "--currency", "CNY", code=2)
    r = store.refused(*base, "--channel", "phone", "--received-at", "+2d", code=2)
    assert "in the future" in r.stderr
    r = store.refused(*base, "--channel", "phone", "--received-at", "2026-11-01",
                      "--occurred-at", "2026-11-02", code=2)  # fmt: skip
    assert "occurred after" in r.stderr
    ref = store.new(received_at="2026-11-01T10:00")
    r = store.refused("ack", ref, "--reply-by", "2026-11-01T09:00", code=2)
    assert "before the complaint was received" in r.stderr


def test_invalid_config_exits_2_naming_the_key(store: Store) -> None:
    path = store.path / "complaintctl.toml"
    good = path.read_text("utf-8")
    data = tomllib.loads(good)
    data["tiers"]["2"]["remedy_limit"] = "lots"
    path.write_text(tomli_w.dumps(data), "utf-8")
    r = store.invoke("show", "C-2026-00001")
    assert r.exit_code == 2
    assert "tiers.2.remedy_limit: not a decimal" in r.stderr
    for change, key in [
        ({"shop": {**data["shop"], "timezone": "Mars/Olympus"}}, "shop.timezone"),
        ({"staff": {"x": {"tier": 9}}}, "staff.x.tier"),
        ({"staff": {"x": {"role": "king"}}}, "staff.x.role"),
        ({"colour": "blue"}, "colour: unknown key"),
        ({"channels": []}, "channels: must not be empty"),
        ({"reply": {"hours": 0}}, "reply.hours"),
        ({"major": {"channels": ["tv"]}}, "major.channels"),
    ]:
        broken = tomllib.loads(good) | change
        path.write_text(tomli_w.dumps(broken), "utf-8")
        r = store.invoke("new", "--customer", "a", "--contact", "b", "--channel", "phone",
                         "--category", "other", "--summary", "s")  # fmt: skip
        assert r.exit_code == 2, (change, r.stderr)
        assert key in r.stderr
    path.write_text("not = [toml", "utf-8")
    r = store.invoke("show", "C-2026-00001")
    assert r.exit_code == 2 and "not valid TOML" in r.stderr


def test_no_config_exits_2_and_says_run_init(tmp_path: Path) -> None:
    s = Store(tmp_path / "nowhere")
    r = s.invoke("show", "C-2026-00001")
    assert r.exit_code == 2 and "complaintctl init" in r.stderr


def test_init_twice_needs_force(store: Store) -> None:
    r = store.invoke("init", actor=MANAGER)
    assert r.exit_code == 2 and "--force" in r.stderr
    store.ok("init", "--preset", "bank", "--force", actor=MANAGER)


# -- 3: not found ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("show", "C-2026-99999"),
        ("history", "c-2026-99999"),
        ("ack", "C-2026-99999"),
        ("close", "nonsense"),
        ("note", "C-2025-00001", "x"),
    ],
)
def test_unknown_case_exits_3(store: Store, args: tuple[str, ...]) -> None:
    store.new()
    r = store.refused(*args, code=3)
    assert "no such case" in r.stderr


def test_link_with_an_unknown_case_exits_3_and_links_nothing(store: Store) -> None:
    ref = store.new()
    store.refused("link", ref, "C-2026-04242", "--group", "g", code=3)
    assert store.show(ref)["links"] == []


def test_attach_to_an_unknown_case_exits_3_and_keeps_no_file(store: Store, tmp_path: Path) -> None:
    f = tmp_path / "a.txt"
    f.write_text("evidence")
    store.refused("attach", "C-2026-00077", str(f), code=3)
    assert not (store.path / "attachments").exists() or not any(
        p.is_file() and not p.name.startswith(".") for p in (store.path / "attachments").rglob("*")
    )


def test_refused_attach_keeps_no_file(store: Store, tmp_path: Path) -> None:
    ref = store.new()
    store.ok("resolve", ref, "--summary", "s")
    store.ok("close", ref)
    store.ok("archive", ref)
    f = tmp_path / "late.txt"
    f.write_text("too late")
    store.refused("attach", ref, str(f), rule="archived-read-only")
    assert not list((store.path / "attachments").rglob("*/*"))


# -- 5: conflict ------------------------------------------------------------------------------


def test_a_conflict_that_retries_cannot_fix_exits_5() -> None:
    err = translate(ConcurrentChange("gave up"))
    assert err is not None and err.exit_code == 5


# -- 6: verification ----------------------------------------------------------------------------


def test_verify_passes_on_an_intact_store(store: Store, tmp_path: Path) -> None:
    ref = store.new()
    f = tmp_path / "photo.jpg"
    f.write_bytes(b"\xff\xd8 jpeg")
    store.ok("attach", ref, str(f), "--kind", "photo")
    report = store.json("verify")
    assert report["ok"] is True
    assert report["attachments"][0]["ok"] is True
    assert any(log["events"] > 0 for log in report["logs"])


def test_verify_finds_a_changed_attachment(store: Store, tmp_path: Path) -> None:
    ref = store.new()
    f = tmp_path / "form.pdf"
    f.write_bytes(b"%PDF signed by customer")
    store.ok("attach", ref, str(f), "--kind", "signed-form")
    sha = store.show(ref)["attachments"][0]["sha256"]
    blob = store.path / "attachments" / sha[:2] / sha
    assert blob.read_bytes() == f.read_bytes()
    blob.write_bytes(b"%PDF forged")
    r = store.invoke("verify")
    assert r.exit_code == 6 and "changed" in r.stdout
    blob.unlink()
    r = store.invoke("verify", "--json")
    assert r.exit_code == 6 and '"missing"' in r.stdout


def test_verify_finds_an_edited_log_line(store: Store) -> None:
    store.new(summary="原始陈述")
    log = store.path / "events.jsonl"
    text = log.read_text("utf-8")
    # The summary is sealed (issue 13): edit a plain field of the same line.
    assert '"severity":"general"' in text and "原始陈述" not in text
    log.write_text(text.replace('"severity":"general"', '"severity":"major"'), "utf-8")
    r = store.invoke("verify")
    assert r.exit_code == 6
    assert "hash" in r.stdout


# -- 7: store unavailable -------------------------------------------------------------------------


def test_a_store_locked_too_long_exits_7(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    ref = store.new()
    monkeypatch.setenv("FILESTORE_LOCK_TIMEOUT", "0.2")
    fd = os.open(store.path / "events.lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        r = store.invoke("note", ref, "while locked")
    finally:
        os.close(fd)
    assert r.exit_code == 7, r.stderr
    assert "locked" in r.stderr
    assert len(store.show(ref)["notes"]) == 0


def test_a_store_that_is_not_a_directory_exits_7(store: Store, tmp_path: Path) -> None:
    not_a_dir = tmp_path / "plain-file"
    not_a_dir.write_text("x")
    r = CliRunner().invoke(
        main,
        ["--store", str(not_a_dir / "store"), "--config", str(store.path / "complaintctl.toml"),
         "show", "C-2026-00001"],
    )  # fmt: skip
    assert r.exit_code == 7, r.stderr
    assert "store unavailable" in r.stderr


# -- 1: unexpected ---------------------------------------------------------------------


def test_an_unexpected_failure_exits_1_without_traceback(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.new()
    # The library's per-application override names a module that does not exist.
    monkeypatch.setenv("COMPLAINTS_PERSISTENCE_MODULE", "no_such_module_here")
    p = run_cli(store.path, "show", "C-2026-00001")
    assert p.returncode == 1
    assert "this is a bug" in p.stderr and "Traceback" not in p.stderr
    p = run_cli(store.path, "--debug", "show", "C-2026-00001")
    assert p.returncode == 1 and "Traceback" in p.stderr
