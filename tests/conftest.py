"""Shared fixtures: a real copy of the project, built once per test session with `kb build`."""

from __future__ import annotations

import contextlib
import csv
import fcntl
import hashlib
import html
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from kb.build.bench import edit_one_observation
from kb.paths import ignore_outputs

ROOT = Path(__file__).resolve().parents[1]
KB = str(Path(sys.executable).with_name("kb"))


LONGEST_FIRST = (
    "test_incremental.py",
    "test_browser.py",
    "test_kit.py",
    "test_pipeline.py",
    "test_data.py",
    "test_pdf.py",
)
"""The test files that take longest, longest first. `make test` hands whole files to its two
workers in the order the files are collected (`--dist loadfile --no-loadscope-reorder`; by
default xdist puts the files with the most tests first): a long file collected last would keep
one worker busy while the other has nothing left to do."""


def pytest_collection_modifyitems(items) -> None:
    """Collect the longest test files first (`LONGEST_FIRST`), the others after them in their
    usual order; each file's tests keep their order."""
    rank = {name: number for number, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


def copy_project(target: Path, source: Path = ROOT) -> Path:
    """A clean copy of the project's sources in `target` (no venv, build outputs or caches)."""
    shutil.copytree(source, target, ignore=ignore_outputs)
    return target


IN_FOREGROUND = (
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
    "os.execv(sys.argv[1], sys.argv[1:])"
)
"""Runs the command in its arguments with SIGINT's default action, which it keeps through exec.
A process inherits an ignored SIGINT, and Python then leaves it ignored: a shell without job
control ignores it for a command run in the background (`… &`), and the tests may be run so."""


def start_kb(
    root: Path, *args: str, env: dict | None = None, session: bool = False
) -> subprocess.Popen:
    """`kb ARGS` started in `root` as a separate process (extra environment variables in
    `env`), its output captured as text; with `session`, as the leader of a process group of its
    own, which a signal can reach whole, as a terminal's does, and with Ctrl-C's signal handled
    as a terminal's foreground command has it (`IN_FOREGROUND`)."""
    env = {**os.environ, "KB_ROOT": str(root), **(env or {})}
    return subprocess.Popen(
        [sys.executable, "-c", IN_FOREGROUND, KB, *args] if session else [KB, *args],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=session,
    )


def run_kb(
    root: Path, *args: str, timeout: int = 900, env: dict | None = None
) -> subprocess.CompletedProcess:
    """`kb ARGS` in `root`, run to its end."""
    process = start_kb(root, *args, env=env)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def rewrite_csv(path: Path, edit) -> None:
    """Read a CSV of `data/` as rows, let `edit(rows)` change them in place, write it back."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    edit(rows)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


FIGURE_SPEC = re.compile(r'<figure class="kb-chart" data-spec="[^"]*?([^/"]+)"')


def chart_specs(html_text: str, charts: Path) -> list[str]:
    """The Vega-Lite specs (JSON text) of the charts in a page's HTML, read from their spec
    scripts in the `charts` folder."""
    from kb.charts import SPEC_SCRIPT

    return [
        SPEC_SCRIPT.match((charts / name).read_text(encoding="utf-8")).group(1)
        for name in FIGURE_SPEC.findall(html_text)
    ]


def article_text(page: Path) -> str:
    """A built page's article as plain text (tags dropped, entities decoded, spaces collapsed)."""
    body = page.read_text(encoding="utf-8")
    article = body[body.index("<article") : body.index("</article>")]
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", article)))


def file_hashes(folder: Path) -> dict[str, str]:
    """Each file's path under `folder` and the SHA-256 of its bytes."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def site_pages(site: Path) -> list[Path]:
    """The published pages of a site, both editions (`_static/` left out)."""
    return sorted(p for p in site.rglob("*.html") if "_static" not in p.parts)


def use_colour_scheme(root: Path, scheme: str) -> None:
    """Set the theme's colour scheme (`default_mode`) in the project's `_config.yml`."""
    config = root / "_config.yml"
    text = config.read_text(encoding="utf-8")
    assert len(re.findall(r"default_mode: \w+", text)) == 1
    config.write_text(re.sub(r"default_mode: \w+", f"default_mode: {scheme}", text), "utf-8")


def tree_digest(folder: Path) -> str:
    """One hash of every file's path and bytes, to prove a folder was left untouched."""
    return hashlib.sha256(repr(sorted(file_hashes(folder).items())).encode()).hexdigest()


def shared_folder(tmp_path_factory, name: str, make) -> Path:
    """A folder made once per test run by `make(folder)`, also when pytest-xdist runs several
    workers: the first worker to ask makes it while the others wait on a lock. Tests read it and
    never change it (those that change a project take a `built_copy`)."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the run's folder, which every worker's own folder is in
    folder = base / f"shared-{name}"
    with (base / f"shared-{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        made = base / f"shared-{name}.made"
        if not made.exists():
            shutil.rmtree(folder, ignore_errors=True)  # left half-made by a failed attempt
            folder.mkdir()
            make(folder)
            made.touch()
    return folder


@pytest.fixture(scope="session")
def built_project(tmp_path_factory) -> Path:
    """The whole book, built from a clean copy of the project (real papermill + Jupyter Book)."""

    def make(folder: Path) -> None:
        root = copy_project(folder / "project")
        result = run_kb(root, "build")
        assert result.returncode == 0, result.stdout + result.stderr

    return shared_folder(tmp_path_factory, "book", make) / "project"


@pytest.fixture(scope="session")
def site(built_project) -> Path:
    return built_project / "_build" / "html"


@pytest.fixture()
def built_copy(built_project, tmp_path) -> Path:
    """A private copy of the built project, for tests that break something and rebuild."""
    target = tmp_path / "project"
    shutil.copytree(built_project, target, symlinks=True)
    return target


HOSTILE_TEXT = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">'
HOSTILE_NOTE = '<b onmouseover="window.__xss=3">note</b>'
FORMULA = '=HYPERLINK("http://example.invalid","x")'


@dataclass
class EditedBook:
    """A built project edited in every kind of input and rebuilt incrementally (conftest's
    `edited_book` says how)."""

    root: Path  # after every edit: the sources of `twin`; its site is the last build's
    round_one: Path  # a copy of the site after the first round of edits
    interrupted: list[dict]  # the first round's two interrupted builds: signal, exit, stderr
    interrupted_site_kept: bool  # whether the published site was as before after both
    round_one_executed: list[str]  # the pages the three builds of the first round executed
    round_two_runs: list[dict]  # the second round's two builds started at once: exit, output
    round_two_rewritten: list[str]  # the executed pages (notebooks) that round wrote again
    round_two_reread: list[str]  # the pages its Sphinx builds read again (`ru/` for Russian)
    twin: Path  # a clean build of the last sources, in another folder

    @property
    def site(self) -> Path:
        """The site of the last incremental build (after both rounds)."""
        return self.root / "_build" / "html"


TABLE_PROBE = "kb-probe-table"  # a class the edited `kb.display` gives every table


def _edit_tables(root: Path) -> None:
    """Edits of tables many pages read: `kb update` (from recordings of the publishers' APIs, no
    network), markup in a project's text, a formula in a copied table."""
    from tests.test_update import update_from_recordings

    update_from_recordings(root)

    rewrite_csv(
        root / "data" / "projects.csv",
        lambda rows: rows[0].update(lead_agency=HOSTILE_TEXT, note=HOSTILE_NOTE),
    )
    rewrite_csv(root / "data" / "sources.csv", lambda rows: rows[0].update(note="@SUM(A1) +1 text"))


def _edit_what_some_pages_read(root: Path) -> None:
    """Edits of what some pages read: a project's title (a formula), which its neighbours name
    in their links; a value; a population change below the charts' rounding; the latest forest
    share of Kazakhstan, as `make bench` edits it; a date the prose quotes; a module's minutes,
    which the workshop agenda (another page) reads from its template."""
    rewrite_csv(root / "data" / "projects.csv", lambda rows: rows[1].update(title=FORMULA))

    def observations(rows):
        for row in rows:
            key = (row["indicator"], row["country"], row["year"])
            if key == ("forest_area_pct", "KAZ", "2020"):
                row["value"] = "1.4321"
            if key == ("population", "KAZ", "2018"):
                row["value"] = str(int(float(row["value"])) + 1)

    rewrite_csv(root / "data" / "observations.csv", observations)
    edit_one_observation(root)

    def timeline(rows):
        next(r for r in rows if r["id"] == "phase1-approval")["date"] = "2006-08-29"

    rewrite_csv(root / "data" / "timeline.csv", timeline)
    template = root / "book" / "templates" / "workshop_m1.md"
    text = template.read_text(encoding="utf-8")
    template.write_text(text.replace("teaching_minutes: 40", "teaching_minutes: 47"), "utf-8")


def _edit_domain_code(package: Path) -> None:
    """An edit of the domain code every page imports, in the copy of `kb` the builds run with:
    `kb.display` gives every table it makes a class."""
    display = package / "display.py"
    text = display.read_text(encoding="utf-8")
    assert text.count('<table class="kb-table') == 1
    display.write_text(
        text.replace('<table class="kb-table', f'<table class="{TABLE_PROBE} kb-table'), "utf-8"
    )


def edit_what_sphinx_reads(root: Path, package: Path) -> None:
    """Edits of what Sphinx reads and no page notebook reads: the book's configuration, a style
    sheet and the book's Sphinx extension (in the copy of `kb` the builds run with), read for
    every page, and the translation of a Markdown page."""
    use_colour_scheme(root, "dark")
    sheet = root / "book" / "_static" / "kb.css"
    sheet.write_text(sheet.read_text(encoding="utf-8") + "\n/* kb-probe */\n", "utf-8")
    extension = package / "sphinx_ext" / "__init__.py"
    text = extension.read_text(encoding="utf-8")
    extension.write_text(
        text.replace('"Русская версия"', '"Русская версия (новая)"').replace(
            '"English version"', '"English version (new)"'
        ),
        encoding="utf-8",
    )
    po = root / "locales" / "ru" / "LC_MESSAGES" / "programme" / "overview.po"
    po.write_text(
        po.read_text(encoding="utf-8").replace(
            'msgstr "Основные сведения"', 'msgstr "Основные сведения о программе"'
        ),
        encoding="utf-8",
    )


def _times(folders: dict[str, Path], suffix: str) -> dict[str, int]:
    """Each file with this suffix under the folders, named by its path (suffix dropped) after
    the folder's prefix, with its modification time."""
    return {
        prefix + p.relative_to(folder).as_posix().removesuffix(suffix): p.stat().st_mtime_ns
        for prefix, folder in folders.items()
        for p in folder.rglob(f"*{suffix}")
    }


def _changed(before: dict[str, int], after: dict[str, int]) -> list[str]:
    """The files of `after` that are new or written again since `before`."""
    return sorted(p for p in after if after[p] != before.get(p))


def _interrupt_build(root: Path, env: dict, pages: int, sig: signal.Signals) -> dict:
    """`kb build` in `root`, sent `sig` with every process it started (a terminal's Ctrl-C,
    or all of them killed at once) as soon as it has executed `pages` pages: its exit status and
    output, and whether the signal was sent before it ended."""
    stamps = root / ".kb-cache" / "executed"  # one per page executed, written as each ends
    started = time.time_ns()
    process = start_kb(root, "build", env=env, session=True)
    sent_at, done = None, 0
    deadline = time.monotonic() + 600
    while sent_at is None and process.poll() is None and time.monotonic() < deadline:
        done = 0
        for stamp in stamps.rglob("*.json"):
            with contextlib.suppress(FileNotFoundError):  # a build deletes outdated stamps
                done += stamp.stat().st_mtime_ns >= started
        if done >= pages:
            os.killpg(process.pid, sig)
            sent_at = time.monotonic()
        time.sleep(0.05)
    out, err = process.communicate(timeout=600)
    return {
        "signal": sig.name,
        "sent": sent_at is not None,
        "returncode": process.returncode,
        "stderr": err,
        # For a failure's message: the pages counted when the signal went, how long the build
        # took to end after it, and the end of what it printed.
        "pages_then": done,
        "seconds_to_end": None if sent_at is None else round(time.monotonic() - sent_at, 2),
        "stdout_end": out[-300:],
    }


def _build_twice_at_once(root: Path, env: dict) -> list[dict]:
    """Two `kb build` started at once in `root`: each one's exit status and output."""
    runs = [start_kb(root, "build", env=env) for _ in range(2)]
    outputs = [run.communicate(timeout=900) for run in runs]
    return [
        {"returncode": run.returncode, "stdout": out, "stderr": err}
        for run, (out, err) in zip(runs, outputs, strict=True)
    ]


@pytest.fixture(scope="session")
def edited_book(tmp_path_factory, built_project) -> EditedBook:
    """The session's built book, copied, edited and rebuilt where the copy is, in two rounds:

    1. what every page shows: what Sphinx reads (the configuration, a style sheet, the book's
       extension, the translation of a Markdown page) and the domain code every page imports,
       so every page runs again; with them, tables many pages read (`_edit_tables`). The build
       is killed (kill -9 of all its processes) once 10 pages ran, then interrupted (Ctrl-C)
       once 30 more ran, and a third build finishes the round (`round_one`, a copy of its site);
    2. what some pages read (`_edit_what_some_pages_read`), and two `kb build` are
       started at once (`round_two_runs`, `round_two_rewritten`, `round_two_reread`): only the
       pages that read what changed run again, and Sphinx, which the first round settled where
       the copy is, reads again only what changed.

    A clean build of the last sources is made in another folder (`twin`): the incremental site
    must equal it, byte for byte.
    """

    def make(folder: Path) -> None:
        root = folder / "project"
        shutil.copytree(built_project, root, symlinks=True)
        package = folder / "src" / "kb"
        shutil.copytree(ROOT / "src" / "kb", package, ignore=shutil.ignore_patterns("__pycache__"))
        env = {"PYTHONPATH": str(package.parent)}

        def build(project: Path) -> str:
            result = run_kb(project, "build", env=env)
            assert result.returncode == 0, result.stdout + result.stderr
            return result.stdout

        edit_what_sphinx_reads(root, package)
        _edit_domain_code(package)
        _edit_tables(root)
        # Round 1 is stopped twice while its pages run: killed (every process of the build at
        # once, kill -9), then interrupted (Ctrl-C); the third build finishes it.
        stamps = {"": root / ".kb-cache" / "executed"}
        before_stamps = _times(stamps, ".json")
        site_before = tree_digest(root / "_build" / "html")
        interrupted = [
            _interrupt_build(root, env, pages=10, sig=signal.SIGKILL),
            _interrupt_build(root, env, pages=30, sig=signal.SIGINT),
        ]
        site_kept = tree_digest(root / "_build" / "html") == site_before
        build(root)
        executed = _changed(before_stamps, _times(stamps, ".json"))
        (folder / "round-one.json").write_text(
            json.dumps({"builds": interrupted, "site_kept": site_kept, "executed": executed})
        )
        shutil.copytree(root / "_build" / "html", folder / "round-one")

        work = root / "_build"
        notebooks = {"": root / "book" / "_generated"}
        doctrees = {"": work / ".work/_build/.doctrees", "ru/": work / ".ru/work/_build/.doctrees"}
        before = {"notebooks": _times(notebooks, ".ipynb"), "read": _times(doctrees, ".doctree")}
        _edit_what_some_pages_read(root)
        runs = _build_twice_at_once(root, env)
        assert [run["returncode"] for run in runs] == [0, 0], runs
        rewritten = _changed(before["notebooks"], _times(notebooks, ".ipynb"))
        reread = _changed(before["read"], _times(doctrees, ".doctree"))
        (folder / "round-two.json").write_text(
            json.dumps(
                {"runs": runs, "rewritten": [f"{p}.ipynb" for p in rewritten], "reread": reread}
            )
        )
        build(copy_project(folder / "twin", root))

    folder = shared_folder(tmp_path_factory, "edited", make)
    round_one = json.loads((folder / "round-one.json").read_text())
    round_two = json.loads((folder / "round-two.json").read_text())
    return EditedBook(
        root=folder / "project",
        round_one=folder / "round-one",
        interrupted=round_one["builds"],
        interrupted_site_kept=round_one["site_kept"],
        round_one_executed=round_one["executed"],
        round_two_runs=round_two["runs"],
        round_two_rewritten=round_two["rewritten"],
        round_two_reread=round_two["reread"],
        twin=folder / "twin",
    )
