"""Since CACILM: each country's LDN targets, commitments and UNCCD reports, sourced, on its page."""

from __future__ import annotations

import shutil

from kb.data import load, validate

from .conftest import ROOT, rewrite_csv


def test_every_commitment_has_its_russian_text_and_a_source_that_resolves():
    snap = load()
    rows = snap.commitments
    assert len(rows) >= 20
    assert set(rows.country) == {"KAZ", "KGZ", "TJK", "TKM", "UZB"}
    assert rows.source.isin(snap.sources.id).all()
    assert rows.text_ru.str.contains("[а-яё]", regex=True).all()


def test_a_commitment_of_an_unknown_kind_is_refused(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)

    def edit(rows):
        assert rows[0]["kind"] in {
            "ldn_target",
            "voluntary_commitment",
            "tsp_participation",
            "ldn_work",
            "national_report",
        }
        rows[0]["kind"] = "promise"

    rewrite_csv(data / "commitments.csv", edit)
    problems = validate(data)
    assert len(problems) == 1 and problems[0].startswith("data/commitments.csv:2:kind:")


def test_each_country_page_says_what_it_committed_to_since_cacilm(site):
    kgz = (site / "_generated/countries/kgz.html").read_text(encoding="utf-8")
    assert "Since CACILM: commitments and reporting" in kgz
    assert "LDN TSP 2.0" in kgz and "unccd-2023-ldn-tsp2-countries" in kgz
    tjk = (site / "ru/_generated/countries/tjk.html").read_text(encoding="utf-8")
    assert "После CACILM: обязательства и отчётность" in tjk
    assert "национальный доклад для КБО ООН" in tjk and "2014" in tjk
