"""Workshop modules: objectives, minutes, exercises with hidden solutions, runnable notebooks."""

from __future__ import annotations

import datetime as dt
import re

import nbformat
import pytest

from kb import workshops
from kb.paths import Paths

from .conftest import ROOT


def test_agenda_sums_the_modules_minutes(site):
    mods = workshops.modules(Paths(ROOT))
    assert len(mods) >= 5
    page = (site / "_generated" / "workshops" / "agenda.html").read_text(encoding="utf-8")
    teach = sum(m.teaching_minutes for m in mods)
    practise = sum(m.exercise_minutes for m in mods)
    assert re.search(
        rf'<td class="kb-num"[^>]*>{teach}</td><td class="kb-num"[^>]*>{practise}</td>', page
    )
    for m in mods:
        assert f'href="{m.slug}.html"' in page


@pytest.mark.parametrize("lang, word", [("", "Exercise"), ("ru/", "Упражнение")])
def test_exercises_are_numbered_per_module_as_in_its_notebooks(site, lang, word):
    """A module's page numbers its exercises 1, 2, … as its notebooks do; its solutions and the
    objectives' references give the same numbers."""
    for slug in ("m0", "m1", "m2", "m3", "m4"):
        page = (site / lang / "_generated" / "workshops" / f"{slug}.html").read_text("utf-8")
        titles = re.findall(rf'<span class="caption-number">{word} (\d+)', page)
        solved = re.findall(rf"(?:Solution to|Решение к)<a [^>]*> {word} (\d+)", page)
        assert titles == [str(n) for n in range(1, len(titles) + 1)] and len(titles) >= 2, slug
        assert solved == titles, slug
        suffix = "-ru" if lang else ""
        notebook = nbformat.read(site / "workshops" / f"{slug}-exercises{suffix}.ipynb", 4)
        headings = re.findall(rf"### {word} (\d+)", "\n".join(c.source for c in notebook.cells))
        assert headings == titles, slug


@pytest.mark.parametrize("slug", ["m0", "m1", "m2", "m3", "m4"])
def test_module_page_has_objectives_exercises_and_hidden_solutions(site, slug):
    page = (site / "_generated" / "workshops" / f"{slug}.html").read_text(encoding="utf-8")
    assert "Learning objectives." in page and "Prerequisites." in page
    assert "Instructor notes" in page
    exercises = page.count('<div class="exercise admonition"')
    solutions = page.count('<div class="solution dropdown admonition"')  # hidden until opened
    assert exercises >= 2 and solutions == exercises


def test_participants_notebooks_hold_no_solutions(site):
    for slug in ("m0", "m1", "m2", "m3", "m4"):
        student = nbformat.read(site / "workshops" / f"{slug}-exercises.ipynb", as_version=4)
        full = nbformat.read(site / "workshops" / f"{slug}-solutions.ipynb", as_version=4)
        sources = "\n".join(c.source for c in student.cells)
        assert "solution-start" not in sources and "Instructor notes" not in sources
        assert "Expected answer" not in sources and "Formative check" in sources
        assert "Expected answer" in "\n".join(c.source for c in full.cells)
        assert sources.count("### Exercise ") >= 2 and "{exercise-start}" not in sources
        assert sources.count("# Your answer here") >= 2
        solution_code = {c.source for c in full.cells if c.cell_type == "code"} - {
            c.source for c in student.cells if c.cell_type == "code"
        }
        assert len(solution_code) >= 2  # the solutions are in the trainers' copy only
        assert all(not c.get("outputs") for c in full.cells if c.cell_type == "code")


def _cyrillic_share(text: str) -> float:
    letters = [c for c in text if c.isalpha()]
    return sum("а" <= c.lower() <= "я" or c in "ёЁ" for c in letters) / max(len(letters), 1)


@pytest.mark.parametrize("slug", ["m0", "m1", "m2", "m3", "m4"])
def test_russian_notebooks_are_in_russian_and_hide_the_solutions(site, slug):
    """Each module's notebooks exist per language: the Russian ones speak Russian outside code,
    run in Russian (`lang = "ru"`) and the participants' copy holds no solution or trainer note."""
    student = nbformat.read(site / "workshops" / f"{slug}-exercises-ru.ipynb", as_version=4)
    full = nbformat.read(site / "workshops" / f"{slug}-solutions-ru.ipynb", as_version=4)
    prose = re.sub(
        r"`[^`]*`|\]\([^)]*\)|```[^\n]*|:[a-z]+:[^\n]*",
        " ",
        "\n".join(c.source for c in student.cells if c.cell_type == "markdown"),
    )
    assert _cyrillic_share(prose) > 0.9, prose[:500]
    assert any('lang = "ru"' in c.source for c in student.cells if c.cell_type == "code")
    sources = "\n".join(c.source for c in student.cells)
    assert "Заметки для тренера" not in sources and "solution-start" not in sources
    assert sources.count("### Упражнение ") >= 2 and sources.count("# Ваш ответ") >= 2
    assert "Заметки для тренера" in "\n".join(c.source for c in full.cells)


def test_solutions_show_their_code_and_a_skipped_cell_says_why(site):
    page = (site / "_generated" / "workshops" / "m2.html").read_text(encoding="utf-8")
    solutions = [
        part.split('<div class="exercise admonition"')[0]
        for part in page.split('<div class="solution dropdown admonition"')[1:]
    ]
    assert len(solutions) == 3 and all('<div class="highlight">' in s for s in solutions)
    papermill_solution = next(s for s in solutions if "execute_notebook" in s)
    assert "without running it" in papermill_solution
    assert "cell_output" not in papermill_solution  # shown, not run, by the build


def test_notebooks_show_plain_markdown_and_their_links_resolve_in_the_site(site):
    """JupyterLab shows no MyST syntax (`:class: tip`), and a link in a notebook opened from the
    site's `workshops/` folder (or the offline zip) reaches its page."""
    checked = 0
    for path in sorted((site / "workshops").glob("m*-*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        text = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
        assert "```{" not in text and ":class:" not in text, path.name
        assert "{numref}" not in text, path.name  # exercise references as the module's numbers
        for target in re.findall(r"\]\(((?!https?:)[^)#\s]+)", text):
            assert (path.parent / target).resolve().is_file(), f"{path.name}: {target}"
            checked += 1
    assert checked >= 12


def test_the_day_is_a_timetable_of_contiguous_slots_with_the_modules_minutes():
    day = workshops.day(Paths(ROOT))
    assert str(day.start.iloc[0]) == "09:00:00"
    assert all(a == b for a, b in zip(day.end.iloc[:-1], day.start.iloc[1:], strict=True))
    modules = {m.number: m.total_minutes for m in workshops.modules(Paths(ROOT))}
    shown = day[day.kind == "module"]
    assert dict(zip(shown.module.astype(int), shown.minutes, strict=True)) == modules
    assert {"break"} <= set(day.kind) and len(day) >= len(modules) + 4  # set-up, welcome, breaks


def test_the_russian_agenda_shows_the_day_in_russian(site):
    page = (site / "ru/_generated/workshops/agenda.html").read_text(encoding="utf-8")
    assert "Расписание дня" in page and "09:00–09:20" in page and "Обед" in page


@pytest.mark.parametrize("slug", ["m0", "m1", "m2", "m3", "m4"])
def test_module_page_asks_questions_and_ends_with_key_points_and_a_check(site, slug):
    """The glance block says what the module answers and which exercise assesses each objective;
    the page ends with its key points and a formative check whose answer waits in a dropdown."""
    page = (site / "_generated" / "workshops" / f"{slug}.html").read_text(encoding="utf-8")
    glance = page.split("Module at a glance", 1)[1].split("</div>", 2)[:2]
    glance = re.sub(r"<[^>]+>", "", "".join(glance))  # the exercise references are links
    assert "Questions." in glance and "Learning objectives." in glance
    assert re.search(r"assessed by exercises? \d", glance)
    tail = page.split('<div class="exercise admonition"')[-1]
    assert 'id="key-points"' in tail and 'id="formative-check"' in tail
    check = tail.split('id="formative-check"', 1)[1]
    assert re.search(r'class="[^"]*\bdropdown\b', check) and "Expected answer" in check


def test_the_day_opens_with_the_primer_and_closes_with_the_capstone():
    day = workshops.day(Paths(ROOT))
    shown = [int(m) for m in day[day.kind == "module"].module]
    assert len(shown) >= 4 and shown[0] == 0 and shown[-1] == 4
    assert day.end.iloc[-1] <= dt.time(17, 15)  # the day ends by about five
    for before, after in zip(day.kind.iloc[:-1], day.kind.iloc[1:], strict=True):
        assert not (before == after == "module")  # no two modules back to back


def test_a_half_day_variant_skips_the_primer_and_ends_by_lunch(site):
    half = workshops.day(Paths(ROOT), variant="half")
    shown = [int(m) for m in half[half.kind == "module"].module]
    assert 0 not in shown and shown[-1] == 4
    assert half.end.iloc[-1] <= dt.time(13, 0)
    page = (site / "_generated" / "workshops" / "agenda.html").read_text(encoding="utf-8")
    assert page.count('<a href="m4.html">') == 3  # the module list and both timetables
