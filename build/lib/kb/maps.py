"""Choropleth maps of the five countries from the boundary file shipped in `data/boundaries/`.

The outlines come from the `world-atlas` 2.0.2 npm package (Natural Earth 1:50m, public domain;
package licence ISC, kept beside the file), cut to the five countries; no tiles or map services.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import altair as alt

from kb import charts, display, indicators
from kb.data import Snapshot, load
from kb.i18n import t
from kb.paths import Paths

BOUNDARIES = "boundaries/central_asia_50m.geojson"
BOUNDARY_SOURCE = "world-atlas-2.0.2"


def _features(path: Path) -> list[dict]:
    from kb import deps

    deps.uses(f"file:{BOUNDARIES}")
    return _read_features(path)


@lru_cache(maxsize=2)
def _read_features(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["features"]


def choropleth(
    indicator: str,
    snapshot: Snapshot | None = None,
    lang: str | None = None,
) -> charts.Figure | None:
    """The latest value of one indicator per country, shaded; missing countries in grey."""
    snap = snapshot or load()
    meta = indicators.registry(snap)[indicator]
    latest = indicators.latest(indicator, snap)
    if latest.empty:
        return None
    by_country = latest.set_index("country")
    features = []
    for f in _features(Paths.here().data / BOUNDARIES):
        iso3 = f["id"]
        props = {"name": snap.country_name(iso3, lang), "iso3": iso3}
        if iso3 in by_country.index:
            props.update(
                value=float(f"{by_country.at[iso3, 'value']:.6g}"),
                year=int(by_country.at[iso3, "year"]),
            )
        features.append({"type": "Feature", "properties": props, "geometry": f["geometry"]})
    base = alt.Chart(
        alt.NamedData(name=OUTLINES),
        title=alt.Title(t("{title}, latest year", title=meta.title), subtitle=meta.unit),
    )
    outline = base.mark_geoshape(fill="#dddddd", stroke="white", strokeWidth=1, aria=False)
    shaded = (
        base.mark_geoshape(stroke="white", strokeWidth=1, aria=False)
        .encode(
            color=alt.Color(
                "properties.value:Q",
                title=meta.unit,
                scale=alt.Scale(
                    scheme="yellowgreenblue" if meta.good_direction != "down" else "orangered"
                ),
            ),
            tooltip=[
                alt.Tooltip("properties.name:N", title=t("Country")),
                alt.Tooltip("properties.value:Q", title=meta.unit, format=charts._fmt(meta.unit)),
                alt.Tooltip("properties.year:Q", title=t("Year"), format="d"),
            ],
        )
        .transform_filter("isValid(datum.properties.value)")
    )
    chart = (outline + shaded).project("mercator").properties(width=500, height=300)
    parts = display.values_phrase(latest, meta.unit, snap)
    missing = display.missing_countries(latest, snap)
    text = t(
        "Map of the five countries shaded by {title} ({unit}): {values}.",
        title=meta.title,
        unit=meta.unit,
        values=parts,
    )
    if missing:
        text += t(" Grey: not reported ({names}).", names=", ".join(missing))
    sources = display.source_ids(latest) + [BOUNDARY_SOURCE]
    return charts.Figure(
        chart, latest, text, sources, snap, label=f"map-{indicator}", datasets={OUTLINES: features}
    )


OUTLINES = "kb-outlines"
"""Name of the dataset holding the country outlines (GeoJSON features) in a map's spec; see
`charts.Figure.datasets`."""


def _outlines(snap: Snapshot, lang: str) -> list[dict]:
    """The five countries' outlines as GeoJSON features, named in the page's language."""
    return [
        {
            "type": "Feature",
            "geometry": f["geometry"],
            "properties": {"iso3": f["id"], "name": snap.country_name(f["id"], lang)},
        }
        for f in _features(Paths.here().data / BOUNDARIES)
    ]


def choropleth_selector(
    indicator_ids: list[str], snapshot: Snapshot | None = None, lang: str | None = None
) -> charts.Figure:
    """One map with a drop-down to choose the indicator; the outlines are embedded once."""
    snap = snapshot or load()
    reg = indicators.registry(snap)
    rows = []
    for ind in indicator_ids:
        for r in indicators.latest(ind, snap).itertuples():
            rows.append(
                {
                    "indicator": f"{reg[ind].title} ({reg[ind].unit})",
                    "country": r.country,
                    "value": float(f"{r.value:.6g}"),
                    "year": int(r.year),
                    "source": r.source,
                }
            )
    import pandas as pd

    values = pd.DataFrame(rows)
    options = list(dict.fromkeys(values.indicator))
    choice = alt.param(
        name="indicator_choice",
        value=options[0],
        bind=alt.binding_select(options=options, name=t("Indicator: ")),
    )
    outlines = alt.NamedData(name=OUTLINES)
    grey = alt.Chart(outlines).mark_geoshape(
        fill="#dddddd", stroke="white", strokeWidth=1, aria=False
    )
    shaded = (
        alt.Chart(values[["indicator", "country", "value", "year"]])
        .transform_filter(alt.datum.indicator == choice)
        .transform_lookup(
            lookup="country", from_=alt.LookupData(outlines, "properties.iso3"), as_="geo"
        )
        .transform_calculate(name="datum.geo.properties.name")
        .mark_geoshape(stroke="white", strokeWidth=1, aria=False)
        .encode(
            shape=alt.Shape("geo:G"),
            color=alt.Color(
                "value:Q", title=t("Latest value"), scale=alt.Scale(scheme="yellowgreenblue")
            ),
            tooltip=[
                alt.Tooltip("name:N", title=t("Country")),
                alt.Tooltip("indicator:N", title=t("Indicator")),
                alt.Tooltip("value:Q", title=t("Value"), format=",.4~g"),
                alt.Tooltip("year:Q", title=t("Year"), format="d"),
            ],
        )
    )
    chart = (
        alt.layer(
            grey,
            shaded,
            title=alt.Title(t("Latest value by country"), subtitle=t("choose an indicator below")),
        )
        .add_params(choice)
        .project("mercator")
        .properties(width=500, height=300)
    )
    listed = "; ".join(
        f"{ind}: "
        + ", ".join(
            f"{snap.country_name(r.country, lang)} {display.number(r.value)} ({r.year})"
            for r in g.itertuples()
        )
        for ind, g in values.groupby("indicator", sort=False)
    )
    text = t(
        "Map of the five countries shaded by the latest value of the indicator chosen in the "
        "drop-down (grey: not reported). Values: {values}.",
        values=listed,
    )
    sources = display.source_ids(values)
    return charts.Figure(
        chart,
        values,
        text,
        sources + [BOUNDARY_SOURCE],
        snap,
        label="map-selector",
        datasets={OUTLINES: _outlines(snap, lang)},
    )
