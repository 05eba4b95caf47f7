"""HTML building blocks for pages: escaped tables, notes, numbers and source links.

Everything that comes from `data/` goes through `html.escape`, so markup in a title or note is
shown as text and never executed.
"""

from __future__ import annotations

import html
import math
import os

import pandas as pd
from IPython.display import HTML

from kb import i18n
from kb.data import Snapshot


def esc(value) -> str:
    """Text from data, safe inside HTML."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return html.escape(str(value), quote=True)


def shared_root() -> str:
    """Relative path from the page being executed to the top of the site, where the files both
    editions share live (`charts/`, `vendor/`, `workshops/`); set by `kb execute`."""
    return os.environ.get("KB_CHARTS_ROOT", site_root())


def site_root() -> str:
    return os.environ.get("KB_SITE_ROOT", "")


def generated_root() -> str:
    """Relative path from the page being executed to `_generated/`, where the pages made from
    templates are (`../` from a country page, nothing from the home page): shorter links on the
    pages that carry many."""
    root = site_root()
    return root[3:] if root.startswith("../") else f"{root}_generated/"


def places_for(value, unit: str = "") -> int:
    """Decimal places for reading `value`: none for large numbers, one for shares, two for
    small quantities. A row that shows a value beside its change uses the value's places."""
    v = abs(float(value))
    if unit.startswith("%"):
        return 1
    return 0 if v >= 1000 else 1 if v >= 10 else 2


def number(value, unit: str = "", digits: int | None = None) -> str:
    """A value for reading (the CSV downloads keep every digit)."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "—"
    v = float(value)
    return i18n.number(v, places_for(v, unit) if digits is None else digits)


def source_link(source_ids: str, snapshot: Snapshot | None = None) -> str:
    """Links from `;`-separated source ids to their entries on the data-sources page."""
    links = []
    for sid in dict.fromkeys(s for s in str(source_ids).split(";") if s):
        links.append(
            f'<a href="{site_root()}_generated/reference/sources.html#src-{esc(sid)}">{esc(sid)}</a>'
        )
    return ", ".join(links)


STACKED_FROM = 5
"""Tables with this many columns or more are stacked row by row on a phone's screen."""


def table(
    frame: pd.DataFrame,
    html_columns: tuple[str, ...] = (),
    caption: str = "",
    numeric: tuple[str, ...] = (),
    filters: dict[str, pd.Series] | None = None,
) -> HTML:
    """An accessible HTML table; cells are escaped except the named pre-built HTML columns.

    A table of `STACKED_FROM` columns or more is stacked on a phone (kb.css): each row becomes
    a block of "column: value" lines (its cells carry their column's name), so no column is off
    the screen; wider screens and paper see the table.

    `filters` (column → each row's values, a list per row) puts a drop-down list per column
    above the table: `_static/kb-filter.js` shows only the rows whose values include the choice
    (it works offline; without JavaScript the lists stay hidden and the table is whole)."""
    head = "".join(f'<th scope="col">{esc(c)}</th>' for c in frame.columns)
    stacked = len(frame.columns) >= STACKED_FROM
    rows = []
    for number, (_, row) in enumerate(frame.iterrows()):
        cells = []
        for col in frame.columns:
            value = row[col]
            text = str(value) if col in html_columns else esc(value)
            cls = ' class="kb-num"' if col in numeric else ""
            label = f' data-label="{esc(col)}"' if stacked else ""
            cells.append(f"<td{cls}{label}>{text}</td>")
        values = "".join(
            f' data-kb-{i}="{esc("|".join(map(str, filters[c].iloc[number])))}"'
            for i, c in enumerate(filters or {})
        )
        rows.append(f"<tr{values}>" + "".join(cells) + "</tr>")
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    framed = table_frame(
        f'<table class="kb-table{" kb-stacked" if stacked else ""}">{cap}'
        f"<thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>",
        caption,
    )
    return HTML(_filter_form(filters) + framed if filters else framed)


def _filter_form(filters: dict[str, pd.Series]) -> str:
    """The drop-down lists above a filtered table (see `table`), hidden until its script runs."""
    lists = []
    for i, (column, values) in enumerate(filters.items()):
        choices = sorted({v for row in values for v in row}, key=str)
        options = f'<option value="">{esc(i18n.t("all"))}</option>' + "".join(
            f'<option value="{esc(v)}">{esc(v)}</option>' for v in choices
        )
        lists.append(
            f'<label>{esc(column)} <select data-kb-filter="{i}">{options}</select></label>'
        )
    shown = esc(i18n.t("{shown} of {total} rows shown"))
    return (
        f'<form class="kb-filters" hidden data-kb-shown="{shown}">{"".join(lists)}'
        '<p class="kb-filter-count" aria-live="polite"></p></form>'
    )


def frame_html(frame: pd.DataFrame) -> str:
    """A data frame shown on a page (a workshop solution's result): pandas' HTML table in the
    book's scrolling frame, as pandas' display options trim it, without the `<style scoped>`
    block pandas' notebook view puts in the page (invalid HTML outside a notebook)."""
    return table_frame(
        frame.to_html(
            max_rows=pd.get_option("display.max_rows"),
            max_cols=pd.get_option("display.max_columns"),
            show_dimensions=pd.get_option("display.show_dimensions"),
            border=0,
        )
    )


def table_frame(table_html: str, label: str = "") -> str:
    """The frame a table scrolls in on a narrow screen: keyboard users can focus and scroll it
    too (a named region, in the tab order)."""
    name = esc(label or i18n.t("Table"))
    return f'<div class="kb-table-wrap" tabindex="0" role="region" aria-label="{name}">{table_html}</div>'


def note(text: str, kind: str = "note") -> HTML:
    """A short boxed remark (for example: a value no source gives)."""
    return HTML(f'<div class="admonition {esc(kind)} kb-note"><p>{esc(text)}</p></div>')


def paragraph(text: str) -> HTML:
    return HTML(f"<p>{esc(text)}</p>")


def values_phrase(frame: pd.DataFrame, unit: str, snapshot: Snapshot) -> str:
    """`Kazakhstan 1.3 (2020); Kyrgyzstan 6.9 (2020)` for descriptions of charts."""
    return "; ".join(
        f"{snapshot.country_name(r.country)} {number(r.value, unit)} ({int(r.year)})"
        for r in frame.itertuples()
    )


def source_ids(frame: pd.DataFrame) -> list[str]:
    """Distinct source ids of a frame whose `source` cells may hold `;`-separated lists."""
    return list(dict.fromkeys(s for v in frame.source for s in str(v).split(";") if s))


def missing_countries(frame: pd.DataFrame, snapshot: Snapshot) -> list[str]:
    """Names of the countries (in snapshot order) that have no row in `frame`."""
    have = set(frame.country)
    return [snapshot.country_name(c) for c in snapshot.countries.iso3 if c not in have]
