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
