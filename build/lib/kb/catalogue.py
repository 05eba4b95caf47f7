"""The indicator catalogue: definitions, units, sources, licences, vintages, coverage and usage."""

from __future__ import annotations

import pandas as pd

from kb import dashboard, display, facts, i18n, indicators
from kb.data import Snapshot, load
from kb.i18n import t

DIRECTIONS = {"up": "higher is better", "down": "lower is better", "none": "neither"}


def outcome_titles(snap: Snapshot) -> pd.Series:
    """Outcome group titles in the page's language, by id."""
    column = "title_ru" if i18n.language() == "ru" else "title"
    return snap.outcomes.set_index("id")[column]


def pages_using(
    indicator: str, meta: indicators.Indicator, snap: Snapshot
) -> list[tuple[str, str]]:
    """(title, site-relative link) of every page that shows the indicator."""
    pages = []
    if indicator in dashboard.DASHBOARD or indicator in dashboard.TREND_CHARTS:
        pages.append((t("Country pages"), "_generated/countries/kaz.html"))
    titles = outcome_titles(snap)
    for o in meta.outcomes:
        if o in titles.index:
            pages.append((titles[o], f"_generated/outcomes/{o}.html"))
    return pages


def indicator_table(snapshot: Snapshot | None = None):
    snap = snapshot or load()
    reg = indicators.registry(snap)
    src = snap.sources.set_index("id")
    rows = []
    lang = i18n.language()
    for ind, meta in reg.items():
        cited = [src.loc[s] for s in meta.sources if s in src.index]
        licences = sorted({i18n.localized(r, "licence") for r in cited})
        vintages = sorted({facts.dated_text(i18n.localized(r, "vintage"), lang) for r in cited})
        used = pages_using(ind, meta, snap)
        derived = (
            "<br><em>"
            + display.esc(t("Derived from {inputs}.", inputs=", ".join(meta.derived_from)))
            + "</em>"
            if meta.derived
            else ""
        )
        rows.append(
            {
                t("Indicator"): f"<strong>{display.esc(meta.title)}</strong><br>"
                f"<code>{display.esc(ind)}</code>",
                t("Unit"): meta.unit,
                t("Definition"): display.esc(meta.definition) + derived,
                t("Good direction"): t(DIRECTIONS[meta.good_direction]),
                t("Source"): display.source_link(";".join(meta.sources), snap),
                t("Licence"): "; ".join(licences),
                t("Vintage"): "; ".join(vintages),
                t("Used on"): ", ".join(
                    f'<a href="{display.site_root()}{link}">{display.esc(title)}</a>'
                    for title, link in used
                )
                or t("this catalogue"),
            }
        )
    return display.table(
        pd.DataFrame(rows),
        html_columns=(t("Indicator"), t("Definition"), t("Source"), t("Used on")),
    )


def coverage(snapshot: Snapshot | None = None) -> pd.DataFrame:
    """Per indicator: number of values, countries, first and last year."""
    snap = snapshot or load()
    values = indicators.table(snap)
    return (
        values.groupby("indicator")
        .agg(
            values=("value", "size"),
            countries=("country", "nunique"),
            first=("year", "min"),
            last=("year", "max"),
        )
        .reset_index()
    )


def coverage_table(snapshot: Snapshot | None = None):
    names = {
        "indicator": t("Indicator"),
        "values": t("Values"),
        "countries": t("Countries"),
        "first": t("First year"),
        "last": t("Last year"),
    }
    snap = snapshot or load()
    reg = indicators.registry(snap)
    c = coverage(snap)
    c["indicator"] = c.indicator.map(lambda i: reg[i].title if i in reg else i)
    c = c.rename(columns=names)
    return display.table(c, numeric=tuple(list(names.values())[1:]))


def outcome_evidence(outcome: str, snapshot: Snapshot | None = None, lang: str | None = None):
    """Latest value per country of every indicator linked to an outcome group, or a plain note."""
    snap = snapshot or load()
    linked = dashboard.outcome_indicators(outcome, snap)
    if not linked:
        return display.note(
            t(
                "No indicator in the snapshot can evidence this outcome group; the public sources "
                "we could read report no measure of it."
            )
        )
    return evidence_table(linked, snap, lang)


def evidence_table(
    indicator_ids: list[str], snapshot: Snapshot | None = None, lang: str | None = None
):
    """Latest value per country (with its year) of each indicator, and the sources."""
    snap = snapshot or load()
    reg = indicators.registry(snap)
    rows = []
    names = [snap.country_name(c, lang) for c in snap.countries.iso3]
    for ind in indicator_ids:
        meta = reg[ind]
        latest = indicators.latest(ind, snap).set_index("country")
        row = {t("Indicator"): meta.title, t("Unit"): meta.unit}
        for iso3, name in zip(snap.countries.iso3, names, strict=True):
            if iso3 in latest.index:
                r = latest.loc[iso3]
                row[name] = f"{display.number(r.value, meta.unit)} ({int(r.year)})"
            else:
                row[name] = t("not reported")
        row[t("Source")] = display.source_link(";".join(meta.sources), snap)
        rows.append(row)
    return display.table(pd.DataFrame(rows), html_columns=(t("Source"),), numeric=tuple(names))


KINDS = {
    "benefit": "Global benefit",
    "objective": "Environmental objective",
    "development": "Development objective",
}


def objectives_evidence(snapshot: Snapshot | None = None, lang: str | None = None) -> list:
    """For each benefit and objective: its name, the indicators that speak to it, a chart.

    Where no indicator in the snapshot can evidence an item, the page says so plainly.
    """
    snap = snapshot or load()
    ru = i18n.language() == "ru"
    out = []
    for row in snap.objectives.itertuples(index=False):
        title = row.title_ru if ru else row.title
        out.append(
            display.HTML(
                f'<p class="kb-item"><strong>{display.esc(t(KINDS[row.kind]))}: '
                f"{display.esc(title)}</strong></p>"
            )
        )
        linked = [i for i in str(row.indicators or "").split(";") if i]
        if not linked:
            out.append(display.note(t("No indicator in the snapshot can evidence this item.")))
            continue
        out.append(evidence_table(linked, snap, lang))
        figure = dashboard.trend_figure(linked[0], snap, lang)
        if figure is not None:
            out.append(figure)
    return out
