"""Fuzzing the ingest, seeded and bounded by case count: no input may raise, only give findings.

Two fuzzers, each with a fixed seed and a fixed number of cases (``STRUCTURAL_CASES``,
``BYTE_CASES``: the same cases every run, whatever the machine's load); set the environment
variable ``TALENTSTATS_FUZZ_FACTOR`` to run N times as many, e.g. overnight:

- structural (hypothesis): the official forms laid out as grids, then garbage cell values
  (NaN, inf, huge integers, control characters, formula text, numbers as odd text), rows and
  columns inserted, deleted, duplicated and swapped, merges anywhere, hidden rows, uncached
  formulas, sheets renamed, hidden or replaced by noise. Each workbook goes through
  ``parse.locate_forms``, pseudonymisation, ``ingest.assemble`` and the validation rules.
- byte-level: valid workbooks (openpyxl and XlsxWriter .xlsx, xlwt .xls, the foreign .xls
  fixtures) with bytes flipped, inserted, deleted or duplicated, inside their zip members
  (sheet XML, sharedStrings, styles, [Content_Types].xml, workbook.xml, relationships) or in
  the raw file; each file goes through the real per-file path, ``ingest.process_file`` in an
  ``IsolatedExecutor`` child, so a crash is contained, and counts as a failure.

A failure is any exception escaping, a dead or timed-out child, or a finding that is one of the
catch-alls that mean an unhandled bug (``无法解析（TypeError ...）请联系市人才办`` from the
parser, an unexpected exception class in the pre-flight's ``文件已损坏，无法读取（...）``).
Each test prints how many cases it tried.
"""

from __future__ import annotations

import io
import math
import os
import random
import re
import time
import zipfile
from pathlib import Path

import hostile
import pytest
from conftest import TEST_PROFILE
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from talentstats.model import SheetGrid, WorkbookGrid
from talentstats.profile.config import load_profile
from talentstats.reading import ingest, parse, pseudonym
from talentstats.validation import rules

PROFILE = load_profile(TEST_PROFILE)

# About 15 s each on an idle 2-core machine; TALENTSTATS_FUZZ_FACTOR=N runs N times as many.
FUZZ_FACTOR = int(os.environ.get("TALENTSTATS_FUZZ_FACTOR", "1"))
STRUCTURAL_CASES = 500 * FUZZ_FACTOR
BYTE_CASES = 3000 * FUZZ_FACTOR  # in batches of 24
SEED = 20131
KEY = b"k" * 32
YEAR = 2013
FOREIGN = Path(__file__).parent / "fixtures" / "foreign-workbooks"

# The catch-alls that hide an unhandled exception (see the module doc).
PARSE_CATCH_ALL = re.compile(r"无法解析（\w+: .*请联系")
PREFLIGHT_CATCH_ALL = re.compile(r"文件已损坏，无法读取（(\w+)）")
# What a damaged zip package or XML part legitimately raises in the pre-flight (zipfile raises
# ValueError on a negative seek, RuntimeError on an encrypted member, KeyError on a member the
# central directory names but cannot find; zlib and struct raise ``error``).
EXPECTED_DAMAGE = {"BadZipFile", "error", "ParseError", "EOFError", "KeyError", "ValueError",
                   "UnicodeDecodeError", "NotImplementedError", "LargeZipFile", "OSError",
                   "RuntimeError"}


def _bugs_in(findings, where: str) -> list[str]:
    out = []
    for f in findings:
        if PARSE_CATCH_ALL.search(f.message):
            out.append(f"{where}: {f.message}")
        m = PREFLIGHT_CATCH_ALL.search(f.message)
        if m and m.group(1) not in EXPECTED_DAMAGE:
            out.append(f"{where}: {f.message}")
    return out


# --------------------------------------------------------------------------- structural


def _base_sheets() -> list[SheetGrid]:
    """The official TR1-TR4 sheets of a consistent town, as the reader would give them."""
    from talentstats.workbooks.template import Formula, build_workbook_layouts

    sheets = []
    for lay in build_workbook_layouts(YEAR, "441900102", values=hostile.good_values(),
                                      roster=hostile.good_roster()):
        width = lay.ncols
        cells = []
        for row in lay.rows:
            out = []
            for v in list(row) + [None] * (width - len(row)):
                if isinstance(v, Formula):
                    v = v.cached if v.cached is not None else ""
                out.append("" if v is None else v)
            cells.append(out)
        sheets.append(SheetGrid(lay.name, cells, list(lay.merges), True,
                                frozenset(lay.hidden_rows)))
    return sheets


BASE = _base_sheets()

garbage = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",)), max_size=40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.booleans(),
    st.just(""),
    st.sampled_from([
        "-", "—", "/", "无", "1,234", "１２３", "1234人", "1e308", "1e999", "-1e999", "nan",
        "inf", "NaN", "0x10", "   ", "=SUM(A1:A3)", "#DIV/0!", "#REF!", "1233.9999", "12.5万",
        "3亿元", "单位：元", "单位：亿元", "单位：人", "填报单位：", "填报单位：石龙镇", "石龙镇",
        "441900102", "报出日期：2014年1月20日", "2014-13-45", "0000-00-00", "9999年99月",
        "表  号：东人统1表", "东人统4表", "代码", "项目", "合计", "甲", "乙", "其中：", "是", "否",
        "110", "100", "999999999999999999999", "-0", "1/0", "\x00", "\u202e", "\ufeff",
        "441900197503120017", "44190019750312001X", "男", "女", "1975-03", "1975年3月",
        "博士研究生", "专业技术人才", "C", "Z", "2013", "2013年", "二〇一三年",
    ]),
)


@st.composite
def workbooks(draw) -> WorkbookGrid:
    sheets = []
    for base in draw(st.lists(st.sampled_from(BASE), min_size=1, max_size=5)):
        cells = [list(r) for r in base.cells]
        merged = list(base.merged)
        hidden = set(base.hidden_rows)
        formulas: dict[tuple[int, int], str] = {}
        name, visible = base.name, True
        for _ in range(draw(st.integers(0, 12))):
            op = draw(st.sampled_from(["set", "set", "set", "ins_row", "del_row", "ins_col",
                                       "del_col", "dup_row", "swap", "merge", "hide", "formula",
                                       "truncate", "rename", "visible", "noise"]))
            rows, cols = len(cells), max((len(r) for r in cells), default=0)
            r = draw(st.integers(0, max(rows - 1, 0)))
            c = draw(st.integers(0, max(cols - 1, 0)))
            if op == "set" and rows and cols:
                cells[r][c] = draw(garbage)
            elif op == "ins_row":
                cells.insert(r, [draw(garbage) if draw(st.booleans()) else "" for _ in range(cols)])
            elif op == "del_row" and rows > 1:
                del cells[r]
            elif op == "ins_col":
                for row in cells:
                    row.insert(c, draw(garbage) if draw(st.booleans()) else "")
            elif op == "del_col" and cols > 1:
                for row in cells:
                    del row[c]
            elif op == "dup_row" and rows:
                cells.insert(draw(st.integers(0, rows)), list(cells[r]))
            elif op == "swap" and rows:
                r2 = draw(st.integers(0, rows - 1))
                cells[r], cells[r2] = cells[r2], cells[r]
            elif op == "merge":  # anywhere, even beyond the data (a merge can outlive its cells)
                r1 = r + draw(st.integers(0, 3))
                c1 = c + draw(st.integers(0, 3))
                merged.append((r, c, r1 + draw(st.integers(0, 40)), c1))
            elif op == "hide":
                hidden.add(r)
            elif op == "formula" and rows and cols:  # a formula without a cached value
                cells[r][c] = ""
                formulas[(r, c)] = draw(st.sampled_from(["=SUM(C8:C12)", "=1/0", "=A1", "=",
                                                          '=HYPERLINK("http://x","y")']))
            elif op == "truncate" and rows > 1:
                cells = cells[: draw(st.integers(1, rows))]
            elif op == "rename":
                name = draw(st.text(max_size=31))
            elif op == "visible":
                visible = not visible
            elif op == "noise":
                h, w = draw(st.integers(0, 8)), draw(st.integers(0, 8))
                cells = [[draw(garbage) for _ in range(w)] for _ in range(h)]
        width = max((len(row) for row in cells), default=0)
        cells = [row + [""] * (width - len(row)) for row in cells]  # rectangular, as read
        sheets.append(SheetGrid(name, cells, merged, visible, frozenset(hidden), formulas))
    source = draw(st.sampled_from(["石龙镇2013年人才统计报表.xlsx", "2013.xlsx", "=1+1.xls",
                                   "茶山镇/石龙镇2014.xlsx", "", "东莞市2013年东人统5表.xlsx"]))
    return WorkbookGrid(source, draw(st.sampled_from(["xlsx", "xls", "xlsm"])), sheets)


def _read_grid(grid: WorkbookGrid) -> tuple[ingest.FileOutcome, list[str]]:
    """What ``ingest.process_file`` does after reading: parse, pseudonymise. Also the bugs it
    revealed (catch-all findings)."""
    result = parse.locate_forms(grid, PROFILE)
    forms = []
    for fr in result.forms:
        if fr.roster is not None:
            fr.roster = pseudonym.pseudonymise(fr.roster, KEY, year=fr.year or YEAR,
                                               unit_code=fr.unit_code or "", profile=PROFILE)
        forms.append(fr)
    outcome = ingest.FileOutcome(grid.source_file, "0" * 64, 0.0, forms, list(result.findings))
    every = list(result.findings) + [f for fr in forms for f in fr.findings]
    return outcome, _bugs_in(every, grid.source_file)


def _validate(outcomes: list[ingest.FileOutcome]) -> None:
    """What the batch does with the files' outcomes: resolve, validate, settle."""
    batch = ingest.assemble(outcomes, YEAR, PROFILE)
    subs = batch.submissions
    roster_units = subs.loc[(subs["status"] == "candidate") & (subs["form"] == "TR4"), "unit_code"]
    found = rules.validate(batch.candidates, batch.roster, None, year=YEAR,
                           roster_units=sorted(set(roster_units)), profile=PROFILE)
    ingest.settle(batch, found)


def _ingest_grid(grid: WorkbookGrid) -> list[str]:
    outcome, bugs = _read_grid(grid)
    _validate([outcome])
    return bugs


#: Workbooks validated together: the rules cost ~0.2 s a call whatever the batch holds.
RULES_BATCH = 8


def test_structural_fuzz_gives_findings_never_exceptions():
    stats = {"tried": 0}
    start = time.monotonic()
    pending: list[tuple[WorkbookGrid, ingest.FileOutcome]] = []

    def validate_pending() -> None:
        try:
            _validate([o for _, o in pending])
        except Exception:
            for grid, outcome in pending:  # find the workbook that breaks the rules
                try:
                    _validate([outcome])
                except Exception as exc:
                    raise AssertionError(f"rules failed on {grid!r}") from exc
            raise
        finally:
            pending.clear()

    # About 40 examples a second (parse, pseudonymise, and the rules per batch of 8). No
    # shrinking: to shrink a real failure, add Phase.shrink and run it alone.
    @settings(max_examples=STRUCTURAL_CASES, deadline=None, derandomize=True,
              database=None, suppress_health_check=list(HealthCheck),
              phases=(Phase.explicit, Phase.reuse, Phase.generate), report_multiple_bugs=False)
    @given(grid=workbooks())
    def run(grid: WorkbookGrid) -> None:
        stats["tried"] += 1
        outcome, bugs = _read_grid(grid)
        assert bugs == []
        pending.append((grid, outcome))
        if len(pending) >= RULES_BATCH:
            validate_pending()

    run()
    if pending:
        validate_pending()
    print(f"\nstructural fuzz: {stats['tried']} workbooks in "
          f"{time.monotonic() - start:.1f} s (parse, pseudonymise, rules), 0 exceptions")
    assert stats["tried"] >= STRUCTURAL_CASES // 2  # hypothesis may stop early, not this early


# --------------------------------------------------------------------------- byte-level

_TOKENS = [b"<", b">", b"</c>", b"</row>", b'r="XFD1048576"', b'r="A1"', b"<v>", b"</v>",
           b"1e308", b"NaN", b"-", b"&amp;", b"&#0;", b"\x00", b"\xff\xfe", b"<!--", b"]]>",
           b't="s"', b't="str"', b't="e"', b't="b"', b't="d"', b'<c r="A1"><v>99999999</v></c>',
           b"<row>", b"<f>", b"<is><t>", b'ref="A1:XFD1048576"', b"9" * 30, b'"', b"'", b"\xe4\xb8"]
_XML_VALUE = re.compile(rb'(?<=<v>)[^<]*|(?<=r=")[^"]*|(?<=t=")[^"]*|(?<=ref=")[^"]*|(?<=s=")[^"]*')


_OPS = ("flip", "insert", "delete", "dup", "value", "truncate")


def _mutate_bytes(data: bytes, rng: random.Random, ops: int, kinds: tuple[str, ...] = _OPS) -> bytes:
    buf = bytearray(data)
    for _ in range(ops):
        op = rng.choice(kinds)
        pos = rng.randrange(len(buf) + 1) if buf else 0
        if op == "flip" and buf:
            buf[min(pos, len(buf) - 1)] ^= 1 << rng.randrange(8)
        elif op == "insert":
            buf[pos:pos] = rng.choice(_TOKENS) if rng.random() < 0.6 else rng.randbytes(rng.randint(1, 16))
        elif op == "delete":
            del buf[pos : pos + rng.randint(1, 64)]
        elif op == "dup" and buf:
            start = rng.randrange(len(buf))
            buf[pos:pos] = buf[start : start + rng.randint(1, 256)]
        elif op == "value":  # a cell value, reference, type or style index replaced
            spans = [m.span() for m in _XML_VALUE.finditer(buf)]
            if spans:
                a, b = rng.choice(spans)
                buf[a:b] = rng.choice([b"", b"-1", b"1e999", b"XFD1048576", b"A0", b"ZZZ9",
                                       b"99999", b"s", b"inlineStr", b"x" * 40, b"1048577",
                                       b"\xe4\xb8\xad", str(rng.randint(-10, 10**6)).encode()])
        elif op == "truncate" and len(buf) > 8:
            del buf[rng.randrange(len(buf) // 2, len(buf)) :]
    return bytes(buf)


def _mutate_member(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """Mutate one member inside a zip package (the package stays a valid zip)."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        members = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    weights = [5 if n.startswith("xl/worksheets/") else 3 if "sharedStrings" in n
               else 2 if n.endswith((".rels", "workbook.xml", "styles.xml", "Types].xml"))
               else 1 for n, _ in members]
    k = rng.choices(range(len(members)), weights)[0]
    name, body = members[k]
    # half the time only values change (the XML stays well-formed, so the parser goes deeper)
    kinds = ("value",) if rng.random() < 0.5 else _OPS
    members[k] = (name, _mutate_bytes(body, rng, rng.randint(1, 4), kinds))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for n, b in members:
            z.writestr(n, b)
    return out.getvalue(), name


def _seeds(folder: Path) -> dict[str, bytes]:
    from talentstats.workbooks.template import build_workbook_layouts, render_workbook

    layouts = build_workbook_layouts(YEAR, "441900102", values=hostile.good_values(),
                                     roster=hostile.good_roster())
    seeds = {
        "openpyxl.xlsx": render_workbook(layouts, engine="openpyxl"),
        "xlsxwriter.xlsx": render_workbook(layouts, engine="xlsxwriter"),
        "xlwt.xls": render_workbook(layouts, engine="xlwt"),
    }
    for p in sorted(FOREIGN.glob("*.xls*"))[:3]:
        if p.stat().st_size < 200_000:
            seeds[p.name] = p.read_bytes()
    return seeds


def _case(seeds: dict[str, bytes], i: int) -> tuple[str, bytes, str]:
    """Case ``i``: deterministic for the seed; returns (seed name, bytes, what was mutated)."""
    rng = random.Random(f"{SEED}-{i}")
    name = rng.choice(sorted(seeds))
    data = seeds[name]
    if data.startswith(b"PK") and rng.random() < 0.75:
        mutated, member = _mutate_member(data, rng)
        return name, mutated, member
    return name, _mutate_bytes(data, rng, rng.randint(1, 6)), "raw bytes"


def test_byte_mutation_fuzz_through_the_isolated_worker(tmp_path):
    from talentstats.reading.executor import IsolatedExecutor, WorkerFailure

    seeds = _seeds(tmp_path)
    failures: list[str] = []
    tried, outcomes = 0, {"readable": 0, "unreadable": 0}
    start = time.monotonic()
    with IsolatedExecutor(2, timeout=20) as pool:
        while tried < BYTE_CASES and not failures:
            batch = []
            for i in range(tried, tried + 24):
                seed, data, what = _case(seeds, i)
                path = tmp_path / f"case{i}{Path(seed).suffix}"
                path.write_bytes(data)
                batch.append((i, seed, what, path,
                              pool.submit(ingest.process_file, str(path), path.name, KEY)))
            for i, seed, what, path, future in batch:
                where = f"case {i} ({seed}, {what})"
                try:
                    outcome = future.result()
                except WorkerFailure as exc:  # died or timed out: a crash, contained
                    failures.append(f"{where}: {exc.reason}")
                    continue
                except Exception as exc:  # noqa: BLE001 - any escaping exception is a bug
                    failures.append(f"{where}: {type(exc).__name__}: {exc} {getattr(exc, '__notes__', '')}")
                    continue
                failures += _bugs_in(outcome.findings + [f for fr in outcome.forms
                                                         for f in fr.findings], where)
                outcomes["readable" if outcome.readable else "unreadable"] += 1
                path.unlink()
            tried += len(batch)
    elapsed = time.monotonic() - start
    print(f"\nbyte-level fuzz: {tried} mutated files from {len(seeds)} seeds in {elapsed:.1f} s "
          f"({outcomes['readable']} still readable, {outcomes['unreadable']} unreadable), "
          f"{len(failures)} failures")
    assert failures == []
    assert tried >= BYTE_CASES


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, 2**63 - 1, -(2**63), 1e308])
def test_extreme_numbers_in_every_value_cell_give_findings(value):
    """Every number cell of every form set to an extreme value at once."""
    sheets = []
    for base in BASE:
        cells = [[value if isinstance(v, (int, float)) and not isinstance(v, bool) else v
                  for v in row] for row in base.cells]
        sheets.append(SheetGrid(base.name, cells, base.merged, True, base.hidden_rows))
    assert _ingest_grid(WorkbookGrid("石龙镇2013.xlsx", "xlsx", sheets)) == []
