"""The book on paper: a PDF edition per language and the workshop handouts, for `kb dist`.

Debian's Chromium (driven by Playwright) prints each page of the built site from disk with the
book's print style sheet (no navigation; tables whole; charts drawn), as a reader's browser would.
The pages are joined in table-of-contents order (pypdf) behind a contents page, with a bookmark
per page and page numbers over the whole edition. A module's handout exists twice: the
participants' copy, as the page prints (no solutions, no trainer notes), and the trainers' copy
with them.
"""

from __future__ import annotations

import html
import io
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from kb.paths import Paths

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
MARGIN = {"top": "14mm", "bottom": "16mm", "left": "13mm", "right": "13mm"}
PRINTED_WIDTH_PX = round((210 - 13 - 13) / 25.4 * 96)
"""The width of an A4 page less the side margins, in CSS pixels: what a printed page has."""
CUT_TABLES = (
    "() => [...document.querySelectorAll('table')].filter(t => { const r = "
    "t.getBoundingClientRect(); return r.width > 0 && (r.right > "
    "document.documentElement.clientWidth + 1 || t.scrollWidth > t.clientWidth + 1); })"
    ".map(t => ((t.querySelector('caption') || t.querySelector('thead') || t).textContent || '')"
    ".trim().replace(/\\s+/g, ' ').slice(0, 60))"
)
"""The tables (their caption or column headings) that reach past the page: paper would cut them."""
EAGER = "() => document.querySelectorAll('img[loading=lazy]').forEach(i => i.loading = 'eager')"
"""Loads the images a screen would load only on scrolling (every chart), as paper needs them."""
DRAWN = (
    "() => [...document.querySelectorAll('figure.kb-chart .kb-vega')].every(el => "
    "[...el.querySelectorAll('img')].every(i => i.complete && i.naturalWidth > 0) "
    "&& el.querySelector('img, svg, canvas'))"
)
"""Every chart on the page shows: its image is loaded (or its interactive drawing is there)."""
TRAINER_COPY = (
    "() => { document.documentElement.classList.add('kb-trainer-copy');"
    " document.querySelectorAll('details').forEach(d => d.open = true); }"
)
"""Turns a module page into the trainers' copy: solutions and notes print (see kb.css)."""

WORDS = {
    "en": {"book": "CACILM Knowledge Base", "contents": "Contents"},
    "ru": {"book": "База знаний CACILM", "contents": "Содержание"},
}


@dataclass
class Page:
    path: Path  # the built HTML file
    title: str


def toc_files(toc_path: Path) -> list[str]:
    """The book's pages in table-of-contents order (`_toc.yml`: root, then every file)."""
    toc = yaml.safe_load(toc_path.read_text(encoding="utf-8"))
    order = [toc["root"]]

    def walk(node) -> None:
        if isinstance(node, dict):
            if "file" in node:
                order.append(node["file"])
            for key in ("parts", "chapters", "sections"):
                walk(node.get(key, []))
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc)
    return order


def edition_pages(paths: Paths, lang: str) -> list[Page]:
    root = paths.html if lang == "en" else paths.html / lang
    pages = []
    for file in toc_files(paths.toc):
        page = root / f"{file}.html"
        heading = re.search(r"<h1>(.*?)<", page.read_text(encoding="utf-8"), re.S)
        pages.append(Page(page, html.unescape(heading.group(1)).strip() if heading else file))
    return pages


def _print(browser, page_file: Path, trainer: bool = False) -> bytes:
    """The page as a PDF; a table wider than the paper is an error, never a cut table."""
    from kb.errors import KbError

    context = browser.new_context(viewport={"width": PRINTED_WIDTH_PX, "height": 1000})
    try:
        tab = context.new_page()
        tab.goto(page_file.as_uri())
        if tab.locator("figure.kb-chart").count():
            tab.evaluate(EAGER)
            tab.wait_for_function(DRAWN, timeout=60000)
        if trainer:
            tab.evaluate(TRAINER_COPY)
        tab.emulate_media(media="print")
        if cut := tab.evaluate(CUT_TABLES):
            raise KbError(
                f"{page_file}: {len(cut)} table(s) wider than the printed page, the first "
                f"headed “{cut[0]}”; let its cells wrap (see kb.css, @media print)"
            )
        return tab.pdf(format="A4", margin=MARGIN, print_background=True)
    finally:
        context.close()


def _html_pdf(browser, body: str, lang: str) -> bytes:
    """A page the book does not have (contents, page numbers), printed from HTML."""
    context = browser.new_context()
    try:
        tab = context.new_page()
        tab.set_content(f'<!DOCTYPE html><html lang="{lang}"><meta charset="utf-8">{body}</html>')
        return tab.pdf(format="A4", margin={"top": "0", "bottom": "0", "left": "0", "right": "0"})
    finally:
        context.close()


def _contents(pages: list[Page], starts: list[int], lang: str) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(p.title)}</td><td class='n'>{n}</td></tr>"
        for p, n in zip(pages, starts, strict=True)
    )
    return (
        "<style>@page{size:A4;margin:0} body{margin:16mm 16mm;font:10pt system-ui,sans-serif}"
        "h1{font-size:18pt} table{width:100%;border-collapse:collapse}"
        "td{padding:2pt 0;border-bottom:0.5pt dotted #999;vertical-align:bottom}"
        ".n{text-align:right;padding-left:8pt;white-space:nowrap}</style>"
        f"<h1>{html.escape(WORDS[lang]['book'])}</h1>"
        f"<h2>{html.escape(WORDS[lang]['contents'])}</h2><table>{rows}</table>"
    )


def _numbers(count: int, lang: str) -> str:
    pages = "".join(f'<div class="p"><div class="n">{n}</div></div>' for n in range(1, count + 1))
    return (
        "<style>@page{size:A4;margin:0} body{margin:0}"
        ".p{height:296mm;position:relative;overflow:hidden;break-after:page}"
        ".n{position:absolute;bottom:7mm;width:100%;text-align:center;"
        "font:8.5pt system-ui,sans-serif;color:#444}</style>" + pages
    )


def book_pdf(browser, paths: Paths, lang: str, out: Path, pages: list[Page] | None = None) -> int:
    """The whole edition (or the given pages of it) as one PDF; returns its number of pages."""
    from pypdf import PdfReader, PdfWriter

    pages = pages if pages is not None else edition_pages(paths, lang)
    printed = [PdfReader(io.BytesIO(_print(browser, p.path))) for p in pages]
    lengths = [len(r.pages) for r in printed]
    # The contents come first: print them once to know how many pages they take.
    draft = PdfReader(io.BytesIO(_html_pdf(browser, _contents(pages, lengths, lang), lang)))
    starts, at = [], len(draft.pages) + 1
    for length in lengths:
        starts.append(at)
        at += length
    contents = PdfReader(io.BytesIO(_html_pdf(browser, _contents(pages, starts, lang), lang)))
    writer = PdfWriter()
    writer.append(contents, outline_item=WORDS[lang]["contents"])
    for page, reader in zip(pages, printed, strict=True):
        writer.append(reader, outline_item=page.title)
    total = len(writer.pages)
    numbers = PdfReader(io.BytesIO(_html_pdf(browser, _numbers(total, lang), lang)))
    for n, page in enumerate(writer.pages):
        page.merge_page(numbers.pages[n])
    writer.add_metadata({"/Title": WORDS[lang]["book"]})
    writer.compress_identical_objects(remove_duplicates=True, remove_unreferenced=True)  # fonts
    with out.open("wb") as handle:
        writer.write(handle)
    return total


def handout_pdf(browser, page_file: Path, trainer: bool, out: Path) -> None:
    out.write_bytes(_print(browser, page_file, trainer=trainer))


def write_all(paths: Paths, folder: Path, progress=print) -> list[Path]:
    """`cacilm-kb-<lang>.pdf` for each edition and, per module and language, the participants'
    and the trainers' handout, and per language the feedback form and certificate, into
    `folder`."""
    from playwright.sync_api import sync_playwright

    from kb.build.editions import EDITIONS
    from kb.workshops import modules

    folder.mkdir(parents=True, exist_ok=True)
    made = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            for lang in ("en", *EDITIONS):
                out = folder / f"cacilm-kb-{lang}.pdf"
                count = book_pdf(browser, paths, lang, out)
                progress(f"  {out.name}: {count} pages")
                made.append(out)
                root = paths.html if lang == "en" else paths.html / lang
                for module in modules():
                    page = root / "_generated" / "workshops" / f"{module.slug}.html"
                    for audience, trainer in (("participants", False), ("trainers", True)):
                        out = folder / f"workshop-{module.slug}-{audience}-{lang}.pdf"
                        handout_pdf(browser, page, trainer, out)
                        made.append(out)
                out = folder / f"workshop-feedback-and-certificate-{lang}.pdf"
                handout_pdf(browser, root / "workshops" / "feedback.html", False, out)
                made.append(out)
        finally:
            browser.close()
    return made
