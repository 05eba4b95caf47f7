"""Prose quotes no date or amount: every figure a page shows comes from `data/` with a source.

Dates and amounts in Markdown come through the fact roles (`{kb-date}`phase1-launch``), which
format a row of `data/` in the page's language; identifiers that contain digits (SDG 15.3.1,
GEF 4600, OP-15, CACILM 2) are names, not figures.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROSE = sorted(
    p
    for pattern in (
        "book/programme/*.md",
        "book/countries/notes/*.md",
        "book/outcomes/notes/*.md",
        "book/reference/*.md",
        "book/workshops/*.md",
        "book/templates/*.md",
    )
    for p in ROOT.glob(pattern)
)

IDENTIFIERS = re.compile(
    r"SDG(?: indicator)? \d+(?:\.\d+)*|GEF[ -]\d+|OP[ -]\d+|COVID-19|CACILM[ -]?(?:2|II|I)\b"
    r"|Operational Program \d+|ОП-\d+|ИСЦАУЗР-2|Phase [12]\b|PIMS \d+|TA \d+(?:-[A-Z]+)?|ADB:\S+|UNDP-PIMS:\S+|Python \d(?:\.\d+)*|CC BY \d\.\d"
)
FENCE = re.compile(r"^(`{3,}|:{3,})\s*(\{[\w:-]+\})?\s*(\S*)")
PROSE_DIRECTIVES = {
    "{glossary}",
    "{note}",
    "{admonition}",
    "{exercise}",
    "{solution}",
    "{tip}",
    "{warning}",
    "{important}",
    "{dropdown}",
    "{solution-start}",
    "{exercise-start}",
}
FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.S)
ROLE = re.compile(r"\{[a-z:-]+\}`[^`]*`")
INLINE_CODE = re.compile(r"`[^`]*`")
LINK_TARGET = re.compile(r"\]\([^)]*\)")
HTML_TAG = re.compile(r"<[^>]+>")
LIST_NUMBER = re.compile(r"^\s*\d+\.\s", re.M)
TEMPLATE_FIELD = re.compile(r"\{\{[^}]*\}\}")


def prose_digits(text: str) -> list[tuple[int, str]]:
    """(line, text) of every line whose prose still holds a digit after names and markup go."""
    text = FRONT_MATTER.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    found = []
    closing: list[str] = []  # open fences; code inside a fence that is not a prose directive
    code_depth = 0
    for number, line in enumerate(text.splitlines(), start=1):
        fence = FENCE.match(line)
        if fence and closing and fence.group(1) == closing[-1] and not fence.group(2):
            closing.pop()
            code_depth = max(0, code_depth - 1) if code_depth else 0
            continue
        if fence and (fence.group(2) or fence.group(3) or line.strip() in ("```", ":::")):
            closing.append(fence.group(1))
            if fence.group(2) not in PROSE_DIRECTIVES:
                code_depth += 1
            continue
        if code_depth or line.lstrip().startswith(":") and re.match(r"\s*:[\w-]+:", line):
            continue  # code, or a directive option such as :label: m1-forest
        for pattern in (ROLE, INLINE_CODE, LINK_TARGET, HTML_TAG, TEMPLATE_FIELD, IDENTIFIERS):
            line = pattern.sub(" ", line)
        line = LIST_NUMBER.sub(" ", line)
        if re.search(r"\d", line):
            found.append((number, line.strip()))
    return found


def test_the_checker_catches_a_typed_date_and_passes_a_role():
    assert prose_digits("The GEF Council met on 28 August 2006.")
    assert prose_digits("A grant of US$20 million.")
    assert not prose_digits("The GEF Council met on {kb-date}`phase1-approval` (SDG 15.3.1).")
    assert not prose_digits("1. a numbered list item\n```{code-cell} python\nx = 2006\n```")


# Workshop material numbers its objectives, exercises and minutes, and the feedback form its
# scale: there only years and amounts count as typed figures.
WORKSHOP_FIGURE = re.compile(r"\b(19|20)\d\d\b|US\$|\bmillion\b|\d[\d,.]* (ha|km²|USD)\b")


@pytest.mark.parametrize("path", PROSE, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_date_or_amount_typed_into_prose(path):
    found = prose_digits(path.read_text(encoding="utf-8"))
    if path.name.startswith("workshop_") or path.parent.name == "workshops":
        found = [(n, text) for n, text in found if WORKSHOP_FIGURE.search(text)]
    where = [f"{path.relative_to(ROOT)}:{line}: {text[:100]}" for line, text in found]
    assert not where, (
        "figures typed into prose (quote them from data/ with a fact role):\n" + "\n".join(where)
    )
