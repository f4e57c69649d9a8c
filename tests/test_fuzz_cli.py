"""A property-based fuzz of the whole command line (issue 6, "Hostile input").

Hypothesis builds whole invocations: a subcommand of ``main`` (its options and
arguments read from click's own parameter list, given values of the right
and of the wrong kind), global options, hostile values (huge and odd Unicode,
right-to-left marks, NUL bytes, terminal escapes, malformed references,
impossible dates and amounts), stdin for ``note REF -``, import files with
hostile rows and encodings, and now and then a broken or hostile config file.
For every invocation:

* the exit code is one of CLI.md's expected codes (0, 2-8): never 1 (a bug)
  and never a Python traceback;
* a failing invocation (exit != 0) writes no event (the log's size is the same);
* no raw ESC or CSI (U+009B) in the output: typed text is shown safely (CLI.md);
* and after each test's examples the store still verifies (``verify`` exit 0).

All examples of a test share one real file store (set up once with a few
real cases, so that references hit) and run in-process through click's
``CliRunner`` for speed, with fsync off (durability is not what is tested).
``demo`` is left out: it builds a whole store of its own.

Size: ``COMPLAINTCTL_FUZZ_EXAMPLES`` sets the examples per test. The default,
2500, makes the issue's 10,000 invocations in the four fuzz tests on every run,
CI included (about 2 minutes on two cores: 1000 took 48 s, 2000 took 89 s with
the machine busy). A quick local run, and the long run (a million) for a night::

    COMPLAINTCTL_FUZZ_EXAMPLES=300 .venv/bin/pytest tests/test_fuzz_cli.py       # 1,200
    COMPLAINTCTL_FUZZ_EXAMPLES=250000 .venv/bin/pytest tests/test_fuzz_cli.py    # 1,000,000

A failure prints the falsifying invocation and a ``@reproduce_failure`` blob.
Every bug found is fixed where it belongs and kept here as an ``@example``.
"""

from __future__ import annotations

import os
import tomllib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
import pytest
import tomli_w
from click.testing import CliRunner
from conftest import ADVISER, DIRECTOR, MANAGER, SERVICE_MANAGER, Store, make_store
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from complaintctl.cli import main
from complaintctl.cli.options import DecimalType

EXAMPLES = int(os.environ.get("COMPLAINTCTL_FUZZ_EXAMPLES", "2500"))
EXPECTED = {0, 2, 3, 4, 5, 6, 7, 8}  # 8: done, attention needed (alerts, --fail-on-overdue)
STATS: Counter[int] = Counter()  # exit codes seen (COMPLAINTCTL_FUZZ_STATS=1 prints them)
SHOW_STATS = bool(os.environ.get("COMPLAINTCTL_FUZZ_STATS"))  # read before conftest clears it
# demo writes a whole store of its own elsewhere; completion prints a script.
SKIP = {"demo"}

FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=list(HealthCheck),
)

# -- values ---------------------------------------------------------------------------------

NASTY = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\x1b[2J\x1b[H",
    "\x1b]0;pwned\x07",
    "\x9b31m红\x9b0m",
    "\r\n",
    "\t",
    "\u202eevil\u202c",
    "\u200f\u200e\u061c",
    "\ufeff",
    "\u0000\u0001\u007f",
    "\U0001f4a9\U0001d54f\U00010348",
    "e\u0301\u0301\u0301",
    "\ud7ff\ue000\uffff",
    "-",
    "--",
    "--help",
    "-h",
    "=",
    "'; DROP TABLE events; --",
    "$(rm -rf /)",
    "%s%n%x",
    "{}",
    "[1]",
    "null",
    "true",
    "../../etc/passwd",
    "C-2026-0000x",
    "c-2026-00001",
    "C-2026-00001 ",
    " C-2026-00001",
    "C-2026-1",
    "C-2026-000001",
    "C-0000-00000",
    "C-9999999999999999999999-00001",
    "C-2026-99999",
    "Ｃ-２０２６-０００01",
    "2026-13-45",
    "2026-02-30",
    "+999999h",
    "+99999999999999999999999d",
    "-0h",
    "1e309",
    "NaN",
    "-0",
    "0x10",
    "١٢٣",
    "陈总",
    "张伟",
    "x" * 300,
]

REFS_BAD = [
    "C-2026-0000x",
    "c-2026-00001",
    "C-2026-99999",
    "C-2025-00001",
    "C-2026-",
    "C--00001",
    "C-2026-00001\x00",
    "C-2026-00001\n",
    "\u202eC-2026-00001",
    "C-2026-0000１",
    "C-99999-00001",
    "C-2026-00000",
]

TIMES = [
    "2026-11-23T10:00",
    "2026-11-23",
    "2026-11-23T10:00:00+08:00",
    "2026-11-23T02:00Z",
    "+24h",
    "+2d",
    "-2h",
    "-3d",
    "now",
    "2026-13-45",
    "2026-02-30",
    "+999999h",
    "+99999999999999999999999999h",
    "-99999999999d",
    "9999-12-31T23:59:59",
    "0001-01-01",
    "0000-00-00",
    "2026-11-23T25:61",
    "2026-11-23T10:00+25:00",
    "2026-W48-1",
    "20261123",
    "+1.5h",
    "+1e9h",
    "+h",
    "T",
    "1e309",
    "٢٠٢٦-١١-٢٣",
]

AMOUNTS = [
    "1e309",
    "1E+999999999",
    "1e-400",
    "NaN",
    "sNaN",
    "-NaN",
    "Infinity",
    "-inf",
    "-0",
    "0",
    "0x10",
    "12,5",
    "1_000",
    "١٢٣",
    "100",
    "0.01",
    "800",
    "5000",
    "99999999999999999999999999999999",
    "-1",
    " 7 ",
    "",
]

ENCODINGS = ["utf-8", "gbk", "utf-16", "latin-1", "base64", "rot13", "idna", "utf-8-sig",
             "nonsense", "zlib", "hex"]  # fmt: skip

TIME_PARAMS = {
    "received_at",
    "occurred_at",
    "reply_by",
    "as_of",
    "since",
    "until",
    "date",
}


def weird_text(max_size: int = 40) -> st.SearchStrategy[str]:
    """Odd Unicode: every plane but surrogates (argv cannot carry them), controls included."""
    return st.text(st.characters(exclude_categories=["Cs"]), max_size=max_size)


# Huge values are a short random piece repeated: drawing thousands of characters
# one by one would cost more than running the command.
HUGE = st.tuples(weird_text(8).filter(bool), st.integers(200, 20_000)).map(
    lambda t: (t[0] * (t[1] // len(t[0]) + 1))[: t[1]]
)
TEXT = st.one_of(
    st.sampled_from(NASTY),
    weird_text(),
    st.text(st.sampled_from("报价错误客户说明\u202e\x1b[0m\x00 \n"), max_size=30),
    HUGE,
)


@dataclass
class Env:
    """The shared store and what hits in it (refs, names from the config)."""

    store: Store
    work: Path
    refs: list[str]
    config: dict[str, Any]
    names: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


def _names(config: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for key in ("channels", "categories", "departments"):
        out += list(config.get(key, []))
    out += list(config.get("staff", {}))
    return out


@st.composite
def value_for(draw: st.DrawFn, env: Env, param: click.Parameter) -> str:
    """A value for one parameter: usually of the right kind, often hostile."""
    name = param.name or ""
    kind = param.type
    good = draw(st.integers(0, 99)) < 60
    if isinstance(kind, click.Choice):
        if good:
            return str(draw(st.sampled_from(list(kind.choices))))
        return draw(TEXT)
    if isinstance(kind, click.types.IntParamType):
        if good:
            return str(draw(st.integers(-3, 8)))
        return draw(st.integers(-(10**30), 10**30).map(str) | TEXT)
    if isinstance(kind, DecimalType):
        if good:
            return draw(st.sampled_from(["100", "0.01", "800", "5000", "0", " 7 ", "1E+2"]))
        return draw(st.decimals(allow_nan=True).map(str) | TEXT)
    if isinstance(kind, click.Path):
        return draw(st.sampled_from(env.files) | TEXT)
    if name in ("ref", "refs"):
        if good:
            ref = draw(st.sampled_from(env.refs))
            return ref if draw(st.booleans()) else ref.lower()  # refs are case-insensitive
        return draw(st.sampled_from(REFS_BAD) | TEXT)
    if name in TIME_PARAMS:
        if good:
            return draw(st.sampled_from(TIMES[:9]))  # the well-formed ones
        return draw(
            st.sampled_from(TIMES)
            | TEXT
            | st.datetimes().map(lambda d: d.isoformat())
            | st.dates().map(str)
        )
    if name == "currency":
        return draw(st.sampled_from(["CNY", "USD", "cny", "XXX", "¥", "€€€", ""]) | TEXT)
    if name == "target":
        return draw(
            st.sampled_from(
                [
                    str(env.work / "copy-dir"),
                    str(env.work / "copy.db"),
                    "postgresql://nobody:secret@127.0.0.1:1/none",
                    "postgresql://",
                    "postgresql://[::1",
                    "sqlite:///:memory:",
                    str(env.store.path),
                    str(env.work / "a-file"),
                ]
            )
            | TEXT
        )
    if name == "encoding":
        return draw(st.sampled_from(ENCODINGS) | TEXT)
    if name == "shift":
        return draw(st.sampled_from(["morning", "evening", "早班"]) | TEXT)
    kinds = NAME_KINDS.get(name)
    if kinds and draw(st.integers(0, 9)) < 8:  # a name the config knows, so rules run
        names = [n for k in kinds for n in _config_names(env.config, k)]
        return draw(st.sampled_from(names))
    if good and env.names:
        return draw(st.sampled_from(env.names))
    return draw(TEXT)


# Which of the config's lists a parameter's value comes from, when it is "good".
NAME_KINDS = {
    "channel": ("channels",),
    "category": ("categories",),
    "department": ("departments",),
    "owner": ("staff",),
    "action_owner": ("staff",),
    "at_fault": ("staff", "departments"),
}


def _config_names(config: dict[str, Any], kind: str) -> list[str]:
    value = config.get(kind, [])
    return list(value) or ["?"]


def _commands() -> list[tuple[list[str], click.Command]]:
    """Every leaf command of ``main``, with the words that reach it."""
    out: list[tuple[list[str], click.Command]] = []

    def walk(cmd: click.Command, words: list[str]) -> None:
        if isinstance(cmd, click.Group):
            ctx = click.Context(cmd)
            for name in cmd.list_commands(ctx):
                sub = cmd.get_command(ctx, name)
                if name not in SKIP and sub is not None:
                    walk(sub, [*words, name])
        else:
            out.append((words, cmd))

    walk(main, [])
    return out


COMMANDS = _commands()
WRITING = [c for c in COMMANDS if c[0][0] not in {
    "show", "history", "verify", "completion", "list", "customer", "overdue", "followups",
    "stats", "group", "report", "log", "rebuild", "export", "migrate", "import", "init",
    "alerts",
}]  # fmt: skip


@dataclass
class Invocation:
    args: list[str]
    input: str | None = None
    config: str | None = None  # a hostile config file's text, used with --config
    files: dict[str, bytes] = field(default_factory=dict)


ACTORS = [MANAGER, ADVISER, DIRECTOR, SERVICE_MANAGER, MANAGER, ADVISER]


@st.composite
def invocation(
    draw: st.DrawFn, env: Env, commands: list[tuple[list[str], click.Command]]
) -> Invocation:
    words, cmd = draw(st.sampled_from(commands))
    inv = Invocation(args=[])
    head: list[str] = []
    actor = draw(st.sampled_from(ACTORS) | TEXT) if draw(st.integers(0, 9)) == 0 else None
    head += ["--store", str(env.store.path)]
    if draw(st.integers(0, 49)) == 0:
        head[-1] = draw(
            st.sampled_from([str(env.work / "missing"), str(env.work / "a-file"), "", "\x00"])
        )
    head += ["--actor", actor if actor is not None else draw(st.sampled_from(ACTORS))]
    if draw(st.integers(0, 3)) == 0:
        head.append("--json")
    if draw(st.integers(0, 24)) == 0:
        inv.config = draw(hostile_config(env))
        head += ["--config", str(env.work / "hostile.toml")]
    if draw(st.integers(0, 49)) == 0:
        head += ["--backend", draw(st.sampled_from(["file", "postgres-ish", ""]))]
    options: list[list[str]] = []
    positional: list[str] = []
    for p in cmd.params:
        if isinstance(p, click.Argument):
            n = p.nargs if p.nargs > 0 else draw(st.integers(1, 4))
            if p.name == "text" and draw(st.integers(0, 4)) == 0:
                positional.append("-")
                inv.input = draw(TEXT)
                continue
            if p.name == "file" and words[0] == "import":
                path = env.work / f"import.{draw(st.sampled_from(['csv', 'jsonl', 'txt']))}"
                inv.files[str(path)] = draw(import_file())
                positional.append(str(path))
                continue
            positional += [draw(value_for(env, p)) for _ in range(n)]
            continue
        assert isinstance(p, click.Option)
        if p.name == "json":
            continue
        use = p.required or draw(st.integers(0, 2)) == 0
        if not use:
            continue
        if p.required and draw(st.integers(0, 19)) == 0:
            continue  # a required option missing
        if p.is_flag:
            opts = p.opts + p.secondary_opts
            options.append([draw(st.sampled_from(opts))])
            continue
        for _ in range(draw(st.integers(1, 3)) if p.multiple else 1):
            options.append([draw(st.sampled_from(p.opts)), draw(value_for(env, p))])
    if draw(st.integers(0, 19)) == 0:
        options.append(draw(st.sampled_from([["--bogus"], ["--json=yes"], ["-x"], ["--"]])))
    if draw(st.integers(0, 19)) == 0:
        positional.append(draw(TEXT))
    if draw(st.integers(0, 4)) == 0:
        options.append(["--json"])
    options = draw(st.permutations(options))
    body = [x for o in options for x in o]
    # click takes positionals anywhere; put them first, last or split.
    cut = draw(st.integers(0, len(body))) if body else 0
    body = body[:cut] + positional + body[cut:]
    inv.args = [*head, *words, *body]
    return inv


@st.composite
def hostile_config(draw: st.DrawFn, env: Env) -> str:
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return draw(st.sampled_from(["", "not = [toml", "\x00\x01", "[shop\n", "a = 1\na = 2",
                                     "[store]\nbackend = 'postgres'\nhost='127.0.0.1'\nport=1",
                                     "[store]\nlock_timeout = -1"]) | weird_text(200))  # fmt: skip
    data = tomllib.loads(tomli_w.dumps(env.config))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(data)))
        target = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = draw(toml_value())
    try:
        return tomli_w.dumps(data)
    except (TypeError, ValueError):
        return "broken = "


def _paths(data: dict[str, Any], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = []
    for key, value in data.items():
        out.append((*prefix, key))
        if isinstance(value, dict):
            out += _paths(value, (*prefix, key))
    return out


def toml_value() -> st.SearchStrategy[Any]:
    scalar = st.one_of(
        st.integers(-(2**63), 2**63 - 1),
        st.floats(),
        st.booleans(),
        weird_text(20),
        st.sampled_from(["Mars/Olympus", "UTC", "../../../etc/localtime", "", "-1", "1e309"]),
        st.dates(),
        st.datetimes(),
    )
    return st.one_of(
        scalar, st.lists(scalar, max_size=3), st.dictionaries(weird_text(5), scalar, max_size=2)
    )


COLUMNS = ["customer", "contact", "channel", "category", "summary", "demand", "account",
           "severity", "received_at", "owner", "bogus", ""]  # fmt: skip


@st.composite
def import_file(draw: st.DrawFn) -> bytes:
    """A CSV or JSON Lines file with hostile rows (the suffix is chosen separately)."""
    cols = draw(st.lists(st.sampled_from(COLUMNS), min_size=0, max_size=8))
    rows = draw(st.lists(st.lists(TEXT | st.sampled_from(TIMES), min_size=len(cols),
                                  max_size=len(cols)), max_size=4))  # fmt: skip
    if draw(st.booleans()):
        import csv
        import io

        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(cols)
        w.writerows(rows)
        text = buf.getvalue()
    else:
        import json

        lines = [json.dumps(dict(zip(cols, r, strict=True)), ensure_ascii=False) for r in rows]
        lines += draw(st.lists(st.sampled_from(["{", "[]", "null", "\"x\"", "{\"customer\": 1}"]),
                               max_size=2))  # fmt: skip
        text = "\n".join(lines)
    codec = draw(st.sampled_from(["utf-8", "utf-8-sig", "gbk", "utf-16", "raw"]))
    if codec == "raw":
        return draw(st.binary(max_size=200))
    return text.encode(codec, errors="replace")


# -- the store ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    work = tmp_path_factory.mktemp("fuzz")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(work)  # relative paths that a fuzzed command creates land here
        mp.setenv("FILESTORE_FSYNC", "no")
        for key in list(os.environ):
            if key.startswith("COMPLAINTCTL_"):
                mp.delenv(key)
        store = make_store(work / "store")
        refs = [store.new(), store.new(customer="李女士", summary="带\x1b[2J转义")]
        ref = store.new(customer="赵先生", contact="赵@example.com", channel="phone")
        store.ok("ack", ref)
        store.ok("propose", ref, "--remedy", "refund", "--amount", "800", actor=SERVICE_MANAGER)
        store.ok("note", ref, "C1 \x9b31m红\x9b0m and \u202e")
        refs.append(ref)
        (work / "a-file").write_text("not a directory")
        (work / "evidence.bin").write_bytes(bytes(range(256)))
        (work / "empty.txt").write_bytes(b"")
        config = tomllib.loads((store.path / "complaintctl.toml").read_text("utf-8"))
        files = [str(work / "evidence.bin"), str(work / "empty.txt"), str(work / "missing"),
                 str(work), str(store.path / "events.jsonl")]  # fmt: skip
        yield Env(store, work, refs, config, _names(config), files)


def _log_size(store: Path) -> int:
    try:
        return (store / "events.jsonl").stat().st_size
    except FileNotFoundError:
        return 0


def run(env: Env, inv: Invocation) -> None:
    """One invocation and its invariants."""
    cfg_path = env.store.path / "complaintctl.toml"
    cfg_before = cfg_path.read_bytes()
    if inv.config is not None:
        (env.work / "hostile.toml").write_text(inv.config, "utf-8", errors="surrogatepass")
    for path, content in inv.files.items():
        Path(path).write_bytes(content)
    before = _log_size(env.store.path)
    r = CliRunner().invoke(main, inv.args, input=inv.input, catch_exceptions=True)
    STATS[r.exit_code] += 1
    try:
        expected = EXPECTED
        assert r.exit_code in expected, (r.exit_code, inv.args, r.output, r.exc_info)
        assert r.exception is None or isinstance(r.exception, SystemExit), r.exc_info
        assert "Traceback" not in r.output, r.output
        # CLI.md: what a user typed never reaches the terminal raw (escapes, C1 controls).
        if "xlsx" not in inv.args:  # a workbook is binary, and refused on a terminal
            assert "\x1b" not in r.output and "\x9b" not in r.output, (inv.args, r.output)
        if r.exit_code != 0:
            assert _log_size(env.store.path) == before, ("a failing command wrote", inv.args)
    finally:
        if cfg_path.read_bytes() != cfg_before:  # init --force: keep examples independent
            cfg_path.write_bytes(cfg_before)


def verify(env: Env) -> None:
    r = CliRunner().invoke(
        main, ["--store", str(env.store.path), "--actor", MANAGER, "verify", "--json"]
    )
    assert r.exit_code == 0, r.output


# -- regressions: every bug the fuzz found, kept as an explicit example ---------------------

_NEW = ["new", "--customer", "周", "--contact", "1", "--channel", "phone", "--category", "misquote",
        "--summary", "s"]  # fmt: skip
HOLIDAYS_NOT_A_LIST = "[shop]\nholidays = 0\n"

# (the fuzz test that keeps it, arguments after --store/--actor, hostile config text)
REGRESSIONS: list[tuple[str, list[str], str | None]] = [
    # a NUL byte in --store: ValueError from os.stat (exit 1)
    ("every", ["--store", "\x00", "init"], None),
    # 1E+999999999 is a finite Decimal: recorded, then stats overflowed summing it
    ("writing", ["propose", "C-2026-00003", "--remedy", "refund", "--amount", "1E+99999"], None),
    ("new", [*_NEW, "--demand-amount", "1E+999999999"], None),
    # a relative or ISO time out of datetime's range: OverflowError
    ("reading", ["log", "--since", "+99999999999999999999999999h"], None),
    ("reading", ["show", "c-2026-00001", "--as-of", "+99999999999999999999999999h"], None),
    ("reading", ["list", "--since", "0001-01-01"], None),
    # shop.holidays = 0 in the config: TypeError while parsing it
    ("writing", ["ack", "c-2026-00001", "--reply-by", "2026-11-23T10:00"], HOLIDAYS_NOT_A_LIST),
    # a directory as a SQLite target: the library's InterfaceError
    ("every", ["migrate", "--to", "sqlite", "--target", "{work}"], None),
    # a file name too long for the file system: OSError ENAMETOOLONG
    ("every", ["keygen", "--out", "\x80" * 200], None),
    # C1 controls (\x9b) in stored text reached the terminal raw in JSON Lines and CSV
    ("reading", ["export"], None),
    ("reading", ["export", "--format", "csv"], None),
    ("reading", ["log"], None),
    # numbers past SQLite's 64-bit LIMIT and datetime's range: IntegrityError, OverflowError
    ("reading", ["list", "--limit", "9223372036854775808"], None),
    ("reading", ["overdue", "--within", "99999999999"], None),
    ("reading", ["followups", "--within", "99999999999"], None),
    # a text file as a SQLite target: the library's DatabaseError
    ("every", ["migrate", "--to", "sqlite", "--target", "{work}/a-file"], None),
    # a target that urllib cannot parse, redacted for printing: ValueError
    ("every", ["migrate", "--to", "file", "--target", "postgresql://[::1"], None),
    # a NUL byte in an encoding's name: ValueError from the codec lookup
    ("reading", ["import", "{work}/a-file", "--encoding", "\x00"], None),
    # days past the calendar's range: OverflowError computing the cutoff
    ("reading", ["purge-candidates", "--older-than", "739943"], None),
    # a LIKE pattern over SQLite's 50,000-byte limit: OperationalError
    ("reading", ["customer", "\U00010000" * 12500], None),
    ("reading", ["list", "--group", "\U00010000" * 12500], None),
    # click's "No such option" quoted a typed escape sequence raw
    ("writing", ["note", "--\x1b[2J", "x"], None),
]


def with_regressions(test: Any, env: Env, name: str) -> Any:
    """Attach the regressions of one fuzz test as explicit ``@example``s."""
    for which, args, config in REGRESSIONS:
        if which != name:
            continue
        head = ["--store", str(env.store.path), "--actor", MANAGER]
        if config is not None:
            head += ["--config", str(env.work / "hostile.toml")]
        if args[0] == "--store":
            head, args = ["--actor", MANAGER, *args[:2]], args[2:]
        inv = Invocation([*head, *(a.format(work=env.work) for a in args)], config=config)
        test = example(inv)(test)
    return test


# -- the tests: each a quarter of the invocations ------------------------------------------


def _fuzz(env: Env, name: str, commands: list[tuple[list[str], click.Command]]) -> None:
    @FUZZ_SETTINGS
    @given(invocation(env, commands))
    def check(inv: Invocation) -> None:
        run(env, inv)

    STATS.clear()
    with_regressions(check, env, name)()
    verify(env)
    if SHOW_STATS:  # how deep it got: run with -s
        print(f"\n{name}: exit codes {sorted(STATS.items())}")


def test_fuzz_writing_commands(env: Env) -> None:
    _fuzz(env, "writing", WRITING)


def test_fuzz_every_command(env: Env) -> None:
    _fuzz(env, "every", COMMANDS)


def test_fuzz_new(env: Env) -> None:
    _fuzz(env, "new", [c for c in COMMANDS if c[0] == ["new"]])


def test_fuzz_reading_and_data_commands(env: Env) -> None:
    _fuzz(env, "reading", [c for c in COMMANDS if c not in WRITING])


def test_every_regression_is_kept() -> None:
    assert {r[0] for r in REGRESSIONS} <= {"every", "writing", "new", "reading"}
