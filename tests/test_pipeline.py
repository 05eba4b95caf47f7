"""The build chain end to end: papermill templates, Jupyter Book, published data, failures."""

from __future__ import annotations

import csv
import dataclasses
import json

import nbformat
import pandas as pd

from kb import indicators
from kb.build import pages
from kb.build.execute import execute
from kb.data import load
from kb.paths import Paths

from .conftest import ROOT, copy_project, run_kb, tree_digest

COUNTRIES = {
    "kaz": "Kazakhstan",
    "kgz": "Kyrgyz Republic",
    "tjk": "Tajikistan",
    "tkm": "Turkmenistan",
    "uzb": "Uzbekistan",
}


def test_country_template_executes_with_papermill(tmp_path, monkeypatch):
    root = copy_project(tmp_path / "project")
    monkeypatch.setenv("KB_ROOT", str(root))
    paths = Paths(root)
    job = next(j for j in pages.jobs(load(paths.data)) if j.output == "countries/kgz")
    report = execute([job], paths, progress=False)
    assert list(report.ran) == ["countries/kgz"]
    nb = nbformat.read(paths.generated / "countries" / "kgz.ipynb", as_version=4)
    assert nb.metadata.papermill.parameters == {"country": "KGZ", "lang": "en"}
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and "remove-cell" in injected[0].metadata.tags
    first_text = next(c for c in nb.cells if c.cell_type == "markdown")
    assert first_text.source.startswith("# Kyrgyz Republic")
    html = "".join(
        o.get("data", {}).get("text/html", "")
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
    )
    assert html.count('<figure class="kb-chart"') >= 6
    # Charts and tables name all five countries alike, in their short form.
    assert "Kyrgyzstan" in html
    assert '<table class="kb-table">' in html
    assert all(
        {"remove-input", "remove-cell"} & set(c.metadata.tags)
        for c in nb.cells
        if c.cell_type == "code"
    )


def test_page_kernels_are_ordinary_kernels_of_their_worker():
    """A worker starts its kernel the documented way (jupyter_client) and keeps it; pandas in
    it formats text as in any kernel (20 columns), not as for the build's terminal."""
    from kb.build import kernels
    from kb.build.execute import Workers

    probe = "import os, pandas; (os.getppid(), pandas.get_option('display.max_columns'))"
    with Workers(ROOT, count=1) as workers:
        worker, shown = workers.submit(kernels.evaluate, str(ROOT), probe).result(120)
    assert shown == f"({worker}, 20)"


def test_a_page_whose_cell_raised_leaves_its_kernel_to_the_next_page(built_copy):
    """A cell that raised costs no new kernel (one takes seconds to start and warm up): the
    worker's next page runs in the same kernel and gives the page the build gave."""
    from kb.build import kernels
    from kb.build.execute import Workers, _run

    root = str(built_copy)
    kaz = next(j for j in pages.jobs(load(Paths(built_copy).data)) if j.name == "countries/kaz")
    broken = dataclasses.replace(kaz, parameters={**kaz.parameters, "country": "XXX"})
    with Workers(built_copy, count=1) as workers:

        def run(task, *args):
            return workers.submit(task, *args).result(300)

        before = run(kernels.evaluate, root, "__import__('os').getpid()")
        failed, again = run(_run, broken, root), run(_run, kaz, root)
        after = run(kernels.evaluate, root, "__import__('os').getpid()")
    assert failed.error and "country=XXX" in failed.error, failed
    assert again.error is None and again.same_output, again
    assert after == before


def test_book_has_home_and_five_country_pages(site):
    assert (site / "index.html").exists()
    for slug, name in COUNTRIES.items():
        page = (site / "_generated" / "countries" / f"{slug}.html").read_text(encoding="utf-8")
        assert f"<title>{name}" in page
        assert page.count('class="kb-chart"') >= 6


def test_every_chart_has_credits_and_downloads(site):
    page = (site / "_generated" / "countries" / "tjk.html").read_text(encoding="utf-8")
    figures = page.split('<figure class="kb-chart"')[1:]
    assert figures
    assert "licence: CC BY 4.0" in page
    for fig in figures:
        credit = fig.split('class="kb-credit">')[1].split("</p>")[0]
        assert credit.startswith("Source: <a href=") and "licence: " in credit
        for link in ('.csv" download>', '.svg" download>'):
            assert link in fig
    for name in set(__import__("re").findall(r'href="\.\./\.\./charts/([^"]+)"', page)):
        assert (site / "charts" / name).stat().st_size > 0


def test_published_indicators_equal_the_registry(built_project, site):
    published = pd.read_csv(site / "data" / "indicators.csv", keep_default_na=False)
    expected = indicators.table(load(built_project / "data"), projections=True)
    assert set(published.status) <= {"", "estimate", "projection", "nowcast", "reported"}
    pd.testing.assert_frame_equal(published, expected, check_dtype=False)
    known = set(load(built_project / "data").sources.id)
    assert all(set(s.split(";")) <= known for s in published.source)
    projects = list(csv.DictReader((site / "data" / "projects.csv").open(encoding="utf-8")))
    assert len(projects) >= 20
    descriptor = json.loads((site / "data" / "datapackage.json").read_text(encoding="utf-8"))
    assert {r["path"] for r in descriptor["resources"]} >= {
        "indicators.csv",
        "projects.csv",
        "sources.csv",
        "results.csv",
        "practices.csv",
    }


def test_the_published_data_package_is_valid_in_both_editions(site):
    """What a reader downloads is a valid Frictionless data package: every resource it lists is
    there and matches its schema (types, keys, references between tables)."""
    from frictionless import Package

    for folder in (site / "data", site / "ru" / "data"):
        report = Package(str(folder / "datapackage.json")).validate()
        problems = [
            f"{task.name}: {error.message}" for task in report.tasks for error in task.errors
        ] + [error.message for error in report.errors]
        assert report.valid, problems[:10]


def test_no_op_rebuild_executes_nothing_and_runs_no_sphinx(built_copy):
    """Doing less is what makes a no-op fast (its time is measured by `make bench`)."""
    before = tree_digest(built_copy / "_build" / "html")
    result = run_kb(built_copy, "build")
    assert result.returncode == 0, result.stderr
    assert "0 executed" in result.stdout
    assert "site already up to date" in result.stdout
    assert tree_digest(built_copy / "_build" / "html") == before


def test_failing_cell_names_notebook_cell_and_message(built_copy):
    template = built_copy / "book" / "templates" / "country.md"
    template.write_text(
        template.read_text(encoding="utf-8")
        + ("\n```{code-cell} python\nraise ValueError(f'broken dashboard for {country}')\n```\n"),
        encoding="utf-8",
    )
    line = (
        template.read_text(encoding="utf-8")
        .splitlines()
        .index("raise ValueError(f'broken dashboard for {country}')")
        + 1
    )
    before = tree_digest(built_copy / "_build" / "html")
    result = run_kb(built_copy, "build")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    cell = template.read_text(encoding="utf-8").count("```{code-cell}")  # the last code cell
    assert (
        f"book/templates/country.md:{line}: cell {cell} (country=KAZ, lang=en) raised ValueError: "
        "broken dashboard for KAZ"
    ) in result.stderr.splitlines()
    assert tree_digest(built_copy / "_build" / "html") == before


def test_bad_data_stops_the_build_and_keeps_the_site(built_copy):
    path = built_copy / "data" / "observations.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[4] = lines[4].replace(lines[4].split(",")[3], "n/a", 1)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = tree_digest(built_copy / "_build" / "html")
    result = run_kb(built_copy, "build")
    assert result.returncode == 1
    assert "data/observations.csv:5:value: 'n/a' is not a number" in result.stderr
    assert "Traceback" not in result.stderr
    assert tree_digest(built_copy / "_build" / "html") == before


WORK = (".work", ".ru/work")
"""Where each edition's Sphinx build works, under `_build/`."""


def test_problems_in_a_page_fail_the_build_all_at_once_until_fixed(built_copy):
    """A link to a page that does not exist (a Sphinx warning) and a fact `data/` does not hold
    (the book's fact role): one build reports both, each with the file and line, for each edition;
    so does the next build, and only the chapter is read again."""
    chapter = built_copy / "book" / "programme" / "overview.md"
    original = chapter.read_text(encoding="utf-8")
    link, fact = "See {doc}`no-such-page`.", "Launched on {kb-date}`no-such-event`."
    edited = f"{original}\n{link}\n\n{fact}\n"
    chapter.write_text(edited, encoding="utf-8")
    lines = edited.splitlines()
    expected = {
        f"book/programme/overview.md:{lines.index(link) + 1}:": "no-such-page",
        f"book/programme/overview.md:{lines.index(fact) + 1}:": "no-such-event",
    }
    before = tree_digest(built_copy / "_build" / "html")
    # What Sphinx read of a page with no problem, in each edition.
    home = [built_copy / "_build" / w / "_build/.doctrees/_generated/home.doctree" for w in WORK]
    read = []
    for _ in range(2):  # a second build must not pass just because the page is unchanged
        result = run_kb(built_copy, "build")
        assert result.returncode == 1
        assert "Traceback" not in result.stderr
        lines = result.stderr.splitlines()
        for place, name in expected.items():
            found = [ln for ln in lines if ln.startswith(place) and name in ln]
            # Once as the English edition reads the chapter, once as the Russian one does (from
            # its copy of book/, named by the author's file).
            russian = [ln for ln in found if ln.endswith(" (in the ru edition)")]
            assert len(found) == 2 and len(russian) == 1, lines
        assert tree_digest(built_copy / "_build" / "html") == before
        read.append([doctree.stat().st_mtime_ns for doctree in home])
    chapter.write_text(original, encoding="utf-8")
    assert run_kb(built_copy, "build").returncode == 0
    # Only the page with problems was read again after the failures, not the whole book.
    assert read[0] == read[1] == [doctree.stat().st_mtime_ns for doctree in home]
