"""The project catalogue: CACILM Phase 1, CACILM 2 and associated land-management projects.

Amounts are shown exactly as the sources report them; a missing amount stays blank and is counted
as unknown, never summed as zero.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from kb import charts, display, i18n
from kb.data import Snapshot, load
from kb.i18n import t

PHASES = {
    "phase1": "CACILM Phase 1",
    "cacilm-ii": "CACILM II (knowledge management, GEF 4600)",
    "phase2": "CACILM 2 (FAO, GEF 9094)",
    "associated": "Associated",
}
"""Phase ids → English names (shown through `t()`)."""
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
    return "" if pd.isna(value) else i18n.number(value, 0)


def _grant(value, status) -> str:
    """A reported grant, or an amount on a record at concept stage, marked as not a grant."""
    if pd.isna(value):
        return ""
    return _usd(value) + (
        " " + t("(concept-stage record, not a grant)") if status == "concept" else ""
    )


def grants(snapshot: Snapshot | None = None) -> pd.DataFrame:
    """Projects whose GEF grant a source reports; amounts on concept-stage records are left out."""
    f = frame(snapshot)
    return f[f.gef_grant_usd.notna() & (f.gef_grant_status == "reported")]


def _years(start, end) -> str:
    s = "" if pd.isna(start) else str(int(start))
    e = "" if pd.isna(end) else str(int(end))
    return f"{s}–{e}" if s and e else s or (f"–{e}" if e else t("not reported"))


def page_link(project_id: str) -> str:
    """Relative URL of a project's page, from any page of the book."""
    return f"{display.generated_root()}projects/{project_id}.html"


def _title_cell(row, anchor: bool = False) -> str:
    """The project's title in the page's language, linked to the project's page; on Russian
    pages the English original, as its documents give it, under the Russian rendering. In the
    catalogue each row keeps its anchor (`#prj-<id>`), which older links point to."""
    target = f' id="prj-{display.esc(row.id)}"' if anchor else ""
    cell = (
        f'<a{target} href="{display.esc(page_link(row.id))}">'
        f"{display.esc(i18n.localized(row, 'title'))}</a>"
    )
    if i18n.language() != "en":
        cell += f'<br><small lang="en">{display.esc(row.title)}</small>'
    return cell


def _countries(codes: str, snap: Snapshot) -> str:
    """`KAZ;KGZ` as the countries' short names; a country outside the five keeps its code."""
    known = set(snap.countries.iso3)
    return ", ".join(snap.country_name(c) if c in known else c for c in str(codes).split(";") if c)


def table(
    snapshot: Snapshot | None = None,
    country: str | None = None,
    phase: str | None = None,
    outcome: str | None = None,
):
    """The catalogue as an HTML table, optionally for one country, phase or outcome group."""
    snap = snapshot or load()
    f = frame(snap)
    if country:
        country = snap.country_code(country)
        f = f[f.country_list.apply(lambda cs: country in cs)]
    if phase:
        f = f[f.phase == phase]
    if outcome:
        f = f[f.outcomes.fillna("").str.split(";").apply(lambda os: outcome in os)]
    if f.empty:
        return display.note(t("No project in the catalogue matches."))
    f = f.sort_values(["phase", "start_year", "title"], na_position="last")
    shown = pd.DataFrame(
        {
            t("Project"): [
                _title_cell(r, anchor=not (country or outcome)) for r in f.itertuples(index=False)
            ],
            t("Phase"): f.phase.map(lambda p: t(PHASES[p])).values,
            t("Countries"): [_countries(c, snap) for c in f.countries],
            t("Lead agency"): i18n.localized(f, "lead_agency").fillna("").values,
            t("Identifiers"): f.identifiers.fillna("").str.replace(";", "; ").values,
            t("Years"): [_years(s, e) for s, e in zip(f.start_year, f.end_year, strict=True)],
            t("GEF grant (US$)"): [
                _grant(v, status)
                for v, status in zip(f.gef_grant_usd, f.gef_grant_status, strict=True)
            ],
            t("Co-financing (US$)"): f.cofinancing_usd.map(_usd).values,
            t("CACILM link"): f.cacilm_link.map(t).values,
            t("Source"): [display.source_link(s, snap) for s in f.source],
        }
    )
    return display.table(
        shown,
        html_columns=(t("Project"), t("Source")),
        numeric=(t("GEF grant (US$)"), t("Co-financing (US$)")),
    )


def summary(snapshot: Snapshot | None = None) -> pd.DataFrame:
    """Per country: projects by CACILM link, and how many report a GEF grant."""
    rows = by_country(snapshot)
    rows = rows[rows.country != "TUR"]
    out = rows.pivot_table(
        index="country", columns="cacilm_link", values="id", aggfunc="count", fill_value=0
    ).reindex(columns=list(LINKS), fill_value=0)
    out["total"] = out.sum(axis=1)
    reported = rows[rows.id.isin(grants(snapshot).id)]
    out["with GEF grant reported"] = reported.groupby("country").id.count()
    out["with GEF grant reported"] = out["with GEF grant reported"].fillna(0).astype(int)
    return out.reset_index()


def country_figure(snapshot: Snapshot | None = None, lang: str | None = None) -> charts.Figure:
    """Stacked bars: number of projects per country, by strength of the CACILM link."""
    snap = snapshot or load()
    rows = by_country(snap)
    rows = rows[rows.country.isin(snap.countries.iso3)]
    data = rows.groupby(["country", "cacilm_link"]).size().reset_index(name="projects")
    data["name"] = data.country.map(lambda c: snap.country_name(c, lang))
    data["link"] = data.cacilm_link.map(t)
    links = [t(x) for x in LINKS]
    chart = (
        alt.Chart(data, title=alt.Title(t("Projects by country"), subtitle=t("number of projects")))
        .mark_bar()
        .encode(
            y=alt.Y("name:N", title=None, sort="-x"),
            x=alt.X("sum(projects):Q", title=t("Projects")),
            color=alt.Color(
                "link:N",
                title=t("CACILM link"),
                sort=links,
                scale=alt.Scale(domain=links, range=["#0072B2", "#56B4E9", "#BBBBBB"]),
            ),
            order=alt.Order("cacilm_link:N"),
            tooltip=[
                alt.Tooltip("name:N", title=t("Country")),
                alt.Tooltip("link:N", title=t("CACILM link")),
                alt.Tooltip("projects:Q", title=t("Projects")),
            ],
        )
        .properties(height=alt.Step(28))
    )
    parts = [
        f"{n}: {int(g.projects.sum())} "
        f"({', '.join(i18n.counted(int(r.projects), '{count} ' + r.cacilm_link) for r in g.itertuples())})"
        for n, g in data.groupby("name")
    ]
    text = t(
        "Bar chart of catalogue projects per country (a multi-country project counts in each of "
        "its countries), split by CACILM link. {parts}.",
        parts="; ".join(parts),
    )
    return charts.Figure(
        chart,
        data[["name", "link", "projects"]],
        text,
        display.source_ids(rows),
        snap,
        label="projects-by-country",
    )


def agency_figure(snapshot: Snapshot | None = None) -> charts.Figure:
    """Bars: number of projects per lead agency, coloured by phase."""
    snap = snapshot or load()
    f = frame(snap)
    f["lead_agency"] = i18n.localized(f, "lead_agency")
    data = f.groupby(["lead_agency", "phase"]).size().reset_index(name="projects")
    data["phase_name"] = data.phase.map(lambda p: t(PHASES[p]))
    phases = [t(p) for p in PHASES.values()]
    chart = (
        alt.Chart(
            data, title=alt.Title(t("Projects by lead agency"), subtitle=t("number of projects"))
        )
        .mark_bar()
        .encode(
            y=alt.Y("lead_agency:N", title=None, sort="-x"),
            x=alt.X("sum(projects):Q", title=t("Projects")),
            color=alt.Color(
                "phase_name:N",
                title=t("Phase"),
                sort=phases,
                scale=alt.Scale(domain=phases, range=["#009E73", "#CC79A7", "#E69F00", "#BBBBBB"]),
            ),
            tooltip=[
                alt.Tooltip("lead_agency:N", title=t("Lead agency")),
                alt.Tooltip("phase_name:N", title=t("Phase")),
                alt.Tooltip("projects:Q", title=t("Projects")),
            ],
        )
        .properties(height=alt.Step(22))
    )
    totals = data.groupby("lead_agency").projects.sum().sort_values(ascending=False)
    text = t(
        "Bar chart of catalogue projects per lead agency, coloured by phase: {parts}.",
        parts="; ".join(f"{a} {n}" for a, n in totals.items()),
    )
    return charts.Figure(
        chart,
        data[["lead_agency", "phase_name", "projects"]],
        text,
        display.source_ids(f),
        snap,
        label="projects-by-agency",
    )


def phase_counts(snapshot: Snapshot | None = None) -> pd.DataFrame:
    """Projects per phase and how many of them report a GEF grant."""
    f = frame(snapshot)
    f["gef_reported"] = f.id.isin(grants(snapshot).id)
    out = (
        f.groupby("phase")
        .agg(projects=("id", "count"), gef_reported=("gef_reported", "sum"))
        .reset_index()
    )
    out["phase"] = out.phase.map(lambda p: t(PHASES[p]))
    return out


def phase_table(snapshot: Snapshot | None = None):
    counts = phase_counts(snapshot).rename(
        columns={
            "phase": t("Phase"),
            "projects": t("Projects"),
            "gef_reported": t("GEF grant reported"),
        }
    )
    return display.table(counts, numeric=(t("Projects"), t("GEF grant reported")))


def _outcome_links(ids: str, snap: Snapshot) -> str:
    titles = i18n.localized(snap.outcomes.set_index("id"), "title")
    numerals = snap.outcomes.set_index("id").numeral
    return "<br>".join(
        f'<a href="{display.generated_root()}outcomes/{display.esc(o)}.html">'
        f"({display.esc(numerals[o])}) {display.esc(titles[o])}</a>"
        for o in str(ids).split(";")
        if o in titles.index
    )


def _country_links(codes: str, snap: Snapshot) -> str:
    known = set(snap.countries.iso3)
    return ", ".join(
        f'<a href="{display.generated_root()}countries/{c.lower()}.html">'
        f"{display.esc(snap.country_name(c))}</a>"
        if c in known
        else display.esc(c)
        for c in str(codes).split(";")
        if c
    )


def profile(project: str, snapshot: Snapshot | None = None):
    """A project's page: what the catalogue records of it (identifiers, agencies, years, money
    as reported, CACILM link, outcome groups), then the practices and results sources tie to
    it, and its sources. Every value is the catalogue's; a blank one says it is not reported."""
    from IPython.display import HTML

    from kb import outcomes, practices

    snap = snapshot or load()
    row = snap.row("projects", project)  # this row only: another project's edit leaves the page
    missing = f"<i>{display.esc(t('not reported'))}</i>"
    facts = [
        (t("Phase"), display.esc(t(PHASES[row.phase]))),
        (t("Countries"), _country_links(row.countries, snap)),
        (t("Lead agency"), display.esc(i18n.localized(row, "lead_agency") or "") or missing),
        (
            t("Identifiers"),
            display.esc(str(row.identifiers).replace(";", "; "))
            if isinstance(row.identifiers, str) and row.identifiers
            else missing,
        ),
        (t("Years"), display.esc(_years(row.start_year, row.end_year))),
        (
            t("GEF grant (US$)"),
            display.esc(_grant(row.gef_grant_usd, row.gef_grant_status)) or missing,
        ),
        (t("Co-financing (US$)"), display.esc(_usd(row.cofinancing_usd)) or missing),
        (t("CACILM link"), display.esc(t(row.cacilm_link))),
        (t("Outcome groups"), _outcome_links(row.outcomes, snap) or missing),
    ]
    if i18n.language() != "en":
        facts.insert(
            0,
            (
                t("Title in the project's documents"),
                f'<cite lang="en">{display.esc(row.title)}</cite>',
            ),
        )
    if isinstance(row.note, str) and row.note:
        facts.append((t("Note"), display.esc(i18n.localized(row, "note"))))
    summary = t(
        "What the project catalogue records of this project ({countries}, {years}), and the "
        "practices and results that sources tie to it.",
        countries=_countries(row.countries, snap),
        years=_years(row.start_year, row.end_year),
    )
    html = [f"<p>{display.esc(summary)}</p>", '<dl class="kb-facts">']
    html += [f"<dt>{display.esc(k)}</dt><dd>{v}</dd>" for k, v in facts]
    html.append("</dl>")
    found = practices.frame(snap, project=project)
    html.append(f'<h2 id="practices">{display.esc(t("Practices documented in WOCAT"))}</h2>')
    html.append(
        practices.table(snap, project=project).data
        if not found.empty
        else f"<p>{display.esc(t('No practice in WOCAT’s database names this project.'))}</p>"
    )
    html.append(f'<h2 id="results">{display.esc(t("Results reported by sources"))}</h2>')
    if (snap.results.project == project).any():
        html.append(outcomes.results_table(None, snap, project=project).data)
    else:
        html.append(
            f"<p>{display.esc(t('No source we could read reports a result for this project.'))}</p>"
        )
    html.append(f'<h2 id="sources">{display.esc(t("Sources"))}</h2>')
    html.append(f"<p>{display.source_link(row.source, snap)}</p>")
    return HTML("\n".join(html))
