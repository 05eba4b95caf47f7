"""The built site as files: internal links, page weight, published downloads, no remote assets."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlparse

from .conftest import site_pages

HREF = re.compile(r'(?:href|src)="([^"]+)"')
MAX_PAGE_BYTES = 150 * 1024


def test_every_internal_link_resolves(site):
    broken = []
    for page in site_pages(site):
        for target in HREF.findall(page.read_text(encoding="utf-8")):
            url = urlparse(target)
            if url.scheme or target.startswith(("#", "mailto:", "//")):
                continue
            path = (page.parent / unquote(url.path)).resolve()
            if not path.exists():
                broken.append(f"{page.relative_to(site)} → {target}")
    assert broken == []


def test_no_page_loads_assets_from_another_host(site):
    remote = []
    for page in site_pages(site):
        text = page.read_text(encoding="utf-8")
        remote += [
            f"{page.relative_to(site)}: {m}"
            for m in re.findall(r'<(?:script|link|img)[^>]+(?:src|href)="(https?://[^"]+)"', text)
        ]
    assert remote == []


def test_every_page_is_at_most_150_kb(site):
    heavy = {
        str(p.relative_to(site)): p.stat().st_size
        for p in site_pages(site)
        if p.stat().st_size > MAX_PAGE_BYTES
    }
    assert heavy == {}


def test_twenty_or_more_projects_in_the_catalogue(site):
    page = (site / "_generated" / "projects" / "catalogue.html").read_text(encoding="utf-8")
    assert page.count('id="prj-') >= 20


def test_benefits_and_objectives_page_shows_evidence_or_says_none(site):
    page = (site / "_generated" / "programme" / "evidence.html").read_text(encoding="utf-8")
    assert page.count('<p class="kb-item">') == 10
    assert page.count("No indicator in the snapshot can evidence this item.") == 1  # run-off
    assert page.count('<figure class="kb-chart"') == 9


DESCRIPTION = re.compile(r'<meta name="description" content="([^"]*)">')


def test_every_chapter_has_a_description_in_its_language_and_a_site_icon(site):
    """Search results and link previews show a page's own first paragraph, in the page's
    language; the site icon exists (no `/favicon.ico` request that ends in a 404)."""
    missing = []
    for page in site_pages(site):
        name = str(page.relative_to(site))
        text = page.read_text(encoding="utf-8")
        icon = re.search(r'<link rel="icon" href="([^"]+)"', text)
        if not icon or not (page.parent / icon.group(1)).is_file():
            missing.append(f"{name}: no site icon")
        if name.endswith(("search.html", "genindex.html")) or "http-equiv" in text:
            continue  # no prose of their own (index.html redirects)
        found = DESCRIPTION.search(text)
        if not found or not 40 <= len(found.group(1)) <= 170:
            missing.append(f"{name}: description {found.group(1) if found else None!r}")
        elif name.startswith("ru/") and not re.search("[а-яё]{4}", found.group(1)):
            missing.append(f"{name}: description not in Russian")
    assert missing == []


def test_only_the_search_page_loads_the_search_index(site):
    """The index (100 KB and growing with the book) blocks rendering where it is loaded."""
    loading = sorted(
        str(p.relative_to(site))
        for p in site_pages(site)
        if re.search(r'<script[^>]+src="[^"]*searchindex\.js"', p.read_text(encoding="utf-8"))
    )
    assert loading == ["ru/search.html", "search.html"]


def _head_scripts(page: Path) -> list[str]:
    html = page.read_text(encoding="utf-8")
    return re.findall(r"<script\b[^>]*>", html[: html.index("</head>")])


def test_no_script_holds_up_a_page_and_each_page_loads_only_what_it_uses(site):
    """Every script in a page's head is deferred, a module, or inline and tiny (the theme's colour
    mode and settings lines); the copy button, toggle button and tabs come only with the code
    blocks, solutions and tab sets they serve. The search page keeps Sphinx's order."""
    blocking, unused = [], []
    for page in site_pages(site):
        name = str(page.relative_to(site))
        if name.endswith("search.html"):
            continue
        html = page.read_text(encoding="utf-8")
        for tag in _head_scripts(page):
            if "src=" in tag and "defer" not in tag and 'type="module"' not in tag:
                blocking.append(f"{name}: {tag}")
        if "copybutton.js" in html and 'class="highlight' not in html:
            unused.append(f"{name}: copybutton")
        if "design-tabs.js" in html and "sd-tab-set" not in html:
            unused.append(f"{name}: design-tabs")
        if "thebe" in html.lower().replace("x-thebe-config", ""):
            unused.append(f"{name}: thebe")
    assert blocking == [] and unused == [], (blocking[:5], unused[:5])
    module = (site / "_generated" / "workshops" / "m1.html").read_text(encoding="utf-8")
    assert "togglebutton.js" in module and "copybutton.js" in module
    overview = (site / "programme" / "overview.html").read_text(encoding="utf-8")
    assert "togglebutton.js" not in overview and "pygments.css" not in overview


def test_both_editions_share_one_chart_bundle_and_one_set_of_notebooks(site):
    """A reader switching language does not download the 900 KB chart bundle again."""
    assert (site / "vendor" / "vega-bundle.js").is_file()
    assert not (site / "ru" / "vendor").exists()
    assert not list((site / "ru").glob("workshops/*.ipynb"))
    page = site / "ru" / "_generated" / "countries" / "kaz.html"
    link = re.search(r'<meta name="kb-chart-bundle" content="([^"]+)"', page.read_text())
    bundle = (site / "vendor" / "vega-bundle.js").resolve()
    assert link and (page.parent / link.group(1)).resolve() == bundle
    agenda = (site / "ru" / "_generated" / "workshops" / "agenda.html").read_text(encoding="utf-8")
    for href in re.findall(r'href="([^"]+-ru\.ipynb)"', agenda):
        assert (site / "ru" / "_generated" / "workshops" / href).resolve().is_file(), href


VNU = (
    Path(__file__).resolve().parents[1] / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
)


def test_every_page_is_valid_html(site):
    """The W3C Nu HTML checker (npm `vnu-jar`, run with Java) finds no error on any page of
    either edition (the theme's own files under `_static/` are not pages)."""
    import json
    import subprocess

    assert VNU.exists(), "run `npm ci` (make test does) to install vnu-jar"
    pages = [str(p) for p in site_pages(site)]
    assert len(pages) > 100
    checked = subprocess.run(
        ["java", "-jar", str(VNU), "--errors-only", "--format", "json", *pages],
        capture_output=True,
        text=True,
        timeout=600,
    )
    messages = json.loads(checked.stderr)["messages"]
    problems = [
        f"{m['url'].split(str(site))[-1]}:{m.get('lastLine', '?')}: {m['message']}"
        for m in messages
    ]
    assert not problems, f"{len(problems)} errors: " + "\n".join(problems[:20])


def test_the_icon_font_holds_every_icon_the_pages_show_and_little_else(site):
    """The theme's buttons draw Font Awesome icons; the font shipped is cut down to them."""
    from fontTools.ttLib import TTFont

    from kb.sphinx_ext import icons

    for edition in (site, site / "ru"):
        static = edition / "_static"
        drawn = icons.characters((static / icons.STYLE_SHEET).read_text(encoding="utf-8"))
        pages = [p.read_text(encoding="utf-8") for p in site_pages(edition)]
        shown = {name for name in icons.icons_used(static, pages) if name in drawn}
        assert {"magnifying-glass", "bars", "xmark", "angle-right"} <= shown
        font = static / icons.FONT
        cmap = TTFont(font).getBestCmap()
        assert {drawn[name] for name in shown} <= set(cmap), edition
        assert len(cmap) < 3 * len(shown) and font.stat().st_size < 20_000
