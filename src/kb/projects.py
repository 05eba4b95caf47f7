"""The project catalogue: CACILM Phase 1, CACILM 2 and associated land-management projects.

Amounts are shown exactly as the sources report them; a missing amount stays blank and is counted
as unknown, never summed as zero.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from kb import charts, display
from kb.data import Snapshot, load

PHASES = {"phase1": "CACILM Phase 1", "phase2": "CACILM 2 and after", "associated": "Associated"}
LINKS = ("confirmed", "probable", "associated")


def frame(snapshot: Snapshot | None = None) -> pd.DataFrame:
    """Projects with their country list split into a Python list."""
    snap = snapshot or load()
    out = snap.projects.copy()
    out["country_list"] = out.countries.str.split(";")
    return out


def by_country(snapshot: Snapshot | None = None) -> pd.DataFrame:
    """One row per (project, country): a multi-country project counts in each country."""
    f = frame(snapshot).explode("country_list").rename(columns={"country_list": "country"})
    return f.reset_index(drop=True)


def _usd(value) -> str:
    return "" if pd.isna(value) else f"{value:,.0f}"


def _years(start, end) -> str:
    s = "" if pd.isna(start) else str(int(start))
    e = "" if pd.isna(end) else str(int(end))
    return f"{s}–{e}" if s and e else s or (f"–{e}" if e else "not reported")


def table(snapshot: Snapshot | None = None, country: str | None = None, phase: str | None = None):
    """The catalogue as an HTML table, optionally for one country or phase."""
    snap = snapshot or load()
    f = frame(snap)
    if country:
        f = f[f.country_list.apply(lambda cs: country in cs)]
    if phase:
        f = f[f.phase == phase]
    if f.empty:
        return display.note("No project in the catalogue matches.")
    f = f.sort_values(["phase", "start_year", "title"], na_position="last")
    shown = pd.DataFrame(
        {
            "Project": f.title.map(display.esc).values,
            "Phase": f.phase.map(PHASES).values,
            "Countries": f.countries.str.replace(";", ", ").values,
            "Lead agency": f.lead_agency.values,
            "Identifiers": f.identifiers.fillna("").str.replace(";", "; ").values,
            "Years": [_years(s, e) for s, e in zip(f.start_year, f.end_year, strict=True)],
            "GEF grant (US$)": f.gef_grant_usd.map(_usd).values,
            "Co-financing (US$)": f.cofinancing_usd.map(_usd).values,
            "CACILM link": f.cacilm_link.values,
            "Source": [display.source_link(s, snap) for s in f.source],
        }
    )
    shown["Project"] = [
        f'<span id="prj-{display.esc(i)}">{t}</span>'
        for i, t in zip(f.id, shown.Project, strict=True)
    ]
    return display.table(
        shown, html_columns=("Project", "Source"), numeric=("GEF grant (US$)", "Co-financing (US$)")
    )


def summary(snapshot: Snapshot | None = None) -> pd.DataFrame:
    """Per country: projects by CACILM link, and how many report a GEF grant."""
    rows = by_country(snapshot)
    rows = rows[rows.country != "TUR"]
    out = rows.pivot_table(
        index="country", columns="cacilm_link", values="id", aggfunc="count", fill_value=0
    ).reindex(columns=list(LINKS), fill_value=0)
    out["total"] = out.sum(axis=1)
    out["with GEF grant reported"] = rows.groupby("country").gef_grant_usd.count()
    return out.reset_index()


def _source_ids(f: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(s for v in f.source for s in v.split(";")))


def country_figure(snapshot: Snapshot | None = None, lang: str = "en") -> charts.Figure:
    """Stacked bars: number of projects per country, by strength of the CACILM link."""
    snap = snapshot or load()
    rows = by_country(snap)
    rows = rows[rows.country.isin(snap.countries.iso3)]
    data = rows.groupby(["country", "cacilm_link"]).size().reset_index(name="projects")
    data["name"] = data.country.map(lambda c: snap.country_name(c, lang))
    chart = (
        alt.Chart(data, title=alt.Title("Projects by country", subtitle="number of projects"))
        .mark_bar()
        .encode(
            y=alt.Y("name:N", title=None, sort="-x"),
            x=alt.X("sum(projects):Q", title="Projects"),
            color=alt.Color(
                "cacilm_link:N",
                title="CACILM link",
                sort=list(LINKS),
                scale=alt.Scale(domain=list(LINKS), range=["#0072B2", "#56B4E9", "#BBBBBB"]),
            ),
            order=alt.Order("cacilm_link:N"),
            tooltip=[
                alt.Tooltip("name:N", title="Country"),
                alt.Tooltip("cacilm_link:N", title="Link"),
                alt.Tooltip("projects:Q", title="Projects"),
            ],
        )
        .properties(height=alt.Step(28))
    )
    parts = [
        f"{n}: {int(g.projects.sum())} "
        f"({', '.join(f'{int(r.projects)} {r.cacilm_link}' for r in g.itertuples())})"
        for n, g in data.groupby("name")
    ]
    text = (
        "Bar chart of catalogue projects per country (a multi-country project counts in each "
        "of its countries), split by CACILM link. " + "; ".join(parts) + "."
    )
    return charts.Figure(
        chart,
        data[["name", "cacilm_link", "projects"]],
        text,
        _source_ids(rows),
        snap,
        label="projects-by-country",
    )


def agency_figure(snapshot: Snapshot | None = None) -> charts.Figure:
    """Bars: number of projects per lead agency, coloured by phase."""
    snap = snapshot or load()
    f = frame(snap)
    data = f.groupby(["lead_agency", "phase"]).size().reset_index(name="projects")
    data["phase_name"] = data.phase.map(PHASES)
    chart = (
        alt.Chart(data, title=alt.Title("Projects by lead agency", subtitle="number of projects"))
        .mark_bar()
        .encode(
            y=alt.Y("lead_agency:N", title=None, sort="-x"),
            x=alt.X("sum(projects):Q", title="Projects"),
            color=alt.Color(
                "phase_name:N",
                title="Phase",
                sort=list(PHASES.values()),
                scale=alt.Scale(
                    domain=list(PHASES.values()), range=["#009E73", "#E69F00", "#BBBBBB"]
                ),
            ),
            tooltip=[
                alt.Tooltip("lead_agency:N", title="Lead agency"),
                alt.Tooltip("phase_name:N", title="Phase"),
                alt.Tooltip("projects:Q", title="Projects"),
            ],
        )
        .properties(height=alt.Step(22))
    )
    totals = data.groupby("lead_agency").projects.sum().sort_values(ascending=False)
    text = (
        "Bar chart of catalogue projects per lead agency, coloured by phase: "
        + "; ".join(f"{a} {n}" for a, n in totals.items())
        + "."
    )
    return charts.Figure(
        chart,
        data[["lead_agency", "phase_name", "projects"]],
        text,
        _source_ids(f),
        snap,
        label="projects-by-agency",
    )


def phase_counts(snapshot: Snapshot | None = None) -> pd.DataFrame:
    f = frame(snapshot)
    out = (
        f.groupby("phase")
        .agg(projects=("id", "count"), gef_reported=("gef_grant_usd", "count"))
        .reset_index()
    )
    out["phase"] = out.phase.map(PHASES)
    return out
