"""The indicator registry: raw values as in data/, derived values as computed by hand."""

from __future__ import annotations

import csv

import pandas as pd
import pytest

from kb import indicators
from kb.data import load

from .conftest import ROOT

CONTRACT = [
    "land_area_km2",
    "population",
    "rural_population_pct",
    "agricultural_land_pct",
    "forest_area_km2",
    "forest_area_pct",
    "agriculture_value_added_pct_gdp",
    "agriculture_employment_pct",
    "land_degraded_pct",
]


def raw(indicator: str, country: str, year: int) -> float:
    """A value read straight from data/observations.csv with the csv module (no kb code)."""
    with (ROOT / "data" / "observations.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if (row["indicator"], row["country"], row["year"]) == (indicator, country, str(year)):
                return float(row["value"])
    raise LookupError((indicator, country, year))


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return indicators.table(load())


def value(table, indicator, country, year):
    hit = table[(table.indicator == indicator) & (table.country == country) & (table.year == year)]
    assert len(hit) == 1, (indicator, country, year, hit)
    return hit.iloc[0]


def test_table_has_the_published_columns(table):
    assert list(table.columns) == [
        "indicator",
        "country",
        "year",
        "value",
        "unit",
        "source",
        "status",
    ]
    assert not table.duplicated(["indicator", "country", "year", "source"]).any()


def test_contract_indicators_are_all_present(table):
    assert set(CONTRACT) <= set(table.indicator)
    for ind in CONTRACT:
        countries = set(table[table.indicator == ind].country)
        if ind == "land_degraded_pct":
            # No source in the snapshot reports SDG 15.3.1 for Tajikistan: it stays missing.
            assert countries == {"KAZ", "KGZ", "TKM", "UZB"}
        else:
            assert countries == {"KAZ", "KGZ", "TJK", "TKM", "UZB"}, ind


def test_every_row_has_a_source_that_resolves(table):
    known = set(load().sources.id)
    for sources in table.source.unique():
        assert sources and set(sources.split(";")) <= known, sources


def test_raw_values_pass_through_unchanged(table):
    assert value(table, "population", "KAZ", 2006).value == raw("population", "KAZ", 2006)
    assert value(table, "forest_area_pct", "TJK", 2015).value == raw("forest_area_pct", "TJK", 2015)


def test_forest_change_since_baseline(table):
    expected = raw("forest_area_km2", "UZB", 2020) - raw("forest_area_km2", "UZB", 2006)
    row = value(table, "forest_area_change_km2", "UZB", 2020)
    assert row.value == pytest.approx(expected)
    assert row.unit == "km²"
    assert value(table, "forest_area_change_km2", "UZB", 2006).value == 0
    pct = value(table, "forest_area_change_pct", "UZB", 2020).value
    assert pct == pytest.approx(expected / raw("forest_area_km2", "UZB", 2006) * 100)


def test_agricultural_land_per_person(table):
    share, area, people = (
        raw("agricultural_land_pct", "KGZ", 2015),
        raw("land_area_km2", "KGZ", 2015),
        raw("population", "KGZ", 2015),
    )
    row = value(table, "agricultural_land_per_person_ha", "KGZ", 2015)
    assert row.value == pytest.approx(share / 100 * area * 100 / people)
    assert set(row.source.split(";")) == {
        "wb-wdi-ag-lnd-agri-zs",
        "wb-wdi-ag-lnd-totl-k2",
        "wb-wdi-sp-pop-totl",
    }


def test_derived_values_only_where_all_inputs_exist(table):
    land_years = set(table[(table.indicator == "land_area_km2") & (table.country == "TKM")].year)
    derived_years = set(
        table[(table.indicator == "agricultural_land_km2") & (table.country == "TKM")].year
    )
    assert derived_years and derived_years <= land_years


def test_registry_metadata():
    reg = indicators.registry(load())
    assert reg["land_degraded_pct"].good_direction == "down"
    assert reg["forest_area_change_km2"].derived_from == ("forest_area_km2",)
    assert "og4" in reg["forest_area_change_km2"].outcomes  # inherited from its input


def test_change_since_baseline_leaves_missing_baseline_missing():
    frame = indicators.change_since_baseline("land_degraded_pct", load())
    # SDG 15.3.1 is reported for 2015 and 2019 only: there is no 2006 baseline to compare with.
    assert frame.change.isna().all()
    assert set(frame.country) == {"KAZ", "KGZ", "TKM", "UZB"}


def test_remembered_tables_still_record_what_each_page_reads():
    """A warm kernel reuses computed tables; every page must still record its data keys."""
    from kb import deps

    snap = load(ROOT / "data")
    deps.reset()
    first = indicators.table(snap, ["agricultural_land_per_person_ha"])
    recorded = set(deps.reads())
    assert {"obs:agricultural_land_pct", "obs:land_area_km2", "obs:population"} <= recorded
    deps.reset()
    again = indicators.table(snap, ["agricultural_land_per_person_ha"])
    assert set(deps.reads()) == recorded
    pd.testing.assert_frame_equal(first, again)
    again.loc[0, "value"] = -1.0  # callers get their own copy
    assert indicators.table(snap, ["agricultural_land_per_person_ha"]).loc[0, "value"] != -1.0


@pytest.fixture(scope="module")
def projected(tmp_path_factory):
    """The snapshot, copied, with a population projection for 2026 per country (as a publisher
    flags one: same series, status `projection`); the value is the country's latest estimate,
    which no page may show as 2026's."""
    import shutil

    data = tmp_path_factory.mktemp("projected") / "data"
    shutil.copytree(ROOT / "data", data)
    with (data / "observations.csv").open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        fields, rows = reader.fieldnames, list(reader)
    latest = {}
    for r in rows:
        if r["indicator"] == "population":
            latest[r["country"]] = r
    rows += [{**r, "year": "2026", "status": "projection"} for r in latest.values()]
    with (data / "observations.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return load(data), {(r["indicator"], r["country"], int(r["year"])) for r in latest.values()}


def test_a_projection_is_never_a_latest_value(projected):
    """Pages read `table()`: it leaves projections out, so the latest population stays the
    latest estimate, and the change since the baseline ends there too."""
    snap, estimates = projected
    table = indicators.table(snap)
    assert "projection" not in set(table.status)
    assert not table[(table.indicator == "population") & (table.year == 2026)].shape[0]
    latest = indicators.latest("population", snap)
    assert set(latest.year) == {year for _, _, year in estimates} and 2026 not in set(latest.year)
    change = indicators.change_since_baseline("population", snap)
    assert 2026 not in set(change.latest_year)


def test_downloads_keep_projections_marked_and_derived_values_inherit_them(projected):
    snap, _ = projected
    everything = indicators.table(snap, projections=True)
    marked = everything[everything.status == "projection"]
    assert {("population", "KAZ", 2026), ("population_change_pct", "KAZ", 2026)} <= {
        (r.indicator, r.country, r.year) for r in marked.itertuples()
    }
    assert len(marked[marked.indicator == "population"]) == 5
