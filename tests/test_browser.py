"""The built site in real Chromium (Debian's /usr/bin/chromium via Playwright), offline.

Every request to a host other than the local test server is blocked and recorded; each page must
draw all its charts and log no console error. In CI these tests must run: they skip only when
Chromium is missing and CI is unset.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import re
import threading
from pathlib import Path

import pytest

from kb.build.pdf import ARGS, CUT_TABLES, DRAWN, EAGER, PRINTED_WIDTH_PX

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = pytest.mark.browser

if not CHROMIUM.exists() and not os.environ.get("CI"):
    pytest.skip(
        "Debian chromium is not installed (apt-get install chromium)", allow_module_level=True
    )


AXE = Path(__file__).resolve().parents[1] / "node_modules" / "axe-core" / "axe.min.js"
AXE_PATH = "/_tests/axe.min.js"
"""Where the test server serves axe-core, beside the site (which does not hold it): loaded by
URL, Chromium compiles it once and keeps the code in its cache for the next pages."""


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def translate_path(self, path: str) -> str:
        return str(AXE) if path == AXE_PATH else super().translate_path(path)

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serving(site: Path):
    """A local web server for the built `site` (and axe-core, at AXE_PATH), on a free port;
    yields its address."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()


@pytest.fixture(scope="module")
def server(site):
    with serving(site) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


class Visit:
    """One page load: console errors, off-site requests, charts found and shown."""

    def __init__(self, browser, base: str, path: str):
        self.context = browser.new_context()
        self.offsite: list[str] = []
        self.errors: list[str] = []
        self.requested: list[str] = []

        def route(r):
            self.requested.append(r.request.url)
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
        self.charts = self.page.locator("figure.kb-chart").count()
        if self.charts:
            self.page.evaluate(EAGER)
            self.page.wait_for_function(DRAWN, timeout=60000)  # generous: a loaded machine
        self.shown = self.page.evaluate(SHOWN)

    def explore(self, index: int, how: str = "button") -> int:
        """Ask for chart `index`'s values (its button, or a mouse over it); the number of
        interactive charts drawn once it is done."""
        figure = self.page.locator("figure.kb-chart").nth(index)
        if how == "button":
            figure.locator("button.kb-explore").click()
        else:
            figure.locator(".kb-vega").hover()
        figure.locator(".vega-embed svg").wait_for(timeout=60000)
        return self.page.locator(".vega-embed svg").count()

    def close(self):
        self.context.close()


SHOWN = """() => [...document.querySelectorAll('figure.kb-chart img.kb-static')]
  .filter(i => i.complete && i.naturalWidth > 0).length"""
"""Charts whose build-time image has loaded."""


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


@pytest.mark.parametrize(
    "path", ["_generated/countries/kaz.html", "ru/_generated/countries/uzb.html"]
)
def test_country_page_draws_every_chart_offline(browser, server, path):
    """Every chart shows its build-time image at once, with no script bundle fetched; asking for
    the values (button, or a mouse over the chart) draws the interactive chart from the site's
    own bundle. (Every page's charts are drawn in `test_every_page_is_clean_offline_and_accessible`;
    the country pages share one template.)"""
    visit = Visit(browser, server, path)
    try:
        assert visit.charts >= 6
        assert visit.shown == visit.charts
        assert not [u for u in visit.requested if "vega-bundle" in u]
        assert visit.explore(0) == 1
        assert visit.explore(visit.charts - 1, how="mouse") == 2
        assert len([u for u in visit.requested if "vega-bundle" in u]) == 1
        assert visit.page.locator("figure.kb-chart").nth(0).locator("button.kb-explore").is_hidden()
        assert visit.errors == []
        assert visit.offsite == []
    finally:
        visit.close()


AXE_RUN = """async contrast => (await axe.run(document, {
    runOnly: ['wcag2a', 'wcag2aa', 'best-practice'], resultTypes: ['violations'],
    rules: {'color-contrast': {enabled: contrast}}}))
  .violations.filter(v => ['serious', 'critical'].includes(v.impact))
  .map(v => v.id + ' (' + v.impact + '): ' + v.nodes[0].target.join(' '))"""
"""axe-core's serious and critical findings, with or without its colour-contrast rule."""

REPEATED = re.compile(r"_generated/(countries|outcomes|projects)/(?!kaz|og1|catalogue)[^/]+$")


def contrast_checked(path: str) -> bool:
    """Whether a page gets axe's colour-contrast rule, by far its slowest (measured 0.3–2.4 s a
    page). Contrast comes from the style sheets and the kind of element, not from the language or
    the country: it is checked on every English page except the 2nd and later pages of a template
    (country, outcome, project), and on the Russian home and Kazakhstan pages."""
    if path.startswith("ru/"):
        return path in ("ru/_generated/home.html", "ru/_generated/countries/kaz.html")
    return not REPEATED.search(path)


def axe_checked(path: str) -> bool:
    """Whether axe-core checks a page at all. What it finds comes from a page's structure and
    attributes. Every English page is checked. A Russian page is checked where its words come
    from `kb`'s own code: the pages a template makes (`_generated/`), the first of each template.
    The others have their English page's structure: a translated hand-written page (its text from
    the gettext catalogues, which `test_russian` checks are complete), or a later page of a template
    (the first page's structure and words, other data)."""
    if not path.startswith("ru/"):
        return True
    return path.startswith("ru/_generated/") and not REPEATED.search(path)


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


ONLY_THIS_HOST = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"
"""Chromium resolves no host but the test server's: a request elsewhere fails at once (and is
reported), with no request interception, so the browser cache works as a reader's does."""


class _Reader:
    """One reader's browser tab on a phone-sized screen, going from page to page as a reader
    does (one tab: Chromium keeps its renderer and cache), with what went wrong on the current
    page: console errors, failed requests, requests to other hosts."""

    def __init__(self, page, base: str):
        self.page, self.base = page, base
        self.errors: list[str] = []
        self.offsite: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on(
            "response",
            lambda r: self.errors.append(f"{r.status} {r.url}") if r.status >= 400 else None,
        )
        page.on(
            "request",
            lambda r: (
                None if r.url.startswith((base, "data:", "blob:")) else self.offsite.append(r.url)
            ),
        )

    async def check(self, path: str) -> list[str]:
        """Open one page; everything that is wrong with it, as lines."""
        page = self.page
        self.errors, self.offsite = [], []
        await page.goto(self.base + path)
        if Path(path).name == "index.html":  # an edition's redirect to its home page: follow it
            await page.wait_for_load_state("networkidle")
        problems = []
        charts = await page.locator("figure.kb-chart").count()
        if charts:
            await page.evaluate(EAGER)
            await page.wait_for_function(DRAWN, timeout=60000)  # generous: a loaded machine
            shown = await page.evaluate(SHOWN)
            if shown != charts:
                problems.append(f"{path}: {shown} of {charts} charts shown")
        if wide := await page.evaluate(TOO_WIDE):
            problems.append(f"{path}: wider than a 390 px screen: {wide}")
        if self.errors:  # judged before axe runs: axe re-reads @import-ed style sheets itself
            problems.append(f"{path}: console errors {self.errors[:2]}")
        # axe sees the page as loaded on the phone, before any resize: the theme makes a region
        # that scrolls focusable (tabindex) 300 ms after the window is resized, and axe run in
        # between once found a code block that scrolls but could not be focused.
        if axe_checked(path):
            await page.add_script_tag(url=self.base + AXE_PATH.removeprefix("/"))
            found = await page.evaluate(AXE_RUN, contrast_checked(path))
            problems += [f"{path}: {v}" for v in found]
        # On paper: the page's tables as they print, at the printed width (the PDF editions
        # refuse a cut table). Then the phone's screen again, for the next page.
        if await page.locator("table").count():
            await page.set_viewport_size({"width": PRINTED_WIDTH_PX, "height": 1000})
            await page.emulate_media(media="print")
            if cut := await page.evaluate(CUT_TABLES):
                problems.append(f"{path}: tables cut on paper: {cut[:2]}")
            await page.emulate_media(media="screen")
            await page.set_viewport_size(PHONE["viewport"])
        if self.offsite:
            problems.append(f"{path}: requested other hosts {self.offsite[:2]}")
        return problems


def _check_all_pages(base: str, paths: list[str], at_once: int = 1) -> list[str]:
    """Every page, in one Chromium, by `at_once` readers, each going from page to page in one
    tab of their own (a browser context, with its cache), as a reader does: a new tab for each
    page took twice as long. One reader: Chromium's own threads already use a second core, and
    the suite runs another test file on it (two readers took 73 and 65 CPU-seconds for the
    pages one reader checked in 58 and 61)."""
    import asyncio

    from playwright.async_api import async_playwright

    async def main():
        async with async_playwright() as p:
            browser = await p.chromium.launch(
                executable_path=str(CHROMIUM), args=[*ARGS, ONLY_THIS_HOST]
            )
            queue: asyncio.Queue = asyncio.Queue()
            for path in paths:
                queue.put_nowait(path)
            found: list[str] = []

            async def reader():
                context = await browser.new_context(**PHONE)
                tab = _Reader(await context.new_page(), base)
                while not queue.empty():
                    found.extend(await tab.check(queue.get_nowait()))
                await context.close()

            await asyncio.gather(*(reader() for _ in range(at_once)))
            await browser.close()
        return found

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
    screen, every table whole on paper when printed, and no serious or critical axe-core finding
    (WCAG 2 A/AA, best practices) on every English page and the Russian ones `axe_checked` names."""
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

    result = run_kb(built_copy, "dist", "--no-pdf", "--no-kit")
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
    p.evaluate(EAGER)
    p.wait_for_function(DRAWN, timeout=60000)
    assert p.evaluate(SHOWN) == p.locator("figure.kb-chart").count() >= 6
    p.locator("figure.kb-chart button.kb-explore").first.click()  # the bundle, from disk
    p.locator("figure.kb-chart .vega-embed svg").first.wait_for(timeout=60000)
    assert errors == [] and offsite == []
    context.close()


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
    "path", ["_generated/countries/kaz.html", "ru/_generated/projects/catalogue.html"]
)
def test_wide_tables_are_stacked_on_a_phone_and_tables_elsewhere(browser, server, path):
    """On a 390 px screen each row of a wide table is a block of "column: value" lines and
    nothing scrolls sideways; on a desktop screen it is a table again."""
    visit = Visit(browser, server, path)
    try:
        page = visit.page
        page.set_viewport_size(PHONE["viewport"])
        table = page.locator("table.kb-stacked").first
        headings = table.locator("thead th").all_inner_texts()
        assert len(headings) >= 5
        cells = table.locator("tbody tr").first.locator("td")
        labels = [
            cells.nth(i).evaluate("td => getComputedStyle(td, '::before').content")
            for i in range(cells.count())
        ]
        assert labels == [f'"{h}: "' for h in headings]
        assert table.evaluate("t => getComputedStyle(t).display") == "block"
        assert (
            not table.locator("thead").is_visible()
            or table.locator("thead").bounding_box()["height"] <= 1
        )
        assert page.evaluate(
            "[...document.querySelectorAll('.kb-table-wrap')]"
            ".every(w => w.scrollWidth <= w.clientWidth + 1)"
        )
        page.set_viewport_size({"width": 1280, "height": 900})
        assert table.evaluate("t => getComputedStyle(t).display") == "table"
        assert table.locator("thead").is_visible()
    finally:
        visit.close()


@pytest.mark.parametrize(
    "path", ["_generated/workshops/m1.html", "ru/_generated/workshops/m1.html"]
)
def test_deferred_scripts_still_run_a_solution_opens_on_its_button(browser, server, path):
    """The toggle button and the theme run after parsing (deferred); the theme's settings lines
    (module scripts) still reach the object they set."""
    visit = Visit(browser, server, path)
    try:
        page = visit.page
        solution = page.locator("div.solution").first
        button = solution.locator("button.toggle-button")
        button.wait_for()
        body = solution.locator(":scope > section").first
        assert not body.is_visible()
        button.click()
        body.wait_for(state="visible")
        assert page.evaluate("DOCUMENTATION_OPTIONS.pagename") == "_generated/workshops/m1"
        assert visit.errors == []
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
