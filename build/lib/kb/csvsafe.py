"""CSV files that a spreadsheet opens as data, never as formulas (CSV injection).

The one rule, for every CSV the site publishes (the data downloads and the chart downloads): a
text cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with a
single quote `'`, as OWASP recommends ("CSV Injection"), so Excel, LibreOffice and Google Sheets
show it as text instead of evaluating it. Numbers are left as they are: a numeric column is not
touched, and a text cell that is a plain number literal (`-12`, `+1.5`, `-3e-4`) stays a number.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
from pathlib import Path

import pandas as pd

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def cell(value):
    """The value to write in a CSV cell: text that a spreadsheet would evaluate gets a `'`."""
    if isinstance(value, str) and value.startswith(TRIGGERS) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def frame(data: pd.DataFrame) -> pd.DataFrame:
    """A copy of `data` with every text cell made safe (numeric columns untouched)."""
    out = data.copy()
    for col in out.columns:
        if not (pd.api.types.is_object_dtype(out[col]) or pd.api.types.is_string_dtype(out[col])):
            continue
        out[col] = out[col].map(cell, na_action="ignore")
    return out


def to_csv(data: pd.DataFrame, path: Path | None = None, **kwargs) -> str | None:
    """`DataFrame.to_csv` of the safe copy (returns the text when `path` is None)."""
    return frame(data).to_csv(path, **kwargs)


def copy_table(source: Path, target: Path) -> None:
    """Copy a CSV file, neutralising its cells.

    A file with nothing to neutralise is copied byte for byte, with its modification time (as
    `shutil.copy2` does, so publishing can hard-link it to the unchanged published copy);
    otherwise it is rewritten with the same dialect and line endings.
    """
    raw = source.read_bytes()
    text = raw.decode("utf-8")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    safe = [[cell(c) for c in row] for row in rows]
    if safe == rows:
        shutil.copy2(source, target)
        return
    ending = "\r\n" if "\r\n" in text else "\n"
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator=ending).writerows(safe)
    target.write_bytes(out.getvalue().encode("utf-8"))
