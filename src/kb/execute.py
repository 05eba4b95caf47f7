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
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from kb import deps
from kb.errors import KbError
from kb.pages import Job
from kb.paths import Paths

PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")


@dataclass
class ExecutionReport:
    """What `execute` did: pages run (with seconds) and pages skipped as up to date."""

    ran: dict[str, float] = field(default_factory=dict)
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
    """Hash of the code every page depends on: the kb package and the locked environment.

    Data is hashed per page, over only the slices the page read last time (see kb.deps).
    """
    files = list((paths.root / "src" / "kb").glob("*.py"))
    lock = paths.root / "requirements.lock"
    if lock.exists():
        files.append(lock)
    return _digest_files(files, paths.root)


def job_hash(job: Job, paths: Paths, shared: str, data: dict[str, str], keys: list[str]) -> str:
    """Hash of one page's inputs: code, template, parameters and the data slices it reads."""
    h = hashlib.sha256(shared.encode())
    h.update((paths.templates / job.template).read_bytes())
    h.update(json.dumps([job.output, job.parameters, job.title], sort_keys=True).encode())
    h.update(deps.slice_hash(keys, data).encode())
    return h.hexdigest()


def _stamp(job: Job, paths: Paths) -> Path:
    return paths.cache / "executed" / f"{job.name}.json"


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


def postprocess(nb, job: Job):
    """Hide code and parameter cells, fill `{{ name }}` placeholders in Markdown cells."""
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


_KERNEL = None
"""This worker's warm kernel: pandas, altair and kb stay imported between pages."""


def _kernel(root: Path):
    """Start (once per worker process) the kernel that runs this worker's pages."""
    global _KERNEL
    if _KERNEL is None or not _KERNEL.is_alive():
        from multiprocessing.util import Finalize

        from jupyter_client.manager import KernelManager

        _KERNEL = KernelManager(kernel_name="python3")
        _KERNEL.start_kernel(cwd=str(root), env={**os.environ, "KB_VALIDATED": "1"})
        Finalize(_KERNEL, _KERNEL.shutdown_kernel, kwargs={"now": True}, exitpriority=10)
    return _KERNEL


def _drop_kernel() -> None:
    """After a failure, start the next page in a fresh kernel."""
    global _KERNEL
    if _KERNEL is not None:
        _KERNEL.shutdown_kernel(now=True)
        _KERNEL = None


def _page_setup_cell(env: dict[str, str], lang: str):
    """Hidden first cell: forget the previous page's names, set this page's environment."""
    import nbformat

    source = (
        'get_ipython().run_line_magic("reset", "-f")\n'
        f"import os\nos.environ.update({env!r})\n"
        "import kb.deps\nkb.deps.reset()\n"
        f"import kb.i18n\nkb.i18n.reset()\nkb.i18n.set_language({lang!r})"
    )
    return nbformat.v4.new_code_cell(source, metadata={"tags": ["remove-cell"]})


def _code_cell_number(template: Path, failing_source: str) -> int | None:
    """1-based position of the failing cell among the template's code cells."""
    import jupytext

    code = [c.source for c in jupytext.read(template).cells if c.cell_type == "code"]
    return code.index(failing_source) + 1 if failing_source in code else None


def _run(job: Job, root: str) -> tuple[str, float, str | None]:
    """Execute one page in this (worker) process; returns (name, seconds, error line or None)."""
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
            metadata={"tags": ["remove-cell"]},
        )
    )
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    partial = out.with_suffix(".partial.ipynb")
    # Kernel start-up chatter goes to a log file, not the author's terminal.
    log = paths.cache / "logs" / "kernels.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as handle:
        os.dup2(handle.fileno(), 2)
    try:
        executed = pm.execute_notebook(
            nb,
            str(partial),
            parameters=job.parameters,
            kernel_name="python3",
            km=_kernel(paths.root),
            cwd=str(paths.root),
            progress_bar=False,
            log_output=False,
            request_save_on_cell_execute=False,
        )
    except PapermillExecutionError as exc:
        _drop_kernel()
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
        return (
            job.name,
            time.perf_counter() - started,
            f"{where}: {cell} ({params}) raised {exc.ename}: {message}",
        )
    except Exception as exc:  # kernel died, template unreadable, …
        _drop_kernel()
        partial.unlink(missing_ok=True)
        first = str(exc).splitlines()[0] if str(exc) else ""
        return (
            job.name,
            time.perf_counter() - started,
            f"book/templates/{job.template}: {type(exc).__name__}: {first}",
        )
    nbformat.write(postprocess(executed, job), str(partial))
    partial.replace(out)
    untranslated = (
        json.loads(missing_file.read_text(encoding="utf-8")) if missing_file.exists() else []
    )
    if untranslated:
        return (
            job.name,
            time.perf_counter() - started,
            "; ".join(
                f"book/templates/{job.template} (lang={job.lang}): untranslated message {m!r} "
                "(add it to RU in src/kb/i18n.py)"
                for m in untranslated
            ),
        )
    return job.name, time.perf_counter() - started, None


def execute(
    jobs: list[Job],
    paths: Paths | None = None,
    force: bool = False,
    workers: int | None = None,
    progress: bool = True,
) -> ExecutionReport:
    """Execute every page whose inputs changed; raise KbError naming each failing cell."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    paths = paths or Paths.here()
    shared = shared_inputs_hash(paths)
    data = deps.digests(paths.data)
    report = ExecutionReport()
    todo = []
    for job in jobs:
        if not force and _fresh(job, paths, shared, data):
            report.skipped.append(job.name)
        else:
            _stamp(job, paths).unlink(missing_ok=True)
            todo.append(job)
    if not todo:
        return report
    workers = max(1, min(workers or os.cpu_count() or 1, len(todo)))
    columns = [
        TextColumn("[bold]executing[/]"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
    ]
    with (
        Progress(*columns, disable=not progress, transient=True) as bar,
        ProcessPoolExecutor(max_workers=workers) as pool,
    ):
        task = bar.add_task("", total=len(todo))
        futures = {pool.submit(_run, job, str(paths.root)): job for job in todo}
        for future in as_completed(futures):
            job = futures[future]
            name, seconds, error = future.result()
            bar.update(task, advance=1, description=name)
            report.ran[name] = seconds
            if error:
                report.errors.append(error)
            else:
                keys = json.loads(_deps_file(job, paths).read_text(encoding="utf-8"))
                stamp = _stamp(job, paths)
                stamp.parent.mkdir(parents=True, exist_ok=True)
                stamp.write_text(
                    json.dumps(
                        {"hash": job_hash(job, paths, shared, data, keys), "deps": keys}, indent=1
                    )
                )
    if report.errors:
        raise KbError(sorted(report.errors))
    return report
