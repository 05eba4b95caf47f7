"""The built site in real Chromium (Debian's /usr/bin/chromium via Playwright), offline.

Every request to a host other than the local test server is blocked and recorded; each page must
draw all its charts and log no console error. In CI these tests must run: they skip only when
Chromium is missing and CI is unset.
"""

from __future__ import annotations

import functools
import http.server
import os
import threading
from pathlib import Path

import pytest

from kb.build.pdf import ARGS, DRAWN  # Chromium's flags here, and "every chart is drawn"

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = pytest.mark.browser

if not CHROMIUM.exists() and not os.environ.get("CI"):
    pytest.skip(
        "Debian chromium is not installed (apt-get install chromium)", allow_module_level=True
    )


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server(site):
    handler = functools.partial(_QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


class Visit:
    """One page load: console errors, off-site requests, charts found and drawn."""

    def __init__(self, browser, base: str, path: str):
        self.context = browser.new_context()
        self.offsite: list[str] = []
        self.errors: list[str] = []

        def route(r):
            if r.request.url.startswith(base) or r.request.url.startswith("data:"):
                r.continue_()
            else:
                self.offsite.append(r.request.url)
                r.abort()

        self.context.route("**/*", route)
        self.page = self.context.new_page()
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(base + path)
        self.page.wait_for_load_state("networkidle")
        charts = self.page.locator("figure.kb-chart")
        self.charts = charts.count()
        if self.charts:
            self.page.wait_for_function(
                "() => [...document.querySelectorAll('figure.kb-chart .kb-vega')]"
                ".every(el => el.querySelector('svg, canvas') || el.textContent.length)",
                timeout=60000,  # generous: a loaded machine draws slowly
            )
        self.embeds = self.page.locator(".vega-embed").count()
        self.drawn = self.page.locator(".vega-embed svg, .vega-embed canvas").count()

    def close(self):
        self.context.close()


def pages(site: Path) -> list[str]:
    """Every page of both editions, except that of the project pages (one template, tables and
    text only, no chart) every eighth is visited, plus those with practices or results."""
    found = sorted(
        str(p.relative_to(site))
        for p in site.rglob("*.html")
        if "_static" not in p.parts and p.name not in ("genindex.html",)
    )
    projects = [p for p in found if "/projects/" in p and not p.endswith("catalogue.html")]
    richest = {"tjk-elmarl-wb.html", "uzb-land-improvement-adb.html", "reg-cacilm2-fao.html"}
    skipped = {p for i, p in enumerate(projects) if i % 8 and Path(p).name not in richest}
    return [p for p in found if p not in skipped]


@pytest.mark.parametrize("slug", ["kaz", "kgz", "tjk", "tkm", "uzb"])
def test_country_page_draws_every_chart_offline(browser, server, slug):
    visit = Visit(browser, server, f"_generated/countries/{slug}.html")
    try:
        assert visit.charts >= 6
        assert visit.embeds == visit.charts
        assert visit.drawn == visit.embeds
        assert visit.errors == []
        assert visit.offsite == []
    finally:
        visit.close()


AXE = Path(__file__).resolve().parents[1] / "node_modules" / "axe-core" / "axe.min.js"
AXE_RUN = (
    "async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', "
    "'best-practice'], resultTypes: ['violations']})).violations.filter(v => ['serious', 'critical'].includes(v.impact))"
    ".map(v => v.id + ' (' + v.impact + '): ' + v.nodes[0].target.join(' '))"
)


PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
"""The screen the book is checked on: a common phone, 390 CSS pixels wide."""

TOO_WIDE = """() => {
  const width = document.documentElement.clientWidth;
  const frames = '.kb-table-wrap, .output_html, .text_html, pre, .highlight, '
    + '.bd-sidebar-primary, .bd-sidebar-secondary';
  return [...document.querySelectorAll('.bd-main *')]
    .filter(e => !e.closest(frames) && getComputedStyle(e).position !== 'fixed')
    .filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.right > width + 1; })
    .slice(0, 3).map(e => e.tagName.toLowerCase() + '.' + (e.getAttribute('class') || ''));
}"""
"""Elements that stick out of a phone's screen (clipped or scrolling the page), outside the
frames that scroll on purpose (wide tables, code)."""


async def _check_page(browser, base: str, path: str) -> list[str]:
    """Load one page in its own context, on a phone-sized screen; everything that is wrong with
    it, as lines."""
    context = await browser.new_context(**PHONE)
    offsite: list[str] = []
    errors: list[str] = []

    async def route(r):
        if r.request.url.startswith(base) or r.request.url.startswith("data:"):
            await r.continue_()
        else:
            offsite.append(r.request.url)
            await r.abort()

    await context.route("**/*", route)
    page = await context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    await page.goto(base + path)
    problems = []
    charts = await page.locator("figure.kb-chart").count()
    if charts:
        await page.wait_for_function(DRAWN, timeout=60000)  # generous: a loaded machine is slow
        drawn = await page.locator(".vega-embed svg, .vega-embed canvas").count()
        if drawn != charts:
            problems.append(f"{path}: {drawn} of {charts} charts drawn")
    await page.wait_for_load_state("networkidle")  # and any redirect (index.html) followed
    if wide := await page.evaluate(TOO_WIDE):
        problems.append(f"{path}: wider than a 390 px screen: {wide}")
    if errors:  # judged before axe runs: axe re-reads @import-ed style sheets on its own
        problems.append(f"{path}: console errors {errors[:2]}")
    await page.add_script_tag(path=str(AXE))
    problems += [f"{path}: {v}" for v in await page.evaluate(AXE_RUN)]
    if offsite:
        problems.append(f"{path}: requested other hosts {offsite[:2]}")
    await context.close()
    return problems


def _check_all_pages(base: str, paths: list[str], at_once: int = 3) -> list[str]:
    """Every page, a few at a time in one Chromium (its renderers use both cores)."""
    import asyncio

    from playwright.async_api import async_playwright

    async def main():
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            gate = asyncio.Semaphore(at_once)

            async def one(path):
                async with gate:
                    return await _check_page(browser, base, path)

            found = await asyncio.gather(*(one(path) for path in paths))
            await browser.close()
        return [line for lines in found for line in lines]

    outcome: dict = {}

    def run():
        try:
            outcome["problems"] = asyncio.run(main())
        except BaseException as exc:  # re-raised in the test's thread
            outcome["error"] = exc

    # Playwright's sync API owns this thread's event loop (the module's `browser`), so the async
    # check runs on a thread of its own.
    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["problems"]


def test_every_page_is_clean_offline_and_accessible(server, site):
    """One visit per page of both editions, on a 390 px phone screen: no console error, no
    request to another host, every chart drawn and fitting the screen, nothing wider than the
    screen, and no serious or critical axe-core finding (WCAG 2 A/AA, best practices)."""
    assert AXE.exists(), "run `npm ci` (make test does) to install axe-core"
    paths = pages(site)
    assert len(paths) > 70
    assert _check_all_pages(server, paths) == []


def test_search_finds_kazakhstan(browser, server):
    visit = Visit(browser, server, "search.html?q=Kazakhstan")
    try:
        visit.page.wait_for_selector("ul.search li", timeout=15000)
        results = visit.page.locator("ul.search li").all_inner_texts()
        assert any("Kazakhstan" in r for r in results)
        assert visit.errors == []
    finally:
        visit.close()


def test_russian_search_reports_its_results_in_russian(browser, server):
    """The Russian search page: results found, the summary line in Russian (Sphinx's shipped
    catalogue leaves it empty), and the switch to the English search page in its header."""
    visit = Visit(browser, server, "ru/search.html?q=Казахстан")
    try:
        visit.page.wait_for_selector("ul.search li", timeout=15000)
        summary = visit.page.locator("#search-results p.search-summary")
        visit.page.wait_for_function(
            "() => document.querySelector('#search-results p.search-summary').innerText.length",
            timeout=15000,
        )
        summary = summary.inner_text()
        assert "Найдено страниц" in summary, summary
        switch = visit.page.locator(".kb-lang-switch a")
        assert switch.get_attribute("hreflang") == "en"
        assert switch.get_attribute("href") == "../search.html"
        assert visit.errors == []
    finally:
        visit.close()


def test_offline_zip_draws_charts_from_disk(browser, built_copy, tmp_path):
    """`kb dist` zip, unpacked and opened with file:// (no server, no network)."""
    import zipfile

    from .conftest import run_kb

    result = run_kb(built_copy, "dist", "--no-pdf")
    assert result.returncode == 0, result.stderr
    archive = next((built_copy / "dist").glob("cacilm-kb-*.zip"))
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(tmp_path)
    page = tmp_path / "cacilm-kb" / "_generated" / "countries" / "uzb.html"
    context = browser.new_context()
    offsite = []

    def route(r):
        if r.request.url.startswith("file://"):
            r.continue_()
        else:
            offsite.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    p = context.new_page()
    errors = []
    p.on("pageerror", lambda e: errors.append(str(e)))
    p.goto(page.as_uri())
    p.wait_for_function(
        "() => document.querySelectorAll('.vega-embed svg').length === "
        "document.querySelectorAll('figure.kb-chart').length",
        timeout=15000,
    )
    assert p.locator(".vega-embed svg").count() >= 6
    assert errors == [] and offsite == []
    context.close()


A4_CONTENT_PX = 718
"""A4 paper less the 12 mm print margins, in CSS pixels (96 per inch)."""


@pytest.mark.parametrize(
    "path",
    [
        "_generated/countries/kaz.html",
        "ru/_generated/countries/kaz.html",
        "_generated/projects/catalogue.html",
        "ru/_generated/reference/sources.html",
    ],
)
def test_printed_tables_fit_the_paper(browser, server, path):
    """Printing a page keeps every column of its tables on the paper (nothing scrolls there)."""
    visit = Visit(browser, server, path)
    try:
        visit.page.emulate_media(media="print")
        visit.page.set_viewport_size({"width": A4_CONTENT_PX, "height": 1000})
        wide = visit.page.evaluate(
            "() => [...document.querySelectorAll('table')].filter(t => "
            "t.getBoundingClientRect().right > document.documentElement.clientWidth + 1).length"
        )
        assert wide == 0
        assert visit.page.locator("table").count() >= 1
    finally:
        visit.close()


@pytest.mark.parametrize(
    "path", ["_generated/workshops/m1.html", "ru/_generated/workshops/m2.html"]
)
def test_a_printed_module_is_a_handout_without_solutions_or_trainer_notes(browser, server, path):
    visit = Visit(browser, server, path)
    try:
        assert visit.page.locator("div.solution").count() >= 2
        visit.page.emulate_media(media="print")
        shown = visit.page.evaluate(
            "() => [...document.querySelectorAll('div.solution, div.admonition.dropdown')]"
            ".filter(e => e.getBoundingClientRect().height > 0).length"
        )
        assert shown == 0
        assert visit.page.locator(".exercise").first.is_visible()
    finally:
        visit.close()


@pytest.mark.parametrize(
    "path, country",
    [
        ("_generated/practices/catalogue.html", "UZB"),
        ("ru/_generated/practices/catalogue.html", "UZB"),
    ],
)
def test_the_practice_catalogue_filters_by_country_offline(browser, server, path, country):
    """The first list above the catalogue is the country: choosing one leaves its rows only."""
    from kb.data import load
    from kb.i18n import set_language

    from .conftest import ROOT

    snap = load(ROOT / "data")
    set_language("ru" if path.startswith("ru/") else "en")
    try:
        name = snap.country_name(country)
    finally:
        set_language("en")
    expected = int((snap.practices.country == country).sum())
    visit = Visit(browser, server, path)
    try:
        page = visit.page
        page.locator('select[data-kb-filter="0"]').select_option(name)
        rows = page.locator("form.kb-filters + .kb-table-wrap tbody tr")
        visible = [row for row in rows.all() if row.is_visible()]
        assert len(visible) == expected > 0
        assert all(name in row.inner_text() for row in visible)
        total = rows.count()
        assert f"{expected}" in page.locator(".kb-filter-count").inner_text()
        assert f"{total}" in page.locator(".kb-filter-count").inner_text()
        page.locator('select[data-kb-filter="0"]').select_option("")
        assert sum(row.is_visible() for row in rows.all()) == total
        assert visit.errors == [] and visit.offsite == []
    finally:
        visit.close()


def test_markup_in_data_never_runs(browser, edited_book):
    """Last in this file: `edited_book` is built by another worker while these tests run."""
    site = edited_book.root / "_build" / "html"
    handler = functools.partial(_QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{httpd.server_address[1]}/"
        visit = Visit(browser, base, "_generated/projects/catalogue.html")
        visit.page.hover("table.kb-table")
        assert visit.page.evaluate("() => window.__xss") is None
        assert visit.page.get_by_text("<script>window.__xss=1</script>", exact=False).count() >= 1
        visit.close()
    finally:
        httpd.shutdown()
