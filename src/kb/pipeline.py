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
    from kb import charts, citations, workshops
    from kb.data import load

    charts.write_bundle(paths.vendor)
    workshops.write_notebooks(paths)
    citations.write_bibtex(load(paths.data, check=False), paths.book / "references.bib")


def site_inputs_hash(paths: Paths) -> str:
    """Hash of everything Sphinx reads, to skip it when nothing changed."""
    h = hashlib.sha256()
    files = [paths.config, paths.toc]
    files += sorted(p for p in paths.locales.rglob("*.po") if p.is_file())
    for lang in EDITIONS:
        files += sorted(p for p in paths.generated_for(lang).rglob("*.ipynb") if p.is_file())
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


def run_sphinx(
    paths: Paths,
    work: Path,
    full: bool = False,
    source: Path | None = None,
    config: Path | None = None,
    toc: Path | None = None,
) -> None:
    exe = Path(sys.executable).with_name("jupyter-book")
    cmd = [
        str(exe),
        "build",
        str(source or paths.book),
        "--config",
        str(config or paths.config),
        "--toc",
        str(toc or paths.toc),
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


_CHART_FILE = re.compile(r"charts/([\w.-]+\.(?:csv|svg))")


def prune_chart_files(paths: Paths) -> int:
    """Delete chart downloads no executed page links to any more (old versions after edits)."""
    folder = paths.book / "_extra" / "charts"
    if not folder.exists():
        return 0
    used: set[str] = set()
    for lang in ("en", *EDITIONS):
        for nb in paths.generated_for(lang).rglob("*.ipynb"):
            used.update(_CHART_FILE.findall(nb.read_text(encoding="utf-8")))
    stale = [f for f in folder.iterdir() if f.name not in used]
    for f in stale:
        f.unlink()
    return len(stale)


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


EDITIONS = ("ru",)
"""Translated editions, built into `_build/html/<lang>/` from the same sources and data."""

EDITION_TITLES = {"ru": "База знаний CACILM"}


def sync_tree(source: Path, target: Path, skip: tuple[str, ...]) -> None:
    """Make `target` mirror `source` (except `skip` top-level names), copying only what changed.

    Unchanged files keep their modification times, so Sphinx's incremental build stays valid.
    """
    target.mkdir(parents=True, exist_ok=True)
    wanted = set()
    for src in source.rglob("*"):
        rel = src.relative_to(source)
        if rel.parts[0] in skip:
            continue
        wanted.add(rel)
        dst = target / rel
        if src.is_dir():
            dst.mkdir(parents=True, exist_ok=True)
        elif (
            not dst.exists()
            or dst.stat().st_size != src.stat().st_size
            or (dst.read_bytes() != src.read_bytes())
        ):
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    for dst in sorted(target.rglob("*"), reverse=True):
        rel = dst.relative_to(target)
        if rel.parts[0] in skip or rel in wanted:
            continue
        if dst.is_dir():
            shutil.rmtree(dst)
        else:
            dst.unlink()


def edition_config(paths: Paths, lang: str) -> Path:
    """The edition's `_config.yml`: the English one plus its language and catalogues."""
    import yaml

    from kb import i18n

    config = yaml.safe_load(paths.config.read_text(encoding="utf-8"))
    config["title"] = EDITION_TITLES.get(lang, config["title"])
    i18n.set_language(lang)
    html = config.setdefault("html", {})
    html["extra_footer"] = (
        "<p>"
        + i18n.t(
            "Every figure comes from the sourced snapshot in <code>data/</code>; every chart names its "
            "source and licence."
        )
        + "</p>"
    )
    sphinx_config = config.setdefault("sphinx", {}).setdefault("config", {})
    sphinx_config["language"] = lang
    sphinx_config["locale_dirs"] = [str(paths.locales)]
    theme = sphinx_config.setdefault("html_theme_options", {})
    theme["search_bar_text"] = i18n.t("Search the knowledge base…")
    i18n.set_language("en")
    target = paths.edition(lang) / "_config.yml"
    target.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(config, allow_unicode=True, sort_keys=False)
    if not target.exists() or target.read_text(encoding="utf-8") != text:
        target.write_text(text, encoding="utf-8")
    return target


def edition_toc(paths: Paths, lang: str) -> Path:
    """The table of contents with its part captions in the edition's language."""
    import yaml

    from kb import i18n

    toc = yaml.safe_load(paths.toc.read_text(encoding="utf-8"))
    i18n.set_language(lang)
    for part in toc.get("parts", []):
        if "caption" in part:
            part["caption"] = i18n.t(part["caption"])
    i18n.set_language("en")
    target = paths.edition(lang) / "_toc.yml"
    text = yaml.safe_dump(toc, allow_unicode=True, sort_keys=False)
    if not target.exists() or target.read_text(encoding="utf-8") != text:
        target.write_text(text, encoding="utf-8")
    return target


def build_edition(paths: Paths, lang: str, clean: bool) -> Path:
    """Build one translated edition; returns its HTML folder."""
    edition = paths.edition(lang)
    sync_tree(paths.book, edition / "book", skip=("_generated", "templates"))
    config = edition_config(paths, lang)
    toc = edition_toc(paths, lang)
    work = edition / "work"
    if clean:
        shutil.rmtree(work, ignore_errors=True)
    run_sphinx(paths, work, full=clean, source=edition / "book", config=config, toc=toc)
    return work / "_build" / "html"


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
        for lang in EDITIONS:
            jobs += pages.jobs(snap, lang=lang)
        done = execute.execute(jobs, paths, force=force, progress=progress)
        report.executed, report.skipped = done.ran, done.skipped
        prune_chart_files(paths)
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
        # The English site and each edition are separate Sphinx processes: run them side by side.
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=1 + len(EDITIONS)) as pool:
            english = pool.submit(run_sphinx, paths, work, full=clean)
            futures = {lang: pool.submit(build_edition, paths, lang, clean) for lang in EDITIONS}
            problems = []
            for future in (english, *futures.values()):
                try:
                    future.result()
                except KbError as exc:
                    problems += exc.lines
            if problems:
                raise KbError(problems)
        staged = work / "_build" / "html"
        editions = {lang: future.result() for lang, future in futures.items()}
        structure_stamp.write_text(structure)
        report.sphinx_ran = True
    write_redirect(paths, staged)
    with _timed(report, "publish"):
        published.write(snap, staged / "data", paths)
        for lang, html in editions.items():
            target = staged / lang
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(html, target)
            shutil.copytree(staged / "data", target / "data")
            write_redirect(paths, target)
        publish(staged, paths.html)
        stamp.write_text(digest)
    return report
