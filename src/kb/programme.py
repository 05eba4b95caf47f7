"""Programme-level views: financing as each source reports it, the timeline and phase durations."""

from __future__ import annotations

import altair as alt
import pandas as pd

from kb import charts, display
from kb.data import Snapshot, load

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


def _usd(v) -> str:
    return "" if pd.isna(v) else f"{v:,.0f}"


def financing_table(snapshot: Snapshot | None = None, items: tuple[str, ...] | None = None):
    """Financing rows exactly as reported, grouped by item, each with its source."""
    snap = snapshot or load()
    f = snap.financing
    if items:
        f = f[f["item"].isin(items)]
    shown = pd.DataFrame(
        {
            "What": f["item"].map(lambda i: ITEMS.get(i, i)).values,
            "Funder": f.funder.values,
            "Amount (US$)": f.amount_usd.map(_usd).values,
            "As reported": f.note.fillna("").values,
            "Source": [display.source_link(s, snap) for s in f.source],
        }
    )
    return display.table(shown, html_columns=("Source",), numeric=("Amount (US$)",))


def disagreements(snapshot: Snapshot | None = None) -> pd.DataFrame:
    """Items whose sources report different amounts for the same funder."""
    snap = snapshot or load()
    f = snap.financing
    g = f.groupby(["item", "funder"]).amount_usd.agg(["min", "max", "count"]).reset_index()
    return g[(g["count"] > 1) & (g["min"] != g["max"])].reset_index(drop=True)


def headline_figure(snapshot: Snapshot | None = None) -> charts.Figure:
    """Side-by-side bars of headline amounts per source, showing where sources disagree."""
    snap = snapshot or load()
    f = snap.financing[
        snap.financing["item"].isin(
            ["envelope_10yr", "phase1_total", "phase1_gef_grant", "phase2_gef_grant"]
        )
    ].copy()
    f["what"] = f["item"].map(ITEMS)
    f["usd_million"] = f.amount_usd / 1e6
    publishers = snap.sources.set_index("id").publisher
    f["reported_by"] = f.source.map(lambda s: f"{publishers.get(s.split(';')[0], s)} ({s})")
    data = f[["what", "reported_by", "usd_million", "source"]]
    chart = (
        alt.Chart(
            data,
            title=alt.Title("Headline financing as each source reports it", subtitle="US$ million"),
        )
        .mark_bar()
        .encode(
            y=alt.Y("reported_by:N", title=None),
            x=alt.X("usd_million:Q", title="US$ million"),
            color=alt.Color("what:N", legend=None),
            row=alt.Row(
                "what:N",
                title=None,
                header=alt.Header(labelAngle=0, labelAlign="left", labelFontWeight="bold"),
            ),
            tooltip=[
                alt.Tooltip("what:N", title="Item"),
                alt.Tooltip("reported_by:N", title="Source"),
                alt.Tooltip("usd_million:Q", title="US$ million", format=",.1f"),
            ],
        )
        .resolve_scale(x="independent", y="independent")
        .properties(width=420)
    )
    parts = [
        f"{w}: "
        + ", ".join(f"{v:,.1f} m ({s})" for v, s in zip(g.usd_million, g.source, strict=True))
        for w, g in data.groupby("what", sort=False)
    ]
    text = "Bar charts of headline financing figures, one bar per source. " + "; ".join(parts) + "."
    return charts.Figure(
        chart, data, text, list(dict.fromkeys(data.source)), snap, label="financing-headlines"
    )


def milestones(snapshot: Snapshot | None = None) -> dict[str, pd.Timestamp]:
    snap = snapshot or load()
    t = snap.timeline[snap.timeline.milestone.fillna("") != ""]
    return {r.milestone: pd.Timestamp(r.date) for r in t.itertuples()}


def durations(snapshot: Snapshot | None = None) -> pd.DataFrame:
    """Planned and actual durations computed from timeline milestones (years, one decimal)."""
    snap = snapshot or load()
    m = milestones(snap)
    spans = [
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
    ]
    t = snap.timeline.set_index("milestone")
    rows = []
    for label, a, b in spans:
        if a in m and b in m:
            years = (m[b] - m[a]).days / 365.25
            rows.append(
                {
                    "Span": label,
                    "From": t.at[a, "date"],
                    "To": t.at[b, "date"],
                    "Years": f"{years:.1f}",
                    "Source": display.source_link(f"{t.at[a, 'source']};{t.at[b, 'source']}", snap),
                }
            )
        else:
            rows.append(
                {
                    "Span": label,
                    "From": "—",
                    "To": "—",
                    "Years": "not reported",
                    "Source": "no source in the snapshot",
                }
            )
    return pd.DataFrame(rows)


def durations_table(snapshot: Snapshot | None = None):
    return display.table(durations(snapshot), html_columns=("Source",), numeric=("Years",))


def timeline_table(snapshot: Snapshot | None = None):
    snap = snapshot or load()
    t = snap.timeline.sort_values("date")
    fmt = {"day": "%d %b %Y", "month": "%b %Y", "year": "%Y"}
    shown = pd.DataFrame(
        {
            "Date": [
                pd.Timestamp(d).strftime(fmt[p]) for d, p in zip(t.date, t.precision, strict=True)
            ],
            "Event": t.event.values,
            "Phase": t.phase.map(
                {"pre": "before CACILM", "phase1": "Phase 1", "phase2": "CACILM 2"}
            ).values,
            "Source": [display.source_link(s, snap) for s in t.source],
        }
    )
    return display.table(shown, html_columns=("Source",))


def timeline_figure(snapshot: Snapshot | None = None) -> charts.Figure:
    snap = snapshot or load()
    t = snap.timeline.sort_values("date").copy()
    t["phase_name"] = t.phase.map(
        {"pre": "before CACILM", "phase1": "Phase 1", "phase2": "CACILM 2"}
    )
    data = t[["date", "event", "phase_name", "source"]]
    chart = (
        alt.Chart(data, title=alt.Title("CACILM timeline", subtitle="events by date"))
        .mark_tick(thickness=3, size=28)
        .encode(
            x=alt.X("date:T", title="Date"),
            y=alt.Y("phase_name:N", title=None, sort=["before CACILM", "Phase 1", "CACILM 2"]),
            color=alt.Color(
                "phase_name:N",
                legend=None,
                scale=alt.Scale(
                    domain=["before CACILM", "Phase 1", "CACILM 2"],
                    range=["#999999", "#009E73", "#E69F00"],
                ),
            ),
            tooltip=[
                alt.Tooltip("date:T", title="Date", format="%b %Y"),
                alt.Tooltip("event:N", title="Event"),
                alt.Tooltip("source:N", title="Source id"),
            ],
        )
        .properties(height=alt.Step(40))
    )
    text = (
        f"Timeline of {len(data)} events from {data.date.min()[:4]} to {data.date.max()[:4]}, "
        "one tick per event, grouped by phase; the table below lists each event."
    )
    return charts.Figure(
        chart, data, text, list(dict.fromkeys(data.source)), snap, label="timeline"
    )
