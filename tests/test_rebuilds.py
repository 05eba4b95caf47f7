"""An incremental build equals a clean one: edits that pages, or Sphinx, read indirectly.

Each test edits one kind of input of a built copy of the project and rebuilds it, then checks
the published site shows the edit everywhere: another page's template (the workshop agenda reads
every module's minutes), the book's Sphinx extension, and state a kept kernel carries from page
to page. Two builds started at once do not race.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from kb.data import load
from kb.paths import Paths
from tests.conftest import KB, ROOT, run_kb, tree_digest


def _published_pages(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("*.html") if "_static" not in p.parts)


def test_agenda_follows_a_module_template_it_reads(built_copy):
    template = built_copy / "book" / "templates" / "workshop_m1.md"
    text = template.read_text(encoding="utf-8")
    minutes = int(re.search(r"teaching_minutes: (\d+)", text).group(1))
    template.write_text(
        text.replace(f"teaching_minutes: {minutes}", f"teaching_minutes: {minutes + 7}"),
        encoding="utf-8",
    )
    from kb import workshops

    expected = workshops.agenda(Paths(built_copy))
    result = run_kb(built_copy, "build")
    assert result.returncode == 0, result.stdout + result.stderr
    agenda = (built_copy / "_build/html/_generated/workshops/agenda.html").read_text("utf-8")
    cells = re.findall(r'<td class="kb-num">([^<]*)</td>', agenda)
    assert str(minutes + 7) in cells
    whole_day = expected.iloc[-1]
    assert str(whole_day["Teaching (min)"]) in cells and whole_day["Total"] in cells


def test_a_changed_sphinx_extension_rewrites_every_page_of_both_editions(built_copy, tmp_path):
    """The extension is code Sphinx runs for every page: a change to it reaches all of them."""
    # First an ordinary incremental build in this copy, so that Sphinx's saved environment
    # belongs to the copy's folder (a moved project is rebuilt in full, which hides the case).
    page = built_copy / "book" / "programme" / "benefits.md"
    page.write_text(page.read_text(encoding="utf-8") + "\nOne more sentence.\n", "utf-8")
    first = run_kb(built_copy, "build")
    assert first.returncode == 0, first.stdout + first.stderr
    package = tmp_path / "src" / "kb"
    shutil.copytree(ROOT / "src" / "kb", package, ignore=shutil.ignore_patterns("__pycache__"))
    extension = package / "sphinx_ext" / "__init__.py"
    text = extension.read_text(encoding="utf-8")
    assert '"Русская версия"' in text and '"English version"' in text
    extension.write_text(
        text.replace('"Русская версия"', '"Русская версия (новая)"').replace(
            '"English version"', '"English version (new)"'
        ),
        encoding="utf-8",
    )
    env = {**os.environ, "KB_ROOT": str(built_copy), "PYTHONPATH": str(package.parent)}
    result = subprocess.run(
        [KB, "build"], cwd=built_copy, env=env, capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, result.stdout + result.stderr
    site = built_copy / "_build" / "html"
    stale = []
    for page in _published_pages(site):
        html = page.read_text(encoding="utf-8")
        if 'class="kb-lang-switch"' not in html:
            continue
        new = "English version (new)" if "/ru/" in f"/{page.relative_to(site)}" else "(новая)"
        if new not in html:
            stale.append(str(page.relative_to(site)))
    assert not stale, f"pages still showing the old language switch: {stale}"


def test_a_style_sheet_edit_alone_reaches_both_editions(built_copy):
    """Sphinx copies static and extra files only when a page changed: an edit to them alone
    (no page changes) must still be published, in both editions."""
    sheet = built_copy / "book" / "_static" / "kb.css"
    sheet.write_text(sheet.read_text(encoding="utf-8") + "\n/* kb-probe */\n", encoding="utf-8")
    result = run_kb(built_copy, "build")
    assert result.returncode == 0, result.stdout + result.stderr
    site = built_copy / "_build" / "html"
    for copy in (site / "_static" / "kb.css", site / "ru" / "_static" / "kb.css"):
        assert "kb-probe" in copy.read_text(encoding="utf-8"), copy


def test_a_page_cannot_change_the_tables_other_pages_read():
    """Pages share a kernel and its snapshot: each gets its own copy of a table."""
    snap = load()
    first = snap.projects
    first.loc[first.index[0], "title"] = "changed by a page"
    first["extra"] = 1
    again = load().projects
    assert again.loc[again.index[0], "title"] != "changed by a page"
    assert "extra" not in again.columns


def test_two_builds_at_once_do_not_race(built_copy):
    """The second build waits for the first (one line says so); both succeed, no traceback."""
    (built_copy / "data" / "observations.csv").write_text(
        (built_copy / "data" / "observations.csv")
        .read_text(encoding="utf-8")
        .replace("forest_area_pct,KAZ,2020,", "forest_area_pct,KAZ,2020,1", 1),
        encoding="utf-8",
    )
    env = {**os.environ, "KB_ROOT": str(built_copy)}
    runs = [
        subprocess.Popen(
            [KB, "build"],
            cwd=built_copy,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=900) for run in runs]
    for run, (out, err) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, out + err
        assert "Traceback" not in err, err
    assert any("waits for it" in err for _, err in outputs)


def test_a_bare_jupyter_book_build_stops_in_one_line_and_leaves_the_site(built_copy):
    """`jupyter-book build .` would publish pages that were never executed: it is refused."""
    site = built_copy / "_build" / "html"
    before = tree_digest(site)
    jupyter_book = str(Path(KB).with_name("jupyter-book"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("KB_")}
    result = subprocess.run(
        [jupyter_book, "build", "."],
        cwd=built_copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0
    assert "run `make book`" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert tree_digest(site) == before


def test_build_code_is_not_an_input_of_pages(built_copy, tmp_path):
    """Pages import the domain part of kb (`kb/*.py`); editing the build part re-runs none."""
    package = tmp_path / "src" / "kb"
    shutil.copytree(ROOT / "src" / "kb", package, ignore=shutil.ignore_patterns("__pycache__"))
    pipeline = package / "build" / "pipeline.py"
    pipeline.write_text(pipeline.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    env = {**os.environ, "KB_ROOT": str(built_copy), "PYTHONPATH": str(package.parent)}
    result = subprocess.run(
        [KB, "build"], cwd=built_copy, env=env, capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"notebooks: 0 executed, \d+ unchanged", result.stdout), result.stdout
