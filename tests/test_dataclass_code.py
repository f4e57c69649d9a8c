"""The kept code of dataclasses' methods (complaintctl.dataclasscode): the same classes as
the standard library's, in fresh processes, with a kept file that is used, and ignored
when it is not this user's alone or not readable."""

from __future__ import annotations

import json
import marshal
import os
import subprocess
import sys
from pathlib import Path

from conftest import MANAGER, make_store

#: A child process that installs the kept code, builds a dataclass and uses its methods.
CHILD = """
import dataclasses, json, sys
from complaintctl import dataclasscode
dataclasscode.install()
@dataclasses.dataclass(frozen=True, order=True)
class Point:
    x: int
    y: int = 2
p = Point(1)
try:
    p.x = 5
    frozen = False
except dataclasses.FrozenInstanceError:
    frozen = True
print(json.dumps([repr(p), p == Point(1, 2), p < Point(2), frozen, hash(p) == hash(Point(1)),
                  dataclasses.astuple(p)]))
"""


def _child(cache: Path) -> str:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return subprocess.run(
        [sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, check=True,
        timeout=60,
    ).stdout  # fmt: skip


def _kept(cache: Path) -> Path:
    (path,) = (cache / "complaintctl").glob("dataclass-code-*.marshal")
    return path


def test_same_class_first_and_from_the_kept_code(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    want = '["Point(x=1, y=2)", true, true, true, true, [1, 2]]\n'
    assert _child(cache) == want  # compiled, and kept
    path = _kept(cache)
    assert path.stat().st_mode & 0o777 == 0o600
    _made_by, codes = marshal.loads(path.read_bytes())
    assert any("def __init__(self,x:_type_x,y:_type_y=_dflt_y)" in t for t in codes)
    assert _child(cache) == want  # from the kept code


def test_the_kept_code_is_used_only_when_only_this_user_may_write_it(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _child(cache)
    path = _kept(cache)
    made_by, codes = marshal.loads(path.read_bytes())
    (text,) = [t for t in codes if " def __repr__(self)" in t and "self.y!r" in t]
    # A changed code for the repr's text: used from a file only this user may write...
    codes[text] = compile(text.replace("return ", "return 'kept' or ", 1), "<string>", "exec")
    path.write_bytes(marshal.dumps((made_by, codes)))
    assert _child(cache).startswith('["kept"')
    # ...and ignored (compiled again) when others may write it, or it is not readable.
    path.chmod(0o622)
    assert _child(cache).startswith('["Point(x=1, y=2)"')
    path.chmod(0o600)
    path.write_bytes(b"not marshal")
    assert _child(cache).startswith('["Point(x=1, y=2)"')
    assert marshal.loads(path.read_bytes())[0] == made_by  # written again, whole


def test_a_write_keeps_the_code_and_records_the_same(tmp_path: Path) -> None:
    s = make_store(tmp_path / "s")
    ref = s.new()
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    cases = []
    for text in ("一", "二"):  # the first compiles and keeps, the second uses the kept code
        argv = [sys.executable, "-m", "complaintctl", "--store", str(s.path), "--actor", MANAGER]
        r = subprocess.run(
            [*argv, "note", ref, text, "--json"], env=env, capture_output=True, text=True,
            timeout=60,
        )  # fmt: skip
        assert r.returncode == 0, r.stderr
        cases.append(json.loads(r.stdout))
    assert _kept(tmp_path / "cache").exists()
    assert [n["text"] for n in cases[0]["notes"]] == ["一"]
    assert [n["text"] for n in cases[1]["notes"]] == ["一", "二"]
    assert list(cases[0]) == list(cases[1])
    assert {k: v for k, v in cases[0].items() if k not in ("notes", "updated_at", "version")} == {
        k: v for k, v in cases[1].items() if k not in ("notes", "updated_at", "version")
    }
