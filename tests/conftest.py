"""Shared fixtures: a real copy of the project, built once per test session with `kb build`."""

from __future__ import annotations

import csv
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kb.paths import ignore_outputs

ROOT = Path(__file__).resolve().parents[1]
KB = str(Path(sys.executable).with_name("kb"))


def copy_project(target: Path, source: Path = ROOT) -> Path:
    """A clean copy of the project's sources in `target` (no venv, build outputs or caches)."""
    shutil.copytree(source, target, ignore=ignore_outputs)
    return target


def run_kb(root: Path, *args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    env = {**os.environ, "KB_ROOT": str(root)}
    return subprocess.run(
        [KB, *args], cwd=root, env=env, capture_output=True, text=True, timeout=timeout
    )


def rewrite_csv(path: Path, edit) -> None:
    """Read a CSV of `data/` as rows, let `edit(rows)` change them in place, write it back."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    edit(rows)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def tree_digest(folder: Path) -> str:
    """One hash of every file's path and bytes, to prove a folder was left untouched."""
    h = hashlib.sha256()
    for f in sorted(folder.rglob("*")):
        if f.is_file():
            h.update(str(f.relative_to(folder)).encode())
            h.update(f.read_bytes())
    return h.hexdigest()


@pytest.fixture(scope="session")
def built_project(tmp_path_factory) -> Path:
    """The whole book, built from a clean copy of the project (real papermill + Jupyter Book)."""
    root = copy_project(tmp_path_factory.mktemp("book") / "project")
    result = run_kb(root, "build")
    assert result.returncode == 0, result.stdout + result.stderr
    return root


@pytest.fixture(scope="session")
def site(built_project) -> Path:
    return built_project / "_build" / "html"


@pytest.fixture()
def built_copy(built_project, tmp_path) -> Path:
    """A private copy of the built project, for tests that break something and rebuild."""
    target = tmp_path / "project"
    shutil.copytree(built_project, target, symlinks=True)
    return target


@pytest.fixture(scope="session")
def edited_site(tmp_path_factory, built_project):
    """The built book after two data edits: a hostile project title and a changed value."""
    root = tmp_path_factory.mktemp("edited") / "project"
    shutil.copytree(built_project, root, symlinks=True)
    projects = root / "data" / "projects.csv"
    rows = list(csv.DictReader(projects.open(encoding="utf-8")))
    rows[0]["title"] = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">'
    rows[0]["note"] = '<b onmouseover="window.__xss=3">note</b>'
    with projects.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    obs = root / "data" / "observations.csv"
    text = obs.read_text(encoding="utf-8")
    old = next(ln for ln in text.splitlines() if ln.startswith("forest_area_pct,KAZ,2020,"))
    obs.write_text(text.replace(old, old.replace(old.split(",")[3], "1.4321")), encoding="utf-8")
    result = run_kb(root, "build")
    assert result.returncode == 0, result.stderr
    return root
