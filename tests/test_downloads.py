"""The published downloads: chart files named by their content, a reproducible site, and CSV
cells that a spreadsheet cannot run as formulas (GitHub issue 14, items 1, 6 and 8)."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd

from kb import charts, csvsafe, indicators
from kb.data import load

from .conftest import copy_project, rewrite_csv, run_kb, tree_digest

PER_PERSON = "agricultural_land_per_person_ha"


def _value(snapshot, indicator: str, country: str, year: int) -> float:
    frame = indicators.series(indicator, snapshot)
    row = frame[(frame.country == country) & (frame.year == year)]
    assert len(row) == 1, row
    return float(row.value.iloc[0])


def _read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, float_precision="round_trip")


def _linked_files(site: Path) -> set[str]:
    linked = set()
    for page in site.rglob("*.html"):
        linked |= set(re.findall(r"charts/([\w.-]+\.(?:csv|svg))", page.read_text("utf-8")))
    return linked


# ---------------------------------------------------------------- item 1: stale chart downloads


def test_chart_csv_follows_a_data_edit_beyond_the_chart_rounding(built_copy):
    site = built_copy / "_build" / "html"
    old = _value(load(built_copy / "data"), PER_PERSON, "KAZ", 2018)
    path = built_copy / "data" / "observations.csv"
    text = path.read_text(encoding="utf-8")
    line = next(ln for ln in text.splitlines() if ln.startswith("population,KAZ,2018,"))
    cells = line.split(",")
    cells[3] = str(int(cells[3]) + 1)
    path.write_text(text.replace(line + "\n", ",".join(cells) + "\n"), encoding="utf-8")

    result = run_kb(built_copy, "build")
    assert result.returncode == 0, result.stdout + result.stderr

    new = _value(load(built_copy / "data"), PER_PERSON, "KAZ", 2018)
    assert new != old and f"{new:.6g}" == f"{old:.6g}"  # the edit is below the chart's rounding
    page = (site / "_generated" / "countries" / "kaz.html").read_text(encoding="utf-8")
    linked = set(re.findall(rf"charts/({PER_PERSON}-[0-9a-f]{{16}}\.csv)", page))
    assert linked, "the Kazakhstan page links no agricultural-land-per-person CSV"
    for name in linked:
        data = _read_csv(site / "charts" / name)
        row = data[(data.country == "KAZ") & (data.year == 2018)]
        assert row.value.tolist() == [new], name
    # No published CSV (chart downloads, data downloads, both editions) holds the old value.
    for csv_file in site.rglob("*.csv"):
        assert repr(old) not in csv_file.read_text(encoding="utf-8"), csv_file
    for csv_file in (site / "charts").glob(f"{PER_PERSON}-*.csv"):
        data = _read_csv(csv_file)
        assert old not in data.value.tolist(), csv_file
    # Each download is named by its own bytes, and charts/ holds exactly the linked files.
    for f in (site / "charts").iterdir():
        assert f.name.rsplit("-", 1)[1].split(".")[0] == charts._digest(f.read_bytes()), f.name
    assert _linked_files(site) == {p.name for p in (site / "charts").iterdir()}


# ---------------------------------------------------------------- item 6: reproducible site


_RENDER_TWICE = """
from kb import charts, maps
from kb.data import load
snap = load()
first = maps.choropleth("land_degraded_pct", snap).spec()
other = maps.choropleth_selector(["land_degraded_pct", "forest_area_pct"], snap).spec()
a = charts._render_svg(first)
charts._render_svg(other)
b = charts._render_svg(first)
print(a == b, b'id="gradient_0"' in a and b"url(#gradient_0)" in a)
"""


def test_same_svg_bytes_whatever_was_rendered_before():
    """vl-convert numbers gradient ids per process; the downloads must not show it.

    Rendered in a child process: vl-convert's runtime does not survive a fork, and later tests
    fork page workers from this one."""
    result = subprocess.run(
        [sys.executable, "-c", _RENDER_TWICE], capture_output=True, text=True, timeout=300
    )
    assert result.stdout.split() == ["True", "True"], result.stdout + result.stderr


def test_stable_svg_ids_renumbers_definitions_and_references():
    svg = (
        '<svg><defs><linearGradient id="gradient_7"/><clipPath id="clip12"/>'
        '<linearGradient id="gradient_3"/></defs><path fill="url(#gradient_7)"/>'
        '<g clip-path="url(#clip12)"/><use href="#gradient_3"/><text>id 9</text></svg>'
    )
    assert charts.stable_svg_ids(svg) == (
        '<svg><defs><linearGradient id="gradient_0"/><clipPath id="clip0"/>'
        '<linearGradient id="gradient_1"/></defs><path fill="url(#gradient_0)"/>'
        '<g clip-path="url(#clip0)"/><use href="#gradient_1"/><text>id 9</text></svg>'
    )


def test_two_clean_builds_give_byte_identical_sites(site, tmp_path):
    """The session's clean build and a second clean build, in another folder, in another run."""
    root = copy_project(tmp_path / "second" / "project")
    result = run_kb(root, "build")
    assert result.returncode == 0, result.stdout + result.stderr
    a, b = site, root / "_build" / "html"
    if tree_digest(a) != tree_digest(b):
        files_a = {p.relative_to(a) for p in a.rglob("*") if p.is_file()}
        files_b = {p.relative_to(b) for p in b.rglob("*") if p.is_file()}
        differing = sorted(
            str(p)
            for p in files_a | files_b
            if p not in files_a or p not in files_b or (a / p).read_bytes() != (b / p).read_bytes()
        )
        raise AssertionError(f"{len(differing)} files differ: {differing[:50]}")


# ---------------------------------------------------------------- item 8: CSV injection


def test_csv_rule_prefixes_formula_text_and_leaves_numbers():
    frame = pd.DataFrame(
        {
            "value": [-12.5, 3.0, 0.25],
            "text": ["+1 text", "@SUM(A1)", "-7"],
            "more": ["=1+1", "\tcmd", None],
            "plain": ["a-b", "x=1", "Kazakhstan"],
        }
    )
    safe = csvsafe.frame(frame)
    assert safe.value.tolist() == [-12.5, 3.0, 0.25]
    assert safe.text.tolist() == ["'+1 text", "'@SUM(A1)", "-7"]
    assert safe.more.tolist()[:2] == ["'=1+1", "'\tcmd"] and pd.isna(safe.more.iloc[2])
    assert safe.plain.tolist() == ["a-b", "x=1", "Kazakhstan"]
    assert frame.text.tolist()[0] == "+1 text"  # the input frame is not changed
    rows = list(csv.reader(io.StringIO(csvsafe.to_csv(frame, index=False))))
    assert rows[1] == ["-12.5", "'+1 text", "'=1+1", "a-b"]
    assert csvsafe.cell("-0.5e3") == "-0.5e3" and csvsafe.cell(-3) == -3
    assert csvsafe.cell("-") == "'-" and csvsafe.cell("\rx") == "'\rx"


def test_copying_a_table_neutralises_it_and_keeps_clean_ones_byte_for_byte(tmp_path):
    clean = tmp_path / "clean.csv"
    clean.write_bytes(b'id,note\na,"quoted, text"\nb,-5\n')
    csvsafe.copy_table(clean, tmp_path / "clean-copy.csv")
    assert (tmp_path / "clean-copy.csv").read_bytes() == clean.read_bytes()
    hostile = tmp_path / "hostile.csv"
    hostile.write_bytes(b'id,note\na,"=cmd|\' /C calc\'!A0"\nb,-5\nc,"x, y"\n')
    csvsafe.copy_table(hostile, tmp_path / "hostile-copy.csv")
    assert (tmp_path / "hostile-copy.csv").read_bytes() == (
        b"id,note\na,'=cmd|' /C calc'!A0\nb,-5\nc,\"x, y\"\n"
    )


def test_published_csvs_carry_no_formulas(built_copy):
    formula = '=HYPERLINK("http://example.invalid","x")'
    projects = built_copy / "data" / "projects.csv"
    rows = list(csv.DictReader(projects.open(encoding="utf-8")))
    rows[0]["title"] = formula
    with projects.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    # A table published as a copy of the source file: sources.csv.
    sources = built_copy / "data" / "sources.csv"
    rewrite_csv(sources, lambda rows: rows[0].update(note="@SUM(A1) +1 text"))

    result = run_kb(built_copy, "build")
    assert result.returncode == 0, result.stdout + result.stderr

    site = built_copy / "_build" / "html"
    for folder in (site / "data", site / "ru" / "data"):
        published = list(csv.DictReader((folder / "projects.csv").open(encoding="utf-8")))
        assert published[0]["title"] == "'" + formula
        published = list(csv.DictReader((folder / "sources.csv").open(encoding="utf-8")))
        assert published[0]["note"] == "'@SUM(A1) +1 text"
    # Every published CSV (data and chart downloads): no cell a spreadsheet would evaluate.
    for csv_file in site.rglob("*.csv"):
        for row in csv.reader(csv_file.open(encoding="utf-8", newline="")):
            for cell in row:
                assert csvsafe.cell(cell) == cell, (csv_file, cell)
