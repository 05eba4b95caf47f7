"""Programme-level views: financing as each source reports it, the timeline and phase durations."""

from __future__ import annotations

import altair as alt
import pandas as pd

from kb import charts, display, facts, i18n
from kb.data import Snapshot, load
from kb.i18n import t

ITEMS = {
    "envelope_10yr": "Planned 10-year investment (all sources)",
    "phase1_total": "Phase 1 total financing",
    "phase1_gef_grant": "Phase 1 GEF grant",
    "phase1_by_funder": "Phase 1 financing by funder",
    "gef_programme_record_grant": "GEF programme record at concept stage: grant field (not a grant)",
    "gef_programme_record_ppg": "GEF programme record: project preparation grant",
    "ta_6357": "ADB TA 6357-REG (multicountry support)",
    "phase2_gef_grant": "CACILM 2 GEF grant",
    "phase2_total_cost": "CACILM 2 total cost",
}
PHASE_NAMES = {
    "pre": "before CACILM",
    "phase1": "Phase 1 (first GEF tranche)",
    "framework": "rest of the ten-year programme",
    "cacilm-ii": "CACILM II (knowledge management, GEF 4600)",
    "cacilm2": "CACILM 2 (FAO, GEF 9094)",
}


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
            t("Funder"): i18n.localized(f, "funder").values,
            t("Amount (US$)"): f.amount_usd.map(_usd).values,
            t("As reported"): i18n.localized(f, "note").fillna("").values,
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
    publishers = i18n.localized(snap.sources.set_index("id"), "publisher")
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


PERIOD_KINDS = {"planned": "planned", "reported": "as reported"}


def launch_year(snapshot: Snapshot | None = None) -> int:
    """The programme's launch year: the year of the Almaty launch in `data/timeline.csv`."""
    snap = snapshot or load()
    tl = snap.timeline.set_index("id")
    return int(str(tl.at["phase1-launch", "date"])[:4])


def _period_end(row) -> tuple[pd.Timestamp | None, str]:
    """A span's end and how it is known: dated by a source, or start + a planned length."""
    if isinstance(row.end, str) and row.end:
        return pd.Timestamp(row.end), _date(row.end, row.end_precision)
    if not pd.isna(row.planned_months):
        months = int(row.planned_months)
        end = pd.Timestamp(row.start) + pd.DateOffset(months=months)
        return end, t("{length} after the start", length=facts.months_text(months, i18n.language()))
    return None, t("not reported")


def periods(snapshot: Snapshot | None = None) -> pd.DataFrame:
    """Each span of the programme as its source dates it, with its length in years."""
    snap = snapshot or load()
    ru = i18n.language() == "ru"
    rows = []
    for r in snap.periods.itertuples(index=False):
        end, end_text = _period_end(r)
        start = pd.Timestamp(r.start)
        if end is None:
            years = t("not reported")
        elif "year" in (r.start_precision, r.end_precision):
            years = i18n.number(float(end.year - start.year), 0)  # whole years only
        elif not pd.isna(r.planned_months) and int(r.planned_months) % 12 == 0:
            years = i18n.number(int(r.planned_months) / 12, 0)
        else:
            years = i18n.number((end - start).days / 365.25, 1)
        note = r.note_ru if ru else r.note
        rows.append(
            {
                t("Span"): r.label_ru if ru else r.label,
                t("From"): _date(r.start, r.start_precision),
                t("To"): end_text,
                t("Years"): years,
                t("End"): t(PERIOD_KINDS[r.end_kind]),
                t("Note"): "" if pd.isna(note) else note,
                t("Source"): display.source_link(r.source, snap),
            }
        )
    return pd.DataFrame(rows)


def periods_table(snapshot: Snapshot | None = None):
    return display.table(periods(snapshot), html_columns=(t("Source"),), numeric=(t("Years"),))


def period_disagreements(snapshot: Snapshot | None = None) -> pd.DataFrame:
    """Events that a span lists as its own but that a source dates after the span's end."""
    snap = snapshot or load()
    tl = snap.timeline.set_index("id")
    rows = []
    for r in snap.periods.itertuples(index=False):
        end, _ = _period_end(r)
        if end is None:
            continue
        for event in [e for e in str(r.events).split(";") if e]:
            when = pd.Timestamp(tl.at[event, "date"])
            if when > end + pd.offsets.MonthEnd(0):
                rows.append({"period": r.id, "event": event, "date": when, "end": end})
    return pd.DataFrame(rows, columns=["period", "event", "date", "end"])


def disagreement_notes(snapshot: Snapshot | None = None):
    """One sentence per event dated after the end of its span, both with their sources."""
    snap = snapshot or load()
    found = period_disagreements(snap)
    if found.empty:
        return display.note(t("No event is dated outside its span."))
    ru = i18n.language() == "ru"
    tl = snap.timeline.set_index("id")
    spans = snap.periods.set_index("id")
    items = []
    for r in found.itertuples(index=False):
        event, span = tl.loc[r.event], spans.loc[r.period]
        items.append(
            t(
                "{event} ({date}; {event_source}) is dated after the end of “{span}” "
                "({end}; {span_source}): the sources disagree, and both are shown.",
                event=event.event_ru if ru else event.event,
                date=_date(event.date, event.precision),
                event_source=display.source_link(event.source, snap),
                span=span.label_ru if ru else span.label,
                end=_date(span.end, span.end_precision),
                span_source=display.source_link(span.source, snap),
            )
        )
    return display.HTML("".join(f"<p>{i}</p>" for i in items))


def periods_figure(snapshot: Snapshot | None = None) -> charts.Figure:
    """Bars from start to end (or planned end) of each span, one row per span."""
    snap = snapshot or load()
    ru = i18n.language() == "ru"
    rows = []
    for r in snap.periods.itertuples(index=False):
        end, _ = _period_end(r)
        if end is None:
            continue
        rows.append(
            {
                "span": r.label_ru if ru else r.label,
                "start": str(r.start)[:10],
                "end": end.strftime("%Y-%m-%d"),
                "kind": t(PERIOD_KINDS[r.end_kind]),
                "source": r.source,
            }
        )
    data = pd.DataFrame(rows)
    kinds = [t(k) for k in PERIOD_KINDS.values()]
    chart = (
        alt.Chart(
            data,
            title=alt.Title(t("Spans of the programme"), subtitle=t("as each source dates them")),
        )
        .mark_bar(height=14)
        .encode(
            x=alt.X("start:T", title=t("Date")),
            x2="end:T",
            y=alt.Y("span:N", title=None, sort=None, axis=alt.Axis(labelLimit=260)),
            color=alt.Color(
                "kind:N",
                title=t("End"),
                scale=alt.Scale(domain=kinds, range=["#E69F00", "#0072B2"]),
            ),
            tooltip=[
                alt.Tooltip("span:N", title=t("Span")),
                alt.Tooltip("start:T", title=t("From"), format="%Y-%m"),
                alt.Tooltip("end:T", title=t("To"), format="%Y-%m"),
                alt.Tooltip("source:N", title=t("Source")),
            ],
        )
        .properties(height=alt.Step(24))
    )
    text = t(
        "Bar chart of {count} spans of the programme from {first} to {last}, one bar per span "
        "and source; the table below lists each span.",
        count=len(data),
        first=data.start.min()[:4],
        last=data.end.max()[:4],
    )
    return charts.Figure(
        chart, data, text, list(dict.fromkeys(data.source)), snap, label="programme-spans"
    )


def _date(iso: str, precision: str) -> str:
    return facts.date(str(iso)[:10], precision, i18n.language())


def _events(tl: pd.DataFrame) -> pd.Series:
    return tl.event_ru if i18n.language() == "ru" else tl.event


def _timeline(snap: Snapshot, country: str | None) -> pd.DataFrame:
    tl = snap.timeline.sort_values(["date", "id"])
    if country is None:
        return tl[tl.country.isna() | (tl.country == "")]
    return tl[tl.country == country]


def timeline_table(snapshot: Snapshot | None = None, country: str | None = None):
    """Dated events, each with its source: the programme's (no country) or one country's."""
    snap = snapshot or load()
    tl = _timeline(snap, None if country is None else snap.country_code(country))
    if tl.empty:
        return display.note(t("No dated event in the snapshot concerns this country."))
    shown = pd.DataFrame(
        {
            t("Date"): [_date(d, p) for d, p in zip(tl.date, tl.precision, strict=True)],
            t("Event"): _events(tl).values,
            t("Phase"): tl.phase.map(lambda p: t(PHASE_NAMES[p])).values,
            t("Source"): [display.source_link(s, snap) for s in tl.source],
        }
    )
    return display.table(shown, html_columns=(t("Source"),))


def timeline_figure(snapshot: Snapshot | None = None) -> charts.Figure:
    snap = snapshot or load()
    tl = _timeline(snap, None).copy()
    tl["phase_name"] = tl.phase.map(lambda p: t(PHASE_NAMES[p]))
    tl["event_text"] = _events(tl).values
    data = tl[["date", "event_text", "phase_name", "source"]]
    phases = [t(p) for p in PHASE_NAMES.values()]
    chart = (
        alt.Chart(data, title=alt.Title(t("CACILM timeline"), subtitle=t("events by date")))
        .mark_tick(thickness=3, size=28)
        .encode(
            x=alt.X("date:T", title=t("Date")),
            y=alt.Y("phase_name:N", title=None, sort=phases, axis=alt.Axis(labelLimit=260)),
            color=alt.Color(
                "phase_name:N",
                legend=None,
                scale=alt.Scale(
                    domain=phases, range=["#999999", "#009E73", "#56B4E9", "#CC79A7", "#E69F00"]
                ),
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
        "Timeline of {events} from {first} to {last}, one tick per event, grouped by phase; "
        "the table below lists each event.",
        events=i18n.counted(len(data), "{count} events"),
        first=data.date.min()[:4],
        last=data.date.max()[:4],
    )
    return charts.Figure(
        chart, data, text, list(dict.fromkeys(data.source)), snap, label="timeline"
    )
