"""``complaintctl demo``: the misquoted blower motor from DOMAIN.md, receipt to archive.

It goes through the same application calls as the commands, on a store of
its own (created with the car-service preset, or reused), so running it
twice simply adds a second case.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from complaintctl import config as configuration
from complaintctl import presets, render
from complaintctl.app import open_app
from complaintctl.render.case import case_text
from complaintctl.sources import app_source
from events.application import NewCase
from projections.case import public
from projections.caselog import read_case

ADVISER, DIRECTOR, MANAGER, BOSS = "张伟", "李娜", "王强", "陈总"


def run_demo(directory: Path, *, as_json: bool, echo: Callable[[str], Any]) -> dict[str, Any]:
    """Create or reuse the demo store, run one case through its whole life, print it."""
    path = directory / configuration.CONFIG_NAME
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        data = presets.preset("car-service")
        data["shop"]["name"] = "Demo car-service workshop"
        configuration.write(path, data)
    cfg = configuration.load(path)
    app = open_app(directory, policy=cfg.policy, backend=cfg.backend, settings=cfg.store)
    steps: list[dict[str, str]] = []

    def step(actor: str, what: str) -> None:
        steps.append({"actor": actor, "what": what})
        if not as_json:
            echo(render.safe(f"{actor:>4}  {what}"))

    try:
        ref = app.receive(
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
        )
        step(ADVISER, f"received {ref} at the service desk (walk-in, signed by the customer)")
        app.acknowledge(ref, ADVISER, message="当面致歉,承诺24小时内答复")
        step(ADVISER, "apologised and promised a reply within 24 hours")
        app.transfer(ref, "parts", ADVISER, reason="核对鼓风机价格", co_handle=True)
        step(ADVISER, "asked the parts department to co-handle")
        app.investigate(ref, "服务顾问查错零件号,报了另一型号的价格", DIRECTOR)
        app.assess(ref, DIRECTOR, True, "报价前未在系统核对零件号", [ADVISER, "service"])
        step(DIRECTOR, "found the misquote was ours: valid complaint")
        app.propose(
            ref, ADVISER, "fee-waiver", Decimal("800"), "CNY", "差价由维修站承担,按原报价收费"
        )
        step(ADVISER, "proposed to waive the 800 CNY difference (above the 500 tier-1 limit)")
        app.approve(ref, MANAGER)
        step(MANAGER, "approved the waiver as service manager (tier 2)")
        app.accept(ref, ADVISER, reason="客户接受")
        step(ADVISER, "the customer accepted")
        app.resolve(ref, ADVISER, "按200元更换鼓风机,空调异响消除")
        app.close_case(ref, ADVISER)
        step(ADVISER, "replaced the blower motor at the quoted price; resolved and closed")
        app.follow_up(ref, DIRECTOR, "reached", satisfaction=5, channel="phone")
        step(DIRECTOR, "followed up by phone: satisfied (5/5)")
        app.review(
            ref,
            MANAGER,
            "报价流程没有复核",
            "报价必须以系统零件号为准",
            "报价双人复核并培训服务顾问",
            MANAGER,
        )
        step(MANAGER, "reviewed: quotes are now checked by a second person")
        app.archive(ref, BOSS)
        step(BOSS, "archived the file")
        final = public(read_case(app_source(app), ref, app.keyring))
    finally:
        app.close()
    result = {"store": str(directory), "ref": final["ref"], "steps": steps, "case": final}
    if as_json:
        render.emit_json(result)
    else:
        echo("")
        echo(case_text(final, cfg.policy.zone))
    return result
