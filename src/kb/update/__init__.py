"""`kb update`: bring `data/` up to the publishers' current figures, through their API clients.

The snapshot is the first stage of the book: an update fetches each raw indicator from its
publisher's API (the World Bank's WDI, `kb.update.worldbank`; the UN SDG Global Database,
`kb.update.unsd`), replaces that indicator's observations with the publisher's, names the publisher, series, request and vintage in
`data/sources.csv`, and reports what changed (added, withdrawn and revised values, the largest
revisions first) so an author can review it before committing. All or nothing: when a fetch
fails (after retries) or the new snapshot does not validate, nothing is written.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from kb.errors import KbError
from kb.paths import Paths
from kb.update import unsd, worldbank
from kb.update.changes import Changes, compare

PUBLISHERS = {module.PUBLISHER: module for module in (worldbank, unsd)}
"""Each publisher module gives `SERIES` (book indicator → its series code), `LABEL`,
`vintage()`, `fetch(indicator, vintage)`, `source_id(series)` and `source_row(fetched, today)`."""
PUBLISHER_OF = {indicator: m for m in PUBLISHERS.values() for indicator in m.SERIES}


def _read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def _text(fields: list[str], rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _number(value: float) -> str:
    """As few characters as keep the value: `2699700`, `79.2145`."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def selected(names: list[str] | None) -> list[str]:
    """The indicators to update: all the publishers give, or those named (by indicator id,
    publisher or series code)."""
    every = list(PUBLISHER_OF)
    if not names:
        return every
    codes = {m.SERIES[i].upper(): i for i, m in PUBLISHER_OF.items()}
    chosen: list[str] = []
    for name in names:
        if name in PUBLISHERS:
            chosen += list(PUBLISHERS[name].SERIES)
        elif name in PUBLISHER_OF:
            chosen.append(name)
        elif name.upper() in codes:
            chosen.append(codes[name.upper()])
        else:
            known = ", ".join([*PUBLISHERS, *every])
            raise KbError(f"kb update: unknown source {name!r} (known: {known})")
    return list(dict.fromkeys(chosen))


def with_retries(what: str, call: Callable, attempts: int = 3, backoff: float = 1.0):
    """`call()`, tried again after 1, 2, 4 … × `backoff` seconds; a last failure is one line."""
    for attempt in range(attempts):
        try:
            return call()
        except Exception as exc:  # the clients raise requests' and their own errors
            if attempt == attempts - 1:
                reason = " ".join(str(exc).split()) or type(exc).__name__
                if isinstance(exc, (KeyError, IndexError, TypeError)):  # a shape it cannot read
                    reason = f"malformed response ({type(exc).__name__}: {reason})"
                raise KbError(f"kb update: {what}: {reason} (nothing was written)") from None
            time.sleep(backoff * 2**attempt)


def update(
    paths: Paths,
    names: list[str] | None = None,
    dry_run: bool = False,
    backoff: float = 1.0,
    today: dt.date | None = None,
    progress: bool = True,
) -> Changes:
    """Fetch, compare, validate and (unless `dry_run`) write; returns the changes."""
    from tqdm import tqdm

    from kb.data import validate

    indicators = selected(names)
    today = today or dt.date.today()
    vintages = {
        m.PUBLISHER: with_retries(f"{m.LABEL} (database record)", m.vintage, 3, backoff)
        for m in dict.fromkeys(PUBLISHER_OF[i] for i in indicators)
    }
    fetched = []
    for indicator in tqdm(indicators, desc="kb update", unit="series", disable=not progress):
        publisher = PUBLISHER_OF[indicator]
        fetched.append(
            with_retries(
                f"{publisher.LABEL} {publisher.SERIES[indicator]} ({indicator})",
                lambda p=publisher, i=indicator: p.fetch(i, vintages[p.PUBLISHER]),
                3,
                backoff,
            )
        )
    empty = [f"{f.indicator} ({f.series})" for f in fetched if not f.rows]
    if empty:
        raise KbError(f"kb update: no values for {', '.join(empty)} (nothing was written)")

    obs_fields, observations = _read(paths.data / "observations.csv")
    src_fields, sources = _read(paths.data / "sources.csv")
    ind_fields, registry = _read(paths.data / "indicators.csv")
    replaced = {f.indicator for f in fetched}
    new_rows = [
        {
            "indicator": f.indicator,
            "country": country,
            "year": str(year),
            "value": _number(value),
            "source": PUBLISHER_OF[f.indicator].source_id(f.series),
            "status": status,
            "note": note,
        }
        for f in fetched
        for country, year, value, status, note in f.rows
    ]
    old_rows = [r for r in observations if r["indicator"] in replaced]
    kept = [r for r in observations if r["indicator"] not in replaced]
    merged = sorted(kept + new_rows, key=lambda r: (r["indicator"], r["country"], int(r["year"])))
    new_sources = {}
    for f in fetched:
        publisher = PUBLISHER_OF[f.indicator]
        new_sources[publisher.source_id(f.series)] = publisher.source_row(f, today)
    sources = [r for r in sources if r["id"] not in new_sources] + [
        {k: row.get(k, "") for k in src_fields} for row in new_sources.values()
    ]
    for row in registry:
        if row["id"] in replaced:
            publisher = PUBLISHER_OF[row["id"]]
            row["source"] = publisher.source_id(publisher.SERIES[row["id"]])
    changes = compare(old_rows, new_rows)

    files = {
        "observations.csv": _text(obs_fields, merged),
        "sources.csv": _text(src_fields, sorted(sources, key=lambda r: r["id"])),
        "indicators.csv": _text(ind_fields, registry),
    }
    with tempfile.TemporaryDirectory() as tmp:
        candidate = Path(tmp) / "data"
        shutil.copytree(paths.data, candidate)
        for name, text in files.items():
            (candidate / name).write_text(text, encoding="utf-8")
        problems = validate(candidate)
    if problems:
        raise KbError(
            ["kb update: the new snapshot does not validate (nothing was written):"] + problems
        )
    report = paths.build / "update-report.md"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(changes.markdown(dry_run, today), encoding="utf-8")
    if not dry_run:
        staged = []
        for name, text in files.items():  # all files staged first, then each renamed in place
            target = paths.data / name
            stage = target.with_name(f".{name}.update")
            stage.write_text(text, encoding="utf-8")
            staged.append((stage, target))
        for stage, target in staged:
            os.replace(stage, target)
    return changes
