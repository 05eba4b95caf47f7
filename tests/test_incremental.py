"""An incremental build gives exactly the site a clean build gives (issue 14).

`edited_book` (conftest) edits a built copy of the book and rebuilds it after each of two
rounds: first every kind of input — the configuration, a style sheet, the book's Sphinx
extension, a translation; data (by `kb update` and by hand), a template another page reads, the
domain code — then one observation (built twice at once). A clean build of the last sources in
another folder is its twin. (Which inputs make Sphinx start afresh:
`test_what_every_page_shows_is_one_key_of_the_sphinx_environment`.) The first test compares the
two sites byte for byte; the others check that each edit reached every page and download it should.
"""

from __future__ import annotations

import csv
import difflib
import html
import re
import shutil
import signal
from pathlib import Path

import pandas as pd
import pytest
from sphinx.search import js_index

from kb import csvsafe, indicators, workshops
from kb.data import load
from kb.paths import Paths

from .conftest import (
    FORMULA,
    ROOT,
    TABLE_PROBE,
    article_text,
    chart_specs,
    copy_project,
    file_hashes,
    site_pages,
    use_colour_scheme,
)

PER_PERSON = "agricultural_land_per_person_ha"


def test_the_incremental_build_equals_a_clean_build_of_the_same_sources(edited_book):
    """Also reproducibility: the twin renders every chart afresh in other processes."""
    a, b = edited_book.site, edited_book.twin / "_build" / "html"
    incremental, clean = file_hashes(a), file_hashes(b)
    differing = sorted(
        p for p in incremental.keys() | clean.keys() if incremental.get(p) != clean.get(p)
    )
    first = ""
    if differing and differing[0] in incremental.keys() & clean.keys():
        first = "".join(
            list(
                difflib.unified_diff(
                    [ln[:300] + "\n" for ln in (a / differing[0]).read_text("utf-8").splitlines()],
                    [ln[:300] + "\n" for ln in (b / differing[0]).read_text("utf-8").splitlines()],
                    "incremental",
                    "clean",
                )
            )[:40]
        )
    assert not differing, f"{len(differing)} files differ: {differing[:50]}\n{first}"


def _renamed_project(edited_book) -> str:
    """The id of the project the second round renamed."""
    with (edited_book.root / "data" / "projects.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))[1]["id"]


def test_an_edit_keeps_what_the_search_index_has_of_the_pages_not_written_again(edited_book):
    """After the second round's edits only some pages are written again; the search index
    keeps every other page's titles and the glossary's index entries (Sphinx 7.4 alone drops the
    entries of pages it does not write again: sphinx-doc/sphinx#12599)."""
    renamed = f"_generated/projects/{_renamed_project(edited_book)}"

    def titles_of_other_pages(index) -> dict:
        number = index["docnames"].index(renamed)
        return {
            title: places
            for title, places in index["alltitles"].items()
            if all(place[0] != number for place in places)
        }

    for edition in ("", "ru/"):
        before, after = (
            js_index.loads((site / edition / "searchindex.js").read_text(encoding="utf-8"))
            for site in (edited_book.round_one, edited_book.site)
        )
        assert len(before["indexentries"]) > 20, edition
        assert after["indexentries"] == before["indexentries"], edition
        assert before["docnames"] == after["docnames"], edition
        assert len(titles_of_other_pages(after)) > 100, edition
        assert titles_of_other_pages(after) == titles_of_other_pages(before), edition


def test_a_renamed_page_is_renamed_in_the_links_of_the_pages_beside_it(edited_book, built_project):
    """A project renamed in `data/` in the second round (its page is read again) is named by
    its new title in the previous/next links of the pages beside it, which Sphinx alone would not
    write again: their pages' output did not change."""
    with (built_project / "data" / "projects.csv").open(encoding="utf-8", newline="") as handle:
        renamed = list(csv.DictReader(handle))[1]
    target = f"{renamed['id']}.html"
    links = [
        (page, m.group(1))
        for page in edited_book.site.rglob("*.html")
        for m in re.finditer(
            r'<link rel="(?:prev|next)" title="([^"]*)" href="([^"]*)"', page.read_text("utf-8")
        )
        if m.group(2).endswith(target)
    ]
    assert links, f"no page links to {target}"
    assert not [page for page, title in links if title == html.escape(renamed["title"])], links


def test_edits_built_twice_at_once_rerun_the_pages_that_read_them_only(edited_book):
    """Two `kb build` started at once after the second round's edits (values, a date, a module's
    minutes): one waits for the other (one line says so) and then finds nothing to do; neither
    prints a traceback. The one that built re-ran only the pages that read what changed — the
    agenda among them, which reads the module's template — left a page whose output did not
    change as it was, and republished the chart downloads exactly."""
    runs = edited_book.round_two_runs
    assert [run["returncode"] for run in runs] == [0, 0]
    assert not [run for run in runs if "Traceback" in run["stderr"]], runs
    waited = [run["stdout"] for run in runs if "waits for it" in run["stderr"]]
    assert len(waited) == 1 and " 0 executed" in waited[0]
    stdout = next(run["stdout"] for run in runs if "waits for it" not in run["stderr"])
    executed = set(re.findall(r"^  executed (\S+)", stdout, flags=re.M))
    assert {
        "countries/kaz",
        "countries/kgz",
        "ru/countries/kaz",
        "indicators/catalogue",
        "programme/timeline",
        "workshops/agenda",
        "ru/workshops/agenda",
    } <= executed
    assert not {"home", "programme/financing", "reference/sources"} & executed
    # A project's page reads its own row of the projects' table (and every row, where it names
    # projects in its practices or results): a renamed project runs its page and the catalogue
    # again, not the page of every project; of them, only those two show something else.
    projects = {page for page in executed if page.startswith("projects/")}
    assert {"projects/catalogue", f"projects/{_renamed_project(edited_book)}"} <= projects
    assert len(projects) < 20, sorted(projects)
    shown = {f"{page}.ipynb" for page in projects} & set(edited_book.round_two_rewritten)
    assert shown == {"projects/catalogue.ipynb", f"projects/{_renamed_project(edited_book)}.ipynb"}
    # A page that read an edited indicator but shows nothing that changed stays untouched.
    same = set(re.findall(r"^  executed (\S+) .*same output as before", stdout, flags=re.M))
    assert "workshops/m0" in same
    assert "workshops/m0.ipynb" not in edited_book.round_two_rewritten
    assert "countries/kaz.ipynb" in edited_book.round_two_rewritten
    # The site's one charts/ folder holds exactly the files its pages link to.
    site = edited_book.site
    linked = set()
    for page in site.rglob("*.html"):
        linked |= set(re.findall(r"charts/([\w.-]+\.(?:csv|svg|vl\.js))", page.read_text("utf-8")))
    assert linked == {p.name for p in (site / "charts").iterdir()}
    assert not (site / "ru" / "charts").exists()


def _quoting_the_timeline(book: Path) -> set[str]:
    """The English pages whose sources quote a date or a year of `data/timeline.csv` (the
    book's `{kb-date}` and `{kb-year}` roles). A template's notes are part of its page."""
    role = re.compile(r"\{kb-(?:date|year)\}")
    found = set()
    for source in [*book.rglob("*.md"), *(book / "_generated").rglob("*.ipynb")]:
        page = source.relative_to(book).with_suffix("")
        if page.parts[0] == "templates" or not role.search(source.read_text("utf-8")):
            continue
        if page.parent.name == "notes":  # book/outcomes/notes/og6.md: _generated/outcomes/og6
            page = Path("_generated", page.parts[0], page.name)
        found.add(page.as_posix())
    return found


def test_after_the_edits_sphinx_reads_again_only_the_pages_they_change(edited_book):
    """Each edition's Sphinx reads again only the executed pages that changed and the pages
    that quote the edited timeline, not the whole book: its configuration must not depend on
    the moment it started, while pages still ran (a half-written page in the book's folder was
    once listed among the excluded files, which Sphinx took for a configuration change)."""
    reread = set(edited_book.round_two_reread)
    english = {p for p in reread if not p.startswith("ru/")}
    rewritten = {"_generated/" + p.removesuffix(".ipynb") for p in edited_book.round_two_rewritten}
    quoting = _quoting_the_timeline(edited_book.root / "book")
    assert "programme/overview" in quoting and "_generated/home" in quoting
    assert english == rewritten | quoting
    assert {"ru/" + p for p in english} == reread - english
    unchanged = {"_generated/programme/financing", "_generated/projects/kgz-susamyr-pasture"}
    assert not (unchanged | {"ru/" + p for p in unchanged}) & reread, sorted(reread)


def test_a_build_killed_or_interrupted_while_pages_run_leaves_the_site_and_resumes(edited_book):
    """The first round's build was killed (kill -9 of every process it started) once 10 pages
    ran, then interrupted (Ctrl-C) once 30 more ran: the published site stayed as it was, Ctrl-C
    is reported in one line without a traceback, and the build that finished the round gives
    the clean build's site (the first test compares them byte for byte)."""
    killed, stopped = edited_book.interrupted
    assert killed["sent"] and killed["returncode"] == -signal.SIGKILL, killed
    assert stopped["sent"] and stopped["returncode"] == 130, stopped
    assert stopped["stderr"].strip().splitlines()[-1] == "kb: interrupted", stopped
    assert "Traceback" not in stopped["stderr"], stopped
    assert edited_book.interrupted_site_kept


def test_a_domain_code_edit_runs_every_page_of_both_editions(edited_book):
    """The first round edited `kb.display`, which every page imports. (An edit of what only
    Sphinx reads runs no page: test_rebuilds.)"""
    from kb.build.pipeline import all_jobs

    every_page = {
        job.name for job in all_jobs(load(edited_book.root / "data"), Paths(edited_book.root))
    }
    assert len(every_page) > 100
    assert set(edited_book.round_one_executed) == every_page


def test_the_agenda_follows_a_module_template_it_reads(edited_book):
    expected = workshops.agenda(Paths(edited_book.root))
    agenda = (edited_book.site / "_generated/workshops/agenda.html").read_text("utf-8")
    cells = re.findall(r'<td class="kb-num"[^>]*>([^<]*)</td>', agenda)
    assert "47" in cells
    whole_day = expected.iloc[-1]
    assert str(whole_day["Teaching (min)"]) in cells and whole_day["Total"] in cells


def test_a_changed_extension_reaches_every_page_of_both_editions(edited_book):
    site = edited_book.site
    stale = []
    for page in site_pages(site):
        html = page.read_text(encoding="utf-8")
        if 'class="kb-lang-switch"' not in html:
            continue
        new = "English version (new)" if "/ru/" in f"/{page.relative_to(site)}" else "(новая)"
        if new not in html:
            stale.append(str(page.relative_to(site)))
    assert not stale, f"pages still showing the old language switch: {stale}"


def test_a_configuration_edit_reaches_every_page_of_both_editions(edited_book):
    """`_config.yml` chose the dark colour scheme in the first round."""
    themes = {
        str(page.relative_to(edited_book.site)): m.group(1)
        for page in site_pages(edited_book.site)
        if (m := re.search(r'<html [^>]*data-theme="(\w+)"', page.read_text("utf-8")))
    }
    assert len(themes) > 130 and sum(p.startswith("ru/") for p in themes) > 60, sorted(themes)
    assert not {p: t for p, t in themes.items() if t != "dark"}


def test_a_domain_code_edit_reaches_every_table_of_both_editions(edited_book):
    """The edited `kb.display.table` gives each table it makes a class, on every page of both
    editions."""
    site = edited_book.site
    made = re.compile(rf'<table class="({TABLE_PROBE} )?kb-table(?: kb-stacked)?"')
    tables = {
        str(page.relative_to(site)): [m.group(1) for m in made.finditer(page.read_text("utf-8"))]
        for page in site_pages(site)
    }
    probed = [p for p, found in tables.items() if found and all(found)]
    assert len([p for p in probed if p.startswith("ru/")]) > 20, probed
    assert not [p for p, found in tables.items() if not all(found)]


def test_a_style_sheet_edit_alone_reaches_both_editions(edited_book):
    site = edited_book.site
    for copy in (site / "_static" / "kb.css", site / "ru" / "_static" / "kb.css"):
        assert "kb-probe" in copy.read_text(encoding="utf-8"), copy


def test_a_translation_edit_reaches_its_page(edited_book):
    page = (edited_book.site / "ru" / "programme" / "overview.html").read_text("utf-8")
    assert "Основные сведения о программе" in page


def test_a_date_edited_in_data_reaches_the_prose_of_both_editions(edited_book):
    """Prose quotes dates through roles: editing the row changes every page that quotes it."""
    site = edited_book.site
    overview = (site / "programme" / "overview.html").read_text(encoding="utf-8")
    assert "29 August 2006" in overview and "28 August 2006" not in overview
    russian = (site / "ru" / "programme" / "overview.html").read_text(encoding="utf-8")
    assert "29 августа 2006 г." in russian and "28 августа 2006 г." not in russian


def test_markup_in_data_is_shown_as_text(edited_book):
    site = edited_book.site
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "<script>window.__xss" not in text, page
        assert "<img src=x onerror" not in text, page  # as text, its < is escaped
        assert "<b onmouseover" not in text, page
    catalogue = (site / "_generated" / "projects" / "catalogue.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in catalogue


@pytest.mark.browser
def test_markup_in_data_never_runs_in_a_browser(edited_book):
    """The edited project's catalogue in Chromium: a mouse over its table runs none of the markup
    put into `data/`, which shows as text. (Here rather than in test_browser, whose worker would
    wait for the edited book.)"""
    from playwright.sync_api import sync_playwright

    from kb.build.pdf import ARGS

    from .test_browser import CHROMIUM, Visit, serving  # skips if Chromium is missing outside CI

    with serving(edited_book.site) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        visit = Visit(browser, base, "_generated/projects/catalogue.html")
        visit.page.hover("table.kb-table")
        assert visit.page.evaluate("() => window.__xss") is None
        assert visit.page.get_by_text("<script>window.__xss=1</script>", exact=False).count() >= 1
        assert visit.errors == [] and visit.offsite == []
        visit.close()
        browser.close()


def test_a_value_edit_reaches_page_and_download(edited_book):
    site = edited_book.site
    published = pd.read_csv(site / "data" / "indicators.csv")
    row = published[
        (published.indicator == "forest_area_pct")
        & (published.country == "KAZ")
        & (published.year == 2020)
    ]
    assert row.value.tolist() == [1.4321]
    page = (site / "_generated" / "countries" / "kaz.html").read_text(encoding="utf-8")
    assert any('"value":1.4321' in spec for spec in chart_specs(page, site / "charts"))


def test_chart_downloads_follow_an_edit_below_the_chart_rounding(edited_book, built_project):
    """Population +1 changes agricultural land per person only in its 7th digit."""
    site = edited_book.site

    def per_person(root: Path) -> float:
        frame = indicators.series(PER_PERSON, load(root / "data"))
        return float(frame[(frame.country == "KAZ") & (frame.year == 2018)].value.iloc[0])

    old, new = per_person(built_project), per_person(edited_book.root)
    assert new != old and f"{new:.6g}" == f"{old:.6g}"
    page = (site / "_generated" / "countries" / "kaz.html").read_text(encoding="utf-8")
    linked = set(re.findall(rf"charts/({PER_PERSON}-[0-9a-f]{{16}}\.csv)", page))
    assert linked, "the Kazakhstan page links no agricultural-land-per-person CSV"
    for name in linked:
        data = pd.read_csv(site / "charts" / name, float_precision="round_trip")
        row = data[(data.country == "KAZ") & (data.year == 2018)]
        assert row.value.tolist() == [new], name
    for csv_file in site.rglob("*.csv"):  # no published CSV, in either edition, keeps the old
        assert repr(old) not in csv_file.read_text(encoding="utf-8"), csv_file


def test_published_csvs_carry_no_formulas(edited_book):
    site = edited_book.site
    for folder in (site / "data", site / "ru" / "data"):
        published = list(csv.DictReader((folder / "projects.csv").open(encoding="utf-8")))
        assert published[1]["title"] == "'" + FORMULA
        published = list(csv.DictReader((folder / "sources.csv").open(encoding="utf-8")))
        assert published[0]["note"] == "'@SUM(A1) +1 text"
    # Every published CSV (data and chart downloads): no cell a spreadsheet would evaluate.
    for csv_file in site.rglob("*.csv"):
        for row in csv.reader(csv_file.open(encoding="utf-8", newline="")):
            for cell in row:
                assert csvsafe.cell(cell) == cell, (csv_file, cell)


def test_an_update_reaches_pages_and_downloads(edited_book):
    """After `kb update`, the build shows the revised values: pages and downloads."""
    site = edited_book.site
    published = (site / "data" / "indicators.csv").read_text(encoding="utf-8")
    assert "land_area_km2,KAZ,2019,2699700.0,km²,wb-wdi-ag-lnd-totl-k2," in published
    sources_page = (site / "_generated/reference/sources.html").read_text(encoding="utf-8")
    assert 'id="src-wb-wdi-ag-lnd-frst-zs"' in sources_page
    catalogue = (site / "_generated/indicators/catalogue.html").read_text(encoding="utf-8")
    assert "wb-wdi-ag-lnd-frst-zs" in catalogue
    # SDG 15.3.1 from the UN's SDMX API: the added 2023 estimate is Kazakhstan's latest value,
    # shown with its year, the database's structure as vintage and what the value is.
    assert "land_degraded_pct,KAZ,2023,21.31," in published
    for lang, estimate in (("", "estimate"), ("ru/", "оценка")):
        page = article_text(site / f"{lang}_generated/countries/kaz.html")
        at = page.index("unsd-sdg-ag-lnd-dgrd")
        value, vintage = page[at - 40 : at], page[at : at + 200]
        assert "2023" in value, value
        assert "DF_SDG_GLH 1.26" in vintage and vintage.split(" · ")[1].startswith(estimate)


def test_a_configuration_edit_is_read_by_both_editions(tmp_path):
    """`_config.yml` is read by Sphinx alone, for every page: an edit changes what the Sphinx
    build of each edition reads, so both run again (and start afresh: the configuration is part
    of the book's structure). In `edited_book` the settled build follows a configuration edit,
    but the extension edited with it would make Sphinx run anyway."""
    from kb.build.editions import Edition

    root = copy_project(tmp_path / "project")
    hashes = []
    for scheme in ("light", "dark"):
        use_colour_scheme(root, scheme)
        hashes.append([Edition(Paths(root), lang).inputs_hash() for lang in ("en", "ru")])
    before, after = hashes
    assert before[0] != after[0] and before[1] != after[1]


def test_what_every_page_shows_is_one_key_of_the_sphinx_environment(tmp_path):
    """Sphinx does not know that every page depends on the book's extension, theme templates,
    style sheets and the locked packages: each of them is part of the key that, when it changes,
    makes Sphinx start afresh and write every page (`Edition.environment_key`)."""
    import kb.facts
    import kb.sphinx_ext
    from kb.build.editions import Edition, environment_code

    extension = Path(kb.sphinx_ext.__file__).parent
    modules = set(extension.glob("*.py")) | {Path(kb.facts.__file__)}
    assert len(modules) > 5 and modules <= set(environment_code())
    root = tmp_path / "project"
    for name in ("book/_static", "book/_templates", "locales/ru/LC_MESSAGES"):
        shutil.copytree(ROOT / name, root / name)
    shutil.copy(ROOT / "requirements.lock", root / "requirements.lock")
    english, russian = Edition(Paths(root)), Edition(Paths(root), "ru")
    template = next((root / "book" / "_templates").glob("*.html")).relative_to(root)
    for edited, editions in (
        ("book/_static/kb.css", (english, russian)),
        (template, (english, russian)),
        ("locales/ru/LC_MESSAGES/sphinx.po", (russian,)),  # the Russian interface's words
        ("requirements.lock", (english, russian)),
    ):
        before = [edition.environment_key() for edition in editions]
        with (root / edited).open("a", encoding="utf-8") as handle:
            handle.write("\n")
        after = [edition.environment_key() for edition in editions]
        assert all(a != b for a, b in zip(after, before, strict=True)), edited
