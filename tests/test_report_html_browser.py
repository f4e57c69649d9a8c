"""The daily report's HTML in a real headless browser, at a phone's and a desktop's width.

The report itself has no script; the test puts a copy of it in a frame of the
width wanted (headless Chromium will not make a window narrower than 500
pixels, a frame is a viewport of its own) with a probe that measures the page
and posts what it found to the frame's parent, whose DOM the browser dumps.
Skipped when Chromium is missing, unless ``COMPLAINTCTL_REQUIRE_BROWSER=1``
(.ci/run sets it), where it fails instead.
"""

from __future__ import annotations

import html
import json
import os
import shutil
import struct
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import Store
from test_cli_report_daily import past_day  # noqa: F401  (a fixture)

BROWSERS = ("chromium", "chromium-browser", "google-chrome")

PROBE = """<script>
window.addEventListener("load", function () {
  var ref = %s, cells = Array.prototype.slice.call(document.querySelectorAll("td"));
  var cell = cells.filter(function (t) { return t.textContent.trim() === ref; })[0];
  var box = cell ? cell.getBoundingClientRect() : null, widest = 0;
  Array.prototype.forEach.call(document.querySelectorAll("body *"), function (e) {
    widest = Math.max(widest, e.getBoundingClientRect().right);
  });
  parent.postMessage(JSON.stringify({
    viewport: window.innerWidth, scroll: document.documentElement.scrollWidth,
    widest: widest, left: box && box.left, right: box && box.right,
    height: box && box.height, text: document.body.innerText.indexOf(ref) >= 0
  }), "*");
});
</script>"""

FRAME = """<!DOCTYPE html><html><body style="margin:0">
<iframe src="probe.html" style="width:%dpx;height:4000px;border:0"></iframe>
<script>window.addEventListener("message", function (e) {
  document.body.setAttribute("data-probe", e.data);
});</script></body></html>"""


def browser() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    reason = "no headless Chromium (apt-get install -y chromium)"
    if os.environ.get("COMPLAINTCTL_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason}; COMPLAINTCTL_REQUIRE_BROWSER=1")
    pytest.skip(reason)


def run(exe: str, *args: str) -> str:
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", *args]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def measure(exe: str, page: str, ref: str, width: int, where: Path) -> dict[str, Any]:
    (where / "probe.html").write_text(
        page.replace("</body>", PROBE % json.dumps(ref) + "</body>"), "utf-8"
    )
    frame = where / f"frame-{width}.html"
    frame.write_text(FRAME % width, "utf-8")
    dom = run(
        exe,
        "--allow-file-access-from-files",
        "--virtual-time-budget=5000",
        "--window-size=1280,4000",
        "--dump-dom",
        frame.as_uri(),
    )
    start = dom.index('data-probe="') + len('data-probe="')
    found: dict[str, Any] = json.loads(html.unescape(dom[start : dom.index('"', start)]))
    return found


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.parametrize("width", [400, 1024])
def test_the_html_report_shows_the_overdue_case_on_a_phone_and_a_desktop(
    past_day: tuple[Store, dict[str, str], str],  # noqa: F811
    tmp_path: Path,
    width: int,
) -> None:
    exe = browser()
    store, refs, day = past_day
    page = store.ok("report", "daily", "--date", day, "--format", "html").stdout
    lowered = page.lower()
    assert "<svg" not in lowered and "<script" not in lowered
    assert lowered.count("<style") == 1 and "<style>@page{size:a4" in lowered  # printer's only
    assert "<img" not in lowered and "<link" not in lowered
    m = measure(exe, page, refs["late"], width, tmp_path)
    assert m["viewport"] == width
    assert m["text"], "the overdue case's reference is not in the page's text"
    assert m["height"] and m["height"] > 0
    assert 0 <= m["left"] < m["right"] <= width, m  # the reference is on screen, whole
    assert m["scroll"] <= width and m["widest"] <= width + 1, m  # nothing runs off the side
    # A screenshot at that width: the page renders to a picture of it.
    (tmp_path / "report.html").write_text(page, "utf-8")
    shot = tmp_path / f"report-{width}.png"
    frame = tmp_path / "shot.html"
    frame.write_text(FRAME.replace("probe.html", "report.html") % width, "utf-8")
    run(exe, "--window-size=1280,2400", f"--screenshot={shot}", frame.as_uri())
    assert png_size(shot) == (1280, 2400) and shot.stat().st_size > 10_000


@pytest.mark.parametrize("width", [400, 1024])
def test_the_weekly_html_shows_the_staff_assessment_on_a_phone_and_a_desktop(
    tmp_path: Path, width: int
) -> None:
    """The widest table of the weekly report (the staff assessment, ten columns) fits a
    phone: the name of a member with nothing listed against them is on screen, whole."""
    from conftest import SERVICE_MANAGER, make_store
    from test_cli_report_periods import tell_week

    exe = browser()
    store = make_store(tmp_path / "store")
    story = tell_week(store)
    page = store.ok("report", "weekly", "--week", story["week"], "--format", "html").stdout
    lowered = page.lower()
    assert "<svg" not in lowered and "<script" not in lowered
    assert lowered.count("<style") == 1 and "<style>@page{size:a4" in lowered  # printer's only
    assert "<img" not in lowered and "<link" not in lowered
    m = measure(exe, page, SERVICE_MANAGER, width, tmp_path)
    assert m["viewport"] == width and m["text"]
    assert m["height"] and m["height"] > 0
    assert 0 <= m["left"] < m["right"] <= width, m
    assert m["scroll"] <= width and m["widest"] <= width + 1, m
