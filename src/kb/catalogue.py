"""The indicator catalogue: definitions, units, sources, licences, vintages, coverage and usage."""

from __future__ import annotations

import pandas as pd

from kb import dashboard, display, indicators
from kb.data import Snapshot, load


def pages_using(
    indicator: str, meta: indicators.Indicator, snap: Snapshot
) -> list[tuple[str, str]]:
    """(title, site-relative link) of every page that shows the indicator."""
    pages = []
    if (
        indicator in dashboard.CORE
        or indicator in dashboard.TREND_CHARTS
        or indicator in ("co2_per_capita_t", "gdp_per_capita_usd", "protected_areas_pct")
    ):
        pages.append(("Country pages", "_generated/countries/kaz.html"))
    titles = snap.outcomes.set_index("id").title
    for o in meta.outcomes:
        if o in titles.index:
            pages.append((titles[o], f"_generated/outcomes/{o}.html"))
    return pages


def indicator_table(snapshot: Snapshot | None = None):
    snap = snapshot or load()
    reg = indicators.registry(snap)
    src = snap.sources.set_index("id")
    rows = []
    for ind, meta in reg.items():
        licences = sorted({src.at[s, "licence"] for s in meta.sources if s in src.index})
        vintages = sorted({src.at[s, "vintage"] for s in meta.sources if s in src.index})
        used = pages_using(ind, meta, snap)
        rows.append(
            {
                "Indicator": f"<strong>{display.esc(meta.title)}</strong><br><code>{display.esc(ind)}</code>",
                "Unit": meta.unit,
                "Definition": display.esc(meta.definition)
                + (
                    f"<br><em>Derived from {', '.join(meta.derived_from)}.</em>"
                    if meta.derived
                    else ""
                ),
                "Good direction": {
                    "up": "higher is better",
                    "down": "lower is better",
                    "none": "neither",
                }[meta.good_direction],
                "Source": display.source_link(";".join(meta.sources), snap),
                "Licence": "; ".join(licences),
                "Vintage": "; ".join(vintages),
                "Used on": ", ".join(
                    f'<a href="{display.site_root()}{link}">{display.esc(t)}</a>'
                    for t, link in used
                )
                or "this catalogue",
            }
        )
    return display.table(
        pd.DataFrame(rows), html_columns=("Indicator", "Definition", "Source", "Used on")
    )


def coverage(snapshot: Snapshot | None = None) -> pd.DataFrame:
    snap = snapshot or load()
    t = indicators.table(snap)
    out = (
        t.groupby("indicator")
        .agg(
            values=("value", "size"),
            countries=("country", "nunique"),
            first=("year", "min"),
            last=("year", "max"),
        )
        .reset_index()
    )
    return out


def coverage_table(snapshot: Snapshot | None = None):
    c = coverage(snapshot).rename(
        columns={
            "indicator": "Indicator",
            "values": "Values",
            "countries": "Countries",
            "first": "First year",
            "last": "Last year",
        }
    )
    return display.table(c, numeric=("Values", "Countries", "First year", "Last year"))


def outcome_evidence(outcome: str, snapshot: Snapshot | None = None, lang: str = "en"):
    """Latest value per country of every indicator linked to an outcome group, or a plain note."""
    snap = snapshot or load()
    linked = dashboard.outcome_indicators(outcome, snap)
    if not linked:
        return display.note(
            "No indicator in the snapshot can evidence this outcome group; the "
            "public sources we could read report no measure of it."
        )
    reg = indicators.registry(snap)
    rows = []
    for ind in linked:
        meta = reg[ind]
        latest = indicators.latest(ind, snap).set_index("country")
        row = {"Indicator": meta.title, "Unit": meta.unit}
        for iso3 in snap.countries.iso3:
            name = snap.country_name(iso3, lang)
            if iso3 in latest.index:
                r = latest.loc[iso3]
                row[name] = f"{display.number(r.value, meta.unit)} ({int(r.year)})"
            else:
                row[name] = "not reported"
        row["Source"] = display.source_link(";".join(meta.sources), snap)
        rows.append(row)
    names = [snap.country_name(c, lang) for c in snap.countries.iso3]
    return display.table(pd.DataFrame(rows), html_columns=("Source",), numeric=tuple(names))
