"""The Russian terminology base (locales/ru/termbase.csv) and a scan of the built Russian edition.

Each row of the termbase records one decision: the English term, the chosen Russian term, the
rejected Russian variants (`;`-separated regular-expression stems, matched case-insensitively
from the start of a word so that one stem covers all case forms) and the source of the choice.
The site scan fails when a rejected variant appears anywhere in the visible text of a page.
"""

from __future__ import annotations

import csv
import html
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TERMBASE = ROOT / "locales" / "ru" / "termbase.csv"
COLUMNS = ["en", "ru", "rejected", "source", "note"]
SKIPPED = {"_static", "_sources", "genindex.html", "search.html"}

# The one place allowed to give the Russian abbreviation of the programme's name: the glossary's
# CACILM entry (the <dt id="term-CACILM"> term and its definition), page relative to ru/.
EXEMPT_PAGE = "reference/glossary.html"
EXEMPT_ENTRY = re.compile(r'<dt id="term-CACILM">.*?</dd>', re.S)


@dataclass(frozen=True)
class Rejection:
    en: str
    ru: str
    stem: str
    pattern: re.Pattern


def load_termbase(path: Path = TERMBASE) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == COLUMNS, reader.fieldnames
        return list(reader)


def rejections(rows: list[dict[str, str]]) -> list[Rejection]:
    found = []
    for row in rows:
        for stem in filter(None, (s.strip() for s in row["rejected"].split(";"))):
            pattern = re.compile(r"(?<!\w)" + stem, re.IGNORECASE)
            found.append(Rejection(row["en"], row["ru"], stem, pattern))
    return found


def violations(text: str, rules: list[Rejection]) -> list[tuple[Rejection, str]]:
    """Each rejected variant in `text`, with the matched words and a little context."""
    hits = []
    for rule in rules:
        for m in rule.pattern.finditer(text):
            end = re.match(r"\w*", text[m.end() :]).end() + m.end()
            context = text[max(0, m.start() - 40) : end + 40]
            hits.append((rule, f"{text[m.start() : end]!r} in …{context}…"))
    return hits


_DROP = re.compile(r"<(script|style|template|cite|q)\b.*?</\1\s*>", re.S | re.I)
"""Not the book's words: scripts and styles, and a work's title (`<cite>`) or a record's own
wording (`<q>`) quoted as the source gives it."""
_ATTR = re.compile(r'\b(?:alt|title|aria-label)="([^"]*)"')
_TAG = re.compile(r"<[^>]+>")


def visible_text(page: str) -> str:
    """Text a reader sees (plus alt/title/aria-label text), tags, scripts and styles removed."""
    page = _DROP.sub(" ", page)
    attributes = " ".join(_ATTR.findall(page))
    text = html.unescape(_TAG.sub(" ", page) + " " + attributes)
    return re.sub(r"\s+", " ", text.replace("\u00ad", ""))


def russian_pages(ru: Path) -> list[Path]:
    return [
        p for p in sorted(ru.rglob("*.html")) if not SKIPPED.intersection(p.relative_to(ru).parts)
    ]


# --- the termbase file ---------------------------------------------------------------------


def test_termbase_rows_are_complete():
    rows = load_termbase()
    assert len(rows) >= 10
    for n, row in enumerate(rows, start=2):
        for column in ("en", "ru", "source"):
            assert row[column].strip(), f"{TERMBASE.name}:{n}: empty {column!r}"
    english = [row["en"] for row in rows]
    assert len(english) == len(set(english)), "an English term is listed twice"


def test_rejected_stems_compile_and_spare_the_chosen_term():
    rows = load_termbase()
    rules = rejections(rows)
    assert rules
    for rule in rules:
        assert not rule.pattern.search(rule.ru), f"{rule.stem!r} rejects the chosen {rule.ru!r}"


def test_required_decisions_are_recorded():
    chosen = {row["en"].split(" (")[0]: row for row in load_termbase()}
    expected = {
        "indicator": "показатель",
        "baseline": "исходный уровень",
        "development objective": "цель развития",
        "executing agency": "учреждение-исполнитель",
        "phase": "фаза",
        "land cover": "земной покров",
        "drylands": "засушливые, полузасушливые и сухие субгумидные районы",
        "CACILM": "CACILM",
    }
    for en, ru in expected.items():
        assert chosen[en]["ru"] == ru, en


# --- the matcher ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bad", "good"),
    [
        ("Ключевые индикаторы мониторинга.", "Ключевые показатели мониторинга."),
        ("региональным базовым уровнем деградации", "региональным исходным уровнем деградации"),
        ("ФАО приводит цель в области развития", "ФАО приводит цель развития"),
        ("в числе исполнительных агентств указан", "в числе учреждений-исполнителей указан"),
        ("Национальным партнёром на втором этапе", "Национальным партнёром во второй фазе"),
        ("Агентство ГЭФ на этапе 1 CACILM.", "Агентство ГЭФ в фазе 1 CACILM."),
        ("оценка начального этапа", "оценка начальной фазы"),
        ("изменений растительного покрова", "изменений земного покрова"),
        (
            "засушливых, полузасушливых и засушливых субгумидных",
            "засушливых, полузасушливых и сухих субгумидных",
        ),
        ("разработкой ИСЦАУЗР", "разработкой CACILM"),
        ("аридный и семиаридный регион", "засушливый и полузасушливый регион"),
        ("CACILM поставила пять глобальных выгод", "CACILM определила пять глобальных выгод"),
        ("представлена 50-му Совету ГЭФ", "представлена на 50-м заседании Совета ГЭФ"),
    ],
)
def test_matcher_finds_rejected_form_and_passes_chosen_term(bad, good):
    rules = rejections(load_termbase())
    assert violations(bad, rules), bad
    assert not violations(good, rules), good


def test_matcher_spares_legitimate_uses():
    rules = rejections(load_termbase())
    text = (
        "Базовые навыки чтения таблиц; ни один источник не называет базовый год CACILM; "
        "система мониторинга с промежуточными этапами; исходные показатели считываются из файла; "
        "Цели в области устойчивого развития; агентство ГЭФ, осуществляющее CACILM 2; "
        "на этапе подготовки; стартовая фаза."
    )
    assert violations(text, rules) == []


def test_visible_text_drops_markup_scripts_and_styles():
    page = (
        '<html><style>.x{content:"индикатор"}</style><script>var a="ИСЦАУЗР";</script>'
        '<p>Фаза&nbsp;1 <b>показатель</b></p><img alt="диаграмма"></html>'
    )
    text = visible_text(page)
    assert "индикатор" not in text and "ИСЦАУЗР" not in text
    assert "Фаза 1 показатель" in text and "диаграмма" in text


# --- the built Russian edition ---------------------------------------------------------------


def test_russian_edition_uses_only_chosen_terms(site):
    ru = site / "ru"
    rules = rejections(load_termbase())
    pages = russian_pages(ru)
    assert len(pages) > 10, "the Russian edition was not built"
    problems = []
    exempt_seen = 0
    for page in pages:
        rel = page.relative_to(ru).as_posix()
        source = page.read_text(encoding="utf-8")
        if rel == EXEMPT_PAGE:
            entry = EXEMPT_ENTRY.search(source)
            assert entry, "the glossary has no CACILM entry"
            exempt_seen = len(re.findall("ИСЦАУЗР", visible_text(entry.group(0))))
            source = source[: entry.start()] + source[entry.end() :]
        for rule, where in violations(visible_text(source), rules):
            problems.append(f"ru/{rel}: rejected {rule.stem!r} (use {rule.ru!r}): {where}")
    assert not problems, f"{len(problems)} rejected variant(s):\n" + "\n".join(problems)
    assert exempt_seen == 1, "the glossary's CACILM entry should give the abbreviation once"
