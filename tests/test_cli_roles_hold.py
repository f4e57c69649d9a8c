"""Roles that hold (issue 13): re-initialising, the demo and self-approval, attacked
through the real CLI in fresh processes on a real store."""

from __future__ import annotations

import tomllib
from pathlib import Path

from conftest import ADVISER, MANAGER, SERVICE_MANAGER, Store, run_cli
from test_cli_roles import add_auditor, edit_config

AUDITOR = "审计员"


def _staff(store: Store) -> dict[str, dict[str, object]]:
    data = tomllib.loads((store.path / "complaintctl.toml").read_text("utf-8"))
    staff: dict[str, dict[str, object]] = data["staff"]
    return staff


def test_init_force_by_an_auditor_is_refused_and_keeps_the_config(store: Store) -> None:
    add_auditor(store)
    before = (store.path / "complaintctl.toml").read_bytes()
    r = run_cli(store.path, "init", "--force", "--preset", "bank", actor=AUDITOR)
    assert r.returncode == 4, r.stderr
    assert "auditor-read-only" in r.stderr  # an auditor writes nothing, a config neither
    assert (store.path / "complaintctl.toml").read_bytes() == before


def test_init_force_by_an_agent_or_a_stranger_is_refused(store: Store) -> None:
    for actor in (ADVISER, SERVICE_MANAGER, "路人"):
        r = run_cli(store.path, "init", "--force", actor=actor)
        assert r.returncode == 4 and "init-force-needs-manager" in r.stderr, (actor, r.stderr)
    edit_config(store, lambda d: d["shop"].__setitem__("allow_unknown_staff", False))
    r = run_cli(store.path, "init", "--force", actor="路人")
    assert r.returncode == 4 and "staff-only" in r.stderr
    assert "路人" not in _staff(store)


def test_init_force_by_a_manager_still_works(store: Store) -> None:
    r = run_cli(store.path, "init", "--force", "--preset", "bank", actor=MANAGER)
    assert r.returncode == 0, r.stderr
    assert _staff(store)[MANAGER]["role"] == "manager"


def test_demo_refuses_a_directory_holding_a_store(store: Store) -> None:
    ref = store.new()
    events = store.event_count()
    r = run_cli(store.path, "demo", "--dir", str(store.path))
    assert r.returncode == 4, r.stderr
    assert "demo-needs-own-directory" in r.stderr
    assert store.event_count() == events
    assert store.show(ref)["ref"] == ref


def test_demo_refuses_any_foreign_non_empty_directory_and_reuses_its_own(tmp_path: Path) -> None:
    other = tmp_path / "papers"
    other.mkdir()
    (other / "notes.txt").write_text("x", "utf-8")
    r = run_cli(tmp_path, "demo", "--dir", str(other))
    assert r.returncode == 4 and "demo-needs-own-directory" in r.stderr
    assert sorted(p.name for p in other.iterdir()) == ["notes.txt"]
    demo = tmp_path / "demo"
    assert run_cli(tmp_path, "demo", "--dir", str(demo)).returncode == 0
    assert run_cli(tmp_path, "demo", "--dir", str(demo)).returncode == 0


def _proposed_within_limit(store: Store) -> str:
    ref = store.new()
    store.ok("propose", ref, "--remedy", "fee-waiver", "--amount", "100", "--currency", "CNY")
    assert store.show(ref)["proposals"][0]["needs_approval"] is False
    return ref


def test_an_agent_cannot_approve_their_own_proposal_that_needed_no_approval(
    store: Store,
) -> None:
    ref = _proposed_within_limit(store)
    events = store.event_count()
    r = run_cli(store.path, "approve", ref, actor=ADVISER)
    assert r.returncode == 4, r.stderr
    assert "approval-not-needed" in r.stderr
    assert store.event_count() == events
    assert store.show(ref)["proposals"][0]["approved_by"] is None
    store.ok("accept", ref)  # it needed no approval: the customer may accept it as it is


def test_a_higher_tier_may_still_endorse_a_proposal_within_the_limit(store: Store) -> None:
    ref = _proposed_within_limit(store)
    store.ok("approve", ref, actor=SERVICE_MANAGER)
    assert store.show(ref)["proposals"][0]["approved_by"] == SERVICE_MANAGER
