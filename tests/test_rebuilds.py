"""Rebuilds that must not go wrong: state a kept kernel carries from page to page, two builds
started at once (test_pipeline), a bare `jupyter-book build`, and edits no page reads.
(Edits of every kind of input, and the incremental site against a clean one: test_incremental.)
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from kb.build.pipeline import all_jobs
from kb.data import load
from kb.paths import Paths
from tests.conftest import KB, ROOT, edit_what_sphinx_reads, run_kb, tree_digest


def test_a_page_cannot_change_the_tables_other_pages_read():
    """Pages share a kernel and its snapshot: each gets its own copy of a table."""
    snap = load()
    first = snap.projects
    first.loc[first.index[0], "title"] = "changed by a page"
    first["extra"] = 1
    again = load().projects
    assert again.loc[again.index[0], "title"] != "changed by a page"
    assert "extra" not in again.columns


def test_a_bare_jupyter_book_build_stops_in_one_line_and_leaves_the_site(built_copy):
    """`jupyter-book build .` would publish pages that were never executed: it is refused."""
    site = built_copy / "_build" / "html"
    before = tree_digest(site)
    jupyter_book = str(Path(KB).with_name("jupyter-book"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("KB_")}
    result = subprocess.run(
        [jupyter_book, "build", "."],
        cwd=built_copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0
    assert "run `make book`" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert tree_digest(site) == before


def test_no_page_reads_the_build_code_or_what_only_sphinx_reads(built_copy, tmp_path):
    """Pages import the domain part of kb (`kb/*.py`). Editing the build part, the book's Sphinx
    extension, the configuration, a style sheet or a Markdown page's translation runs no page of
    either edition again: Sphinx reads those (test_incremental checks that they reach every
    page, and that an edit of the domain part runs every page again)."""
    package = tmp_path / "src" / "kb"
    shutil.copytree(ROOT / "src" / "kb", package, ignore=shutil.ignore_patterns("__pycache__"))
    pipeline = package / "build" / "pipeline.py"
    pipeline.write_text(pipeline.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    edit_what_sphinx_reads(built_copy, package)
    result = run_kb(built_copy, "execute", env={"PYTHONPATH": str(package.parent)})
    assert result.returncode == 0, result.stdout + result.stderr
    every_page = len(all_jobs(load(built_copy / "data"), Paths(built_copy)))
    assert f"notebooks: 0 executed, {every_page} unchanged" in result.stdout, result.stdout
