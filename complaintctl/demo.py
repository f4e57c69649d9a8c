"""``complaintctl demo``: the misquoted blower motor from DOMAIN.md, receipt to archive.

It goes through the same application calls as the commands, on a store of
its own (created with the car-service preset, or reused), so running it
twice simply adds a second case. The steps are spread over nine days ending
yesterday, each at its business time (what ``--at`` states): the 24-hour
promise made at the desk and kept the next morning, approval the same
afternoon, the repair two days later, the follow-up call three days after.
A directory the demo did not create (one that holds a real store, or anything
else) is refused: the demo's fictional case, approved under made-up staff names,
must never land among real cases.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from complaintctl import config as configuration
from complaintctl import presets, render
from complaintctl.app import open_app
from complaintctl.errors import Refused
from complaintctl.render.case import case_text
from complaintctl.sources import app_source
from events.application import NewCase
from events.businesstime import acting_at
from projections.case import public
from projections.caselog import read_case

ADVISER, DIRECTOR, MANAGER, BOSS = "张伟", "李娜", "王强", "陈总"

#: Written by the demo into a directory it creates: the one sign that it may reuse it.
MARKER = ".complaintctl-demo"


def _own_directory(directory: Path) -> None:
    """Create the demo's directory, or check it is one the demo made; else refuse."""
    if (directory / MARKER).is_file():
        return
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        from complaintctl.refusals import refused

        raise Refused(
            refused(
                "demo-needs-own-directory",
                f"{directory} is not empty and was not made by the demo (it may hold a real "
                "store); give a new directory with --dir",
            )
        )
    directory.mkdir(parents=True, exist_ok=True)
    (directory / MARKER).write_text("made by `complaintctl demo`\n", "utf-8")


def run_demo(
    directory: Path,
    *,
    as_json: bool,
    echo: Callable[[str], Any],
    show: Callable[[str], Any] | None = None,
) -> dict[str, Any]:
    """Create or reuse the demo store, run one case through its whole life, print it.

    ``echo`` tells each step, ``show`` prints the case at the end (default: ``echo``).
    """
    _own_directory(directory)
    path = directory / configuration.CONFIG_NAME
    if not path.exists():
        data = presets.preset("car-service")
        data["shop"]["name"] = "Demo car-service workshop"
        configuration.write(path, data)
    cfg = configuration.load(path)
    app = open_app(directory, policy=cfg.policy, backend=cfg.backend, settings=cfg.store)
    steps: list[dict[str, str]] = []
    zone = cfg.policy.zone
    # Nine days ago at the shop's opening: promises made and kept over days, each
    # step at the time it happened (what --at gives every writing command).
    today = datetime.now(zone).date()
    day0 = datetime.combine(today - timedelta(days=9), time(9), tzinfo=zone)

    def at(day: int, hh: int, mm: int = 0) -> datetime:
        return day0 + timedelta(days=day, hours=hh - 9, minutes=mm)

    def step(when: datetime, actor: str, what: str) -> None:
        steps.append({"at": when.astimezone(UTC).isoformat(), "actor": actor, "what": what})
        if not as_json:
            echo(render.safe(f"{when:%a %m-%d %H:%M}  {actor:>4}  {what}"))

    def act(when: datetime, call: Callable[[], Any]) -> Any:
        with acting_at(when):
            return call()

    try:
        t = at(0, 10, 5)
        ref = act(
            t,
            lambda: app.receive(
                NewCase(
                    customer="王先生",
                    contact="138 0000 0000",
                    account="沪A·12345",
                    channel="walk-in",
                    category="misquote",
                    summary="空调异响,服务顾问报价鼓风机约200元,更换前才发现实际价格1000多元",
                    demand="按原报价200元更换鼓风机",
                    demand_amount=Decimal("800"),
                    mood="angry",
                    signed_by_customer=True,
                ),
                ADVISER,
            ),
        )
        step(t, ADVISER, f"received {ref} at the service desk (walk-in, signed by the customer)")
        t = at(0, 10, 20)
        act(t, lambda: app.acknowledge(ref, ADVISER, message="当面致歉,承诺24小时内答复"))
        step(t, ADVISER, "apologised and promised a reply within 24 hours")
        t = at(0, 11)
        act(t, lambda: app.transfer(ref, "parts", ADVISER, reason="核对鼓风机价格", co_handle=True))
        step(t, ADVISER, "asked the parts department to co-handle")
        t = at(1, 9, 30)
        act(t, lambda: app.investigate(ref, "服务顾问查错零件号,报了另一型号的价格", DIRECTOR))
        act(
            t,
            lambda: app.assess(
                ref, DIRECTOR, True, "报价前未在系统核对零件号", [ADVISER, "service"]
            ),
        )
        step(t, DIRECTOR, "found the misquote was ours: valid complaint")
        t = at(1, 10)
        act(
            t,
            lambda: app.contact(
                ref, ADVISER, "reached", channel="phone", summary="告知调查结果,今天给出方案"
            ),
        )
        step(t, ADVISER, "called the customer back: the 24-hour promise kept")
        t = at(1, 11)
        act(
            t,
            lambda: app.propose(
                ref, ADVISER, "fee-waiver", Decimal("800"), "CNY", "差价由维修站承担,按原报价收费"
            ),
        )
        step(t, ADVISER, "proposed to waive the 800 CNY difference (above the 500 tier-1 limit)")
        t = at(1, 15)
        act(t, lambda: app.approve(ref, MANAGER))
        step(t, MANAGER, "approved the waiver as service manager (tier 2)")
        t = at(2, 9, 40)
        act(t, lambda: app.accept(ref, ADVISER, reason="客户接受"))
        step(t, ADVISER, "the customer accepted on the phone the next morning")
        t = at(3, 16)
        act(t, lambda: app.resolve(ref, ADVISER, "按200元更换鼓风机,空调异响消除"))
        act(t, lambda: app.close_case(ref, ADVISER))
        step(t, ADVISER, "replaced the blower motor at the quoted price; resolved and closed")
        t = at(6, 10)
        act(t, lambda: app.follow_up(ref, DIRECTOR, "reached", satisfaction=5, channel="phone"))
        step(t, DIRECTOR, "followed up by phone three days later: satisfied (5/5)")
        t = at(7, 14)
        act(
            t,
            lambda: app.review(
                ref,
                MANAGER,
                "报价流程没有复核",
                "报价必须以系统零件号为准",
                "报价双人复核并培训服务顾问",
                MANAGER,
            ),
        )
        step(t, MANAGER, "reviewed: quotes are now checked by a second person")
        t = at(8, 17)
        act(t, lambda: app.archive(ref, BOSS))
        step(t, BOSS, "archived the file")
        final = public(read_case(app_source(app), ref, app.keyring))
    finally:
        app.close()
    result = {"store": str(directory), "ref": final["ref"], "steps": steps, "case": final}
    if as_json:
        render.emit_json(result)
    else:
        echo("")
        (show or echo)(case_text(final, cfg.policy.zone))
    return result
