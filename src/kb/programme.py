"""Programme-level views: financing as each source reports it, the timeline and phase durations."""

from __future__ import annotations

import altair as alt
import pandas as pd

from kb import charts, display, i18n
from kb.data import Snapshot, load
from kb.i18n import t

ITEMS = {
    "envelope_10yr": "Planned 10-year investment (all sources)",
    "phase1_total": "Phase 1 total financing",
    "phase1_gef_grant": "Phase 1 GEF grant",
    "phase1_by_funder": "Phase 1 financing by funder",
    "gef_programme_record_grant": "GEF programme record: grant field",
    "gef_programme_record_ppg": "GEF programme record: project preparation grant",
    "ta_6357": "ADB TA 6357-REG (multicountry support)",
    "phase2_gef_grant": "CACILM 2 GEF grant",
    "phase2_total_cost": "CACILM 2 total cost",
}
PHASE_NAMES = {"pre": "before CACILM", "phase1": "Phase 1", "phase2": "CACILM 2"}


def _usd(v) -> str:
    return "" if pd.isna(v) else i18n.number(v, 0)


def _item(item: str) -> str:
    return t(ITEMS[item]) if item in ITEMS else item


def financing_table(snapshot: Snapshot | None = None, items: tuple[str, ...] | None = None):
    """Financing rows exactly as reported, grouped by item, each with its source."""
    snap = snapshot or load()
    f = snap.financing
    if items:
        f = f[f["item"].isin(items)]
    shown = pd.DataFrame(
        {
            t("What"): f["item"].map(_item).values,
            t("Funder"): f.funder.values,
            t("Amount (US$)"): f.amount_usd.map(_usd).values,
            t("As reported"): f.note.fillna("").values,
            t("Source"): [display.source_link(s, snap) for s in f.source],
        }
    )
    return display.table(shown, html_columns=(t("Source"),), numeric=(t("Amount (US$)"),))


def disagreements(snapshot: Snapshot | None = None) -> pd.DataFrame:
    """Items whose sources report different amounts for the same funder."""
    snap = snapshot or load()
    g = snap.financing.groupby(["item", "funder"]).amount_usd.agg(["min", "max", "count"])
    g = g.reset_index()
    return g[(g["count"] > 1) & (g["min"] != g["max"])].reset_index(drop=True)


def disagreement_summary(snapshot: Snapshot | None = None):
    count = len(disagreements(snapshot))
    return display.paragraph(
        t(
            "{count} financing items are reported with different amounts by different sources; the "
            "table below lists each report with its source.",
            count=count,
        )
    )


def headline_figure(snapshot: Snapshot | None = None) -> charts.Figure:
    """Side-by-side bars of headline amounts per source, showing where sources disagree."""
    snap = snapshot or load()
    f = snap.financing[
        snap.financing["item"].isin(
            ["envelope_10yr", "phase1_total", "phase1_gef_grant", "phase2_gef_grant"]
        )
    ].copy()
    f["what"] = f["item"].map(_item)
    f["usd_million"] = f.amount_usd / 1e6
    publishers = snap.sources.set_index("id").publisher
    f["reported_by"] = f.source.map(lambda s: f"{publishers.get(s.split(';')[0], s)} ({s})")
    data = f[["what", "reported_by", "usd_million", "source"]]
    million = t("US$ million")
    chart = (
        alt.Chart(
            data,
            title=alt.Title(t("Headline financing as each source reports it"), subtitle=million),
        )
        .mark_bar()
        .encode(
            y=alt.Y("reported_by:N", title=None),
            x=alt.X("usd_million:Q", title=million),
            color=alt.Color("what:N", legend=None),
            row=alt.Row(
                "what:N",
                title=None,
                header=alt.Header(labelAngle=0, labelAlign="left", labelFontWeight="bold"),
            ),
            tooltip=[
                alt.Tooltip("what:N", title=t("Item")),
                alt.Tooltip("reported_by:N", title=t("Source")),
                alt.Tooltip("usd_million:Q", title=million, format=",.1f"),
            ],
        )
        .resolve_scale(x="independent", y="independent")
        .properties(width=420)
    )
    parts = [
        f"{w}: "
        + ", ".join(
            f"{i18n.number(v, 1)} ({s})" for v, s in zip(g.usd_million, g.source, strict=True)
        )
        for w, g in data.groupby("what", sort=False)
    ]
    text = t(
        "Bar charts of headline financing figures, one bar per source. {parts}.",
        parts="; ".join(parts),
    )
    return charts.Figure(
        chart, data, text, list(dict.fromkeys(data.source)), snap, label="financing-headlines"
    )


def milestones(snapshot: Snapshot | None = None) -> dict[str, pd.Timestamp]:
    snap = snapshot or load()
    tl = snap.timeline[snap.timeline.milestone.fillna("") != ""]
    return {r.milestone: pd.Timestamp(r.date) for r in tl.itertuples()}


SPANS = (
    (
        "Phase 1 framework, planned (approval to end of 10-year period)",
        "phase1_approval",
        "phase1_planned_end",
    ),
    (
        "Phase 1, launch to ADB withdrawal from central coordination",
        "phase1_launch",
        "adb_withdrawal",
    ),
    ("CACILM 2, planned (start to planned end)", "phase2_planned_start", "phase2_planned_end"),
    ("CACILM 2, actual (launch to extended end)", "phase2_launch", "phase2_extended_end"),
)


def durations(snapshot: Snapshot | None = None) -> pd.DataFrame:
    """Planned and actual durations computed from timeline milestones (years, one decimal)."""
    snap = snapshot or load()
    m = milestones(snap)
    tl = snap.timeline.set_index("milestone")
    rows = []
    for label, a, b in SPANS:
        if a in m and b in m:
            if "year" in (tl.at[a, "precision"], tl.at[b, "precision"]):
                years = float(m[b].year - m[a].year)  # a year-precision date: whole years only
            else:
                years = (m[b] - m[a]).days / 365.25
            sources = f"{tl.at[a, 'source']};{tl.at[b, 'source']}"
            rows.append(
                {
                    t("Span"): t(label),
                    t("From"): _date(tl.at[a, "date"], tl.at[a, "precision"]),
                    t("To"): _date(tl.at[b, "date"], tl.at[b, "precision"]),
                    t("Years"): i18n.number(years, 1),
                    t("Source"): display.source_link(sources, snap),
                }
            )
        else:
            rows.append(
                {
                    t("Span"): t(label),
                    t("From"): "—",
                    t("To"): "—",
                    t("Years"): t("not reported"),
                    t("Source"): t("no source in the snapshot"),
                }
            )
    return pd.DataFrame(rows)


def durations_table(snapshot: Snapshot | None = None):
    return display.table(durations(snapshot), html_columns=(t("Source"),), numeric=(t("Years"),))


def _date(iso: str, precision: str) -> str:
    d = pd.Timestamp(iso)
    if precision == "day":
        return i18n.day_month_year(d.year, d.month, d.day)
    if precision == "month":
        return i18n.month_year(d.year, d.month)
    return str(d.year)


def _events(snap: Snapshot) -> pd.Series:
    tl = snap.timeline.sort_values("date")
    return tl.event_ru if i18n.language() == "ru" else tl.event


def timeline_table(snapshot: Snapshot | None = None):
    snap = snapshot or load()
    tl = snap.timeline.sort_values("date")
    shown = pd.DataFrame(
        {
            t("Date"): [_date(d, p) for d, p in zip(tl.date, tl.precision, strict=True)],
            t("Event"): _events(snap).values,
            t("Phase"): tl.phase.map(lambda p: t(PHASE_NAMES[p])).values,
            t("Source"): [display.source_link(s, snap) for s in tl.source],
        }
    )
    return display.table(shown, html_columns=(t("Source"),))


def timeline_figure(snapshot: Snapshot | None = None) -> charts.Figure:
    snap = snapshot or load()
    tl = snap.timeline.sort_values("date").copy()
    tl["phase_name"] = tl.phase.map(lambda p: t(PHASE_NAMES[p]))
    tl["event_text"] = _events(snap).values
    data = tl[["date", "event_text", "phase_name", "source"]]
    phases = [t(p) for p in PHASE_NAMES.values()]
    chart = (
        alt.Chart(data, title=alt.Title(t("CACILM timeline"), subtitle=t("events by date")))
        .mark_tick(thickness=3, size=28)
        .encode(
            x=alt.X("date:T", title=t("Date")),
            y=alt.Y("phase_name:N", title=None, sort=phases),
            color=alt.Color(
                "phase_name:N",
                legend=None,
                scale=alt.Scale(domain=phases, range=["#999999", "#009E73", "#E69F00"]),
            ),
            tooltip=[
                alt.Tooltip("date:T", title=t("Date"), format="%b %Y"),
                alt.Tooltip("event_text:N", title=t("Event")),
                alt.Tooltip("source:N", title=t("Source")),
            ],
        )
        .properties(height=alt.Step(40))
    )
    text = t(
        "Timeline of {count} events from {first} to {last}, one tick per event, grouped by phase; "
        "the table below lists each event.",
        count=len(data),
        first=data.date.min()[:4],
        last=data.date.max()[:4],
    )
    return charts.Figure(
        chart, data, text, list(dict.fromkeys(data.source)), snap, label="timeline"
    )
