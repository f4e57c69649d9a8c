"""One customer is one customer: for the repeat rule, the group rule, ``customer QUERY``.

Through the real CLI on each backend (issue 10): the same contact or the same
account is the same person through any chain of cases; a group complaint
counts customers, not cases; a media threat given at receipt is a reason the
case keeps, once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import DIRECTOR, Store

X, Y, Z = "13800000001", "13900000002", "13700000003"
PLATE = "粤B12345"


def reasons(s: Store, ref: str) -> list[str]:
    case: dict[str, Any] = s.show(ref)
    return list(case["major_reasons"])


def chain(s: Store) -> list[str]:
    """Case 1 by contact X; case 2 by X with account P; case 3 by contact Y with P."""
    return [
        s.new(contact=X),
        s.new("--account", PLATE, contact=X),
        s.new("--account", PLATE, contact=Y),
    ]


def test_a_chain_of_contacts_and_accounts_is_one_customer(any_store: Store) -> None:
    s = any_store  # the car-service preset: major at the 3rd complaint within 90 days
    first, second, third = chain(s)
    assert s.show(second)["severity"] == "general"
    assert reasons(s, third) == ["complaint 3 of this customer within 90 days"]
    # Case 4 by contact Y alone: two links away from case 1, still the same person.
    fourth = s.new(contact=Y)
    assert reasons(s, fourth) == ["complaint 4 of this customer within 90 days"]
    for query in ("王先生", X, Y, PLATE.lower()):
        found = s.json("customer", query)
        assert [c["cases"] for c in found["customers"]] == [4], query
        assert sorted(c["ref"] for c in found["cases"]) == sorted([first, second, third, fourth])
    s.refused("customer", Z, code=3, rule="no customer")


def test_a_group_complaint_counts_customers_not_cases(any_store: Store) -> None:
    s = any_store  # default group size: 3 customers
    same = chain(s)[:2]  # one customer's two cases
    other = s.new(customer="李女士", contact=Z)
    s.ok("link", *same, other, "--group", "刹车异响")
    assert all(s.show(r)["severity"] == "general" for r in (*same, other))
    third = s.new(customer="赵先生", contact="13600000004")
    s.ok("link", third, "--group", "刹车异响")
    for ref in (*same, other, third):
        assert reasons(s, ref) == ["group complaint 刹车异响: 3 customers"], ref


def test_a_media_threat_at_receipt_is_kept_once(any_store: Store) -> None:
    s = any_store
    ref = s.new("--media-threat")
    assert reasons(s, ref) == ["threat of media exposure"]
    s.refused("classify", ref, "--media-threat", rule="nothing-to-classify")
    s.ok("classify", ref, "--category", "parts")
    s.ok("classify", ref, "--severity", "major", "--reason", "称要找电视台", actor=DIRECTOR)
    assert reasons(s, ref) == ["threat of media exposure", "称要找电视台"]
    show = s.ok("show", ref).stdout
    assert show.count("threat of media exposure") == 1


def test_one_import_sees_the_chain_it_makes(any_store: Store, tmp_path: Path) -> None:
    s = any_store
    rows = tmp_path / "paper-log.csv"
    rows.write_text(
        "customer,contact,account,channel,category,summary\n"
        f"王先生,{X},,phone,misquote,报价错误\n"
        f"王先生,{X},{PLATE},phone,misquote,报价错误\n"
        f"王先生,{Y},{PLATE},phone,misquote,报价错误\n"
        f"王先生,{Y},,phone,misquote,报价错误\n",
        "utf-8",
    )
    refs = [c["ref"] for c in s.json("import", str(rows))["cases"]]
    assert [reasons(s, r) for r in refs] == [
        [],
        [],
        ["complaint 3 of this customer within 90 days"],
        ["complaint 4 of this customer within 90 days"],
    ]
