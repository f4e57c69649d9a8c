"""``export`` and ``list`` write JSON Lines, CSV and TSV as the rows come (issue 14: memory).

Written in parts of :data:`complaintctl.render.rows.STREAM_CHUNK` rows: the output
must be the one document it was when written whole (one header, one BOM, every row).
"""

from __future__ import annotations

import csv
import io
import json

from conftest import MANAGER, Store

from complaintctl.render.rows import STREAM_CHUNK


def _many(store: Store, n: int) -> None:
    lines = "".join(
        f"new --customer 客户{i} --contact 138{i:08d} --channel phone --category billing"
        f" --summary 多收费\n"
        for i in range(n)
    )
    r = store.invoke("batch", input=lines, actor=MANAGER)
    assert r.exit_code == 0, r.stdout[-500:]


def test_streamed_output_is_one_document(store: Store) -> None:
    n = STREAM_CHUNK + 20
    _many(store, n)
    whole = store.json("list")
    refs = [c["ref"] for c in whole]
    assert len(refs) == n

    lines = store.ok("list", "--format", "jsonl").stdout.splitlines()
    assert [json.loads(x) for x in lines] == whole

    text = store.ok("list", "--format", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["ref"] for r in rows] == refs
    assert text.count("ref,status") == 1

    data = store.ok("export", "--format", "csv", "--encoding", "utf-8-sig").stdout_bytes
    assert data.startswith(b"\xef\xbb\xbf") and data.count(b"\xef\xbb\xbf") == 1
    exported = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [r["ref"] for r in exported] == refs

    gbk = store.ok("export", "--format", "tsv", "--encoding", "gbk").stdout_bytes
    assert len(gbk.decode("gbk").splitlines()) == n + 1

    events = store.ok("export", "--what", "events", "--format", "jsonl").stdout.splitlines()
    assert len(events) == store.event_count()
    flat = store.ok("export", "--what", "events", "--format", "csv").stdout
    assert len(list(csv.DictReader(io.StringIO(flat)))) == len(events)


def test_a_streamed_csv_list_has_the_flag_column_when_a_case_waits(store: Store) -> None:
    plain = store.ok("list", "--format", "csv").stdout
    assert plain.splitlines()[0].split(",")[-1] == "tier"
    ref = store.new()
    store.ok("ack", ref)
    store.ok("resolve", ref, "--summary", "已处理")
    store.ok("followup", ref, "--outcome", "reached", "--satisfaction", "1")
    text = store.ok("list", "--format", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0])[-1] == "flag"
    assert rows[0]["flag"].startswith("supervisor: ")
