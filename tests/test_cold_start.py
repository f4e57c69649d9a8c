"""A reading command's process loads the read side only (issue 14: cold start).

Importing the write model (the aggregates, whose event classes the library builds
at import) is most of a fresh process's start-up; a read on a plain file store
needs none of it, not even to learn the shop's settings (``projections.settings``
folds their events). Checked in a fresh process: ``sys.modules`` after the command.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import MANAGER, Store

#: Runs the CLI as the entry point does, then prints the loaded modules on stderr.
PROBE = """
import json, sys
from complaintctl.cli import main
try:
    main(sys.argv[1:], prog_name="complaintctl")
except SystemExit as e:
    code = e.code
sys.stderr.write("\\nMODULES " + json.dumps(sorted(sys.modules)) + "\\n")
sys.exit(code)
"""

#: The write model and what only writing needs.
WRITE_SIDE = (
    "events.application",
    "events.complaint",
    "events.settings",
    "events.remedies",
    "events.casework",
    "events.customers",
    "events.groups",
    "events.handover",
    "eventsourcing.application",
)

#: What a read of a plain file store does without (issue 14, third round): the library's
#: persistence and domain modules (the file store's errors and recorders derive from
#: them, and load only when raised or when the application opens), the library's mapper
#: side of sealing, the TOML writer, and what only ``attach`` needs.
LIBRARY = (
    "eventsourcing.persistence",
    "eventsourcing.domain",
    "complaintctl.filestore.recorders",
    "complaintctl.filestore.errortypes",
    "events.personalmapper",
    "projections.damage",
    "tomli_w",
    "complaintctl.attachments",
)


def _modules(store: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPLAINTCTL_")}
    env["COMPLAINTCTL_LANG"] = "en"
    r = subprocess.run(
        [sys.executable, "-c", PROBE, "--store", str(store), "--actor", MANAGER, *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    line = r.stderr.rpartition("\nMODULES ")[2]
    return r, set(json.loads(line))


def test_show_json_loads_no_write_model(store: Store) -> None:
    ref = store.new()
    # A rule the store changed: the read side must see it without the write model.
    store.ok("config", "set", "reply.hours", "12", actor=MANAGER)
    r, loaded = _modules(store.path, "show", ref, "--json")
    assert r.returncode == 0, r.stderr
    case = json.loads(r.stdout)
    assert case["ref"] == ref
    assert case["customer"] == "王先生"  # sealed in this preset: opened with the keyring
    assert sorted(loaded & set(WRITE_SIDE)) == []
    assert sorted(loaded & set(LIBRARY)) == []
    assert "tabulate" not in loaded  # JSON prints no table
    # pycryptodome's loader without ctypes.util and platform.architecture()'s `file -b`.
    assert sorted(loaded & {"ctypes.util", "subprocess", "shutil", "tempfile"}) == []


def test_a_read_loads_logging_only_to_warn_and_then_speaks_to_the_person(store: Store) -> None:
    """show loads no logging while nothing warns; a damaged index warns through it, and the
    person's handler (complaintctl.cli.context) is on the root logger when it does."""
    ref = store.new()
    r, loaded = _modules(store.path, "show", ref, "--json")
    assert r.returncode == 0, r.stderr
    assert "logging" not in loaded
    (store.path / "events.index.sqlite").write_bytes(b"not an index")
    r, loaded = _modules(store.path, "show", ref, "--json")
    assert r.returncode == 0, r.stderr
    assert "logging" in loaded
    assert "Warning: index" in r.stderr and "rebuilding it" in r.stderr, r.stderr
    assert json.loads(r.stdout)["ref"] == ref


def test_the_cipher_loaded_lightly_is_pycryptodome_as_usual() -> None:
    """After events.personal loads AES, ctypes.util is the real module again and the
    cipher gives the same blocks as one loaded the usual way."""
    probe = """
import sys
from events import personal
aes = personal._aes()
block = aes.new(bytes(range(32)), aes.MODE_ECB).encrypt(bytes(32)).hex()
assert "ctypes.util" not in sys.modules and "subprocess" not in sys.modules
import ctypes.util
assert ctypes.util.find_library("c")
from Crypto.Util import _raw_api
assert _raw_api.find_library("c") == ctypes.util.find_library("c")
print(block)
"""
    usual = "from Crypto.Cipher import AES;"
    usual += "print(AES.new(bytes(range(32)), AES.MODE_ECB).encrypt(bytes(32)).hex())"
    light = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    plain = subprocess.run([sys.executable, "-c", usual], capture_output=True, text=True)
    assert light.returncode == 0, light.stderr
    assert light.stdout == plain.stdout and len(light.stdout.strip()) == 64


def test_read_commands_load_no_write_model(store: Store) -> None:
    store.new()
    for args in (
        ("list", "--limit", "20", "--json"),
        ("customer", "王先生", "--json"),
        ("overdue", "--json"),
    ):
        r, loaded = _modules(store.path, *args)
        assert r.returncode == 0, (args, r.stderr)
        assert isinstance(json.loads(r.stdout), list | dict)
        assert sorted(loaded & set(WRITE_SIDE)) == [], args
        assert sorted(loaded & set(LIBRARY)) == [], args
        assert "tabulate" not in loaded, args


def test_a_read_with_the_config_parse_kept_loads_no_toml_parser(store: Store) -> None:
    """Once the read-model cache exists, the config's parse is kept for the file's bytes
    (complaintctl.config.parsed): the next reads do not import tomllib."""
    ref = store.new()
    for _ in range(2):  # the first makes the cache directory, the second keeps the parse
        r, loaded = _modules(store.path, "list", "--json")
        assert r.returncode == 0, r.stderr
    for args in (("list", "--json"), ("show", ref, "--json"), ("overdue", "--json")):
        r, loaded = _modules(store.path, *args)
        assert r.returncode == 0, (args, r.stderr)
        assert "tomllib" not in loaded, args


def test_tables_load_neither_tabulate_nor_the_library(store: Store) -> None:
    """A table for a person loads none of the library or the write model either, and on
    a pipe render.grid writes it (tabulate and wcwidth: only for what grid cannot measure)."""
    ref = store.new()
    for args in (("show", ref), ("list", "--limit", "20"), ("overdue",)):
        r, loaded = _modules(store.path, *args)
        assert r.returncode == 0, (args, r.stderr)
        assert ref in r.stdout, args
        assert sorted(loaded & set(WRITE_SIDE + LIBRARY)) == [], args
        assert sorted(loaded & {"tabulate", "wcwidth"}) == [], args


def test_a_write_loads_neither_the_settings_aggregate_nor_the_read_models(store: Store) -> None:
    """``note`` and ``ack`` load the write model, but the rules in force come through the read
    side (no settings aggregate), and no read model, table or attachment code is imported."""
    ref = store.new()
    store.ok("config", "set", "reply.hours", "12", actor=MANAGER)
    for args in (("note", ref, "客户来电"), ("--json", "ack", ref)):
        r, loaded = _modules(store.path, *args)
        assert r.returncode == 0, (args, r.stderr)
        assert "events.application" in loaded  # it does write
        unwanted = {
            "events.settings",
            "projections.models",
            "projections.cache",
            "tabulate",
            "complaintctl.attachments",
            "complaintctl.importer",
            "complaintctl.migrate",
            "tomli_w",
        }
        assert sorted(loaded & unwanted) == [], args
    acked = json.loads(r.stdout)
    assert acked["ref"] == ref and acked["status"] == "acknowledged"


def test_a_write_obeys_a_rule_changed_on_the_store(store: Store) -> None:
    """The rules a write obeys are the store's, read without the settings aggregate."""
    ref = store.new()
    r, _ = _modules(store.path, "--actor", "路人", "note", ref, "x")
    assert r.returncode == 0, r.stderr  # the preset lets unknown staff in
    store.ok("config", "set", "shop.allow_unknown_staff", "false", actor=MANAGER)
    r, loaded = _modules(store.path, "--actor", "路人", "note", ref, "y")
    assert r.returncode == 4, r.stderr
    assert "events.settings" not in loaded


def test_rules_changed_on_the_store_hold_for_a_light_read(store: Store) -> None:
    """The store's settings, not the desk's file, decide who reads without the application."""
    ref = store.new()
    r, _ = _modules(store.path, "--actor", "路人", "show", ref, "--json")
    assert r.returncode == 0, r.stderr  # the preset lets unknown staff in
    store.ok("config", "set", "shop.allow_unknown_staff", "false", actor=MANAGER)
    r, loaded = _modules(store.path, "--actor", "路人", "show", ref, "--json")
    assert r.returncode == 4, r.stderr
    assert r.stdout == ""
    assert "events.settings" not in loaded
    r, _ = _modules(store.path, "--actor", "张伟", "show", ref, "--json")
    assert r.returncode == 0, r.stderr
