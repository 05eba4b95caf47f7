"""Sustainable land management practices documented in WOCAT's Global SLM Database (QCAT):
what was done on the ground, linked to its country, the CACILM project the record names and the
outcome groups it serves."""

from __future__ import annotations

import pandas as pd

from kb import display, i18n
from kb.data import Snapshot, load
from kb.i18n import t

KINDS = {"technology": "technology", "approach": "approach"}
"""A WOCAT technology is something done on the land; an approach is how people organise it."""


def name(row) -> tuple[str, str]:
    """The record's name in the page's language, or in the language the record gives, with
    that language."""
    lang = i18n.language()
    other = "en" if lang == "ru" else "ru"
    for code in (lang, other):
        if getattr(row, f"name_{code}", ""):
            return getattr(row, f"name_{code}"), code
    return row.id, "en"


def frame(
    snapshot: Snapshot | None = None,
    country: str | None = None,
    outcome: str | None = None,
    project: str | None = None,
) -> pd.DataFrame:
    """The practices, optionally for one country, outcome group or project."""
    snap = snapshot or load()
    f = snap.practices.fillna("")
    if country:
        f = f[f.country == snap.country_code(country)]
    if outcome:
        f = f[f.outcomes.str.split(";").apply(lambda groups: outcome in groups)]
    if project:
        f = f[f.project == project]
    return f.sort_values(
        ["cacilm_link", "country", "kind", "id"], ascending=[False, True, True, True]
    )


def table(
    snapshot: Snapshot | None = None,
    country: str | None = None,
    outcome: str | None = None,
    project: str | None = None,
    filters: bool = False,
):
    """The practices as an HTML table: name (linked to its WOCAT record), identifier, country,
    type, the project the record names, its tie to CACILM and the source."""
    from kb import projects

    snap = snapshot or load()
    f = frame(snap, country, outcome, project)
    if f.empty:
        return display.note(t("No practice documented in WOCAT's database is recorded here."))
    urls = snap.sources.set_index("id").url
    titles = {p.id: i18n.localized(p, "title") for p in snap.projects.itertuples(index=False)}
    numerals = snap.outcomes.set_index("id").numeral
    shown = pd.DataFrame(
        {
            t("Practice"): [
                f'<a href="{display.esc(urls.get(r.source, ""))}"><cite lang="{name(r)[1]}">'
                f"{display.esc(name(r)[0])}</cite></a>"
                for r in f.itertuples(index=False)
            ],
            t("WOCAT id"): f.id.values,
            t("Country"): [snap.country_name(c) for c in f.country],
            t("Type"): [t(KINDS[k]) for k in f.kind],
            t("Project named in the record"): [
                f'<a href="{display.esc(projects.page_link(r.project))}">'
                f"{display.esc(titles.get(r.project, r.project))}</a>"
                if r.project
                else f"<q>{display.esc(r.named_project)}</q>"
                if r.named_project
                else "—"
                for r in f.itertuples(index=False)
            ],
            t("Outcome groups"): [
                ", ".join(f"({numerals[o]})" for o in str(groups).split(";") if o in numerals)
                for groups in f.outcomes
            ],
            t("Tied to CACILM"): [t("yes") if c == "yes" else t("no") for c in f.cacilm_link],
            t("Source"): [display.source_link(s, snap) for s in f.source],
        }
    )
    if country:  # on the country's own page: its name on every row and the record's source
        shown = shown.drop(columns=[t("Country"), t("Source")])  # (the name links the record)
    choices = None
    if filters:  # the catalogue: by country, type, outcome group and tie to CACILM
        choices = {
            t("Country"): shown[t("Country")].map(lambda c: [c]),
            t("Type"): shown[t("Type")].map(lambda k: [k]),
            t("Outcome groups"): shown[t("Outcome groups")].map(
                lambda g: g.split(", ") if g else []
            ),
            t("Tied to CACILM"): shown[t("Tied to CACILM")].map(lambda y: [y]),
        }
    return display.table(
        shown,
        html_columns=tuple(
            c for c in (t("Practice"), t("Project named in the record"), t("Source")) if c in shown
        ),
        filters=choices,
    )


def summary(snapshot: Snapshot | None = None, country: str | None = None):
    """How many practices, and how many of them the records tie to CACILM."""
    f = frame(snapshot, country)
    return display.paragraph(
        t(
            "{practices} in WOCAT's database; the record itself ties {tied} of them to CACILM or "
            "one of its projects.",
            practices=i18n.counted(len(f), "{count} documented practices"),
            tied=i18n.number(int((f.cacilm_link == "yes").sum()), 0),
        )
    )
