"""Dated and costed facts from `data/`, formatted for a reader in English or Russian (Babel, CLDR).

Prose never types a date or an amount: it names the row that holds it. The Sphinx extension's
roles (`{kb-date}`, `{kb-amount}`, …) and the page views both format through the functions here,
so a fact reads the same wherever it appears and changes everywhere when `data/` changes.
The module reads CSV directly (no pandas): Sphinx calls it for every role in every page.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from functools import lru_cache
from pathlib import Path

from babel.dates import format_date
from babel.numbers import format_decimal

TABLES = {
    "date": ("timeline", "id"),
    "year": ("timeline", "id"),
    "amount": ("financing", "id"),
    "span": ("periods", "id"),
    "project-years": ("projects", "id"),
}
"""Role kind → (table in `data/`, key column)."""

_DATE_PATTERNS = {
    "en": {"day": "d MMMM y", "month": "MMMM y", "year": "y"},
    "ru": {"day": "d MMMM y 'г.'", "month": "LLLL y 'г.'", "year": "y"},
}


class UnknownFact(LookupError):
    """A prose reference names a row that `data/` does not have."""


@lru_cache(maxsize=16)
def _rows(path: Path, _mtime_ns: int) -> dict[str, dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return {row["id"]: row for row in csv.DictReader(handle)}


def table_path(data_dir: Path, kind: str) -> Path:
    return data_dir / f"{TABLES[kind][0]}.csv"


def row(data_dir: Path, kind: str, key: str) -> dict[str, str]:
    path = table_path(data_dir, kind)
    rows = _rows(path, path.stat().st_mtime_ns)
    if key not in rows:
        raise UnknownFact(f"no row {key!r} in data/{path.name}")
    return rows[key]


def date(iso: str, precision: str, lang: str) -> str:
    """`28 August 2006` / `28 августа 2006 г.`; `August 2006`; `2006`."""
    return format_date(dt.date.fromisoformat(iso), _DATE_PATTERNS[lang][precision], locale=lang)


_ISO_DATE = re.compile(r"(\d{4})-(\d{2})(?:-(\d{2}))?")


def dated_text(text: str, lang: str) -> str:
    """A free-text field that is only an ISO date (`2006-11-24`, `2006-11`) in the reader's
    words; any other text unchanged."""
    found = _ISO_DATE.fullmatch(text.strip())
    if not found:
        return text
    year, month, day = found.groups()
    return date(f"{year}-{month}-{day or '01'}", "day" if day else "month", lang)


def year_span(first: str, last: str) -> str:
    return first if first == last else f"{first}–{last}"


def usd(amount: float, lang: str) -> str:
    """`US$21.8 million` / `21,8 млн долл. США`; below a million the whole amount."""
    if amount >= 1_000_000:
        figure = format_decimal(amount / 1_000_000, "#,##0.###", locale=lang)
        return f"US${figure} million" if lang == "en" else f"{figure} млн долл. США"
    figure = format_decimal(amount, "#,##0", locale=lang)
    return f"US${figure}" if lang == "en" else f"{figure} долл. США"


def render(data_dir: Path, kind: str, key: str, lang: str) -> str:
    """The text a `{kb-<kind>}` role shows for row `key`."""
    r = row(data_dir, kind, key)
    if kind == "date":
        return date(r["date"], r["precision"], lang)
    if kind == "year":
        return r["date"][:4]
    if kind == "amount":
        return usd(float(r["amount_usd"]), lang)
    if kind == "span":
        last = r["end"][:4] if r["end"] else ""
        if not last and r["planned_months"]:
            months = int(r["planned_months"])
            return months_text(months, lang)
        return year_span(r["start"][:4], last) if last else r["start"][:4]
    if kind == "project-years":
        first, last = r["start_year"], r["end_year"]
        if not first or not last:
            raise UnknownFact(f"project {key!r} has no start and end year in data/projects.csv")
        return year_span(first, last)
    raise UnknownFact(f"unknown kind {kind!r}")


def months_text(months: int, lang: str) -> str:
    """A planned length: `three years`, `60 months` / `три года`, `60 месяцев`."""
    from babel.core import Locale

    rule = Locale.parse(lang).plural_form  # CLDR plural rules: one / few / many / other
    if months % 12 == 0:
        n = months // 12
        words = {
            "en": {"one": "year", "other": "years"},
            "ru": {"one": "год", "few": "года", "many": "лет", "other": "года"},
        }[lang]
        return f"{format_decimal(n, locale=lang)} {words[rule(n)]}"
    words = {
        "en": {"one": "month", "other": "months"},
        "ru": {"one": "месяц", "few": "месяца", "many": "месяцев", "other": "месяца"},
    }[lang]
    return f"{format_decimal(months, locale=lang)} {words[rule(months)]}"
