"""The World Bank's World Development Indicators, read through its API client `wbgapi`.

Each raw indicator the World Bank publishes for the five countries maps to one WDI series. A
series is read with `wbgapi.fetch` from the API's indicator endpoint (source 2 = WDI), and the
database's last-updated date (its vintage) with `wbgapi.source.get`.
"""

from __future__ import annotations

import datetime as dt

from kb.update.fetched import Fetched

PUBLISHER = "worldbank"
LABEL = "World Bank WDI"
API = "https://api.worldbank.org/v2"
WDI = 2
COUNTRIES = ("KAZ", "KGZ", "TJK", "TKM", "UZB")
YEARS = "1990:2030"

SERIES: dict[str, str] = {
    "land_area_km2": "AG.LND.TOTL.K2",
    "agricultural_land_pct": "AG.LND.AGRI.ZS",
    "arable_land_pct": "AG.LND.ARBL.ZS",
    "forest_area_km2": "AG.LND.FRST.K2",
    "forest_area_pct": "AG.LND.FRST.ZS",
    "population": "SP.POP.TOTL",
    "rural_population_pct": "SP.RUR.TOTL.ZS",
    "agriculture_value_added_pct_gdp": "NV.AGR.TOTL.ZS",
    "agriculture_employment_pct": "SL.AGR.EMPL.ZS",
    "freshwater_withdrawal_pct": "ER.H2O.FWTL.ZS",
    "agri_water_withdrawal_pct": "ER.H2O.FWAG.ZS",
    "renewable_water_per_capita_m3": "ER.H2O.INTR.PC",
    "protected_areas_pct": "ER.LND.PTLD.ZS",
    "gdp_per_capita_usd": "NY.GDP.PCAP.KD",
    "cereal_yield_kg_ha": "AG.YLD.CREL.KG",
    "irrigated_land_pct": "AG.LND.IRIG.AG.ZS",
}
"""Book indicator → WDI series code. Not here: CO₂ per person (WDI withdrew EN.ATM.CO2E.PC; its
successor EN.GHG.CO2.PC.CE.AR5 counts another quantity, from another source: a new indicator,
not an update of this one)."""


ESTIMATES = {"SL.AGR.EMPL.ZS": "modeled ILO estimate"}
"""Series whose every value WDI names an estimate (in the series name): their status."""


def request_path(series: str) -> str:
    """The API path `wbgapi.fetch` reads (the endpoint and language are wbgapi's)."""
    return f"country/{';'.join(COUNTRIES)}/indicator/{series}"


def vintage() -> str:
    """WDI's last-updated date (`YYYY-MM-DD`), from the API's record of the database."""
    import wbgapi

    record = wbgapi.source.get(WDI)
    return str(record["lastupdated"])[:10]


def fetch(indicator: str, last_updated: str) -> Fetched:
    """Every value of one indicator's WDI series for the five countries (blanks left out)."""
    import wbgapi

    series = SERIES[indicator]
    path = request_path(series)
    rows, name = [], series
    for row in wbgapi.fetch(path, {"source": WDI, "date": YEARS}):
        name = row["indicator"]["value"] or series
        if row.get("value") is None:
            continue
        flag = str(row.get("obs_status") or "")  # WDI flags no estimate or projection here
        note = [ESTIMATES.get(series, ""), f"obs_status={flag}" if flag else ""]
        rows.append(
            (
                row["countryiso3code"],
                int(row["date"]),
                float(row["value"]),
                "estimate" if series in ESTIMATES else "",
                "; ".join(n for n in note if n),
            )
        )
    request = f"{API}/{path}?source={WDI}&date={YEARS}&format=json"
    return Fetched(indicator, series, name, tuple(sorted(rows)), request, last_updated)


def source_id(series: str) -> str:
    return "wb-wdi-" + series.lower().replace(".", "-")


def source_row(fetched: Fetched, today: dt.date) -> dict[str, str]:
    """The `data/sources.csv` row that names the publisher, dataset, series and request."""
    code, updated = fetched.series, fetched.vintage
    return {
        "id": source_id(code),
        "title": f"World Development Indicators: {fetched.name} ({code})",
        "publisher": "World Bank",
        "publisher_ru": "Всемирный банк",
        "url": f"https://data.worldbank.org/indicator/{code}",
        "retrieved": today.isoformat(),
        "licence": "CC BY 4.0",
        "licence_ru": "CC BY 4.0",
        "vintage": f"WDI, last updated {updated}",
        "vintage_ru": f"WDI, обновлено {updated}",
        "note": f"Read with wbgapi from the World Bank API: {fetched.request}",
        "note_ru": f"Получено через wbgapi из API Всемирного банка: {fetched.request}",
        "year": updated[:4],
        "read_from": "",
    }
