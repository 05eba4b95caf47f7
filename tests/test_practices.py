"""SLM practices from WOCAT's database: sourced rows, linked to countries, projects and outcome
groups, shown on the catalogue, country and outcome pages of both editions."""

from __future__ import annotations

import csv
import re
import shutil

from kb.data import load, validate

from .conftest import ROOT, rewrite_csv


def _rows() -> list[dict[str, str]]:
    with (ROOT / "data" / "practices.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_twenty_or_more_practices_each_with_its_wocat_record_and_source():
    rows = _rows()
    snap = load()
    assert len(rows) >= 20
    sources = snap.sources.set_index("id")
    for row in rows:
        assert re.fullmatch(r"(technologies|approaches)_\d+", row["id"]), row["id"]
        assert row["country"] in {"KAZ", "KGZ", "TJK", "TKM", "UZB"}
        url = sources.loc[row["source"], "url"]
        assert url.startswith("https://qcat.wocat.net/") and row["id"] in url
        assert row["name_en"] or row["name_ru"]
    assert sum(r["cacilm_link"] == "yes" for r in rows) >= 5
    assert {r["project"] for r in rows if r["project"]} <= set(snap.projects.id)


def test_a_practice_naming_an_unknown_project_is_refused(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    rewrite_csv(data / "practices.csv", lambda rows: rows[0].update(project="no-such-project"))
    assert validate(data) == [
        "data/practices.csv:2:project: 'no-such-project' is not a known project id "
        "(see data/projects.csv)"
    ]


def test_practices_appear_on_the_catalogue_country_and_outcome_pages(site):
    catalogue = (site / "_generated/practices/catalogue.html").read_text(encoding="utf-8")
    ids = set(re.findall(r"<td[^>]*>((?:technologies|approaches)_\d+)</td>", catalogue))
    assert len(ids) == len(_rows())
    assert (
        'href="https://qcat.wocat.net/en/wocat/technologies/view/technologies_1137/"' in catalogue
    )
    tjk = (site / "_generated/countries/tjk.html").read_text(encoding="utf-8")
    assert "approaches_2444" in tjk and "technologies_1137" not in tjk  # Kyrgyz, not Tajik
    og5 = (site / "_generated/outcomes/og5.html").read_text(encoding="utf-8")
    assert "approaches_2444" in og5 and "technologies_1137" not in og5  # approaches serve (v)
    ru = (site / "ru/_generated/countries/kgz.html").read_text(encoding="utf-8")
    assert "Практики на местах" in ru and "Мониторинг состояния пастбищ" in ru
    kaz = (site / "ru/_generated/countries/kaz.html").read_text(encoding="utf-8")
    assert "Практик, описанных в базе данных WOCAT, здесь не записано." in kaz
