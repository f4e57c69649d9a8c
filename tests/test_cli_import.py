"""``complaintctl import``: real-world files in, each row once, bad rows named by line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import MANAGER, Store

HEADER = "customer,contact,channel,category,summary,demand,received_at\n"
ROWS = [
    "王先生,13800000001,walk-in,misquote,鼓风机报价200实际1000多,按原价,2026-11-20T09:00\n",
    "李女士,13800000002,phone,service-attitude,接待人员争吵,道歉,2026-11-20T10:30\n",
    "Mr Smith,smith@example.com,email,repair-quality,Noise after repair,,2026-11-21\n",
]


def lines(store: Store, marker: bytes) -> int:
    """Lines of the log that contain ``marker`` (0 before the first write)."""
    log = store.path / "events.jsonl"
    if not log.exists():
        return 0
    with open(log, "rb") as f:
        return sum(1 for line in f if marker in line)


def commits(store: Store) -> int:
    return lines(store, b'"commit":true')


def received(store: Store) -> int:
    return lines(store, b'"topic":"complaints:Received"')


def test_csv_with_bom_and_blank_lines(store: Store, tmp_path: Path) -> None:
    f = tmp_path / "cases.csv"
    f.write_bytes(b"\xef\xbb\xbf" + (HEADER + ROWS[0] + "\n,,,,,,\n" + ROWS[1] + ROWS[2]).encode())
    r = store.ok("import", str(f))
    refs = r.stdout.split()
    assert len(refs) == 3 and all(ref.startswith("C-") for ref in refs)
    case = store.show(refs[0])
    assert case["customer"] == "王先生" and case["channel"] == "walk-in"
    assert case["received_at"].startswith("2026-11-20T09:00")


def test_gbk_needs_its_encoding(store: Store, tmp_path: Path) -> None:
    f = tmp_path / "gbk.csv"
    f.write_bytes((HEADER + ROWS[0] + ROWS[1]).encode("gbk"))
    before = store.event_count()
    r = store.invoke("import", str(f))
    assert r.exit_code == 2 and "line 2" in r.stderr and "gbk" in r.stderr
    assert store.event_count() == before
    out = store.json("import", str(f), "--encoding", "gbk")
    assert out["imported"] == 2
    assert store.show(out["cases"][1]["ref"])["customer"] == "李女士"


def test_bad_rows_fail_the_import_by_default_and_are_named(store: Store, tmp_path: Path) -> None:
    f = tmp_path / "bad.csv"
    f.write_text(
        HEADER
        + ROWS[0]
        + "没有联系方式,,phone,misquote,x,,\n"  # line 3: contact missing
        + "赵先生,139,telepathy,misquote,x,,\n"  # line 4: unknown channel
        + "钱先生,139,phone,misquote,x,,not-a-date\n"  # line 5: bad time
        + ROWS[1],
        encoding="utf-8",
    )
    before = store.event_count()
    r = store.invoke("import", str(f))
    assert r.exit_code == 2, r.stderr
    for line in ("bad.csv:3:", "bad.csv:4:", "bad.csv:5:"):
        assert line in r.stderr
    assert "contact" in r.stderr and "telepathy" in r.stderr
    assert store.event_count() == before, "a failed import wrote something"

    out = store.json("import", str(f), "--on-error", "skip")
    assert out["imported"] == 2
    assert [b["line"] for b in out["bad"]] == [3, 4, 5]


def test_importing_the_same_file_again_creates_nothing(store: Store, tmp_path: Path) -> None:
    f = tmp_path / "cases.csv"
    f.write_text(HEADER + "".join(ROWS) + ROWS[0], encoding="utf-8")  # last row repeats line 2
    first = store.json("import", str(f))
    assert first["imported"] == 3
    assert first["duplicates_in_file"] == [{"line": 5, "problem": "same as line 2"}]
    count = store.event_count()
    again = store.json("import", str(f))
    assert again["imported"] == 0 and again["already_imported"] == 3
    assert [e["ref"] for e in again["existing"]] == [c["ref"] for c in first["cases"]]
    assert store.event_count() == count


def test_jsonl_with_blank_lines_and_a_broken_line(store: Store, tmp_path: Path) -> None:
    rows = [
        {
            "customer": "孙女士",
            "contact": "136",
            "channel": "web",
            "category": "billing",
            "summary": "多收费",
            "demand_amount": "59.90",
            "currency": "cny",
        },
        {
            "customer": "周先生",
            "contact": "135",
            "channel": "phone",
            "category": "billing",
            "summary": "\x1b[2J清屏",
            "vip": True,
        },
    ]
    f = tmp_path / "cases.jsonl"
    f.write_text(
        json.dumps(rows[0], ensure_ascii=False)
        + "\n\n{broken\n"
        + json.dumps(rows[1], ensure_ascii=False)
        + "\n",
        encoding="utf-8",
    )
    out = store.json("import", str(f), "--on-error", "skip")
    assert out["imported"] == 2 and out["bad"][0]["line"] == 3
    vip = store.show(out["cases"][1]["ref"])
    assert vip["severity"] == "major" and vip["summary"] == "\x1b[2J清屏"


def test_unknown_columns_are_refused_before_anything(store: Store, tmp_path: Path) -> None:
    f = tmp_path / "x.csv"
    f.write_text("customer,contact,channel,category,summary,colour\n", encoding="utf-8")
    r = store.invoke("import", str(f))
    assert r.exit_code == 2 and "colour" in r.stderr


def test_one_atomic_write_per_batch(store: Store, tmp_path: Path) -> None:
    f = tmp_path / "many.csv"
    f.write_text(
        HEADER + "".join(f"客户{i},1390000{i:04d},phone,misquote,问题{i},,\n" for i in range(10)),
        encoding="utf-8",
    )
    before = commits(store)
    store.ok("import", str(f), "--batch-size", "4")
    assert commits(store) - before == 3  # 4 + 4 + 2 rows, one commit (one fsync) each
    assert received(store) == 10


def test_killed_import_completes_when_run_again(store: Store, tmp_path: Path) -> None:
    n = 400
    f = tmp_path / "big.csv"
    f.write_text(
        HEADER + "".join(f"客户{i},1380000{i:04d},phone,misquote,问题{i},,\n" for i in range(n)),
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPLAINTCTL_")}
    args = [sys.executable, "-m", "complaintctl", "--store", str(store.path), "--actor", MANAGER]
    proc = subprocess.Popen(
        [*args, "import", str(f), "--batch-size", "5"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while received(store) < 20 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = received(store)
    assert 0 < partial < n, partial
    r = subprocess.run(
        [*args, "import", str(f), "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["imported"] + out["already_imported"] == n
    assert received(store) == n
    assert store.json("verify")["ok"] is True


def test_an_import_on_every_backend_numbers_files_and_recognises_rows(
    any_store: Store, tmp_path: Path
) -> None:
    """Across batches (customer files kept from one to the next, which rows exist asked
    once per batch: on PostgreSQL in one query), case numbers run without gaps, a
    returning customer's cases are one customer's, and the same file again is
    recognised row by row."""
    rows = [
        f"客户{i % 3},1390000000{i % 3},walk-in,misquote,第{i}次投诉,,2026-11-2{i % 9}T09:00\n"
        for i in range(7)
    ]
    path = tmp_path / "cases.csv"
    path.write_text(HEADER + "".join(rows), "utf-8")
    out = json.loads(any_store.ok("import", str(path), "--json", "--batch-size", "2").stdout)
    refs = [c["ref"] for c in out["cases"]]
    assert out["imported"] == 7 and len(set(refs)) == 7
    numbers = sorted(int(r.rsplit("-", 1)[1]) for r in refs)
    assert numbers == list(range(numbers[0], numbers[0] + 7))  # no gaps, none twice
    same = [c["ref"] for c in any_store.json("customer", "13900000000")["cases"]]
    assert sorted(same) == sorted(refs[0::3])  # rows 0, 3, 6: one customer's file
    # The car-service preset: major at a customer's 3rd complaint within 90 days, which
    # the file kept from the earlier batches counts.
    assert [any_store.show(r)["severity"] for r in refs[0::3]] == ["general", "general", "major"]
    again = json.loads(any_store.ok("import", str(path), "--json", "--batch-size", "3").stdout)
    assert again["imported"] == 0 and again["already_imported"] == 7
    assert [c["ref"] for c in again["existing"]] == refs


def test_import_json_is_what_the_standard_encoder_writes(store: Store, tmp_path: Path) -> None:
    """``import --json`` of a file of cases is written by orjson: byte for byte what
    ``render.to_json`` (the standard encoder, indent 2, then terminal-safe) writes, with
    a file name a terminal would act on and bad rows quoting control characters."""
    from complaintctl.importer import result_json
    from complaintctl.render import to_json

    f = tmp_path / "客户 \u202e\x7f files.csv"
    f.write_text(
        HEADER
        + ROWS[0]
        + '赵先生,139,"tele\x1bpathy\u2028\u009b""x""",misquote,x,,\n'  # unknown channel
        + "钱先生,139,phone,misquote,x,,not-a-date\n"
        + ROWS[1]
        + ROWS[0],
        encoding="utf-8",
    )
    out = store.ok("import", str(f), "--json", "--on-error", "skip").stdout
    result = json.loads(out)
    assert result["imported"] == 2 and len(result["bad"]) == 2 and result["duplicates_in_file"]
    assert "\\u202e" in out and "\\u007f" in out  # escaped for the terminal
    assert out == to_json(result) + "\n"
    # What orjson refuses (a lone surrogate, as a file name that is not UTF-8 decodes to)
    # is written by the standard encoder.
    odd = {**result, "file": "bad\udcff.csv"}
    assert result_json(odd) == to_json(odd)
