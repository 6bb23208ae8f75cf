"""Tables as lines of text; a rectification ledger (整改台账) as one clause per row.

A reader hands over a table as a grid of cell texts, merged cells already
repeated into every row and column they cover. A ledger is recognised by its
header row (序号 / 问题 / 整改措施 / 责任单位 / 完成时限 / 进展情况…); each of its rows
becomes one line that names its columns::

    (1)问题: 飞线充电… 整改措施: 开展排查… 责任单位: 安监办 进展情况: 已完成

The row number becomes a clause marker one level below the heading the table
sits under, so that the clause parser files each row as a clause of it.
"""

from __future__ import annotations

import re

from .lines import marker_level

_SERIAL = re.compile(r"^(序号|编号|序|No\.?|#)$", re.IGNORECASE)
_LEDGER_WORDS = (
    "问题", "整改", "措施", "责任", "时限", "完成", "进展", "情况", "牵头", "领导", "成效", "销号", "备注",
)


def _clean(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


def _header_index(grid: list[list[str]]) -> int | None:
    """The index of a ledger's header row among the first rows, or None."""
    for i, row in enumerate(grid[:3]):
        cells = [re.sub(r"\s+", "", c) for c in row]
        distinct = [c for j, c in enumerate(cells) if c and (j == 0 or c != cells[j - 1])]
        if len(distinct) < 3:
            continue
        hits = sum(1 for c in distinct if len(c) <= 12 and any(w in c for w in _LEDGER_WORDS))
        has_serial = any(_SERIAL.match(c) for c in distinct)
        if hits >= 3 or (has_serial and hits >= 2):
            return i
    return None


def _row_marker(value: str, index: int, parent_level: int | None) -> str:
    n = value if re.fullmatch(r"\d{1,3}", value) else str(index)
    if parent_level is None or parent_level <= 2:
        return f"{n}."
    if parent_level == 3:
        return f"({n})"
    k = int(n)
    return chr(0x2460 + k - 1) if 1 <= k <= 20 else f"({n})"


def table_lines(grid: list[list[str]], parent_level: int | None = None) -> list[str]:
    """The lines a table gives: a ledger's rows as marked clauses, any other
    table one line per row, its distinct cells joined by " | ".

    ``parent_level`` is the level of the last clause marker before the table
    (None when there was none); ledger rows are numbered one level below it.
    """
    grid = [[_clean(c) for c in row] for row in grid if any(c.strip() for c in row)]
    if not grid:
        return []
    out: list[str] = []
    h = _header_index(grid)
    if h is None:
        for row in grid:
            cells = [c for j, c in enumerate(row) if c and (j == 0 or c != row[j - 1])]
            out.append(" | ".join(cells))
        return out
    # rows above the header (a caption merged across the table) stay as text
    for row in grid[:h]:
        cells = [c for j, c in enumerate(row) if c and (j == 0 or c != row[j - 1])]
        out.append(" ".join(cells))
    header = [re.sub(r"\s+", "", c) for c in grid[h]]
    serial_col = next((j for j, c in enumerate(header) if _SERIAL.match(c)), None)
    index = 0
    for row in grid[h + 1 :]:
        if [re.sub(r"\s+", "", c) for c in row] == header:
            continue  # header repeated on a new page
        index += 1
        fields = []
        seen: set[tuple[str, str]] = set()
        for j, value in enumerate(row):
            if j == serial_col or not value or j >= len(header):
                continue
            name = header[j] or f"列{j + 1}"
            if (name, value) in seen:
                continue  # one cell merged across two columns of the same name
            seen.add((name, value))
            fields.append(f"{name}: {value}")
        if not fields:
            continue
        serial = row[serial_col] if serial_col is not None and serial_col < len(row) else ""
        out.append(_row_marker(serial, index, parent_level) + " ".join(fields))
    return out


def last_marker_level(lines: list[str]) -> int | None:
    """The level of the last line among ``lines`` that starts with a clause marker."""
    for line in reversed(lines):
        lv = marker_level(line)
        if lv is not None:
            return lv
    return None
