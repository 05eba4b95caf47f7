"""A page per catalogued project, in both editions (issue 19): what the catalogue records of it,
the practices and results sources tie to it, and its sources."""

from __future__ import annotations

import html
import re

from kb.data import load

from .conftest import ROOT, article_text


def _heading(page) -> str:
    found = re.search(r"<h1>([^<]*)<", page.read_text(encoding="utf-8"))
    return html.unescape(found.group(1)).strip()


def test_every_project_has_its_page_in_both_editions(site):
    projects = load(ROOT / "data").projects
    for row in projects.itertuples(index=False):
        english = site / "_generated" / "projects" / f"{row.id}.html"
        russian = site / "ru" / "_generated" / "projects" / f"{row.id}.html"
        assert _heading(english) == row.title, row.id
        assert _heading(russian) == row.title_ru, row.id
        # The Russian page also gives the title as the project's documents give it.
        assert f'<cite lang="en">{html.escape(row.title, quote=False)}</cite>' in (
            russian.read_text(encoding="utf-8").replace("&quot;", '"')
        ), row.id
        for source in row.source.split(";"):
            assert f"#src-{source}" in english.read_text(encoding="utf-8"), (row.id, source)


def test_the_catalogue_and_other_pages_link_each_project_to_its_page(site):
    projects = load(ROOT / "data").projects
    for catalogue in (
        site / "_generated/projects/catalogue.html",
        site / "ru/_generated/projects/catalogue.html",
    ):
        page = catalogue.read_text(encoding="utf-8")
        for project in projects.id:
            assert f'href="../projects/{project}.html"' in page, project
    outcome = (site / "_generated/outcomes/og3.html").read_text(encoding="utf-8")
    assert 'href="../projects/uzb-karakalpakstan-undp.html"' in outcome


def test_a_project_page_shows_its_practices_and_results(site):
    page = article_text(site / "_generated/projects/tjk-elmarl-wb.html")
    practices = load(ROOT / "data").practices
    for practice in practices[practices.project == "tjk-elmarl-wb"].id:
        assert practice in page
    results = article_text(site / "_generated/projects/uzb-karakalpakstan-undp.html")
    assert "Desert land restored around the villages of Kazakhdarya and Kyzyl Rovat" in results
    assert "more than 16,000 ha" in results
    russian = article_text(site / "ru/_generated/projects/uzb-karakalpakstan-undp.html")
    assert "более 16 000 га" in russian.replace("\u00a0", " ").replace("\u202f", " ")


def test_a_project_without_practices_or_results_says_so(site):
    page = article_text(site / "_generated/projects/kgz-susamyr-pasture.html")
    assert "No practice in WOCAT’s database names this project." in page
    assert "No source we could read reports a result for this project." in page


def test_the_concept_stage_record_is_not_shown_as_a_grant(site):
    english = article_text(site / "_generated/projects/reg-cacilm-cmpf-gef.html")
    assert "174,641 (concept-stage record, not a grant)" in english
    russian = article_text(site / "ru/_generated/projects/reg-cacilm-cmpf-gef.html")
    assert "(запись на стадии концепции, не грант)" in russian


def test_a_project_page_depends_on_its_own_row_of_the_catalogue(tmp_path):
    """A project's page records `row:projects:<id>`, not the whole table, when no practice or
    result of it needs other projects' titles: editing another project's row leaves the page's
    inputs as they were, editing its own changes them."""
    import shutil

    from kb import deps, projects
    from kb.i18n import set_language

    from .conftest import rewrite_csv

    snap = load(ROOT / "data")
    plain = next(
        p
        for p in snap.projects.id
        if p not in set(snap.practices.project) and p not in set(snap.results.project)
    )
    deps.reset()
    set_language("en")
    projects.profile(plain, snap)
    keys = deps.reads()
    assert f"row:projects:{plain}" in keys and "table:projects" not in keys, keys

    data = shutil.copytree(ROOT / "data", tmp_path / "data")

    def rename(project: str) -> str:
        """The page's inputs after `project` is renamed in the copy of `data/`."""
        rewrite_csv(
            data / "projects.csv",
            lambda rows: next(r for r in rows if r["id"] == project).update(title="Renamed"),
        )
        return deps.slice_hash(keys, deps.digests(data))

    before = deps.slice_hash(keys, deps.digests(data))
    assert rename(next(p for p in snap.projects.id if p != plain)) == before
    assert rename(plain) != before
