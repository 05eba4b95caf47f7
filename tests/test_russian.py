"""The Russian edition: built beside the English one, translated, linked page for page."""

from __future__ import annotations

import json
import re

from .conftest import chart_specs, run_kb

CHAPTER_PAGES = [
    "programme/overview",
    "programme/benefits",
    "programme/objectives",
    "programme/components",
    "programme/partners",
    "_generated/programme/timeline",
    "_generated/programme/financing",
    "_generated/countries/kaz",
    "_generated/countries/kgz",
    "_generated/countries/tjk",
    "_generated/countries/tkm",
    "_generated/countries/uzb",
    "_generated/outcomes/og1",
    "_generated/outcomes/og6",
    "_generated/projects/catalogue",
    "_generated/indicators/catalogue",
    "reference/glossary",
    "_generated/reference/sources",
    "reference/bibliography",
]


def test_every_english_page_has_a_russian_twin_and_switch(site):
    for page in CHAPTER_PAGES:
        en = (site / f"{page}.html").read_text(encoding="utf-8")
        ru = (site / "ru" / f"{page}.html").read_text(encoding="utf-8")
        depth = "../" * page.count("/")
        assert f'href="{depth}ru/{page}.html" hreflang="ru"' in en, page
        assert f'href="{depth}../{page}.html" hreflang="en"' in ru, page
        assert '<html lang="ru"' in ru, page


def test_no_untranslated_messages(built_project):
    result = run_kb(built_project, "i18n", "check")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "every message translated" in result.stdout


def test_russian_country_page_speaks_russian(site):
    page = (site / "ru" / "_generated" / "countries" / "kgz.html").read_text(encoding="utf-8")
    assert "<title>Кыргызская Республика" in page
    assert "Сводная панель показателей" in page  # section heading from the catalogue
    assert '<th scope="col">Показатель</th>' in page  # table header from kb.i18n
    assert re.search(r"\d\u00a0\d{3}\u00a0\d{3}", page)  # 7 000 000-style number
    specs = chart_specs(page, site / "charts")
    assert specs
    for raw in specs:
        spec = json.loads(raw)
        assert spec["config"]["locale"]["number"]["decimal"] == ","
    assert '"title":"Год"' in specs[1] or '"title": "Год"' in specs[1]


def test_english_pages_stay_english(site):
    page = (site / "_generated" / "countries" / "kgz.html").read_text(encoding="utf-8")
    assert "Показатель" not in page and '<th scope="col">Indicator</th>' in page


def test_missing_message_fails_the_russian_build(built_copy):
    template = built_copy / "book" / "templates" / "sources.md"
    text = template.read_text(encoding="utf-8")
    template.write_text(
        text.replace(
            "citations.summary(snap)",
            'citations.summary(snap)\nfrom kb.i18n import t\nt("A brand-new label")',
        ),
        encoding="utf-8",
    )
    result = run_kb(built_copy, "build")
    assert result.returncode == 1
    assert (
        "book/templates/sources.md (lang=ru): untranslated message 'A brand-new label'"
        in result.stderr
    )


def test_counts_agree_with_their_nouns_by_cldr_plural_rules():
    from kb import i18n

    i18n.set_language("ru")
    try:
        shown = [i18n.counted(n, "{count} events") for n in (1, 2, 5, 21, 32)]
        assert shown == ["1 событие", "2 события", "5 событий", "21 событие", "32 события"]
        assert [i18n.counted(n, "{count} sources") for n in (1, 2, 5, 21, 32)] == [
            "1 источник",
            "2 источника",
            "5 источников",
            "21 источник",
            "32 источника",
        ]
        assert i18n.counted(7, "{count} associated") == "7 сопутствующих"
        assert i18n.counted(1234, "{count} events") == "1\u00a0234 события"
    finally:
        i18n.reset()
    assert [i18n.counted(n, "{count} events") for n in (1, 2)] == ["1 event", "2 events"]


def _visible_text(html: str) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "svg", "pre", "code"]):
        tag.decompose()
    return soup.get_text(" ")


def test_russian_pages_use_no_comma_thousands_separator(site):
    """A Russian reader reads `174,641` as a decimal fraction: Russian pages group thousands
    with a (no-break) space, as Babel's ru locale does."""
    offenders = []
    for page in sorted((site / "ru").rglob("*.html")):
        if "_static" in page.parts:
            continue
        text = _visible_text(page.read_text(encoding="utf-8"))
        # Skip quoted English (a source's own words) and identifiers such as URLs.
        text = re.sub(r"«[^»]*»|https?://\S+", " ", text)
        # `26,007 млн` is a decimal comma (26.007 million), as Russian writes it.
        found = re.findall(r"(?<![\w.,])[1-9]\d{0,2}(?:,\d{3})+(?![\d,]|\s*(?:млн|млрд|тыс))", text)
        if found:
            offenders.append(f"{page.relative_to(site)}: {found[:3]}")
    assert offenders == []


def test_a_dashboard_row_shows_value_and_change_with_the_same_places(site):
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(
        (site / "ru/_generated/countries/kaz.html").read_text(encoding="utf-8"), "html.parser"
    )
    table = next(t for t in soup.select("table") if "Последнее значение" in t.get_text())
    checked = 0
    for row in table.select("tbody tr"):
        cells = [c.get_text(strip=True) for c in row.select("td, th")]
        latest, change = cells[2], cells[4]
        if not re.fullmatch(r"[+−][\d\s\u00a0]+(,\d+)?", change):
            continue
        places = [len(x.split(",")[1]) if "," in x else 0 for x in (latest, change)]
        assert places[0] == places[1], cells
        checked += 1
    assert checked >= 8


def test_russian_glossary_is_in_russian_alphabetical_order(site):
    """A reader looks up УУЗР or АБР: Russian headwords (English in brackets), Cyrillic ones
    first in the Russian alphabet, and the same headwords in the index."""
    from bs4 import BeautifulSoup

    from kb.sphinx_ext import alphabetical_key

    page = (site / "ru/reference/glossary.html").read_text(encoding="utf-8")
    terms = [
        dt.get_text(strip=True).rstrip("#")
        for dt in BeautifulSoup(page, "html.parser").select("dl.glossary dt")
    ]
    assert {"АБР (ADB)", "УУЗР (SLM)", "НРП (NPF)", "НБДЗ (LDN)"} <= set(terms)
    assert terms == sorted(terms, key=alphabetical_key)
    assert terms[0].startswith("А")
    assert sum(bool(re.match("[А-ЯЁ]", t)) for t in terms) >= 25
    index = (site / "ru/genindex.html").read_text(encoding="utf-8")
    assert "АБР (ADB)" in index and ">ADB<" not in index
