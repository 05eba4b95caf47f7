"""Load and validate the sourced data snapshot in `data/`.

Validation is two passes. Frictionless checks the Data Package: encoding, header, types,
constraints, primary keys and foreign keys. Then rules a Table Schema cannot express: value
ranges per indicator, `;`-separated source and country lists, and years up to this year.
Every problem is reported at once as ``data/<file>.csv:<line>:<column>: <message>``.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from kb.errors import KbError
from kb.paths import Paths

if TYPE_CHECKING:  # pandas is imported lazily: `kb validate` does not need it
    import pandas as pd

DESCRIPTOR = "datapackage.json"


@dataclass(frozen=True, repr=False, eq=False)
class Snapshot:
    """The validated tables of `data/`, as pandas frames (one per Data Package resource)."""

    countries: pd.DataFrame
    sources: pd.DataFrame
    outcomes: pd.DataFrame
    indicators: pd.DataFrame
    observations: pd.DataFrame
    projects: pd.DataFrame
    financing: pd.DataFrame
    timeline: pd.DataFrame
    periods: pd.DataFrame
    results: pd.DataFrame
    objectives: pd.DataFrame
    practices: pd.DataFrame
    commitments: pd.DataFrame

    def __repr__(self) -> str:
        return "<Snapshot of data/>"

    def __getattribute__(self, name: str):
        # Record which tables a page reads (see kb.deps); observations are recorded per
        # indicator by `observations_for`, so a direct read depends on the whole table.
        # A page gets its own copy of a table: the snapshot is shared by every page a kernel
        # runs, and a page that changed a shared frame would change the pages after it.
        if name in _TABLE_NAMES:
            from kb import deps

            deps.uses(f"table:{name}")
            return object.__getattribute__(self, name).copy()
        return object.__getattribute__(self, name)

    def observations_for(self, indicators: set[str]) -> pd.DataFrame:
        """Observations of the given indicators only, recorded as `obs:<id>` dependencies."""
        from kb import deps

        deps.uses(*(f"obs:{i}" for i in indicators))
        frame = object.__getattribute__(self, "observations")
        return frame[frame.indicator.isin(indicators)].copy()

    def row(self, table: str, key: str):
        """The row of a table whose `id` is `key` (a named tuple), recorded as the dependency
        `row:<table>:<key>` (see kb.deps): a page that shows one project re-runs when that
        project's row changes, not when another's does. KeyError if there is no such row."""
        from kb import deps

        deps.uses(f"row:{table}:{key}")
        frame = object.__getattribute__(self, table)
        found = frame[frame.id == key]
        if found.empty:
            raise KeyError(f"no row {key!r} in data/{table}.csv")
        return next(found.itertuples(index=False))

    def country_code(self, text: str) -> str:
        """The ISO3 code a reader means: `KGZ`, `kgz`, `Kyrgyzstan`, `Kyrgyz Republic` or
        `Кыргызстан` all give `KGZ`; anything else is an error naming the five (never a page
        that silently says "not reported" everywhere)."""
        wanted = " ".join(str(text).split()).casefold()
        for row in self.countries.itertuples(index=False):
            names = (row.iso3, row.name_en, row.name_ru, row.short_en, row.short_ru)
            if wanted in {str(n).casefold() for n in names}:
                return row.iso3
        known = ", ".join(f"{r.iso3} ({r.short_en})" for r in self.countries.itertuples())
        raise KbError(f"unknown country {text!r}; use one of {known}")

    def country_name(self, iso3: str, lang: str | None = None, form: str = "short") -> str:
        """The country's name in `lang` (default: the page's language): its short form, as
        charts and tables show all five alike, or (`form="full"`) the name titles use."""
        from kb import deps
        from kb.i18n import language

        lang = lang or language()
        # Looked up hundreds of times per page (chart labels, tables, descriptions): a dict made
        # once per snapshot and language, instead of filtering the table on every call.
        names = deps.remembered(
            self,
            ("country_names", lang, form),
            lambda: {
                iso3: str(name)
                for iso3, name in self.countries[
                    ["iso3", f"{'short' if form == 'short' else 'name'}_{lang}"]
                ].itertuples(index=False)
            },
        )
        if iso3 not in names:
            raise KbError(f"unknown country '{iso3}' (known: {', '.join(names)})")
        return names[iso3]


_TABLE_NAMES = frozenset(Snapshot.__dataclass_fields__)

# ---------------------------------------------------------------- validation


def _descriptor(data_dir: Path) -> dict:
    path = data_dir / DESCRIPTOR
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise KbError(f"{_rel(path)}:1:1: missing Data Package descriptor") from exc
    except json.JSONDecodeError as exc:
        raise KbError(f"{_rel(path)}:{exc.lineno}:{exc.colno}: {exc.msg}") from exc


def _rel(path: Path) -> str:
    """`data/x.csv`, the way authors name the file."""
    return f"{path.parent.name}/{path.name}"


def _header_problems(path: Path, header: list[str], resource: dict) -> list[str]:
    """Columns are matched by name: report missing required, unknown and repeated columns."""
    where = _rel(path)
    names = [f["name"] for f in resource["schema"]["fields"]]
    problems = [f"{where}:1:{n}: missing column '{n}'" for n in names if n not in header]
    for i, label in enumerate(header, start=1):
        if label not in names:
            problems.append(f"{where}:1:{i}: unexpected column {label!r}")
        elif header.index(label) != i - 1:
            problems.append(f"{where}:1:{i}: column {label!r} appears twice")
    return problems


def _precheck(path: Path, resource: dict) -> list[str]:
    """Problems frictionless reports poorly: missing, empty or non-UTF-8 files, bad headers,
    ragged rows."""
    where = _rel(path)
    if not path.exists():
        return [f"{where}:1:1: file is missing"]
    raw = path.read_bytes()
    if not raw.strip():
        return [f"{where}:1:1: file is empty (expected a header row)"]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return [
            f"{where}:{line}:{col}: not UTF-8 (byte 0x{raw[exc.start]:02x}); save the file as UTF-8"
        ]
    problems = []
    rows = csv.reader(text.splitlines())
    header = next(rows)
    if bad_header := _header_problems(path, header, resource):
        return bad_header
    for line, row in enumerate(rows, start=2):
        if row and len(row) != len(header):
            problems.append(
                f"{where}:{line}:{len(row)}: {len(row)} columns where the header has {len(header)}"
            )
    return problems


_TYPE_NAMES = {"number": "a number", "integer": "a whole number", "date": "a date (YYYY-MM-DD)"}
_CONSTRAINT = re.compile(r'constraint "(\w+)" is "(.*)"')


def _message(resource: dict, e: dict) -> str:
    """One readable sentence for a frictionless error descriptor."""
    kind, cell = e["type"], e.get("cell")
    if kind == "type-error":
        field = next(f for f in resource["schema"]["fields"] if f["name"] == e["fieldName"])
        if field.get("format") == "uri":
            return f"{cell!r} is not a URL (http://… or https://…)"
        return f"{cell!r} is not {_TYPE_NAMES.get(field['type'], field['type'])}"
    if kind == "constraint-error":
        found = _CONSTRAINT.search(e.get("note", ""))
        name, limit = found.groups() if found else (None, None)
        return {
            "required": "missing value (this column is required)",
            "minimum": f"{cell} is below the minimum {limit}",
            "maximum": f"{cell} is above the maximum {limit}",
            "enum": f"{cell!r} is not one of {limit}",
            "pattern": f"{cell!r} does not have the expected form {limit}",
        }.get(name, f"{cell!r}: {e.get('note')}")
    if kind == "primary-key":
        keys = ", ".join(resource["schema"]["primaryKey"])
        line = e.get("note", "").rsplit(" ", 1)[-1]
        return f"duplicate ({keys}) already on line {line}"
    if kind == "foreign-key":
        ref = e["referenceName"]
        noun = {
            "countries": "country",
            "sources": "source id",
            "indicators": "indicator id",
            "outcomes": "outcome id",
            "projects": "project id",
        }.get(ref, ref)
        return f"{e['fieldCells'][0]!r} is not a known {noun} (see data/{ref}.csv)"
    if kind == "missing-label":
        return f"missing column '{e.get('fieldName')}'"
    if kind == "incorrect-label":
        return f"column is named {e.get('label')!r}, expected '{e.get('fieldName')}'"
    if kind in ("extra-label", "duplicate-label"):
        return f"unexpected column {e.get('label')!r}"
    return e.get("message", kind)


def _format(resource: dict, error) -> str:
    e = error.to_descriptor()
    key = resource["schema"].get("primaryKey", ["-"])
    column = e.get("fieldName") or (e.get("fieldNames") or key)[0]
    line = e.get("rowNumber") or 1
    return f"data/{resource['path']}:{line}:{column}: {_message(resource, e)}"


def _validation_key(data_dir: Path, descriptor: dict, resource: dict) -> str:
    """What a table's Frictionless verdict depends on: this module (checks and wording), the
    Frictionless release, the whole descriptor (this year's limit included), the table's bytes
    and the bytes of the tables its foreign keys point to."""
    from importlib.metadata import version

    digest = hashlib.sha256(Path(__file__).read_bytes())
    digest.update(version("frictionless").encode())
    digest.update(json.dumps(descriptor, sort_keys=True).encode())
    by_name = {r["name"]: r for r in descriptor["resources"]}
    referenced = {
        key["reference"]["resource"] or resource["name"]
        for key in resource["schema"].get("foreignKeys", [])
    }
    for name in [resource["name"], *sorted(referenced - {resource["name"]})]:
        digest.update(f"\n{name}\n".encode())
        path = data_dir / by_name[name]["path"] if name in by_name else None
        digest.update(path.read_bytes() if path and path.is_file() else b"(absent)")
    return digest.hexdigest()


def _frictionless_problems(
    data_dir: Path, descriptor: dict, ragged: dict, cache: Path | None = None
) -> list[str]:
    """Frictionless' findings, one line each. With a `cache` folder, a table whose inputs
    (`_validation_key`) are unchanged since it was last checked is not checked again: after a
    one-table edit, only that table and the tables pointing to it are."""
    this_year = dt.date.today().year
    for res in descriptor["resources"]:
        for field in res["schema"]["fields"]:
            if field["name"] in ("year",):
                field.setdefault("constraints", {})["maximum"] = this_year
    names = [res["name"] for res in descriptor["resources"]]
    found: dict[str, list[str]] = {}
    keys: dict[str, str] = {}
    if cache is not None:
        for res in descriptor["resources"]:
            keys[res["name"]] = _validation_key(data_dir, descriptor, res)
            try:
                saved = json.loads((cache / f"{res['name']}.json").read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if saved.get("key") == keys[res["name"]]:
                found[res["name"]] = saved["problems"]
    todo = [name for name in names if name not in found]
    if todo:
        from frictionless import Package, system

        with system.use_context(trusted=True):
            package = Package(descriptor, basepath=str(data_dir))
            if len(todo) == len(names):
                reports = [package.validate(parallel=False)]
            else:
                reports = [package.validate(name=name, parallel=False) for name in todo]
        by_name = {r["name"]: r for r in descriptor["resources"]}
        checked: dict[str, list[str]] = {name: [] for name in todo}
        for report in reports:
            for task in report.tasks:
                resource = by_name.get(task.name)
                for error in task.errors:
                    if error.type in ("missing-cell", "extra-cell") or (
                        getattr(error, "row_number", None) in ragged.get(task.name, ())
                    ):
                        continue  # reported by _precheck with the column counts
                    checked.setdefault(task.name, []).append(
                        f"data/{task.name}: {error.message}"
                        if resource is None
                        else _format(resource, error)
                    )
        found.update(checked)
        if cache is not None:
            cache.mkdir(parents=True, exist_ok=True)
            for name in todo:
                (cache / f"{name}.json").write_text(
                    json.dumps({"key": keys[name], "problems": checked[name]}), encoding="utf-8"
                )
    return [problem for lines in found.values() for problem in lines]  # `validate` sorts them


def _rows(data_dir: Path, name: str) -> list[dict[str, str]]:
    with open(data_dir / f"{name}.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text not in (None, "") else None
    except ValueError:
        return None


def _rule_problems(data_dir: Path) -> list[str]:
    """Rules beyond the Table Schema; lines are CSV line numbers (header is line 1).

    Plain `csv` rather than pandas keeps `kb validate` fast; rows that fail to parse were
    already reported by frictionless and are skipped here.
    """
    problems: list[str] = []
    t = {
        n: _rows(data_dir, n)
        for n in (
            "sources",
            "countries",
            "outcomes",
            "indicators",
            "observations",
            "projects",
            "objectives",
            "timeline",
            "periods",
            "results",
            "financing",
            "practices",
            "commitments",
        )
    }
    for line, row in enumerate(t["projects"], start=2):  # each title is a page's heading
        for column in ("title", "title_ru"):
            if any(c in (row.get(column) or "") for c in "<>"):
                problems.append(
                    f"data/projects.csv:{line}:{column}: a project title is its page's heading: "
                    "no '<' or '>' in it"
                )
    for name, rows in t.items():  # the Russian edition shows every text its English twin shows
        for line, row in enumerate(rows, start=2):
            for column, value in row.items():
                twin = column.removesuffix("_ru") if column.endswith("_ru") else None
                if twin in row and (row.get(twin) or "").strip() and not (value or "").strip():
                    problems.append(
                        f"data/{name}.csv:{line}:{column}: missing Russian for {twin!r}"
                    )
    source_ids = {r.get("id") for r in t["sources"]}
    countries = {r.get("iso3") for r in t["countries"]}
    outcomes = {r.get("id") for r in t["outcomes"]}

    def check_list(name, column, allowed, what, required=True):
        for line, row in enumerate(t[name], start=2):
            items = [s.strip() for s in (row.get(column) or "").split(";") if s.strip()]
            if required and not items:
                continue  # a missing required value is reported by frictionless
            for item in items:
                if item not in allowed:
                    problems.append(
                        f"data/{name}.csv:{line}:{column}: {item!r} is not a known {what}"
                    )

    check_list("indicators", "source", source_ids, "source id (see data/sources.csv)")
    check_list("indicators", "outcomes", outcomes, "outcome id (see data/outcomes.csv)", False)
    check_list("projects", "source", source_ids, "source id (see data/sources.csv)")
    check_list("projects", "countries", countries | {"TUR"}, "country code")
    check_list("projects", "outcomes", outcomes, "outcome id (see data/outcomes.csv)", False)
    check_list("periods", "source", source_ids, "source id (see data/sources.csv)")
    project_ids = {r.get("id") for r in t["projects"]}
    check_list("practices", "project", project_ids, "project id (see data/projects.csv)", False)
    check_list("practices", "outcomes", outcomes, "outcome id (see data/outcomes.csv)", False)
    event_ids = {r.get("id") for r in t["timeline"]}
    check_list("periods", "events", event_ids, "timeline event id (see data/timeline.csv)", False)
    indicator_ids = {r.get("id") for r in t["indicators"]}
    check_list(
        "objectives", "indicators", indicator_ids, "indicator id (see data/indicators.csv)", False
    )

    bounds = {
        r["id"]: (_number(r.get("min_value")), _number(r.get("max_value")), r.get("unit"))
        for r in t["indicators"]
        if r.get("id")
    }
    for line, row in enumerate(t["observations"], start=2):
        value = _number(row.get("value"))
        if value is None or row.get("indicator") not in bounds:
            continue
        lo, hi, unit = bounds[row["indicator"]]
        if lo is not None and value < lo:
            problems.append(
                f"data/observations.csv:{line}:value: {value:g} is below the minimum "
                f"{lo:g} for {row['indicator']} ({unit})"
            )
        if hi is not None and value > hi:
            problems.append(
                f"data/observations.csv:{line}:value: {value:g} is above the maximum "
                f"{hi:g} for {row['indicator']} ({unit})"
            )
    for line, row in enumerate(t["projects"], start=2):
        start, end = _number(row.get("start_year")), _number(row.get("end_year"))
        if start is not None and end is not None and end < start:
            problems.append(
                f"data/projects.csv:{line}:end_year: {end:g} is before start_year {start:g}"
            )
    for line, row in enumerate(t["periods"], start=2):
        start, end = row.get("start") or "", row.get("end") or ""
        if end and start and end < start:
            problems.append(f"data/periods.csv:{line}:end: {end} is before start {start}")
        if bool(end) != bool(row.get("end_precision")):
            problems.append(
                f"data/periods.csv:{line}:end_precision: give it exactly when end is given"
            )
    for line, row in enumerate(t["results"], start=2):
        has_value, has_text = bool(row.get("value")), bool(row.get("value_text"))
        if row.get("kind") == "rating" and not has_text:
            problems.append(f"data/results.csv:{line}:value_text: a rating needs its wording")
        if row.get("kind") != "rating" and not has_value:
            problems.append(f"data/results.csv:{line}:value: a {row.get('kind')} needs a number")
        if has_value and not row.get("unit"):
            problems.append(f"data/results.csv:{line}:unit: a number needs its unit")
    return problems


def _read(data_dir: Path, descriptor: dict) -> dict[str, pd.DataFrame]:
    import pandas as pd

    tables = {}
    for res in descriptor["resources"]:
        types = {}
        for f in res["schema"]["fields"]:
            if f["type"] == "integer":
                types[f["name"]] = "Int64"
            elif f["type"] == "number":
                types[f["name"]] = "float64"
            else:
                types[f["name"]] = "string"
        frame = pd.read_csv(
            data_dir / res["path"],
            dtype=types,
            keep_default_na=False,
            na_values={k: [""] for k, v in types.items() if v != "string"},
        )
        for name, kind in types.items():
            if kind == "string" and name in frame:
                frame[name] = frame[name].astype(object)
        tables[res["name"]] = frame
    return tables


def validate(data_dir: Path | None = None, cache: Path | None = None) -> list[str]:
    """All problems in the snapshot, one line each (empty when valid). `cache`: a folder where
    Frictionless' verdict on each table is kept, so unchanged tables are not checked again."""
    data_dir = data_dir or Paths.here().data
    descriptor = _descriptor(data_dir)
    fatal: list[str] = []
    ragged: list[str] = []
    for res in descriptor["resources"]:
        found = _precheck(data_dir / res["path"], res)
        (ragged if found and "columns where" in found[0] else fatal).extend(found)
    if fatal:
        return fatal + ragged
    ragged_lines = {}
    for line in ragged:
        name, number = line.split(":")[0], int(line.split(":")[1])
        ragged_lines.setdefault(Path(name).stem, set()).add(number)
    found = ragged + _frictionless_problems(data_dir, descriptor, ragged_lines, cache)
    found += _rule_problems(data_dir)

    def position(problem: str) -> tuple[str, int]:
        name, line = problem.split(":")[:2]
        return name, int(line) if line.isdigit() else 0

    return sorted(dict.fromkeys(found), key=position)


def _fingerprint(data_dir: Path) -> tuple:
    return tuple(
        sorted((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in data_dir.iterdir())
    )


@lru_cache(maxsize=4)
def _load_cached(data_dir: Path, _fp: tuple, check: bool) -> Snapshot:
    if check and (problems := validate(data_dir)):
        raise KbError(problems)
    return Snapshot(**_read(data_dir, _descriptor(data_dir)))


def load(data_dir: Path | None = None, check: bool | None = None) -> Snapshot:
    """The snapshot as frames; raises KbError listing every problem when `check` finds any.

    By default it validates, except inside pages run by `kb execute` (which validated first).
    """
    import os

    if check is None:
        check = os.environ.get("KB_VALIDATED") != "1"
    data_dir = (data_dir or Paths.here().data).resolve()
    return _load_cached(data_dir, _fingerprint(data_dir), check)
