"""The book on paper (kb.build.pdf): printed by Debian's Chromium from the built site.

A whole edition takes minutes to print (about 350 pages each), so these tests print the first
pages of each edition through the same code `kb dist` runs, and a module's two handouts.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from kb.build import pdf
from kb.paths import Paths

pytestmark = pytest.mark.browser

if not Path(pdf.CHROMIUM).exists() and not os.environ.get("CI"):
    pytest.skip("Debian chromium is not installed", allow_module_level=True)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=pdf.CHROMIUM, args=pdf.ARGS)
        yield b
        b.close()


def _text(path: Path) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() for page in PdfReader(io.BytesIO(path.read_bytes())).pages]


def test_pages_follow_the_table_of_contents(built_project):
    files = pdf.toc_files(built_project / "_toc.yml")
    assert files[0] == "_generated/home" and "_generated/projects/catalogue" in files
    assert files.index("_generated/projects/catalogue") < files.index(
        "_generated/projects/kgz-susamyr-pasture"
    )


@pytest.mark.parametrize("lang, contents", [("en", "Contents"), ("ru", "Содержание")])
def test_an_edition_prints_with_contents_bookmarks_and_page_numbers(
    browser, built_project, tmp_path, lang, contents
):
    from pypdf import PdfReader

    paths = Paths(built_project)
    pages = pdf.edition_pages(paths, lang)[:4]
    out = tmp_path / f"book-{lang}.pdf"
    total = pdf.book_pdf(browser, paths, lang, out, pages=pages)
    text = _text(out)
    assert len(text) == total > len(pages)
    assert contents in text[0]
    for page in pages:  # each page is listed on the contents page with the page it starts on
        assert page.title.split()[0] in text[0], page.title
    outline = [item.title for item in PdfReader(str(out)).outline]
    assert outline == [contents, *(p.title for p in pages)]
    for number, page_text in enumerate(text, start=1):  # numbered over the whole edition
        assert page_text.rstrip().endswith(str(number)), (number, page_text[-80:])
    if lang == "ru":
        assert "Казахстан" in "".join(text) or "CACILM" in "".join(text)


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_the_participants_handout_has_no_solution_and_the_trainers_has_them(
    browser, built_project, tmp_path, lang
):
    root = built_project / "_build" / "html" / ("" if lang == "en" else lang)
    page = root / "_generated" / "workshops" / "m1.html"
    participants, trainers = tmp_path / "p.pdf", tmp_path / "t.pdf"
    pdf.handout_pdf(browser, page, False, participants)
    pdf.handout_pdf(browser, page, True, trainers)
    word = "Solution" if lang == "en" else "Решение"
    assert word not in "".join(_text(participants))
    assert word in "".join(_text(trainers))
    assert len(_text(trainers)) > len(_text(participants))


def test_a_table_wider_than_the_paper_stops_the_pdf_naming_page_and_table(
    browser, built_project, tmp_path
):
    """Paper cannot scroll: `kb dist` refuses to print a table it would cut."""
    from kb.errors import KbError

    page = Paths(built_project).html / "programme" / "overview.html"
    wide = (
        "<table><thead><tr><th>Too wide</th></tr></thead>"
        '<tbody><tr><td><div style="width:1500px">x</div></td></tr></tbody></table>'
    )
    broken = tmp_path / "overview-wide.html"  # beside no style sheet: nothing else would fit
    broken.write_text(page.read_text("utf-8").replace("</main>", wide + "</main>", 1), "utf-8")
    with pytest.raises(KbError, match=r"overview-wide\.html: 1 table\(s\) .*“Too wide”"):
        pdf.handout_pdf(browser, broken, False, tmp_path / "out.pdf")
    assert not (tmp_path / "out.pdf").exists()
    pdf.handout_pdf(browser, page, False, tmp_path / "out.pdf")  # the page itself prints
    assert (tmp_path / "out.pdf").stat().st_size > 0


@pytest.mark.parametrize(
    "lang, title", [("", "Certificate of participation"), ("ru/", "Сертификат участника")]
)
def test_the_certificate_prints_on_a_sheet_of_its_own(
    browser, built_project, tmp_path, lang, title
):
    page = Paths(built_project).html / lang / "workshops" / "feedback.html"
    out = tmp_path / "feedback.pdf"
    pdf.handout_pdf(browser, page, False, out)
    import unicodedata

    pages = [unicodedata.normalize("NFKC", text) for text in _text(out)]  # "ﬁ" ligatures
    starts = [n for n, text in enumerate(pages) if text.lstrip().startswith(title)]
    assert len(pages) >= 2 and starts == [len(pages) - 1], pages
