"""The bibliography tells the truth: original publishers, years the sources give, exact URLs."""

from __future__ import annotations

import html
import re

import pandas as pd
import pytest
from pybtex.database import parse_string
from pybtex.richtext import Text

from kb import citations
from kb.data import load

COPY = re.compile(
    r"github|docslib|documents\.pub|fdocuments|vdocument|pdfslide|slideplayer|studylib|kipdf"
    r"|scribd|docsbay|fdokumen|wordpress|slideshare|open-numbers|copy on|copy hosted|copy stored|mirrored",
    re.IGNORECASE,
)
COPY_HOSTS = re.compile(
    r"^https?://([^/]*\.)?(github\.com|docslib\.org|documents\.pub|fdocuments\.\w+|vdocuments?\.\w+"
    r"|pdfslide\.\w+|slideplayer\.com\.?|studylib\.net|kipdf\.com|scribd\.com|docsbay\.net"
    r"|fdokumen\.com|[\w-]+\.wordpress\.com|waternunc\.com|xebersaati\.com)/"
)
GM_URL = (
    "http://www.global-mechanism.org/news--events/news/"
    "gef-council-approves-new-programme-for-sustainable-land-management-in-central-asia-"
)


@pytest.fixture(scope="module")
def sources():
    return load().sources


def _entry(page: str, text: str) -> str:
    """The bibliography entry (one `<p>`) of a page that contains `text`."""
    for para in re.findall(r'role="doc-biblioentry">.*?<p>(.*?)</p>', page, re.DOTALL):
        if text in para:
            return para
    raise AssertionError(f"no bibliography entry contains {text!r}")


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_bibtex_year_is_the_year_column_or_no_date(sources, lang):
    entries = parse_string(citations.bibtex(load(), lang), "bibtex").entries
    no_date = {"en": "n.d.", "ru": "б. г."}[lang]
    assert len(entries) == len(sources)
    wrong = []
    for row in sources.itertuples(index=False):
        want = no_date if pd.isna(row.year) else str(int(row.year))
        got = entries[row.id].fields["year"]
        if got != want:
            wrong.append(f"{row.id}: {got} (year column: {row.year!r}, vintage: {row.vintage!r})")
    assert wrong == []


def test_undated_sources_have_no_year(sources):
    rows = sources.set_index("id")
    assert pd.isna(rows.loc["rferl-nd-cacilm-critique", "year"])
    assert int(rows.loc["gm-2006-gef-council-approves", "year"]) == 2006
    assert int(rows.loc["adb-2021-uzb-lip-evaluation", "year"]) == 2021


def test_no_publisher_or_title_names_a_copy(sources):
    named = [
        f"{r.id}: {r.publisher} | {r.title}"
        for r in sources.itertuples(index=False)
        if COPY.search(f"{r.publisher} {r.title}")
    ]
    assert named == []


def test_a_copy_read_is_recorded_in_read_from(sources):
    """A URL on a document-sharing site or mirror is where the row was read, not the publisher."""
    unrecorded = [
        f"{r.id}: {r.url}"
        for r in sources.itertuples(index=False)
        if COPY_HOSTS.match(r.url)
        and r.url != r.read_from
        and not r.url.startswith("https://github.com/ConservationInternational/")  # its own
    ]
    assert unrecorded == []
    for r in sources.itertuples(index=False):
        if isinstance(r.read_from, str) and r.read_from:
            assert r.read_from.startswith(("http://", "https://")), r.id


def test_wdi_series_name_the_world_bank_and_its_series_page(sources):
    rows = sources.set_index("id")
    land = rows.loc["wb-wdi-ag-lnd-totl-k2"]
    assert land.publisher == "World Bank"
    assert land.title == "World Development Indicators: Land area (sq. km) (AG.LND.TOTL.K2)"
    assert land.url == "https://data.worldbank.org/indicator/AG.LND.TOTL.K2"
    assert land.vintage == "WDI, last updated 2026-01-28"  # the file's own date
    assert land.read_from.startswith("https://github.com/")  # the copy it was read from
    for r in rows.itertuples():  # a copy is never named as the publisher
        assert "github" not in r.publisher.lower() and "mirror" not in r.publisher.lower(), r


def test_urls_with_double_hyphens_survive_bibtex_decoding():
    """pybtex decodes fields as LaTeX (`--` is an en dash, `%` a comment): not in a URL."""
    entries = parse_string(citations.bibtex(load()), "bibtex").entries
    text = str(Text.from_latex(entries["gm-2006-gef-council-approves"].fields["howpublished"]))
    assert text == r"\url " + GM_URL


def test_bibliography_page_keeps_the_url_byte_exact(site):
    page = (site / "reference" / "bibliography.html").read_text(encoding="utf-8")
    entry = _entry(page, "New GEF Council programme for sustainable land management")
    assert f'href="{GM_URL}"' in entry
    assert f">{GM_URL}</a>" in entry
    assert "news–events" not in html.unescape(page)


def test_undated_entry_reads_n_d_in_english_and_b_g_in_russian(site):
    en = (site / "reference" / "bibliography.html").read_text(encoding="utf-8")
    ru = (site / "ru" / "reference" / "bibliography.html").read_text(encoding="utf-8")
    title = "Won't Hold Water"
    for page, no_date, dated in ((en, "n.d.", "Retrieved"), (ru, "б. г.", "Дата обращения")):
        entry = html.unescape(_entry(page, "25019469"))
        assert title in entry.replace("’", "'")
        assert f"</a>, {no_date} {dated}" in entry, entry
        assert "2006" not in entry and "2013" not in entry
    assert "б. г." not in en and "n.d." not in _entry(ru, "25019469")


def test_sources_page_links_the_copy_read(site, sources):
    page = (site / "_generated" / "reference" / "sources.html").read_text(encoding="utf-8")
    assert "Read from" in page
    row = sources.set_index("id").loc["adb-2006-tjk-rrp"]
    assert f'href="{html.escape(row.read_from)}"' in page
    ru = (site / "ru" / "_generated" / "reference" / "sources.html").read_text(encoding="utf-8")
    assert "Где прочитано" in ru
