"""Jupyter Book builds that get ready early and build when told.

`python -m kb.build.sphinx_runner <plan.json>` imports Jupyter Book, Sphinx and the book's extensions
once, then forks one process per edition in the plan. Each runs `jupyter-book build` with the
edition's arguments up to the point where Sphinx is set up (configuration, extensions, the
saved environment) and then waits for one line on its `go` pipe: `build` goes on, anything else
(or a closed pipe) ends it without building. Its output goes to the edition's log file; this
process writes each edition's exit status to that edition's `done` pipe. An edition may ask to
run at a lower priority (`nice`), to leave the cores to the pages still executing.

`kb.build.editions` starts it while pages are still executing, so a rebuild waits neither for the
imports (done once for both editions) nor for the set-up once the last page is executed.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import traceback
from pathlib import Path

from kb.sphinx_ext import BUILT_BY_KB, register_citation_plugins

SHARED_IMPORTS = (
    "jupyter_book.cli.main",
    "sphinx.application",
    "sphinx.builders.html",
    "sphinx_togglebutton",
    "sphinx_copybutton",
    "myst_nb",
    "sphinx_thebe",
    "sphinx_comments",
    "sphinx_external_toc",
    "sphinx_design",
    "sphinx_book_theme",
    "sphinxcontrib.bibtex",
    "sphinx_exercise",
    "kb.sphinx_ext",
    # Imported by the extensions' set-up or first page rather than at import: 0.4 s per edition
    # (measured with `python -X importtime`), most of it myst-nb's notebook cache (SQLAlchemy),
    # which this book never uses but myst-nb loads anyway.
    "myst_nb.sphinx_ext",
    "myst_nb.core.execute",
    "jupyter_cache.cache.db",
    "IPython.core.interactiveshell",
    "markdown_it.main",
    "myst_parser.mdit_to_docutils.base",
    "jsonschema.validators",
    "yaml",
    "latexcodec",
    "nbformat",
    "nbclient",
    "sphinx.domains.c",
    "sphinx.domains.cpp",
    "sphinx.domains.python",
    "sphinx.writers.texinfo",
    "sphinx.writers.text",
    "sphinxcontrib.bibtex.style.referencing.author_year",
)
"""Imported before forking, so the editions share them instead of importing each."""


def _build_edition(argv: list[str], go_fd: int) -> int:
    """In a forked process: `jupyter-book build`, waiting for the word before building.

    The book's Sphinx extension waits on the `go` pipe once the builder is set up (its
    `builder-inited` handler, see kb.sphinx_ext), and ends the build if the word is not `build`."""
    from jupyter_book.cli.main import main as jupyter_book

    os.environ["KB_SPHINX_GO_FD"] = str(go_fd)
    os.environ[BUILT_BY_KB] = "1"
    try:
        jupyter_book(["build", *argv], standalone_mode=True)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001 - reported in the log, which kb turns into errors
        traceback.print_exc()
        return 1
    return 0


def main(plan_file: str) -> int:
    plan = json.loads(Path(plan_file).read_text(encoding="utf-8"))
    for name in SHARED_IMPORTS:
        try:
            importlib.import_module(name)
        except ImportError:
            pass  # the build itself reports a missing extension
    register_citation_plugins()  # once for both editions (each one's `setup` finds it done)
    children: dict[int, int] = {}
    for edition in plan:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            os.nice(edition.get("nice", 0))
            log = os.open(edition["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(log, 1)
            os.dup2(log, 2)
            status = 1
            try:
                status = _build_edition(edition["argv"], edition["go"])
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(status)
        children[pid] = edition["done"]
    while children:
        pid, wait_status = os.wait()
        done = children.pop(pid, None)
        if done is not None:
            try:
                os.write(done, f"{os.waitstatus_to_exitcode(wait_status)}\n".encode())
            except OSError:
                pass  # kb no longer listens: it stopped this edition
            os.close(done)
    return 0


if __name__ == "__main__":
    status = main(sys.argv[1])
    sys.stdout.flush()
    sys.stderr.flush()
    # No interpreter teardown: with Sphinx and its extensions loaded it takes 0.15 s (measured),
    # which `kb build` would wait for; there is nothing left to save or close.
    os._exit(status)
