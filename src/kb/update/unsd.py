"""The UN SDG Global Database, read through its SDMX API with the client `sdmx1`.

UN Statistics serves the global SDG indicators database as the SDMX dataflow
`IAEG-SDGs:DF_SDG_GLH` on data.un.org (sdmx1's source `UNSD`). A series is one dimension of its
key (`SERIES`); countries are M49 codes (`REF_AREA`); only the global reporting type (`G`, the
figures the UN publishes) is read. Each observation's `NATURE` attribute says what the value is.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io

from kb.update.fetched import Fetched, Row

PUBLISHER = "unsd"
LABEL = "UN SDG Global Database"
SOURCE = "UNSD"  # sdmx1's id for data.un.org
FLOW = "DF_SDG_GLH"
# The response format asked for: generic data needs no structure query before it can be read.
ACCEPT = "application/vnd.sdmx.genericdata+xml;version=2.1"
M49 = {"398": "KAZ", "417": "KGZ", "762": "TJK", "795": "TKM", "860": "UZB"}
BREAKDOWNS = 11  # the key's dimensions after REF_AREA (sex, age, location … product), all open

SERIES: dict[str, str] = {"land_degraded_pct": "AG_LND_DGRD"}
"""Book indicator → SDG series code (SDG 15.3.1). Its three sub-indicators (land cover, land
productivity, soil organic carbon) are not series of the global database."""
NAMES = {"AG_LND_DGRD": "Proportion of land that is degraded over total land area (%)"}
"""Each series' name in the database (the generic data message carries codes only)."""

NATURE = {
    "C": ("Country data", "reported"),
    "CA": ("Country adjusted data", "estimate"),
    "E": ("Estimated data", "estimate"),
    "G": ("Global monitoring data", "estimate"),
    "M": ("Modelled data", "estimate"),
    "N": ("Non-relevant", ""),
}
"""The SDG codelist's `NATURE` codes: its label, and the snapshot's status for it."""


def key(series: str) -> str:
    """The SDMX key: annual, global reporting, one series, the five countries."""
    return f"A.G.{series}.{'+'.join(M49)}" + "." * BREAKDOWNS


def vintage() -> str:
    """Empty: the database has no separate record; each data message names its structure."""
    return ""


def fetch(indicator: str, _vintage: str = "") -> Fetched:
    """Every value of one indicator's SDG series for the five countries."""
    import sdmx

    series = SERIES[indicator]
    client = sdmx.Client(SOURCE)
    # sdmx1 prints its parser state on a bad message; the error itself is reported in one line.
    with contextlib.redirect_stdout(io.StringIO()):
        message = client.data(FLOW, key=key(series), headers={"Accept": ACCEPT})
    rows: list[Row] = []
    structure = None
    for dataset in message.data:
        structure = dataset.structured_by or structure
        for series_key, observations in dataset.series.items():
            values = series_key.values
            country = M49.get(str(values["REF_AREA"].value))
            if country is None or str(values["SERIES"].value) != series:
                continue
            for obs in observations:
                if obs.value in (None, "", "NaN"):
                    continue
                rows.append(_row(country, obs, str(values["REPORTING_TYPE"].value)))
    request = client.data(FLOW, key=key(series), dry_run=True).url
    version = getattr(structure, "version", None)
    prepared = message.header.prepared
    return Fetched(
        indicator,
        series,
        NAMES[series],
        tuple(sorted(rows)),
        request,
        f"{FLOW} {version}" if version else FLOW,
        f"{prepared:%Y-%m-%d}" if prepared else "",
    )


def _row(country: str, obs, reporting_type: str) -> Row:
    attributes = {k: str(v.value) for k, v in obs.attached_attribute.items()}
    nature = attributes.get("NATURE", "")
    label, status = NATURE.get(nature, (nature, ""))
    note = [f"nature={nature} ({label})" if nature else ""]
    if attributes.get("SOURCE_DETAIL"):
        note.append(f"reporting agency: {attributes['SOURCE_DETAIL']}")
    note.append(f"reportingType={reporting_type}")
    year = int(str(obs.dimension.values["TIME_PERIOD"].value)[:4])
    return (country, year, float(obs.value), status, "; ".join(n for n in note if n))


def source_id(series: str) -> str:
    return "unsd-sdg-" + series.lower().replace("_", "-")


def source_row(fetched: Fetched, today: dt.date) -> dict[str, str]:
    """The `data/sources.csv` row naming the database, series, request and vintage."""
    code = fetched.series
    return {
        "id": source_id(code),
        "title": f"SDG indicator 15.3.1: {fetched.name}, series {code}",
        "publisher": "United Nations Statistics Division (UN SDG Global Database; custodian UNCCD)",
        "publisher_ru": (
            "Статистический отдел ООН (Глобальная база данных ООН по показателям ЦУР; "
            "учреждение-хранитель — КБО ООН)"
        ),
        "url": "https://unstats.un.org/sdgs/dataportal",
        "retrieved": today.isoformat(),
        "licence": "UN SDG Global Database terms of use (free to use with attribution)",
        "licence_ru": "условия использования Глобальной базы данных ООН по показателям ЦУР "
        "(свободное использование со ссылкой на источник)",
        "vintage": f"SDG Global Database (SDMX {fetched.vintage})"
        + (f", as served on {fetched.served}" if fetched.served else ""),
        "vintage_ru": f"Глобальная база данных ЦУР (SDMX {fetched.vintage})"
        + (f", по состоянию на {fetched.served}" if fetched.served else ""),
        "note": f"Read with sdmx1 from the UN SDMX API (generic data): {fetched.request}",
        "note_ru": f"Получено через sdmx1 из SDMX API ООН (generic data): {fetched.request}",
        "year": fetched.served[:4],
        "read_from": "",
    }
