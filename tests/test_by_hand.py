"""A page's template is a real notebook: run by hand, it gives the page's content.

An author or a workshop participant runs `book/templates/country.md` with papermill (or "Run all"
in JupyterLab) with the page's parameters; tables come out as on the built page, and charts as
Vega-Lite, which JupyterLab draws. Importing `kb` changes no global Altair setting.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import jupytext
import papermill as pm

from kb.build.pages import Job
from kb.paths import Paths
from tests.conftest import ROOT, chart_specs

HREF = re.compile(r'\s(?:href|id)="[^"]*"')


def _outputs(nb) -> list[dict]:
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]


def test_country_template_run_by_hand_gives_the_built_page(built_project, tmp_path, monkeypatch):
    job = Job("country.md", "countries/kgz", {"country": "KGZ", "lang": "ru"}, "Kyrgyz Republic")
    built = jupytext.read(job.output_path(Paths(built_project)))
    for name in [k for k in os.environ if k.startswith("KB_")]:
        monkeypatch.delenv(name)  # as in an author's JupyterLab: none of the build's settings
    by_hand = pm.execute_notebook(
        jupytext.read(ROOT / "book" / "templates" / "country.md"),
        str(tmp_path / "kgz-ru.ipynb"),
        parameters={"country": "KGZ", "lang": "ru"},
        cwd=str(ROOT),
        kernel_name="python3",
        progress_bar=False,
    )
    tables = [
        HREF.sub("", o["data"]["text/html"])
        for nb in (by_hand, built)
        for o in _outputs(nb)
        if "kb-table" in o.get("data", {}).get("text/html", "")
    ]
    half = len(tables) // 2
    assert half and tables[:half] == tables[half:]
    assert any("Показатель" in t for t in tables)  # the page's language, set by the template
    drawn = [
        o["data"]
        for o in _outputs(by_hand)
        if "application/vnd.vegalite.v5+json" in o.get("data", {})
    ]
    charts = Paths(built_project).charts
    figures = [
        json.loads(spec)
        for o in _outputs(built)
        for spec in chart_specs(o.get("data", {}).get("text/html", ""), charts)
    ]
    assert drawn and len(drawn) == len(figures)
    assert [d["application/vnd.vegalite.v5+json"] for d in drawn] == figures


def test_importing_kb_leaves_altair_settings_alone():
    probe = (
        "import altair as alt\n"
        "before = (alt.renderers.active, alt.theme.active)\n"
        "import kb, kb.charts, kb.dashboard, kb.maps, kb.programme, kb.projects\n"
        "print(before == (alt.renderers.active, alt.theme.active))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert result.stdout.strip() == "True", result.stderr
