"""The build: validate → bundle → execute → Jupyter Book → published data → atomic publish.

The site is built in a work folder (`_build/.work`, kept for Sphinx's incremental builds) and
copied over `_build/html` only when every step succeeded, so a failure leaves the previously
published site exactly as it was. When nothing the site depends on changed, Sphinx is not run.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from kb.errors import KbError
from kb.paths import Paths


@dataclass
class BuildReport:
    steps: dict[str, float] = field(default_factory=dict)
    executed: dict[str, float] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    sphinx_ran: bool = False


def _timed(report: BuildReport, name: str):
    class _T:
        def __enter__(self):
            self.t = time.perf_counter()

        def __exit__(self, *exc):
            report.steps[name] = time.perf_counter() - self.t

    return _T()


def validate_data(paths: Paths) -> None:
    from kb.data import validate

    if problems := validate(paths.data):
        raise KbError(problems)


def prepare_assets(paths: Paths) -> None:
    """Files the site needs that are generated, not committed: JS bundle and bibliography."""
    from kb import charts, citations
    from kb.data import load

    charts.write_bundle(paths.vendor)
    citations.write_bibtex(load(paths.data, check=False), paths.book / "references.bib")


def site_inputs_hash(paths: Paths) -> str:
    """Hash of everything Sphinx reads, to skip it when nothing changed."""
    h = hashlib.sha256()
    files = [paths.config, paths.toc]
    for p in sorted(paths.book.rglob("*")):
        if p.is_file() and "templates" not in p.parts and ".partial." not in p.name:
            files.append(p)
    files += sorted(p for p in paths.data.rglob("*") if p.is_file())
    for f in files:
        h.update(str(f.relative_to(paths.root)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()


_WARNING = re.compile(
    r"^(?P<file>/[^:]+?)(?::(?P<line>\d+))?: (?P<kind>WARNING|ERROR|CRITICAL): (?P<msg>.*)$"
)


def _sphinx_problems(output: str, paths: Paths) -> list[str]:
    """Sphinx warnings as `file:line: message`, paths relative to the project."""
    problems = []
    for raw in output.splitlines():
        m = _WARNING.match(raw.strip())
        if m:
            file = m.group("file").replace(str(paths.root) + "/", "")
            line = m.group("line") or "1"
            problems.append(f"{file}:{line}: {m.group('msg')}")
        elif "WARNING:" in raw or "ERROR:" in raw or "Exception occurred" in raw:
            problems.append(raw.strip().replace(str(paths.root) + "/", ""))
    return list(dict.fromkeys(problems))


def run_sphinx(paths: Paths, work: Path, full: bool = False) -> None:
    exe = Path(sys.executable).with_name("jupyter-book")
    cmd = [
        str(exe),
        "build",
        str(paths.book),
        "--config",
        str(paths.config),
        "--toc",
        str(paths.toc),
        "--path-output",
        str(work),
        "-W",
        "-n",
        "--keep-going",
        "-q",
    ]
    if full:
        cmd.append("--all")
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=paths.root, env=env)
    if proc.returncode != 0:
        problems = _sphinx_problems(proc.stdout + "\n" + proc.stderr, paths)
        tail = (proc.stdout + proc.stderr).strip().splitlines()[-3:]
        raise KbError(problems or ["jupyter-book build failed:", *tail])


def write_redirect(paths: Paths, html: Path) -> None:
    """`index.html` → the root page named in `_toc.yml` (works from disk too)."""
    import yaml

    root = yaml.safe_load(paths.toc.read_text(encoding="utf-8"))["root"]
    url = f"{root}.html"
    (html / "index.html").write_text(
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Refresh" content="0; url={url}"><title>CACILM Knowledge Base</title>'
        f'</head><body><p><a href="{url}">CACILM Knowledge Base</a></p></body></html>\n',
        encoding="utf-8",
    )


def publish(staged: Path, target: Path) -> None:
    """Replace `target` with a copy of `staged` in one rename (old site kept until then)."""
    fresh = target.with_name(target.name + ".new")
    old = target.with_name(target.name + ".old")
    shutil.rmtree(fresh, ignore_errors=True)
    shutil.copytree(staged, fresh)
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    fresh.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def build(paths: Paths | None = None, force: bool = False, progress: bool = True) -> BuildReport:
    """`make book`: every step, failing loudly and leaving the published site untouched."""
    from kb import execute, pages, published
    from kb.data import load

    paths = paths or Paths.here()
    report = BuildReport()
    with _timed(report, "validate"):
        validate_data(paths)
    snap = load(paths.data, check=False)
    with _timed(report, "assets"):
        prepare_assets(paths)
    with _timed(report, "execute"):
        jobs = pages.jobs(snap)
        pages.check_toc(jobs, paths)
        done = execute.execute(jobs, paths, force=force, progress=progress)
        report.executed, report.skipped = done.ran, done.skipped
    work = paths.build / ".work"
    digest = site_inputs_hash(paths)
    stamp = paths.build / ".site.sha256"
    if (
        not force
        and stamp.exists()
        and stamp.read_text() == digest
        and (paths.html / "index.html").exists()
    ):
        return report
    with _timed(report, "sphinx"):
        stamp.unlink(missing_ok=True)
        # Sphinx's incremental build neither removes pages dropped from the TOC nor refreshes
        # unchanged pages' sidebars, so a TOC or config change gets a clean build.
        structure = hashlib.sha256(paths.config.read_bytes() + paths.toc.read_bytes()).hexdigest()
        structure_stamp = paths.build / ".structure.sha256"
        clean = force or not structure_stamp.exists() or structure_stamp.read_text() != structure
        if clean:
            shutil.rmtree(work, ignore_errors=True)
        run_sphinx(paths, work, full=clean)
        structure_stamp.write_text(structure)
        report.sphinx_ran = True
    staged = work / "_build" / "html"
    write_redirect(paths, staged)
    with _timed(report, "publish"):
        published.write(snap, staged / "data", paths)
        publish(staged, paths.html)
        stamp.write_text(digest)
    return report
