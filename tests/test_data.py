"""Validation of data/: the real snapshot passes; each class of bad input is reported precisely."""

from __future__ import annotations

import csv
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from kb.data import load, validate

from .conftest import KB, ROOT, rewrite_csv, run_kb

DATA = ROOT / "data"


@pytest.fixture()
def data(tmp_path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    return target


def edit(path: Path, line: int, column: str, value: str) -> None:
    """Set one cell of a CSV file (line numbers as in an editor; header is line 1)."""
    rows = list(csv.reader(path.open(encoding="utf-8", newline="")))
    rows[line - 1][rows[0].index(column)] = value
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)


def obs_line(indicator: str, country: str, year: int) -> int:
    for number, row in enumerate(
        csv.DictReader((DATA / "observations.csv").open(encoding="utf-8")), start=2
    ):
        if (row["indicator"], row["country"], row["year"]) == (indicator, country, str(year)):
            return number
    raise LookupError((indicator, country, year))


def test_real_snapshot_is_valid():
    assert validate(DATA) == []


def test_kb_validate_passes_on_the_real_snapshot():
    result = subprocess.run([KB, "validate"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("data/ is valid")


def test_not_a_number(data):
    line = obs_line("population", "KAZ", 2006)
    edit(data / "observations.csv", line, "value", "abc")
    assert validate(data) == [f"data/observations.csv:{line}:value: 'abc' is not a number"]


def test_percentage_above_100(data):
    line = obs_line("forest_area_pct", "KGZ", 2010)
    edit(data / "observations.csv", line, "value", "150")
    assert validate(data) == [
        f"data/observations.csv:{line}:value: 150 is above the maximum 100 for forest_area_pct "
        "(% of land area)"
    ]


def test_negative_area(data):
    line = obs_line("land_area_km2", "TJK", 2010)
    edit(data / "observations.csv", line, "value", "-5")
    assert validate(data) == [
        f"data/observations.csv:{line}:value: -5 is below the minimum 0 for land_area_km2 (km²)"
    ]


def test_year_out_of_range(data):
    line = obs_line("population", "UZB", 2010)
    edit(data / "observations.csv", line, "year", "1850")
    problems = validate(data)
    assert f"data/observations.csv:{line}:year: 1850 is below the minimum 1990" in problems


def test_future_year(data):
    line = obs_line("population", "UZB", 2011)
    edit(data / "observations.csv", line, "year", str(time.localtime().tm_year + 1))
    assert any(
        p.startswith(f"data/observations.csv:{line}:year: ") and "above the maximum" in p
        for p in validate(data)
    )


def test_unknown_country(data):
    line = obs_line("population", "KGZ", 2000)
    edit(data / "observations.csv", line, "country", "AFG")
    assert validate(data) == [
        f"data/observations.csv:{line}:country: 'AFG' is not a known country "
        "(see data/countries.csv)"
    ]


def test_unknown_indicator(data):
    line = obs_line("population", "KGZ", 2001)
    edit(data / "observations.csv", line, "indicator", "populaton")
    assert validate(data) == [
        f"data/observations.csv:{line}:indicator: 'populaton' is not a known indicator id "
        "(see data/indicators.csv)"
    ]


def test_source_that_does_not_resolve(data):
    line = obs_line("population", "KGZ", 2002)
    edit(data / "observations.csv", line, "source", "no-such-source")
    assert validate(data) == [
        f"data/observations.csv:{line}:source: 'no-such-source' is not a known source id "
        "(see data/sources.csv)"
    ]


def test_a_table_is_checked_again_when_a_table_it_points_to_changes(data, tmp_path):
    """With a cache (as `kb build` validates), a table unchanged since its last check keeps its
    verdict only while the tables its foreign keys point to are unchanged too: removing a
    source that observations cite is reported in observations.csv."""
    cache = tmp_path / "validated"
    assert validate(data, cache=cache) == []
    cited = next(csv.DictReader((data / "observations.csv").open(encoding="utf-8")))["source"]
    rewrite_csv(
        data / "sources.csv", lambda rows: rows.remove(next(r for r in rows if r["id"] == cited))
    )
    problems = validate(data, cache=cache)
    assert problems and problems == validate(data)  # the same verdict as without a cache
    assert any(
        p.startswith("data/observations.csv:2:source:") and repr(cited) in p for p in problems
    ), problems
    rewrite_csv(data / "sources.csv", lambda rows: None)  # same rows, same bytes: no change
    assert validate(data, cache=cache) == problems


def test_project_source_list_is_checked(data):
    edit(data / "projects.csv", 3, "source", "adb-38464-012;missing-doc")
    assert validate(data) == [
        "data/projects.csv:3:source: 'missing-doc' is not a known source id (see data/sources.csv)"
    ]


def test_text_without_its_russian_twin(data):
    edit(data / "sources.csv", 3, "note_ru", "")
    edit(data / "financing.csv", 2, "note_ru", "")
    assert validate(data) == [
        "data/financing.csv:2:note_ru: missing Russian for 'note'",
        "data/sources.csv:3:note_ru: missing Russian for 'note'",
    ]


def test_duplicate_observation(data):
    path = data / "observations.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.append(lines[1])
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert validate(data) == [
        f"data/observations.csv:{len(lines)}:indicator: duplicate (indicator, country, year, "
        "source) already on line 2"
    ]


def test_markup_in_a_project_title_is_refused(data):
    """A project title is its page's heading, where a theme shows it unescaped when printing."""
    rewrite_csv(data / "projects.csv", lambda rows: rows[2].update(title="A <b>bold</b> title"))
    assert validate(data) == [
        "data/projects.csv:4:title: a project title is its page's heading: no '<' or '>' in it"
    ]


def test_a_result_naming_an_unknown_project_or_outcome_group_is_refused(data):
    def edit(rows):
        rows[0]["project"] = "no-such-project"
        rows[1]["outcome"] = "og9"

    rewrite_csv(data / "results.csv", edit)
    assert validate(data) == [
        "data/results.csv:2:project: 'no-such-project' is not a known project id "
        "(see data/projects.csv)",
        "data/results.csv:3:outcome: 'og9' is not a known outcome id (see data/outcomes.csv)",
    ]


def test_row_with_too_few_columns(data):
    path = data / "observations.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.append("population,KAZ,2001")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert validate(data) == [
        f"data/observations.csv:{len(lines)}:3: 3 columns where the header has 7"
    ]


def test_not_utf8(data):
    path = data / "countries.csv"
    path.write_bytes(path.read_bytes().replace("Казахстан".encode(), "Казахстан".encode("cp1251")))
    problems = validate(data)
    assert len(problems) == 1
    assert problems[0].startswith("data/countries.csv:2:")
    assert "not UTF-8" in problems[0]


def test_missing_column(data):
    path = data / "sources.csv"
    rows = list(csv.reader(path.open(encoding="utf-8", newline="")))
    idx = rows[0].index("licence")
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows([r[:idx] + r[idx + 1 :] for r in rows])
    problems = validate(data)
    assert "data/sources.csv:1:licence: missing column 'licence'" in problems


def test_empty_file(data):
    (data / "indicators.csv").write_text("", encoding="utf-8")
    assert validate(data) == ["data/indicators.csv:1:1: file is empty (expected a header row)"]


def test_every_problem_is_reported_at_once(data):
    a, b = obs_line("population", "KAZ", 2000), obs_line("population", "TKM", 2000)
    edit(data / "observations.csv", a, "value", "many")
    edit(data / "observations.csv", b, "country", "XYZ")
    problems = validate(data)
    assert len(problems) == 2
    assert problems[0].startswith(f"data/observations.csv:{a}:value:")
    assert problems[1].startswith(f"data/observations.csv:{b}:country:")


def test_load_returns_typed_frames():
    snap = load(DATA)
    assert set(snap.countries.iso3) == {"KAZ", "KGZ", "TJK", "TKM", "UZB"}
    assert snap.observations.value.dtype.kind == "f"
    assert snap.country_name("KGZ", "ru", form="full") == "Кыргызская Республика"
    assert snap.country_name("KGZ", "ru") == "Кыргызстан"
    assert snap.country_name("KGZ", "en") == "Kyrgyzstan"


def test_cli_reports_bad_data_without_traceback(tmp_path):
    from .conftest import copy_project

    root = copy_project(tmp_path / "project")
    line = obs_line("population", "KAZ", 2006)
    edit(root / "data" / "observations.csv", line, "value", "abc")
    result = run_kb(root, "validate")
    assert result.returncode == 1
    assert f"data/observations.csv:{line}:value: 'abc' is not a number" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_a_country_is_found_by_code_or_name_and_a_typo_is_an_error():
    """Workshop participants type `kgz` or `Kyrgyzstan`: both mean KGZ; a typo stops with the
    five codes, instead of a page that says "not reported" everywhere and "0 projects"."""
    from kb import projects
    from kb.errors import KbError

    snap = load()
    for text in ("KGZ", "kgz", "Kyrgyzstan", "Kyrgyz Republic", "Кыргызстан"):
        assert snap.country_code(text) == "KGZ"
    with pytest.raises(KbError, match=r"unknown country 'Kyrgyzia'; use one of KAZ"):
        snap.country_code("Kyrgyzia")
    with pytest.raises(KbError, match="unknown country 'kgzz'"):
        projects.table(snap, country="kgzz")
    assert "kgz-susamyr-pasture.html" in projects.table(snap, country="kgz").data
