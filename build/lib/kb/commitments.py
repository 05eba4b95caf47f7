"""What each country has committed to and reported since CACILM: land degradation neutrality
(LDN) targets, voluntary commitments, the LDN Target Setting Programme, national reports to the
UNCCD. SDG 15.3.1 as the countries reported it is an indicator (`land_degraded_pct`)."""

from __future__ import annotations

import pandas as pd

from kb import display, i18n
from kb.data import Snapshot, load
from kb.i18n import t

KINDS = {
    "ldn_target": "LDN target",
    "voluntary_commitment": "voluntary commitment",
    "tsp_participation": "LDN Target Setting Programme",
    "ldn_work": "preparatory work on LDN",
    "national_report": "national report to the UNCCD",
}


def table(country: str, snapshot: Snapshot | None = None):
    """One country's commitments and reports, oldest first, each with its source; a country
    no source speaks for says so."""
    snap = snapshot or load()
    iso3 = snap.country_code(country)
    f = snap.commitments[snap.commitments.country == iso3]
    if f.empty:
        return display.note(t("No source we could read states a commitment or report."))
    f = f.sort_values(["year", "id"], na_position="last")
    shown = pd.DataFrame(
        {
            t("Year"): ["—" if pd.isna(y) else str(int(y)) for y in f.year],
            t("Kind"): [t(KINDS[k]) for k in f.kind],
            t("What the source states"): i18n.localized(f, "text").values,
            t("Target year"): ["" if pd.isna(y) else str(int(y)) for y in f.target_year],
            t("Source"): [display.source_link(s, snap) for s in f.source],
        }
    )
    return display.table(shown, html_columns=(t("Source"),))
