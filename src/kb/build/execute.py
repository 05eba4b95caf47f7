"""Run the notebook templates with papermill, in parallel, skipping pages whose inputs are unchanged.

Templates are MyST Markdown notebooks (`book/templates/*.md`, readable diffs, no outputs in git);
jupytext turns them into notebooks and papermill executes them with each page's parameters into
`book/_generated/`. A page is re-run only when the hash of its inputs changes: the template, its
parameters, every file in `data/`, the `kb` source and the lock file. Jupyter-cache, by contrast,
hashes code cells only, so data edits would leave pages stale.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from kb import deps
from kb.build import kernels
from kb.build.pages import Job
from kb.errors import KbError
from kb.paths import Paths

PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")


@dataclass
class ExecutionReport:
    """What `execute` did: pages run (with seconds) and pages skipped as up to date."""

    ran: dict[str, float] = field(default_factory=dict)
    same_output: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _digest_files(files, base: Path) -> str:
    """Hash of file contents and their paths relative to `base` (so a moved copy hashes alike)."""
    h = hashlib.sha256()
    for f in sorted(files):
        h.update(str(f.relative_to(base)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def shared_inputs_hash(paths: Paths) -> str:
    """Hash of the code every page depends on: the kb package, the set-up cell the build puts
    first in every page, and the locked environment.

    Data is hashed per page, over only the slices the page read last time (see kb.deps).
    """
    import kb

    package = Path(kb.__file__).parent  # the code the kernels import, wherever it is installed
    h = hashlib.sha256(_digest_files(package.glob("*.py"), package).encode())
    h.update(PAGE_SETUP.encode())
    lock = paths.root / "requirements.lock"
    if lock.exists():
        h.update(lock.read_bytes())
    return h.hexdigest()


def job_hash(job: Job, paths: Paths, shared: str, data: dict[str, str], keys: list[str]) -> str:
    """Hash of one page's inputs: code, template, parameters and the data slices it reads."""
    h = hashlib.sha256(shared.encode())
    h.update((paths.templates / job.template).read_bytes())
    h.update(json.dumps([job.output, job.parameters, job.title], sort_keys=True).encode())
    h.update(deps.slice_hash(keys, data).encode())
    return h.hexdigest()


def _stamp(job: Job, paths: Paths) -> Path:
    return paths.cache / "executed" / f"{job.name}.json"


def _running_file(job: Job, paths: Paths) -> Path:
    """Where a page is written while it runs, outside the book's sources: a Sphinx build that sets
    itself up meanwhile must not see a half-written page. (sphinx-external-toc adds the files it
    finds outside the table of contents to `exclude_patterns`; a list that differs from the last
    build's is a configuration change, and Sphinx then reads every page again.) The finished page
    replaces the old one in a single rename: the cache and the book are on one file system."""
    return paths.cache / "running" / f"{job.name.replace('/', '__')}.ipynb"


def _deps_file(job: Job, paths: Paths) -> Path:
    return paths.cache / "deps" / f"{job.name.replace('/', '__')}.json"


def _fresh(job: Job, paths: Paths, shared: str, data: dict[str, str]) -> bool:
    """True when the page's output exists and none of its recorded inputs changed."""
    stamp = _stamp(job, paths)
    if not (stamp.exists() and job.output_path(paths).exists()):
        return False
    try:
        saved = json.loads(stamp.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return False
    return saved.get("hash") == job_hash(job, paths, shared, data, saved.get("deps", []))


def _template_line(template: Path, source: str) -> int | None:
    """Line in the Markdown template where a failing cell's source starts."""
    first = next((ln for ln in source.splitlines() if ln.strip()), None)
    if first is None:
        return None
    for number, line in enumerate(template.read_text(encoding="utf-8").splitlines(), start=1):
        if line.rstrip() == first.rstrip():
            return number
    return None


BUILD_TAG = "kb-build"
"""Cells the build adds around a template (page set-up, saving what data it read); they hold
machine-specific paths and are dropped from the executed page."""


def postprocess(nb, job: Job):
    """Drop the build's own cells, hide code and parameter cells, fill `{{ name }}`
    placeholders in Markdown cells, and record the template (not its text) as papermill's input."""
    nb.cells = [c for c in nb.cells if BUILD_TAG not in c.metadata.get("tags", [])]
    nb.metadata.setdefault("papermill", {})["input_path"] = f"book/templates/{job.template}"
    nb.metadata["papermill"].pop("output_path", None)
    context = {k: html.escape(v, quote=False) for k, v in job.context().items()}
    for cell in nb.cells:
        tags = cell.setdefault("metadata", {}).setdefault("tags", [])
        if cell.cell_type == "code":
            if {"parameters", "injected-parameters"} & set(tags):
                tags.append("remove-cell")
            elif "show-input" not in tags and "remove-input" not in tags:
                tags.append("remove-input")
        elif cell.cell_type == "markdown":
            cell.source = PLACEHOLDER.sub(
                lambda m: context.get(m.group(1), m.group(0)), cell.source
            )
    return nb


def _prepare_worker(root: str) -> None:
    """Worker start-up: kernel chatter to a log file, not the terminal."""
    log = Paths(Path(root)).cache / "logs" / "kernels.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as handle:
        os.dup2(handle.fileno(), 2)


WORKERS = os.cpu_count() or 1
"""Pages run side by side, one per core. (With a kept kernel client a worker hardly waits on its
kernel; a third worker on two cores was measured slower: its kernel costs more than the idle
time it fills.)"""


def _worker_context():
    """Workers start from a fork server: a clean process that imported what workers use and
    nothing else (no threads, no open sockets), so that starting a worker costs no imports and
    inherits nothing of the build. The start method is explicit, whatever the platform default."""
    import multiprocessing

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(kernels.WORKER_MODULES))
    return context


class Workers:
    """Worker processes for pages, each with its own kernel (`kb.build.kernels`).

    They start when first needed, by `warm` or the first page, from a fork server that has
    imported what they use. Use as a context manager; closing it shuts the kernels down.
    """

    def __init__(self, root: Path, count: int | None = None):
        self.root = str(root)
        self.count = max(1, count or WORKERS)
        self.pool = ProcessPoolExecutor(
            max_workers=self.count,
            mp_context=_worker_context(),
            initializer=_prepare_worker,
            initargs=(self.root,),
        )
        self._stopping: threading.Thread | None = None

    def submit(self, task, *args):
        return self.pool.submit(task, *args)

    def warm(self, count: int) -> None:
        """Start `count` kernels (one per worker) in the background."""
        for _ in range(min(count, self.count)):
            self.submit(kernels.warm, self.root)

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self, wait: bool = True) -> None:
        """Stop the workers (and their kernels); `wait=False` lets them stop in the background
        while the build goes on (0.15 s, measured) — close again with `wait=True` to join them.

        The pool is always shut down with `wait=True`, in a thread of ours when the caller does
        not wait: `ProcessPoolExecutor.shutdown(wait=False)` forgets its workers, so a later
        `shutdown(wait=True)` joins nothing, and a `kb` that then exits at once can leave workers
        that never got their stop signal, holding its output pipes open (a caller waiting for
        its output hangs)."""
        if self._stopping is None:
            self._stopping = threading.Thread(
                target=self.pool.shutdown, kwargs={"wait": True, "cancel_futures": True}
            )
            self._stopping.start()
        if wait:
            self._stopping.join()


PAGE_SETUP = (
    'get_ipython().run_line_magic("reset", "-f")\n'
    "import os\nos.environ.update({env!r})\n"
    "import kb.deps\nkb.deps.reset()\n"
    # Options another page may have changed go back to a new kernel's.
    "import pandas\npandas.reset_option('^display|^mode', silent=True)\n"
    "pandas.set_option('display.max_columns', 20)\n"
    # Data frames a page shows are tables in the book's frame (kb.display.frame_html).
    "import kb.display\nget_ipython().display_formatter.formatters['text/html'].for_type("
    "pandas.DataFrame, kb.display.frame_html)\n"
    # Bare Altair charts on a page are drawn like the book's figures.
    "import altair, kb.charts\naltair.renderers.enable('kb')\n"
    "import kb.i18n\nkb.i18n.reset()\nkb.i18n.set_language({lang!r})"
)
"""The hidden first cell of every page (`{env!r}`, `{lang!r}` filled per page). What it runs
shapes every page's output, so it is one of the inputs every page's hash includes."""


def _page_setup_cell(env: dict[str, str], lang: str):
    """Hidden first cell: forget the previous page's names, set this page's environment."""
    import nbformat

    source = PAGE_SETUP.format(env=env, lang=lang)
    return nbformat.v4.new_code_cell(source, metadata={"tags": [BUILD_TAG]})


def _code_cell_number(template: Path, failing_source: str) -> int | None:
    """1-based position of the failing cell among the template's code cells."""
    import jupytext

    code = [c.source for c in jupytext.read(template).cells if c.cell_type == "code"]
    return code.index(failing_source) + 1 if failing_source in code else None


SKIP_TAG = "skip-execution"
"""Cells with this tag are shown on the page but not run by the build (as in myst-nb); used for
a workshop solution that starts a second kernel. `make test` runs them in the trainers' notebook."""


def _blank_unexecuted(nb) -> list[str]:
    """Empty the `skip-execution` cells (the kernel skips empty cells); returns their sources."""
    sources = []
    for cell in nb.cells:
        if SKIP_TAG in cell.metadata.get("tags", []):
            sources.append(cell.source)
            cell.source = ""
    return sources


def _restore_unexecuted(nb, sources: list[str]) -> None:
    """Give the `skip-execution` cells back their code, with no output."""
    skipped = [c for c in nb.cells if SKIP_TAG in c.metadata.get("tags", [])]
    for cell, source in zip(skipped, sources, strict=True):
        cell.source, cell.outputs, cell.execution_count = source, [], None


class PageRun(NamedTuple):
    """One page's run: how long it took, its error line if it failed, and whether its output is
    the same as before (then the file is left untouched)."""

    name: str
    seconds: float
    error: str | None
    same_output: bool = False


def _run(job: Job, root: str) -> PageRun:
    """Execute one page in this (worker) process."""
    import jupytext
    import nbformat
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    paths = Paths(Path(root))
    started = time.perf_counter()
    template = paths.templates / job.template
    out = job.output_path(paths)
    out.parent.mkdir(parents=True, exist_ok=True)
    deps_file = _deps_file(job, paths)
    deps_file.parent.mkdir(parents=True, exist_ok=True)
    deps_file.unlink(missing_ok=True)
    missing_file = deps_file.with_suffix(".missing.json")
    missing_file.unlink(missing_ok=True)
    env = {
        "KB_SITE_ROOT": job.site_root(),
        "KB_CHARTS_ROOT": job.charts_root(),
        "KB_ROOT": str(paths.root),
        "KB_PAGE": job.output,
        "KB_VALIDATED": "1",
        "KB_DEPS_FILE": str(deps_file),
        "KB_I18N_MISSING_FILE": str(missing_file),
    }
    nb = jupytext.read(template)
    nb.cells.insert(0, _page_setup_cell(env, job.lang))
    # A hidden last cell saves which data the page read (kb.deps).
    nb.cells.append(
        nbformat.v4.new_code_cell(
            "import kb.deps\nimport kb.i18n\nkb.deps.dump()\nkb.i18n.dump_missing()",
            metadata={"tags": [BUILD_TAG]},
        )
    )
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    partial = _running_file(job, paths)
    partial.parent.mkdir(parents=True, exist_ok=True)
    shown_only = _blank_unexecuted(nb)
    kernels.warm(root)
    try:
        executed = pm.execute_notebook(
            nb,
            str(partial),
            parameters=job.parameters,
            kernel_name="python3",
            km=kernels.kernel(paths.root),
            cwd=str(paths.root),
            progress_bar=False,
            log_output=False,
            request_save_on_cell_execute=False,
        )
    except PapermillExecutionError as exc:  # a cell raised: the kernel is kept (kernels.drop)
        saved = nbformat.read(str(partial), as_version=4) if partial.exists() else nb
        failing = next(
            (c for c in saved.cells if c.get("metadata", {}).get("papermill", {}).get("exception")),
            None,
        )
        source = failing.source if failing is not None else ""
        line = _template_line(template, source) if source else None
        number = _code_cell_number(template, source) if source else None
        where = f"book/templates/{job.template}" + (f":{line}" if line else "")
        params = ", ".join(f"{k}={v}" for k, v in job.parameters.items())
        message = str(exc.evalue).splitlines()[0] if exc.evalue else ""
        partial.unlink(missing_ok=True)
        cell = f"cell {number}" if number else "a hidden set-up cell"
        return PageRun(
            job.name,
            time.perf_counter() - started,
            f"{where}: {cell} ({params}) raised {exc.ename}: {message}",
        )
    except Exception as exc:  # kernel died, template unreadable, …
        kernels.drop()
        partial.unlink(missing_ok=True)
        first = str(exc).splitlines()[0] if str(exc) else ""
        return PageRun(
            job.name,
            time.perf_counter() - started,
            f"book/templates/{job.template}: {type(exc).__name__}: {first}",
        )
    _restore_unexecuted(executed, shown_only)
    text = nbformat.writes(without_run_details(postprocess(executed, job)))
    same = out.exists() and out.read_text(encoding="utf-8") == text
    if same:  # untouched, so Sphinx does not read and write the page again
        partial.unlink(missing_ok=True)
    else:
        partial.write_text(text, encoding="utf-8")
        partial.replace(out)
    untranslated = (
        json.loads(missing_file.read_text(encoding="utf-8")) if missing_file.exists() else []
    )
    if untranslated:
        return PageRun(
            job.name,
            time.perf_counter() - started,
            "; ".join(
                f"book/templates/{job.template} (lang={job.lang}): untranslated message {m!r} "
                "(add it to RU in src/kb/i18n.py)"
                for m in untranslated
            ),
        )
    return PageRun(job.name, time.perf_counter() - started, None, same)


def without_run_details(nb):
    """Drop run times, number the executed cells 1, 2, … and the cells `cell-0`, `cell-1`, …,
    and join each cell's consecutive printed text into one output.

    All of these vary from run to run (a warm kernel keeps counting from the previous page; the
    kernel sends printed text in pieces split wherever its flush timer fell), so without this a
    page re-run after an edit that does not touch what it shows would still be a new file, and
    Sphinx would read and write it again — or a clean and an incremental build would differ.
    """
    from nbconvert.preprocessors.coalescestreams import CoalesceStreamsPreprocessor

    nb, _ = CoalesceStreamsPreprocessor().preprocess(nb, {})
    timings = ("start_time", "end_time", "duration")
    for key in timings:
        nb.metadata.get("papermill", {}).pop(key, None)
    number = 0
    for position, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{position}"  # jupytext makes up random ones
        cell.metadata.pop("execution", None)
        for key in timings:
            cell.metadata.get("papermill", {}).pop(key, None)
        if cell.cell_type != "code":
            continue
        if cell.execution_count is not None:
            number += 1
            cell.execution_count = number
        for output in cell.get("outputs", []):
            if "execution_count" in output:
                output["execution_count"] = cell.execution_count
    return nb


def outdated(jobs: list[Job], paths: Paths, force: bool = False) -> list[Job]:
    """The pages whose recorded inputs changed (all of them with `force`), in running order:
    the slowest (by their last run) first, so no worker sits idle waiting on one long page at
    the end.
    """
    shared = shared_inputs_hash(paths)
    data = deps.digests(paths.data, paths.templates)
    todo = [job for job in jobs if force or not _fresh(job, paths, shared, data)]
    return sorted(todo, key=lambda job: -_last_seconds(job, paths))


def _last_seconds(job: Job, paths: Paths) -> float:
    try:
        return float(json.loads(_stamp(job, paths).read_text(encoding="utf-8"))["seconds"])
    except (OSError, ValueError, KeyError):
        return 0.0


def execute(
    jobs: list[Job],
    paths: Paths | None = None,
    force: bool = False,
    workers: Workers | int | None = None,
    progress: bool = True,
    on_done: Callable[[str], None] | None = None,
) -> ExecutionReport:
    """Execute every page whose inputs changed; raise KbError naming each failing cell.

    `workers` is the build's `Workers` pool (warmed before it validates `data/`) or a count.
    `on_done(lang)` is called as soon as every outdated page of that language ran without error;
    with it, translations run first, so that their `on_done` comes while English pages still run.
    """
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    paths = paths or Paths.here()
    shared = shared_inputs_hash(paths)
    data = deps.digests(paths.data, paths.templates)
    todo = outdated(jobs, paths, force)
    if on_done:
        todo.sort(key=lambda job: job.lang == "en")  # stable: slowest first within a language
    report = ExecutionReport(skipped=[job.name for job in jobs if job not in todo])
    if not todo:
        return report
    for job in todo:
        _stamp(job, paths).unlink(missing_ok=True)
    own = not isinstance(workers, Workers)
    if own:
        pool = Workers(paths.root, min(workers or WORKERS, len(todo)))
        pool.warm(pool.count)
    else:
        pool = workers
    columns = [
        TextColumn("[bold]executing[/]"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
    ]
    try:
        with Progress(*columns, disable=not progress, transient=True) as bar:
            task = bar.add_task("", total=len(todo))
            futures = {pool.submit(_run, job, str(paths.root)): job for job in todo}
            waiting = Counter(job.lang for job in todo)
            for future in as_completed(futures):
                job = futures[future]
                name, seconds, error, same = future.result()
                bar.update(task, advance=1, description=name)
                report.ran[name] = seconds
                if error:
                    report.errors.append(error)
                    continue
                if same:
                    report.same_output.append(name)
                _save_stamp(job, paths, shared, data, seconds)
                waiting[job.lang] -= 1
                if on_done and not waiting[job.lang] and not report.errors:
                    on_done(job.lang)
    finally:
        if own:
            pool.close()
    if report.errors:
        raise KbError(sorted(report.errors))
    return report


def _save_stamp(job: Job, paths: Paths, shared: str, data: dict[str, str], seconds: float):
    """Record the page's input hash, the data keys it read and how long it took."""
    keys = json.loads(_deps_file(job, paths).read_text(encoding="utf-8"))
    stamp = _stamp(job, paths)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    record = {"hash": job_hash(job, paths, shared, data, keys), "deps": keys, "seconds": seconds}
    stamp.write_text(json.dumps(record, indent=1))
