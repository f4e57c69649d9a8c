"""Concurrent writers: numbers stay unique and in order; a conflict reloads and re-checks."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from complaintctl.app import open_app
from complaintctl.sources import app_source
from events import Complaint, ComplaintsApp, ConcurrentChange, NewCase, RuleRefused
from events.complaint import case_id
from projections.caselog import read_case


def _new(customer: str = "王先生") -> NewCase:
    return NewCase(
        customer=customer, contact=customer, channel="phone", category="other", summary="s"
    )


class InterferingApp(ComplaintsApp):
    """Lets a second, real writer change the case between our load and our save."""

    def __init__(
        self, env: dict[str, str], other: ComplaintsApp, moves: list[Callable[[], object]]
    ):
        super().__init__(env)
        self.other = other
        self.moves = moves

    def _case(self, ref: str) -> Complaint:
        case = super()._case(ref)
        if self.moves:
            self.moves.pop(0)()
        return case


def _env(store: Path) -> dict[str, str]:
    return {"PERSISTENCE_MODULE": "complaintctl.filestore", "FILESTORE_PATH": str(store)}


def test_a_conflict_reloads_and_checks_the_rules_again(tmp_path: Path) -> None:
    other = ComplaintsApp(_env(tmp_path))
    ref = other.receive(_new(), "张伟")
    other.resolve(ref, "张伟", "done")
    # Between our load and our save, the other writer closes the case: the retry sees it.
    app = InterferingApp(_env(tmp_path), other, [lambda: other.close_case(ref, "李娜")])
    with pytest.raises(RuleRefused) as e:
        app.assign(ref, "王强", "张伟")
    assert e.value.rule == "closed-case-limited"
    assert [ev.__class__.__name__ for ev in app.events.get(case_id(ref))][-1] == "Closed"


def test_a_conflict_that_goes_away_is_retried_silently(tmp_path: Path) -> None:
    other = ComplaintsApp(_env(tmp_path))
    ref = other.receive(_new(), "张伟")
    app = InterferingApp(_env(tmp_path), other, [lambda: other.note(ref, "other", "李娜")])
    case = read_case(app_source(app), app.note(ref, "mine", "张伟"), None)
    assert [n["text"] for n in case["notes"]] == ["other", "mine"]


def test_a_conflict_that_never_goes_away_gives_up(tmp_path: Path) -> None:
    other = ComplaintsApp(_env(tmp_path))
    ref = other.receive(_new(), "张伟")
    moves: list[Callable[[], object]] = [
        (lambda i=i: other.note(ref, f"other {i}", "李娜")) for i in range(ComplaintsApp.retries)
    ]
    app = InterferingApp(_env(tmp_path), other, moves)
    with pytest.raises(ConcurrentChange):
        app.note(ref, "mine", "张伟")
    assert "mine" not in [n["text"] for n in read_case(app_source(app), ref, None)["notes"]]


WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from complaintctl.app import open_app
    from events import NewCase
    app = open_app(Path(sys.argv[1]))
    for i in range(int(sys.argv[2])):
        ref = app.receive(NewCase(customer=f"c{sys.argv[3]}-{i}", contact=f"{sys.argv[3]}-{i}",
                                  channel="phone", category="other", summary="s"), "w")
        print(ref, flush=True)
    """
)


def test_numbers_are_unique_and_gapless_under_concurrent_writers(tmp_path: Path) -> None:
    writers, each = 4, 8
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(tmp_path), str(each), str(w)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(writers)
    ]
    refs: list[str] = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        refs += out.split()
    year = refs[0].split("-")[1]
    assert sorted(refs) == [f"C-{year}-{n:05d}" for n in range(1, writers * each + 1)]
    app = open_app(tmp_path)
    assert all(read_case(app_source(app), r, app.keyring)["ref"] == r for r in refs)
