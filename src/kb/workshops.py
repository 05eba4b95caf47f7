"""Workshop modules: metadata from the module templates, the agenda, and notebook downloads.

Each module is a notebook template (`book/templates/workshop_m*.md`) whose front matter holds a
`kb_workshop` block (module number, title, teaching and exercise minutes). The agenda sums those
minutes. For participants each module is also written as a notebook without solutions; trainers
get the full one. Both go to `book/_extra/workshops/` and so into the site's `workshops/` folder.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from kb import display, i18n
from kb.i18n import t
from kb.paths import Paths

DOWNLOADS = "workshops"


@dataclass(frozen=True)
class Module:
    number: int
    title: str
    teaching_minutes: int
    exercise_minutes: int
    template: Path
    title_ru: str = ""

    def title_in(self, lang: str) -> str:
        return self.title_ru if lang == "ru" and self.title_ru else self.title

    @property
    def slug(self) -> str:
        return f"m{self.number}"

    @property
    def total_minutes(self) -> int:
        return self.teaching_minutes + self.exercise_minutes


def modules(paths: Paths | None = None) -> list[Module]:
    """Every workshop module, in order, read from the templates' front matter."""
    import yaml

    from kb import deps

    paths = paths or Paths.here()
    out = []
    deps.uses("templates:list")
    for template in sorted(paths.templates.glob("workshop_m*.md")):
        deps.uses(f"template:{template.name}")
        text = template.read_text(encoding="utf-8")
        front = yaml.safe_load(text.split("---", 2)[1])
        meta = front["kb_workshop"]
        out.append(
            Module(
                int(meta["module"]),
                meta["title"],
                int(meta["teaching_minutes"]),
                int(meta["exercise_minutes"]),
                template,
                meta.get("title_ru", ""),
            )
        )
    return sorted(out, key=lambda m: m.number)


def duration(minutes: int) -> str:
    """`1 hr, 15 min` / `1 ч 15 мин`: CLDR units and list patterns of the page's language."""
    from babel.lists import format_list
    from babel.units import format_unit

    lang = i18n.language()
    hours, rest = divmod(minutes, 60)
    parts = [format_unit(hours, "duration-hour", length="short", locale=lang)] if hours else []
    if rest or not hours:
        parts.append(format_unit(rest, "duration-minute", length="short", locale=lang))
    return format_list(parts, style="unit-short", locale=lang)


AGENDA = "workshop_agenda.md"
"""The agenda template: its `kb_day` front matter lists the day's slots around the modules."""


VARIANTS = {"full": "kb_day", "half": "kb_half_day"}
"""The agenda's timetables, each a block of its front matter: the full day (all modules) and a
half day for participants who already use Python (no primer)."""


def day(paths: Paths | None = None, variant: str = "full") -> pd.DataFrame:
    """A timetable: each slot (set-up, welcome, module, break, wrap-up) with its start and end
    time and minutes, modules taking their minutes from their own templates."""
    import datetime as dt

    import yaml

    from kb import deps

    paths = paths or Paths.here()
    deps.uses(f"template:{AGENDA}")
    text = (paths.templates / AGENDA).read_text(encoding="utf-8")
    plan = yaml.safe_load(text.split("---", 2)[1])[VARIANTS[variant]]
    by_number = {m.number: m for m in modules(paths)}
    lang = i18n.language()
    clock = dt.datetime.combine(dt.date(2000, 1, 1), dt.time.fromisoformat(plan["start"]))
    rows = []
    for slot in plan["slots"]:
        if "module" in slot:
            m = by_number[int(slot["module"])]
            title, minutes, kind = f"{m.number}. {m.title_in(lang)}", m.total_minutes, "module"
        else:
            title = slot.get("title_ru") if lang == "ru" and slot.get("title_ru") else slot["title"]
            minutes, kind = int(slot["minutes"]), slot.get("kind", "session")
        end = clock + dt.timedelta(minutes=minutes)
        rows.append(
            {
                "start": clock.time(),
                "end": end.time(),
                "slot": title,
                "minutes": minutes,
                "kind": kind,
                "module": slot.get("module"),
            }
        )
        clock = end
    return pd.DataFrame(rows)


def day_table(paths: Paths | None = None, variant: str = "full"):
    """A timetable in the page's language: clock times by Babel (CLDR), modules linked."""
    from babel.dates import format_time

    frame = day(paths, variant)
    lang = i18n.language()
    shown = pd.DataFrame(
        {
            t("Time"): [
                f"{format_time(a, 'short', locale=lang)}–{format_time(b, 'short', locale=lang)}"
                for a, b in zip(frame.start, frame.end, strict=True)
            ],
            t("Session"): [
                f'<a href="m{int(m)}.html">{display.esc(s)}</a>'
                if k == "module"
                else f"<em>{display.esc(s)}</em>"
                if k == "break"
                else display.esc(s)
                for s, k, m in zip(frame.slot, frame.kind, frame.module, strict=True)
            ],
            t("Length"): [duration(int(m)) for m in frame.minutes],
        }
    )
    return display.table(shown, html_columns=(t("Session"),), numeric=(t("Length"),))


def agenda(paths: Paths | None = None) -> pd.DataFrame:
    rows = [
        {
            "Module": m.number,
            "Title": m.title,
            "Teaching (min)": m.teaching_minutes,
            "Exercises (min)": m.exercise_minutes,
            "Total": duration(m.total_minutes),
        }
        for m in modules(paths)
    ]
    frame = pd.DataFrame(rows)
    teach, practise = int(frame["Teaching (min)"].sum()), int(frame["Exercises (min)"].sum())
    total = {
        "Module": "",
        "Title": "Whole day",
        "Teaching (min)": teach,
        "Exercises (min)": practise,
        "Total": duration(teach + practise),
    }
    return pd.concat([frame, pd.DataFrame([total])], ignore_index=True)


def agenda_table(paths: Paths | None = None):
    frame = agenda(paths)
    lang = i18n.language()
    frame["Title"] = [
        f'<a href="{m.slug}.html">{display.esc(m.title_in(lang))}</a>' for m in modules(paths)
    ] + [f"<strong>{display.esc(t('Whole day'))}</strong>"]
    frame = frame.rename(columns={c: t(c) for c in frame.columns})
    return display.table(
        frame,
        html_columns=(t("Title"),),
        numeric=(t("Teaching (min)"), t("Exercises (min)"), t("Total")),
    )


def notebook_name(slug: str, kind: str, lang: str) -> str:
    """`m1-exercises.ipynb` (English), `m1-exercises-ru.ipynb` (Russian)."""
    return f"{slug}-{kind}{'' if lang == 'en' else '-' + lang}.ipynb"


def downloads_table(paths: Paths | None = None):
    root = display.shared_root()  # one copy of the notebooks, at the top of the site
    lang = i18n.language()
    rows = []
    for m in modules(paths):
        names = {kind: notebook_name(m.slug, kind, lang) for kind in KINDS}
        rows.append(
            {
                "Module": f"{m.number}. {m.title_in(lang)}",
                "Participants": f'<a href="{root}{DOWNLOADS}/{names["exercises"]}" download>'
                f"{names['exercises']}</a>",
                "Trainers": f'<a href="{root}{DOWNLOADS}/{names["solutions"]}" download>'
                f"{names['solutions']}</a>",
            }
        )
    frame = pd.DataFrame(rows).rename(columns=lambda c: t(c))
    return display.table(frame, html_columns=(t("Participants"), t("Trainers")))


_SOLUTION = re.compile(r"```\{solution-start\}.*?```(?P<body>.*?)```\{solution-end\}\s*```", re.S)
_START = re.compile(r"```\{solution-start\}[^`]*```", re.S)
_END = re.compile(r"```\{solution-end\}\s*```", re.S)
_TRAINERS_ONLY = re.compile(r"```\{admonition\} (?:Instructor notes|Expected answer).*?\n```", re.S)
"""Instructor notes and formative checks' expected answers: in the trainers' copy only."""


def student_notebook(nb):
    """A copy of a module notebook with every solution block replaced by an empty answer cell.

    Solution directives may share a Markdown cell with the surrounding exercise text, so the
    cells are cut at the directives rather than dropped whole.
    """
    import copy

    import nbformat

    out = copy.deepcopy(nb)
    cells, inside = [], False
    for cell in out.cells:
        if cell.cell_type != "markdown":
            if not inside:
                cells.append(cell)
            continue
        text = _TRAINERS_ONLY.sub("", cell.source)
        if inside and (end := _END.search(text)):
            text = text[end.end() :]
            inside = False
            cells.append(nbformat.v4.new_code_cell(t("# Your answer here") + "\n"))
        if (start := _START.search(text)) and not _END.search(text[start.end() :]):
            text = text[: start.start()]
            inside = True
        if text.strip():
            cells.append(nbformat.v4.new_markdown_cell(text.strip() + "\n"))
    out.cells = cells
    for number, cell in enumerate(out.cells):
        cell["id"] = f"cell-{number}"
    return out


_EXERCISE_START = re.compile(r"```\{exercise-start\}\s*\n(?::[^\n]*\n)*```")
_EXERCISE_END = re.compile(r"```\{exercise-end\}\s*```")


_EXERCISE_LABEL = re.compile(r"^:label:\s*(?P<label>\S+)", re.M)
_NUMREF = re.compile(r"\{numref\}`(?:(?P<text>[^`<]*?)\s*<(?P<target>[^`>]+)>|(?P<label>[^`]+))`")


def _exercise_numbers(nb) -> dict[str, int]:
    """Each exercise's label → its number in this module (1, 2, …), as the notebook shows it."""
    labels = [
        label
        for cell in nb.cells
        if cell.cell_type == "markdown"
        for block in _EXERCISE_START.finditer(cell.source)
        for label in _EXERCISE_LABEL.findall(block.group(0))
    ]
    return {label: number for number, label in enumerate(labels, start=1)}


_ADMONITION = re.compile(r"```\{admonition\}[ \t]*(?P<title>[^\n]*)\n(?P<body>.*?)\n```", re.S)
_LINK = re.compile(r"\]\((?P<target>(?!https?:|#)[^)\s]+\.(?:md|ipynb))(?P<anchor>#[^)]*)?\)")
PAGE_FOLDER = "_generated/workshops"
"""Where the module pages are in an edition; their links are written relative to it."""


def _as_blockquote(match: re.Match) -> str:
    """A MyST admonition as Markdown that JupyterLab shows: a quoted block with a bold title."""
    body = [line for line in match.group("body").splitlines() if not line.startswith(":")]
    lines = [f"**{match.group('title').strip()}**", "", *body]
    return "\n".join("> " + line if line else ">" for line in lines)


def _site_link(match: re.Match, lang: str) -> str:
    """A link from a module page, rewritten for its notebook in the site's `workshops/` folder:
    pages are `.html` there, and a Russian notebook links to the Russian edition."""
    import posixpath

    edition = "" if lang == "en" else f"{lang}/"
    target = posixpath.normpath(posixpath.join(edition + PAGE_FOLDER, match.group("target")))
    target = target.rsplit(".", 1)[0] + ".html"
    return f"]({posixpath.relpath(target, DOWNLOADS)}{match.group('anchor') or ''})"


def plain_notebook(nb):
    """Replace the book's directives by Markdown Jupyter shows (exercise and solution headings,
    admonitions as quoted blocks), number references to exercises within the module, and point
    its links at the site's pages, in the language `kb.i18n` is set to."""
    lang = i18n.language()
    numbers = _exercise_numbers(nb)
    number = 0

    def numref(match):
        """`{numref}` to an exercise: the module's own number, as its page shows it (kept
        explicit here: the notebook has no Sphinx to number it)."""
        label = match.group("target") or match.group("label")
        if label not in numbers:
            return match.group(0)
        if match.group("text"):
            return match.group("text").replace("%s", str(numbers[label]))
        return t("Exercise {number}", number=numbers[label])

    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        text = cell.source

        def heading(_match):
            nonlocal number
            number += 1
            return "### " + t("Exercise {number}", number=number)

        text = _NUMREF.sub(numref, text)
        text = _EXERCISE_START.sub(heading, text)
        text = _EXERCISE_END.sub("", text)
        text = _START.sub("**" + t("Solution") + "**", text)
        text = _END.sub("", text)
        text = _ADMONITION.sub(_as_blockquote, text)
        text = _LINK.sub(lambda m: _site_link(m, lang), text)
        cell.source = re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
    nb.cells = [c for c in nb.cells if c.cell_type != "markdown" or c.source.strip()]
    return nb


KINDS = ("solutions", "exercises")
"""The trainers' and the participants' notebook of each module."""

_BLOCK_START = re.compile(r"(?P<prefix>#{1,6}\s+|[-*]\s+|\d+\.\s+)?(?P<text>.*)")
_FENCE = re.compile(r"(?P<fence>```\{\w[\w-]*\}\s*)(?P<title>.*)")


def _catalogue(paths: Paths, lang: str, slug: str) -> dict[str, str]:
    """The page's translated messages (the catalogue Sphinx translates the module page with)."""
    if lang == "en":
        return {}
    from babel.messages.pofile import read_po

    po = paths.locales / lang / "LC_MESSAGES" / "_generated" / "workshops" / f"{slug}.po"
    if not po.exists():  # a new module before `kb i18n update`; `kb i18n check` reports it
        return {}
    with po.open("rb") as handle:
        return {m.id: m.string for m in read_po(handle) if m.id and m.string and not m.fuzzy}


def translate_markdown(text: str, messages: dict[str, str]) -> str:
    """A Markdown cell in the language of `messages`, paragraph by paragraph.

    The book's Russian pages are translated by Sphinx from the same catalogue: each heading,
    paragraph, list item and admonition title is one message, its lines joined by spaces. Lines
    of directive syntax (fences, `:class:` options) are kept; text no message matches stays.
    """
    if not messages:
        return text
    out: list[str] = []
    para: list[str] = []
    prefix = ""

    def flush():
        nonlocal para, prefix
        if para:
            source = " ".join(line.strip() for line in para)
            out.append(prefix + (messages[source] if source in messages else "\n".join(para)))
        para, prefix = [], ""

    for line in text.splitlines():
        fence = _FENCE.match(line)
        if not line.strip() or line.startswith(":") or line.startswith("```"):
            flush()
            if fence and fence.group("title").strip():
                title = fence.group("title").strip()
                line = fence.group("fence") + messages.get(title, title)
            out.append(line)
            continue
        start = _BLOCK_START.match(line)
        if start.group("prefix") or line.startswith("#"):
            flush()
            prefix = start.group("prefix") or ""
            para = [start.group("text")]
            if prefix.startswith("#"):
                flush()
            continue
        para.append(line)
    flush()
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")


def _in_language(nb, lang: str, messages: dict[str, str], title: str):
    """A copy of a module notebook with its text, title and `lang` parameter in `lang`."""
    import copy

    out = copy.deepcopy(nb)
    for cell in out.cells:
        if cell.cell_type == "markdown":
            cell.source = translate_markdown(cell.source, messages).replace("{{ title }}", title)
        elif "parameters" in cell.metadata.get("tags", []):
            cell.source = re.sub(r'^lang = "\w+"', f'lang = "{lang}"', cell.source, flags=re.M)
    for number, cell in enumerate(out.cells):
        cell["id"] = f"cell-{number}"  # stable ids: unchanged templates, unchanged files
    return out


def write_notebooks(paths: Paths | None = None) -> list[Path]:
    """The participants' and trainers' notebooks of every module, without outputs, in every
    language of the book (the Russian ones translated with the module page's catalogue)."""
    import jupytext
    import nbformat

    paths = paths or Paths.here()
    target = paths.book / "_extra" / DOWNLOADS
    target.mkdir(parents=True, exist_ok=True)
    found = sorted(paths.templates.glob("workshop_m*.md"))
    catalogues = sorted((paths.locales).glob("*/LC_MESSAGES/_generated/workshops/m*.po"))
    digest = hashlib.sha256(Path(__file__).read_bytes())
    digest.update(Path(i18n.__file__).read_bytes())
    for source in [*found, *catalogues]:
        digest.update(source.name.encode() + source.read_bytes())
    stamp = paths.cache / "workshop-notebooks.sha256"
    slugs = [t.stem.removeprefix("workshop_") for t in found]
    names = [notebook_name(s, k, lang) for s in slugs for k in KINDS for lang in i18n.LANGUAGES]
    if (
        stamp.exists()
        and stamp.read_text() == digest.hexdigest()
        and all((target / name).exists() for name in names)
    ):
        return [target / name for name in names]  # unchanged inputs: the same notebooks
    written = []
    for m in modules(paths):
        source = jupytext.read(m.template)
        source.metadata.pop("kb_workshop", None)
        source.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
        for lang in i18n.LANGUAGES:
            messages = _catalogue(paths, lang, m.slug)
            before = i18n.language()
            i18n.set_language(lang)
            try:
                versions = []
                for kind, nb in ((KINDS[0], source), (KINDS[1], student_notebook(source))):
                    nb = _in_language(nb, lang, messages, m.title_in(lang))
                    versions.append((notebook_name(m.slug, kind, lang), plain_notebook(nb)))
            finally:
                i18n.set_language(before)
            for name, version in versions:
                text = nbformat.writes(version)
                path = target / name
                if not path.exists() or path.read_text(encoding="utf-8") != text:
                    path.write_text(text, encoding="utf-8")
                written.append(path)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(digest.hexdigest())
    return written
