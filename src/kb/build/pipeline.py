"""The build: validate → assets → execute → Jupyter Book per edition → publish.

Each edition is built in its own work folder (kept for Sphinx's incremental builds, see
`kb.build.editions`) and the site is assembled and swapped in over `_build/html` only when every step
succeeded (`kb.build.publish`), so a failure leaves the published site exactly as it was. Each step
does only what changed: pages whose inputs are unchanged are not executed, an edition whose
inputs are unchanged is not rebuilt, and an unchanged site is not republished.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import threading
import time
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from kb.build.editions import EDITIONS, Edition, SphinxProcesses
from kb.build.publish import NewSite, redirect_html, write_redirect
from kb.errors import KbError
from kb.paths import Paths


@dataclass
class BuildReport:
    steps: dict[str, float] = field(default_factory=dict)
    executed: dict[str, float] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    same_output: list[str] = field(default_factory=list)
    published: bool = False


def _timed(report: BuildReport, name: str):
    class _T:
        def __enter__(self):
            self.t = time.perf_counter()

        def __exit__(self, *exc):
            report.steps[name] = time.perf_counter() - self.t

    return _T()


def validate_data(paths: Paths) -> None:
    from kb.data import validate

    if problems := validate(paths.data, cache=paths.cache / "validated"):
        raise KbError(problems)


def prepare_assets(paths: Paths, chart_bundle: bool = True) -> None:
    """Files the site needs that are generated, not committed: JS bundle (unless `kb build`
    writes it beside the pages: `chart_bundle=False`), workshop notebooks and bibliography."""
    from kb import citations, workshops
    from kb.build import bundle
    from kb.data import load

    if chart_bundle:
        bundle.write_bundle(paths.vendor)
    workshops.write_notebooks(paths)
    snap = load(paths.data, check=False)
    citations.write_bibtex(snap, paths.book / "references.bib")
    for lang in EDITIONS:  # a translation's own bibliography ("б. г."), not mirrored from book/
        citations.write_bibtex(snap, paths.edition(lang) / "book" / "references.bib", lang)


_CHART_FILE = re.compile(r"charts/([\w.-]+\.(?:csv|svg|vl\.js))")


def prune_chart_files(paths: Paths) -> int:
    """Delete chart downloads no executed page links to any more (old versions after edits)."""
    folder = paths.charts
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


def all_jobs(snap, paths: Paths) -> list:
    """Every page of every edition, after checking the English pages against `_toc.yml`."""
    from kb.build import pages

    jobs = pages.jobs(snap)
    pages.check_toc(jobs, paths)
    for lang in EDITIONS:
        jobs += pages.jobs(snap, lang=lang)
    return jobs


def _pages_to_run(paths: Paths, force: bool) -> Counter:
    """How many pages of each language this build will execute (none if data/ is unreadable)."""
    from kb.build import execute, pages
    from kb.data import load

    try:
        snap = load(paths.data, check=False)
        jobs = pages.jobs(snap) + [j for lang in EDITIONS for j in pages.jobs(snap, lang=lang)]
    except Exception:  # noqa: BLE001 - unreadable data: validation reports it, no kernels needed
        return Counter()
    return Counter(job.lang for job in execute.outdated(jobs, paths, force))


def _structure_changed(paths: Paths) -> tuple[bool, str]:
    """Whether `_config.yml` or `_toc.yml` changed since the last build (then Sphinx starts clean:
    its incremental build neither drops removed pages nor refreshes unchanged pages' sidebars)."""
    digest = hashlib.sha256(paths.config.read_bytes() + paths.toc.read_bytes()).hexdigest()
    stamp = paths.build / ".structure.sha256"
    return not (stamp.exists() and stamp.read_text() == digest), digest


def build(paths: Paths | None = None, force: bool = False, progress: bool = True) -> BuildReport:
    """`make book`: every step, failing loudly and leaving the published site untouched.

    Sphinx processes set themselves up while the pages run. Each translated edition is built as
    soon as its own pages are executed, while the English pages still run (translations run
    first); the English edition once all pages ran. A failure anywhere raises KbError before
    anything is published.
    """
    from kb.build import bundle, execute
    from kb.data import load

    paths = paths or Paths.here()
    report = BuildReport()
    changed, structure = _structure_changed(paths)
    clean = force or changed
    editions = {lang: Edition(paths, lang) for lang in ("en", *EDITIONS)}
    sphinx: dict[str, Future] = {}
    bundle_lock = threading.Lock()
    # Sphinx processes still waiting after a failure are let go when this block ends.
    with (
        SphinxProcesses(paths) as waiting,
        ThreadPoolExecutor(len(editions)) as threads,
        execute.Workers(paths.root) as workers,
        bundle.Writing(paths.vendor) as chart_bundle,  # only after an upgrade or `kb clean`
    ):

        def build_edition(lang: str) -> str:
            if lang == "en":  # its Sphinx copies the bundle into the site: wait for it
                with bundle_lock:
                    chart_bundle.wait()
            return editions[lang].finish()

        def finish_sphinx(lang: str) -> None:
            """Build a translation now (its pages are executed) or, at the latest, at the end."""
            if lang != "en" and lang not in sphinx:
                sphinx[lang] = threads.submit(build_edition, lang)

        # If pages are to run, the workers and their kernels are forked now: they get ready
        # while data/ is validated.
        to_run = _pages_to_run(paths, force)
        workers.warm(sum(to_run.values()))
        with _timed(report, "validate"):
            validate_data(paths)
        snap = load(paths.data, check=False)
        with _timed(report, "assets"):
            prepare_assets(paths, chart_bundle=False)
        # Sphinx sets itself up while the pages run, for each edition to be rebuilt.
        rebuilt = [
            e
            for e in editions.values()
            if clean or chart_bundle.process or to_run[e.lang] or not e.fresh()
        ]
        if rebuilt:
            waiting.start(rebuilt, clean)
        with _timed(report, "execute"):
            done = execute.execute(
                all_jobs(snap, paths),
                paths,
                force=force,
                progress=progress,
                workers=workers,
                # A translation is built as soon as its pages ran, while the English pages
                # still run: its Sphinx takes longest (each translated paragraph of a page
                # read again is parsed on its own), and at the end it would leave one core
                # idle beside the English build. Four data edits took 10.4 s on average
                # against 11.1 s with both Sphinx builds at the end (measured).
                on_done=finish_sphinx,
            )
            report.executed, report.skipped = done.ran, done.skipped
            report.same_output = done.same_output
        workers.close(wait=False)  # they stop while Sphinx works; joined when this block ends
        prune_chart_files(paths)  # publishing mirrors `charts/` exactly
        places = ["", "data", "charts", *(p for lang in EDITIONS for p in (lang, f"{lang}/data"))]
        site = NewSite(paths.html, places)
        # When an edition is being rebuilt the site will change: its other parts are put
        # together while Sphinx works. Otherwise they are only if the data changed.
        assembled = False
        try:
            with _timed(report, "sphinx"):
                for lang in EDITIONS:
                    finish_sphinx(lang)
                sphinx["en"] = threads.submit(build_edition, "en")
                if rebuilt:
                    _add_downloads_and_charts(site, snap, paths)
                problems, digests = [], {}
                for lang, future in sphinx.items():  # translations first: done sooner
                    try:
                        digests[lang] = future.result()
                    except KbError as exc:
                        problems += exc.lines
                        continue
                    if rebuilt:
                        _add_edition(site, editions[lang])
                if problems:
                    raise KbError(problems)
                assembled = bool(rebuilt)
        except BaseException:
            site.discard()
            raise
    (paths.build / ".structure.sha256").write_text(structure)
    digest = _site_digest(paths, digests)
    stamp = paths.build / ".site.sha256"
    if stamp.exists() and stamp.read_text() == digest and (paths.html / "index.html").exists():
        site.discard()
        return report
    report.published = True
    with _timed(report, "publish"):
        if not assembled:
            _add_downloads_and_charts(site, snap, paths)
            for edition in editions.values():
                _add_edition(site, edition)
        for lang in ("en", *EDITIONS):
            write_redirect(paths, site.folder / ("" if lang == "en" else lang), lang)
        site.publish()
        stamp.write_text(digest)
    return report


def _add_downloads_and_charts(site: NewSite, snap, paths: Paths) -> None:
    """The data downloads (in every edition) and the shared chart files, into the new site."""
    from kb.build import published

    downloads = paths.build / ".data"
    shutil.rmtree(downloads, ignore_errors=True)
    published.write(snap, downloads, paths)
    for place in ("data", *(f"{lang}/data" for lang in EDITIONS)):
        site.add(downloads, place)
    site.add(paths.charts, "charts")


def _add_edition(site: NewSite, edition: Edition) -> None:
    """An edition's Sphinx output, at the root (English) or in its language's folder."""
    site.add(edition.html, "" if edition.lang == "en" else edition.lang)


def _site_digest(paths: Paths, editions: dict[str, str]) -> str:
    """What the published site is made of: each edition's inputs, the charts, the data and the
    code that writes the downloads from it."""
    from kb.build import published

    h = hashlib.sha256(json.dumps(editions, sort_keys=True).encode())
    h.update(Path(published.__file__).read_bytes())
    for lang in ("en", *EDITIONS):  # the `index.html` redirects kb writes itself
        h.update(redirect_html(paths, lang).encode())
    for f in sorted(paths.charts.glob("*")):  # written with the pages: names and sizes suffice
        h.update(f"{f.name}:{f.stat().st_size}".encode())
    for f in sorted(p for p in paths.data.rglob("*") if p.is_file()):
        h.update(str(f.relative_to(paths.root)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()
