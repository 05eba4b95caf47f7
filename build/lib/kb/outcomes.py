"""The six expected outcome groups (i)–(vi) of FAO's CACILM page, and what evidences each.

An outcome page brings together the group's wording (from `data/outcomes.csv`, sourced to the
founding document), the projects that worked on it, the results sources report for it
(`data/results.csv`) and the indicators linked to it in the registry.
"""

from __future__ import annotations

import pandas as pd

from kb import display, i18n, projects
from kb.data import Snapshot, load
from kb.i18n import t

KINDS = {"target": "target", "achieved": "achieved", "rating": "evaluation rating"}


def heading(outcome: str, snapshot: Snapshot | None = None):
    """The group's number and wording as the founding document gives it, with its source."""
    snap = snapshot or load()
    row = snap.outcomes.set_index("id").loc[outcome]
    ru = i18n.language() == "ru"
    return display.HTML(
        "<p>"
        + display.esc(
            t("Expected outcome group ({numeral}) of the ten-year programme:", numeral=row.numeral)
        )
        + f" <strong>{display.esc(row.title_ru if ru else row.title)}</strong>. "
        + display.esc(row.summary_ru if ru else row.summary)
        + f" ({t('Source')}: {display.source_link(row.source, snap)})</p>"
    )


def project_table(outcome: str, snapshot: Snapshot | None = None):
    """CACILM projects whose stated aims serve this group."""
    return projects.table(snapshot, outcome=outcome)


def results(outcome: str | None = None, snapshot: Snapshot | None = None) -> pd.DataFrame:
    """Results reported for projects, optionally for one outcome group."""
    snap = snapshot or load()
    r = snap.results
    return r if outcome is None else r[r.outcome == outcome]


def _value(row, ru: bool) -> str:
    if isinstance(row.value_text, str) and row.value_text:
        return row.value_text_ru if ru else row.value_text
    digits = 0 if float(row.value).is_integer() else 1
    figure = i18n.number(float(row.value), digits)
    unit = row.unit_ru if ru else row.unit
    more = t("more than") + " " if row.qualifier == "more than" else ""
    return f"{more}{figure} {unit}"


def results_table(
    outcome: str | None, snapshot: Snapshot | None = None, project: str | None = None
):
    """Each reported result for the group (or the project) with its project, kind, year and
    source."""
    snap = snapshot or load()
    found = results(outcome, snap)
    if project:
        found = found[found.project == project]
    if found.empty:
        return display.note(t("No source we could read reports a result for this outcome group."))
    ru = i18n.language() == "ru"
    titles = i18n.localized(snap.projects.set_index("id"), "title")
    shown = pd.DataFrame(
        {
            t("Result"): [r.result_ru if ru else r.result for r in found.itertuples()],
            t("Value"): [_value(r, ru) for r in found.itertuples()],
            t("Kind"): found.kind.map(lambda k: t(KINDS[k])).values,
            t("Year"): found.year.map(lambda y: "—" if pd.isna(y) else str(int(y))).values,
            t("Project"): [
                f'<a href="{display.esc(projects.page_link(p))}">{display.esc(titles[p])}</a>'
                for p in found.project
            ],
            t("Source"): [display.source_link(s, snap) for s in found.source],
        }
    )
    return display.table(shown, html_columns=(t("Project"), t("Source")))
