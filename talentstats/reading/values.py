"""A table block's values, read and converted, with the findings about them (F01-F06, F08,
F09, F11, F12)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from talentstats.model import Finding, SheetGrid, cell_ref
from talentstats.profile.forms import Form
from talentstats.reading.clean import TO_WAN_YUAN, clean_value
from talentstats.reading.formulas import evaluate_formula
from talentstats.reading.grid import cell_at, column_letters, is_blank, sheet_cells, text_of
from talentstats.reading.layout import index_row
from talentstats.reading.locate import Block
from talentstats.reading.measure import money_units, unit_of_measure
from talentstats.reading.vocabulary import Vocabulary, is_footer_row

if TYPE_CHECKING:
    from talentstats.validation.rulebook import Rule


# F09: TR2 300 (财政总收入) in 万元. A Dongguan town's fiscal revenue is some 10-100 亿元, i.e.
# 100,000-1,000,000 万元: above 1000 亿元 it was typed in 元, below 100 万元 in 亿元.
F09_MAX_REVENUE = 10_000_000.0
F09_MIN_REVENUE = 100.0
_MONEY_ROUND = 6  # decimals kept after converting to 万元 (1 分)


def _cell_fields(f: Form, item: int, col: int, ref: str) -> dict[str, object]:
    """The placeholders of a finding about one value cell (``rules.yaml``: F01-F03, F06, F09)."""
    return {"table": f"表{f.number}", "item": item, "item_name": f.item(item).name,
            "column_name": f.column(col).short_name, "column": col, "cell": ref}


def read_table(sheet: SheetGrid, f: Form, lay: Block,
                lex: Vocabulary) -> tuple[list, list[Finding], str | None]:
    rules = lex.rules
    name = sheet.name
    table = f"表{f.number}"
    found: list[Finding] = []
    values: list[tuple[int, int, float, str]] = []
    is_money = f.value_type == "money"
    unit, factor, line_ref = unit_of_measure(sheet.cells, lay.top, lay.first)
    stated = money_units(sheet, lay) if is_money else []
    if len({u for u, _ in stated}) > 1:
        found.append(rules["F12"].finding(
            table=table, sheet=name, places="；".join(f"{ref}为“{u}”" for u, ref in stated),
            form=f.code, cells=sheet_cells(name, *(ref for _, ref in stated)),
        ))
        return [], found, unit
    if stated and not unit:  # said only in the title or the column headers
        unit, factor = stated[0][0], TO_WAN_YUAN.get(stated[0][0])
    unit_case = "sheet" if not stated or stated[0][1] == line_ref else "header"
    sheet_factor = factor if (is_money and factor) else 1.0
    cell_units: list[str] = []
    columns = sorted(lay.columns.items())

    formulas = sheet.formulas
    letters = [(c, col, column_letters(c)) for c, col in columns]
    append = values.append
    for it in f.items:
        item = it.code
        r = lay.item_rows.get(item)
        if r is None:
            found.append(rules["F08"].finding(
                table=table, sheet=name, item=item, item_name=it.name,
                form=f.code, cells=name,
            ))
            continue
        vtype = it.value_type or f.value_type  # f.item_value_type(item)
        row = sheet.cells[r]
        n = len(row)
        rownum = str(r + 1)
        for c, col, letter in letters:
            raw = row[c] if c < n else ""
            cls = raw.__class__  # exactly float or int: TRUE is no number (isinstance here cost 2-3%, measured)
            if (cls is float or cls is int) and 0 <= raw < 1e15:  # a plain number (not NaN/inf)
                if not is_money:
                    if cls is int or raw.is_integer():
                        append((item, col, float(raw), letter + rownum))
                        continue
                elif sheet_factor == 1.0:
                    append((item, col, round(float(raw), 4) + 0.0, letter + rownum))
                    continue
            elif raw == "" and (r, c) not in formulas:
                continue
            ref = letter + rownum
            if (r, c) in sheet.formulas and is_blank(raw):
                total = evaluate_formula(sheet, r, c, vtype, frozenset(), sheet_factor)
                if total is None:
                    found.append(rules["F06"].finding(
                        **_cell_fields(f, item, col, ref), formula=sheet.formulas[(r, c)],
                        form=f.code, cells=sheet_cells(name, ref),
                    ))
                    continue
                raw = total
            cl = clean_value(raw, value_type=vtype, money_factor=sheet_factor)
            if cl.problem:
                found.append(rules[cl.problem].finding(
                    **_cell_fields(f, item, col, ref), value=text_of(raw), reason=cl.reason,
                    form=f.code, cells=sheet_cells(name, ref),
                ))
                continue
            if cl.value is None:
                continue
            value = cl.value
            if is_money:
                if cl.unit and cl.unit != "万元":
                    value = value * TO_WAN_YUAN.get(cl.unit, 1.0)
                    cell_units.append(f"{ref}（{cl.unit}）")
                elif not cl.unit:
                    value = value * sheet_factor
                value = round(value, _MONEY_ROUND) + 0.0
            values.append((item, col, value, ref))

    if is_money and sheet_factor != 1.0:
        found.append(rules["F05"].finding(
            case=unit_case, table=table, sheet=name, unit=unit, factor=sheet_factor,
            places="、".join(ref for _, ref in stated),
            form=f.code, cells=name,
        ))
    if cell_units:
        found.append(rules["F05"].finding(
            case="cells", table=table, sheet=name, units="、".join(cell_units),
            form=f.code, cells=sheet_cells(name, *(u.split("（")[0] for u in cell_units)),
        ))
    if f.code == "TR2" and sheet_factor == 1.0:
        found += _magnitude(f, name, values, rules["F09"])
    found += _unknown_rows(sheet, f, lay, lex)
    return values, found, unit


def _magnitude(f: Form, sheet: str, values: list[tuple[int, int, float, str]],
               f09: Rule) -> list[Finding]:
    for item, col, v, ref in values:
        if item == 300 and col == 1 and not (F09_MIN_REVENUE <= v <= F09_MAX_REVENUE):
            hint = "元" if v > F09_MAX_REVENUE else "亿元"
            return [f09.finding(
                **_cell_fields(f, item, col, ref), value=v, unit=hint,
                form=f.code, cells=sheet_cells(sheet, ref),
            )]
    return []


def _first_not_none(*xs: int | None) -> int:
    return next(x for x in xs if x is not None)


def _row_has_numbers(sheet: SheetGrid, r: int, cols: dict[int, int]) -> bool:
    for c in cols:
        v = cell_at(sheet.cells, r, c)
        if isinstance(v, bool) or is_blank(v):
            continue
        if isinstance(v, (int, float)):
            return True
        cl = clean_value(v, value_type="money")
        if cl.value is not None and cl.problem is None and cl.value != 0:
            return True
    return False


def _row_label(sheet: SheetGrid, r: int, lay: Block) -> str:
    parts = []
    for c in (lay.code_col, lay.label_col):
        if c is not None and not is_blank(cell_at(sheet.cells, r, c)):
            parts.append(text_of(cell_at(sheet.cells, r, c)))
    return " ".join(parts)


def _unknown_rows(sheet: SheetGrid, f: Form, lay: Block, lex: Vocabulary) -> list[Finding]:
    """F04 for rows of the block that hold numbers but no item of the form (or a second row for
    one). Below the last item row the scan ends at the footer, at an index row (the next
    form's), or at the block below; hidden rows are never data."""
    out: list[Finding] = []
    item_row_set = set(lay.item_rows.values())
    dups = set(lay.dup_rows)
    item_cols = {c for c in (lay.label_col, lay.code_col) if c is not None}
    for r in range(lay.first, min(lay.bottom + 1, len(sheet.cells))):
        if r in item_row_set or r in sheet.hidden_rows:
            continue
        if r > lay.last and (
            is_footer_row(sheet.cells, r, lex)
            or index_row(sheet.cells[r], item_cols, len(f.columns)) is not None
        ):
            break
        if not _row_has_numbers(sheet, r, lay.columns):
            continue
        label = _row_label(sheet, r, lay) or "（无项目名称）"
        out.append(lex.rules["F04"].finding(
            case="duplicate" if r in dups else "unknown",
            table=f"表{f.number}", sheet=sheet.name, row=r + 1, label=label,
            form=f.code, cells=sheet_cells(sheet.name, cell_ref(r, _first_not_none(lay.label_col, lay.code_col, 0))),
        ))
    return out


def hidden_findings(sheet: SheetGrid, f: Form, lay: Block, hidden_items: dict[int, int],
                     hidden_cols: dict[int, int], f11: Rule) -> list[Finding]:
    """F11: hidden rows that carry an item of the block, hidden columns that a header names."""
    out: list[Finding] = []
    rows = sorted(r for r in hidden_items if lay.top <= r <= lay.bottom)
    if rows:
        labels = "、".join(f"第{r + 1}行（{hidden_items[r]}）" for r in rows)
        out.append(f11.finding(
            case="rows", table=f"表{f.number}", sheet=sheet.name, rows=labels,
            form=f.code,
            cells=sheet_cells(sheet.name, *(cell_ref(r, _first_not_none(lay.label_col, lay.code_col, 0)) for r in rows)),
        ))
    cols = sorted(c for c in hidden_cols
                  if any(not is_blank(cell_at(sheet.cells, r, c)) for r in lay.item_rows.values()))
    if cols:
        names = "、".join(f"{column_letters(c)}列（{f.column(hidden_cols[c]).short_name}）" for c in cols)
        out.append(f11.finding(
            case="columns", table=f"表{f.number}", sheet=sheet.name, columns=names,
            form=f.code, cells=sheet_cells(sheet.name, *(cell_ref(lay.first, c) for c in cols)),
        ))
    return out
