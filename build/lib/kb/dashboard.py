"""Indicator views for pages: country dashboards, cross-country figures, outcome evidence.

Each function returns something a notebook displays (an HTML table or a chart Figure); the
notebook supplies only the narrative.
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from kb import charts, deps, display, facts, i18n, indicators
from kb.data import Snapshot, load
from kb.i18n import t

CORE = (
    "population",
    "rural_population_pct",
    "land_area_km2",
    "agricultural_land_pct",
    "arable_land_pct",
    "irrigated_land_pct",
    "cereal_yield_kg_ha",
    "forest_area_km2",
    "forest_area_pct",
    "agriculture_value_added_pct_gdp",
    "agriculture_employment_pct",
    "land_degraded_pct",
)
"""Indicators on every country dashboard, in reading order."""

DASHBOARD = CORE + ("co2_per_capita_t", "gdp_per_capita_usd", "protected_areas_pct")
"""Rows of the country dashboard table."""

TREND_CHARTS = (
    "agricultural_land_pct",
    "forest_area_pct",
    "rural_population_pct",
    "agriculture_value_added_pct_gdp",
    "agriculture_employment_pct",
    "agricultural_land_per_person_ha",
    "cereal_yield_kg_ha",
)
"""Indicators drawn as five-country trend charts on each country page."""


def _snap(snapshot: Snapshot | None) -> Snapshot:
    return snapshot or load()


STATUS_WORDS = {
    "estimate": "estimate",
    "nowcast": "nowcast",
    "reported": "reported by the country",
}
"""How a latest value is labelled by its observation's `status` (projections are never latest)."""


def _what_the_value_is(source_ids: str, status: str, snap: Snapshot) -> str:
    """Under a latest value's source: the vintage of its source(s) and what the value is."""
    sources = snap.sources.set_index("id")
    vintages = [
        facts.dated_text(str(i18n.localized(sources.loc[s], "vintage")), i18n.language())
        for s in dict.fromkeys(str(source_ids).split(";"))
        if s in sources.index
    ]
    parts = [t("vintage: {vintage}", vintage="; ".join(vintages))] if vintages else []
    if status in STATUS_WORDS:
        parts.append(t(STATUS_WORDS[status]))
    return f"<br><small>{display.esc(' · '.join(parts))}</small>" if parts else ""


def country_dashboard(iso3: str, snapshot: Snapshot | None = None, lang: str | None = None):
    """Latest value, year, change since the baseline and rank among the five, per indicator."""
    snap = _snap(snapshot)
    iso3 = snap.country_code(iso3)
    reg = indicators.registry(snap)
    shown = [i for i in DASHBOARD if i in reg]
    table = indicators.table(snap, shown)
    rows = []
    change_col = t("Change since {year} (launch year)", year=indicators.BASELINE_YEAR)
    for ind in shown:
        if ind not in reg:
            continue
        meta = reg[ind]
        s = table[(table.indicator == ind)]
        mine = s[s.country == iso3].sort_values("year")
        if mine.empty:
            rows.append(
                {
                    t("Indicator"): meta.title,
                    t("Unit"): meta.unit,
                    t("Latest"): t("not reported"),
                    t("Year"): "—",
                    change_col: "—",
                    t("Rank of 5"): "—",
                    t("Source"): t("no source gives a value"),
                }
            )
            continue
        last = mine.iloc[-1]
        base = mine[mine.year == indicators.BASELINE_YEAR]
        change = "—"
        if meta.change_means == "revision":
            change = t("revisions, not change")
        elif not base.empty and last.year > indicators.BASELINE_YEAR:
            delta = last.value - base.iloc[0].value
            places = display.places_for(last.value, meta.unit)  # as the latest value shows
            change = f"{'+' if delta >= 0 else '−'}{display.number(abs(delta), meta.unit, places)}"
        same_year = s[s.year == last.year]
        rank = "—"
        if len(same_year) == 5:
            ordered = same_year.sort_values("value", ascending=False).country.tolist()
            rank = t("{rank} (highest = 1)", rank=ordered.index(iso3) + 1)
        rows.append(
            {
                t("Indicator"): meta.title,
                t("Unit"): meta.unit,
                t("Latest"): display.number(last.value, meta.unit),
                t("Year"): str(int(last.year)),
                change_col: change,
                t("Rank of 5"): rank,
                t("Source"): display.source_link(last.source, snap)
                + _what_the_value_is(last.source, last.status, snap),
            }
        )
    frame = pd.DataFrame(rows)
    return display.table(
        frame,
        html_columns=(t("Source"),),
        numeric=(t("Latest"), change_col),
    )


def trend_figure(
    indicator: str,
    snapshot: Snapshot | None = None,
    lang: str | None = None,
    highlight: str | None = None,
) -> charts.Figure | None:
    """Five-country trend chart of one indicator, with its data, description and credits."""
    snap = _snap(snapshot)
    key = ("trend_figure", indicator, lang, i18n.language())
    base = deps.remembered(snap, key, lambda: _trend_figure(indicator, snap, lang))
    if base is None or not highlight:
        return base
    highlight = snap.country_code(highlight)
    name = snap.country_name(highlight, lang)
    # An explicit channel object: a plain condition dict makes Altair search its schema for the
    # matching class, ~5 ms per chart (measured), six charts on every country page.
    condition = charts.alt.condition(
        charts.alt.datum.name == name, charts.alt.value(1), charts.alt.value(0.35)
    )
    chart = base.chart.encode(opacity=charts.alt.OpacityValue(**condition))
    return dataclasses.replace(base, chart=chart)


def _trend_figure(indicator: str, snap: Snapshot, lang: str | None) -> charts.Figure | None:
    """The chart without a highlighted country; the same on every page that shows it, so a
    kernel running several pages builds it once (see `kb.deps.remembered`)."""
    meta = indicators.registry(snap)[indicator]
    data = indicators.series(indicator, snap)
    if data.empty:
        return None
    chart = charts.trend(data, meta.title, meta.unit, snap, lang)
    latest = data.sort_values("year").groupby("country").tail(1).sort_values("country")
    parts = display.values_phrase(latest, meta.unit, snap)
    description = t(
        "Line chart: {title} ({unit}) for the five countries, {first}–{last}. Latest values: "
        "{values}.",
        title=meta.title,
        unit=meta.unit,
        first=int(data.year.min()),
        last=int(data.year.max()),
        values=parts,
    )
    sources = display.source_ids(data)
    return charts.Figure(chart, data, description, sources, snap, label=indicator)


def latest_figure(
    indicator: str, snapshot: Snapshot | None = None, lang: str | None = None
) -> charts.Figure | None:
    """Bar chart of each country's most recent value of one indicator."""
    snap = _snap(snapshot)
    meta = indicators.registry(snap)[indicator]
    data = indicators.latest(indicator, snap)
    if data.empty:
        return None
    chart = charts.bars(data, t("{title}, latest year", title=meta.title), meta.unit, snap, lang)
    parts = display.values_phrase(data, meta.unit, snap)
    missing = display.missing_countries(data, snap)
    text = t(
        "Bar chart of the latest values: {title} ({unit}): {values}.",
        title=meta.title,
        unit=meta.unit,
        values=parts,
    )
    if missing:
        text += t(
            " No value reported for {names}.",
            names=", ".join(missing),
        )
    sources = display.source_ids(data)
    return charts.Figure(chart, data, text, sources, snap, label=f"{indicator}-latest")


def missing_note(indicator: str, snapshot: Snapshot | None = None, lang: str | None = None):
    """A plain statement of which countries have no value for an indicator, or None."""
    snap = _snap(snapshot)
    have = set(indicators.series(indicator, snap).country)
    missing = [c for c in snap.countries.iso3 if c not in have]
    if not missing:
        return None
    meta = indicators.registry(snap)[indicator]
    names = ", ".join(snap.country_name(c, lang) for c in missing)
    return display.note(
        t(
            "{title}: no source in the snapshot gives a value for {names}; the book leaves it "
            "missing rather than estimating it.",
            title=meta.title,
            names=names,
        )
    )


def outcome_indicators(outcome: str, snapshot: Snapshot | None = None) -> list[str]:
    """Indicator ids linked to one outcome group in the registry."""
    reg = indicators.registry(_snap(snapshot))
    return [i for i, meta in reg.items() if outcome in meta.outcomes]
