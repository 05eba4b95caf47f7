"""`kb update` offline: the real clients (wbgapi, sdmx1) read recorded World Bank and UN SDG API
responses (tests/fixtures/worldbank, tests/fixtures/unsd) through `responses`, which answers
requests' calls; no network."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
import responses

from kb.errors import KbError
from kb.paths import Paths
from kb.update import update

from .conftest import ROOT, copy_project, rewrite_csv, tree_digest

FIXTURES = Path(__file__).parent / "fixtures" / "worldbank"
API = r"https://api\.worldbank\.org/v2/en/"
SDG_RESPONSE = Path(__file__).parent / "fixtures" / "unsd" / "AG_LND_DGRD.xml"
SDG_API = re.compile(r"https?://data\.un\.org/WS/rest/data/DF_SDG_GLH/A\.G\.AG_LND_DGRD\.398\+")
SDG_TYPE = "application/vnd.sdmx.genericdata+xml; version=2.1"
TODAY = dt.date(2026, 12, 3)
WANTED = ["land_area_km2", "forest_area_pct"]


def _series_url(code: str):
    return re.compile(API + r"country/[A-Z;]+/indicator/" + re.escape(code) + r"\?")


def _record(mock, **series_body):
    mock.get(
        re.compile(API + r"sources/2\?"), json=json.loads((FIXTURES / "source-2.json").read_text())
    )
    for code in ("AG.LND.TOTL.K2", "AG.LND.FRST.ZS"):
        body = series_body.get(code.replace(".", "_"))
        if body is None:
            mock.get(_series_url(code), json=json.loads((FIXTURES / f"{code}.json").read_text()))
        else:
            mock.get(_series_url(code), **body)


def update_from_recordings(root: Path) -> None:
    """`kb update` of the land and forest series (World Bank) and of SDG 15.3.1 (UN) in the
    project at `root`, answered by the recorded responses (used by the edited book of conftest)."""
    with responses.RequestsMock() as mock:
        _record(mock)
        _record_sdg(mock)
        update(Paths(root), [*WANTED, "unsd"], today=TODAY, backoff=0, progress=False)


@pytest.fixture()
def project(tmp_path) -> Paths:
    """A copy of the project whose snapshot predates WDI's 2023 land areas (they are dropped), so
    that the recorded responses add values as well as revise and withdraw them."""
    root = copy_project(tmp_path / "project")

    def before_2023(rows):
        rows[:] = [r for r in rows if (r["indicator"], r["year"]) != ("land_area_km2", "2023")]

    rewrite_csv(root / "data" / "observations.csv", before_2023)
    return Paths(root)


def test_an_update_reports_added_revised_and_withdrawn_values_and_writes_them(project):
    with responses.RequestsMock() as mock:
        _record(mock)
        changes = update(project, WANTED, today=TODAY, backoff=0, progress=False)
    assert ("land_area_km2", "KAZ", 2023, 2699700.0) in changes.added
    revised = changes.largest_revisions()
    assert revised[0][:3] == ("forest_area_pct", "UZB", 2020)
    assert revised[0][4] == pytest.approx(revised[0][3] + 0.5)
    assert [w[:3] for w in changes.withdrawn] == [("forest_area_pct", "TKM", 1992)]
    assert changes.unchanged > 250
    observations = (project.data / "observations.csv").read_text(encoding="utf-8")
    assert "land_area_km2,KAZ,2023,2699700,wb-wdi-ag-lnd-totl-k2,," in observations
    assert "forest_area_pct,TKM,1992," not in observations
    sources = (project.data / "sources.csv").read_text(encoding="utf-8")
    row = next(line for line in sources.splitlines() if line.startswith("wb-wdi-ag-lnd-totl-k2,"))
    assert "World Bank" in row and "AG.LND.TOTL.K2" in row and "2025-07-01" in row
    assert "2026-12-03" in row and "api.worldbank.org/v2/country/KAZ;KGZ;TJK;TKM;UZB" in row
    assert "github.com" not in row  # read from the publisher's API: no copy to name
    report = (project.build / "update-report.md").read_text(encoding="utf-8")
    assert "| forest_area_pct | UZB | 2020 |" in report and "withdrawn" in report.lower()


def test_a_dry_run_reports_and_writes_nothing(project):
    before = tree_digest(project.data)
    with responses.RequestsMock() as mock:
        _record(mock)
        changes = update(project, WANTED, dry_run=True, today=TODAY, backoff=0, progress=False)
    assert changes.any
    assert tree_digest(project.data) == before
    assert "dry run" in (project.build / "update-report.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "failure, words",
    [
        ({"status": 503}, "Service Unavailable"),
        ({"body": "<html>maintenance</html>"}, "JSON"),
        ({"json": {"unexpected": "shape"}}, "malformed response"),
    ],
    ids=["http-error", "not-json", "malformed"],
)
def test_a_failed_fetch_writes_nothing_and_says_so_in_one_line(project, failure, words):
    """The forest series fails after the land series was read: a partial failure."""
    before = tree_digest(project.data)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        _record(mock, AG_LND_FRST_ZS=failure)
        with pytest.raises(KbError) as caught:
            update(project, WANTED, today=TODAY, backoff=0, progress=False)
    (line,) = caught.value.lines
    assert "AG.LND.FRST.ZS" in line and words in line and "nothing was written" in line
    assert tree_digest(project.data) == before


def test_an_update_the_schema_refuses_writes_nothing(project):
    """A value the snapshot's rules refuse (a share above 100 %) stops the update."""
    body = json.loads((FIXTURES / "AG.LND.FRST.ZS.json").read_text())
    body[1][0]["value"] = 140.0
    before = tree_digest(project.data)
    with responses.RequestsMock() as mock:
        _record(mock, AG_LND_FRST_ZS={"json": body})
        with pytest.raises(KbError) as caught:
            update(project, WANTED, today=TODAY, backoff=0, progress=False)
    assert any(
        "data/observations.csv:" in line and "above the maximum" in line
        for line in caught.value.lines
    )
    assert tree_digest(project.data) == before


def test_an_unknown_source_name_is_one_line():
    with pytest.raises(KbError, match="unknown source 'wdi-land'"):
        update(Paths(ROOT), ["wdi-land"], progress=False)


def test_kb_update_dry_run_prints_the_change_report(project, monkeypatch):
    from typer.testing import CliRunner

    from kb.build.cli import app

    monkeypatch.setenv("KB_ROOT", str(project.root))
    before = tree_digest(project.data)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        _record(mock)
        result = CliRunner().invoke(app, ["update", "worldbank", "--dry-run"])
    assert result.exit_code == 1  # the other WDI series have no recorded response …
    assert "nothing was written" in result.output  # … so nothing is written, in one line
    with responses.RequestsMock() as mock:
        _record(mock)
        result = CliRunner().invoke(app, ["update", *WANTED, "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "revised forest_area_pct UZB 2020" in result.output
    assert "data/ would change: 5 added, 1 withdrawn, 1 revised" in result.output
    with responses.RequestsMock() as mock:
        _record_sdg(mock)
        result = CliRunner().invoke(app, ["update", "unsd", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "revised land_degraded_pct KGZ 2019: 9.58 → 10.08" in result.output
    assert "data/ would change: 1 added, 1 withdrawn, 1 revised" in result.output
    assert tree_digest(project.data) == before


def _record_sdg(mock, **answer):
    """The UN SDG API's answer for 15.3.1: the recorded message, or `answer` (a failure)."""
    mock.get(SDG_API, **(answer or {"body": SDG_RESPONSE.read_bytes(), "content_type": SDG_TYPE}))


def test_an_sdg_update_reads_the_un_database_through_sdmx(project):
    before = (project.data / "observations.csv").read_text(encoding="utf-8")
    assert ",TJK," not in "".join(line for line in before.splitlines() if "land_degraded" in line)
    with responses.RequestsMock() as mock:
        _record_sdg(mock)
        changes = update(project, ["unsd"], today=TODAY, backoff=0, progress=False)
    assert changes.added == [("land_degraded_pct", "KAZ", 2023, 21.31)]
    assert changes.revised == [("land_degraded_pct", "KGZ", 2019, 9.58, 10.08)]
    assert changes.withdrawn == [("land_degraded_pct", "TKM", 2015, 17.06)]
    observations = (project.data / "observations.csv").read_text(encoding="utf-8").splitlines()
    degraded = [line for line in observations if line.startswith("land_degraded_pct,")]
    assert len(degraded) == 8 and not any(",TJK," in line for line in degraded)  # not reported
    assert (
        "land_degraded_pct,KAZ,2023,21.31,unsd-sdg-ag-lnd-dgrd,estimate,"
        "nature=E (Estimated data); reporting agency: Ministry of Agriculture; reportingType=G"
    ) in degraded
    assert any(
        line.startswith("land_degraded_pct,KAZ,2019,21.31,unsd-sdg-ag-lnd-dgrd,reported,")
        for line in degraded
    )
    sources = (project.data / "sources.csv").read_text(encoding="utf-8")
    row = next(line for line in sources.splitlines() if line.startswith("unsd-sdg-ag-lnd-dgrd,"))
    assert "United Nations Statistics Division" in row and "AG_LND_DGRD" in row
    assert "DF_SDG_GLH 1.26" in row and "2026-12-03" in row and "sdmx1" in row
    assert "github.com" not in row
    registry = (project.data / "indicators.csv").read_text(encoding="utf-8")
    (entry,) = [line for line in registry.splitlines() if line.startswith("land_degraded_pct,")]
    assert ",unsd-sdg-ag-lnd-dgrd," in entry


@pytest.mark.parametrize(
    "failure, words",
    [
        ({"status": 500, "body": "Internal Server Error"}, "500"),
        ({"body": "<html>maintenance</html>", "content_type": "text/html"}, "text/html"),
        (
            {"body": SDG_RESPONSE.read_bytes()[:900], "content_type": SDG_TYPE},
            "XMLSyntaxError",
        ),
    ],
    ids=["http-error", "not-sdmx", "truncated"],
)
def test_a_failed_sdg_fetch_after_a_good_one_writes_nothing(project, failure, words):
    """The World Bank series are read, then the SDG API fails: nothing is written."""
    before = tree_digest(project.data)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        _record(mock)
        _record_sdg(mock, **failure)
        with pytest.raises(KbError) as caught:
            update(project, [*WANTED, "land_degraded_pct"], today=TODAY, backoff=0, progress=False)
    (line,) = caught.value.lines
    assert "UN SDG Global Database AG_LND_DGRD" in line and "nothing was written" in line
    assert words in line
    assert tree_digest(project.data) == before
