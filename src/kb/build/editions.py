"""The site's editions: English at the root, each translation in its own folder.

Each edition is one Jupyter Book (Sphinx) build: the English one reads `book/` directly; a
translated one reads a mirror of `book/` holding its own executed pages and is translated through
the gettext catalogues in `locales/`. Each build is incremental and skipped altogether when none
of its inputs changed, and every Sphinx warning becomes a `file:line: message` error.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from kb.errors import KbError
from kb.paths import Paths
from kb.sphinx_ext.problems import listing as problem_listing


def environment_code() -> list[Path]:
    """The book's own code that Sphinx runs while it writes every page: the extension (every
    module of its package) and the fact formatting its roles call (beside `data/`, which the fact
    roles record as a dependency of each page that quotes it)."""
    import kb.facts
    import kb.sphinx_ext

    extension = Path(kb.sphinx_ext.__file__).parent
    return sorted(extension.glob("*.py")) + [Path(kb.facts.__file__)]


EDITIONS = ("ru",)
"""Translated editions, published in `_build/html/<lang>/` from the same sources and data."""

EDITION_TITLES = {"ru": "База знаний CACILM"}


_WARNING = re.compile(
    r"^(?P<file>/[^:]+?)(?::(?P<line>\d+))?: (?P<kind>WARNING|ERROR|CRITICAL): (?P<msg>.*)$"
)


_COLOUR = re.compile(r"\x1b\[[0-9;]*m")


def _output_lines(output: str) -> list[str]:
    """Sphinx's output, line by line, without the colour codes it writes even to a file."""
    return [_COLOUR.sub("", raw).strip() for raw in output.splitlines()]


_MIRRORED = re.compile(r"_build/\.(?P<lang>\w+)/book/(?P<rest>.+)")


def _unparsed_problem(line: str) -> bool:
    """A line of Sphinx's output that reports a problem without a file the pattern reads."""
    return "WARNING:" in line or "ERROR:" in line or "Exception occurred" in line


def _sphinx_problems(output: str, paths: Paths) -> list[str]:
    """Sphinx warnings as `file:line: message`, paths relative to the project."""
    problems = []
    for raw in _output_lines(output):
        m = _WARNING.match(raw)
        if m:
            file = m.group("file").replace(str(paths.root) + "/", "")
            line = m.group("line") or "1"
            message = m.group("msg")
            mirrored = _MIRRORED.match(file)
            if mirrored and not mirrored.group("rest").startswith("_generated/"):
                # A translation reads a copy of book/: name the author's file.
                file = f"book/{mirrored.group('rest')}"
                message += f" (in the {mirrored.group('lang')} edition)"
            problems.append(f"{file}:{line}: {message}")
        elif _unparsed_problem(raw):
            problems.append(raw.replace(str(paths.root) + "/", ""))
    return list(dict.fromkeys(problems))


PAGE_SUFFIXES = (".md", ".ipynb")
"""The book's pages: Markdown chapters and executed notebooks."""


def _pages_named(output: str, source: Path) -> list[str] | None:
    """The pages (docnames) Sphinx's warnings in `output` name, or None if one names no page of
    the edition's `source` folder (the bibliography, the table of contents, a crash)."""
    pages = []
    for raw in _output_lines(output):
        m = _WARNING.match(raw)
        file = Path(m.group("file")) if m else None
        if file and file.is_relative_to(source) and file.suffix in PAGE_SUFFIXES:
            pages.append(file.relative_to(source).with_suffix("").as_posix())
        elif m or _unparsed_problem(raw):
            return None
    return sorted(set(pages))


def build_arguments(work: Path, source: Path, config: Path, toc: Path, full: bool) -> list[str]:
    """`jupyter-book build` arguments for one edition.

    Warnings are errors (`-W`), every reference must resolve (`-n`), and all of them are
    reported at once (`--keep-going`)."""
    args = [str(source), "--config", str(config), "--toc", str(toc), "--path-output", str(work)]
    return args + ["-W", "-n", "--keep-going", "-q"] + (["--all"] if full else [])


def sync_tree(source: Path, target: Path, skip: tuple[str, ...]) -> None:
    """Make `target` mirror `source` (except the `skip` folders), copying only what changed.

    Unchanged files keep their modification times, so Sphinx's incremental build stays valid.
    `skip` holds paths relative to `source`, e.g. `_generated` or `_extra/vendor`.
    """
    skipped = [Path(s).parts for s in skip]

    def ignored(rel: Path) -> bool:
        return any(rel.parts[: len(parts)] == parts for parts in skipped)

    target.mkdir(parents=True, exist_ok=True)
    wanted = set()
    for src in source.rglob("*"):
        rel = src.relative_to(source)
        if ignored(rel):
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
        if ignored(rel) or rel in wanted:
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
    config["copyright"] = i18n.t(config["copyright"])
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
    sphinx_config["html_extra_path"] = []  # published once, by the English edition
    # Relative to the edition's source folder, so the configuration does not depend on where
    # the project lives (a moved copy must not rebuild).
    source = paths.edition(lang) / "book"
    sphinx_config["locale_dirs"] = [os.path.relpath(paths.locales, source)]
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


MIRROR_SKIPS = ("_generated", "templates", "_charts", "_extra", "references.bib")
"""Not mirrored into a translation's source: its own pages go to its `_generated/`; chart
downloads are not read by Sphinx (every edition links to the site's one `charts/` folder), nor
are the chart bundle and workshop notebooks of `_extra/` (the English edition publishes them once
at the site root, where every edition links: a reader's browser caches one bundle); its
bibliography is written in its language by `kb.build.pipeline.prepare_assets`."""


@dataclass
class Edition:
    """One edition's Sphinx build: its sources and output, and the Sphinx process building it.

    `SphinxProcesses.start()` sets Sphinx up in the background while pages are still executing;
    `finish()` then builds if the edition's inputs changed, or lets the waiting process go.
    """

    paths: Paths
    lang: str = "en"
    _go: int | None = field(default=None, repr=False)
    _done: int | None = field(default=None, repr=False)
    _log: Path | None = field(default=None, repr=False)
    _clean: bool = False
    _sources: tuple[Path, Path, Path] | None = field(default=None, repr=False)

    @property
    def work(self) -> Path:
        if self.lang == "en":
            return self.paths.build / ".work"
        return self.paths.edition(self.lang) / "work"

    @property
    def html(self) -> Path:
        return self.work / "_build" / "html"

    @property
    def _stamp(self) -> Path:
        return self.paths.build / f".sphinx-{self.lang}.sha256"

    def sources(self) -> tuple[Path, Path, Path]:
        """The book folder, `_config.yml` and `_toc.yml` this edition is built from.

        A translation's are written (mirror, configuration) once per build: only its executed
        pages change during a build, and they are written straight into the mirror."""
        if self.lang == "en":
            return self.paths.book, self.paths.config, self.paths.toc
        if self._sources is None:
            source = self.paths.edition(self.lang) / "book"
            sync_tree(self.paths.book, source, skip=MIRROR_SKIPS)
            config = edition_config(self.paths, self.lang)
            self._sources = (source, config, edition_toc(self.paths, self.lang))
        return self._sources

    def inputs_hash(self) -> str:
        """Hash of everything this Sphinx build reads."""
        source, config, toc = self.sources()
        files = [config, toc, *environment_code()]
        files.append(self.paths.root / "requirements.lock")
        # Prose quotes dates and amounts from data/ through the extension's fact roles.
        files += sorted(self.paths.data.glob("*.csv"))
        if self.lang != "en":
            files += sorted(p for p in self.paths.locales.rglob("*.po") if p.is_file())
        files += sorted(
            p
            for p in source.rglob("*")
            if p.is_file()
            and not {"templates", "_charts"} & set(p.relative_to(source).parts)
        )
        h = hashlib.sha256(self.environment_key().encode())
        for f in files:
            inside = f.is_relative_to(self.paths.root)
            h.update(
                str(f.relative_to(self.paths.root) if inside else "/".join(f.parts[-2:])).encode()
            )
            h.update(f.read_bytes())
        return h.hexdigest()

    @property
    def _env_stamp(self) -> Path:
        return self.paths.build / f".sphinx-{self.lang}.env.sha256"

    def environment_key(self) -> str:
        """Hash of what shapes every page's HTML but that Sphinx does not track per page: the
        book's Sphinx extension, the code its roles call, the book's theme templates and
        interface catalogue (`locales/<lang>/LC_MESSAGES/sphinx.po`), the static and extra files
        Sphinx copies into the site (`_static/`, `_extra/`), and the locked packages (Sphinx,
        the theme, myst). When it changes, Sphinx's saved environment is thrown away and every
        page is written again; otherwise pages it considers unchanged would keep the old HTML,
        and when no page changed Sphinx stops before it copies static and extra files at all."""
        h = hashlib.sha256()
        book = self.paths.book
        templates = sorted((book / "_templates").glob("*.html"))
        copied = sorted(
            p for d in ("_static", "_extra") for p in (book / d).rglob("*") if p.is_file()
        )
        interface = self.paths.locales / self.lang / "LC_MESSAGES" / "sphinx.po"
        for code in [*environment_code(), *templates, *copied, interface]:
            if code.exists():
                inside = code.is_relative_to(self.paths.root)
                h.update(str(code.relative_to(self.paths.root) if inside else code.name).encode())
                h.update(code.read_bytes())
        lock = self.paths.root / "requirements.lock"
        if lock.exists():
            h.update(lock.read_bytes())
        return h.hexdigest()

    def environment_changed(self) -> bool:
        stamp = self._env_stamp
        return not stamp.exists() or stamp.read_text() != self.environment_key()

    def fresh(self, digest: str | None = None) -> bool:
        """True when the last build of these very inputs succeeded and its output is there."""
        digest = digest or self.inputs_hash()
        stamp = self._stamp
        return stamp.exists() and stamp.read_text() == digest and self.html.is_dir()

    @property
    def waiting(self) -> bool:
        return self._go is not None

    def finish(self) -> str:
        """Build the edition unless its inputs are unchanged; returns the inputs' hash."""
        digest = self.inputs_hash()
        if self.fresh(digest) and not self._clean:
            self.stop()
            return digest
        if not self.waiting:
            with SphinxProcesses(self.paths) as processes:
                processes.start([self], clean=False)
                return self.finish()
        self._stamp.unlink(missing_ok=True)
        go, done, self._go, self._done = self._go, self._done, None, None
        os.write(go, b"build\n")
        os.close(go)
        with os.fdopen(done, encoding="utf-8") as answer:
            status = answer.readline().strip()
        output = self._log.read_text(encoding="utf-8", errors="replace") if self._log else ""
        doctrees = self.work / "_build" / ".doctrees"
        if status != "0":
            self._remember_pages_with_problems(output, doctrees)
            problems = _sphinx_problems(output, self.paths)
            tail = output.strip().splitlines()[-3:]
            raise KbError(problems or ["jupyter-book build failed:", *tail])
        problem_listing(doctrees).unlink(missing_ok=True)
        self._stamp.write_text(digest)
        self._env_stamp.write_text(self.environment_key())
        return digest

    def _remember_pages_with_problems(self, output: str, doctrees: Path) -> None:
        """After a failed build: Sphinx would not read the offending pages again next time (they
        are unchanged since it read them) and so would not repeat their warnings. List them for
        the book's extension to have them read again (`kb.sphinx_ext.problems`); when a problem
        names no page (or none names one), forget everything Sphinx read instead."""
        pages = _pages_named(output, self.sources()[0])
        if not pages or not doctrees.is_dir():
            (doctrees / "environment.pickle").unlink(missing_ok=True)
            problem_listing(doctrees).unlink(missing_ok=True)
        else:
            problem_listing(doctrees).write_text("".join(f"{p}\n" for p in pages), "utf-8")

    def stop(self) -> None:
        """Let a waiting Sphinx process end without building (closing its pipe tells it)."""
        for fd in (self._go, self._done):
            if fd is not None:
                os.close(fd)
        self._go = self._done = None


class SphinxProcesses:
    """The waiting Sphinx builds of some editions, forked from one process (kb.build.sphinx_runner)
    that imports Jupyter Book and the extensions once. Use as a context manager."""

    def __init__(self, paths: Paths):
        self.paths = paths
        self.process: subprocess.Popen | None = None
        self.editions: list[Edition] = []

    def start(self, editions: list[Edition], clean: bool) -> None:
        plan, theirs = [], []
        for edition in editions:
            source, config, toc = edition.sources()
            full = clean or edition.environment_changed()
            if full:
                shutil.rmtree(edition.work, ignore_errors=True)
            edition.work.mkdir(parents=True, exist_ok=True)
            go_read, go_write = os.pipe()
            done_read, done_write = os.pipe()
            edition._go, edition._done, edition._clean = go_write, done_read, full
            edition._log = edition.work / "sphinx.log"
            plan.append(
                {
                    "argv": build_arguments(edition.work, source, config, toc, full=full),
                    "go": go_read,
                    "done": done_write,
                    "log": str(edition._log),
                    # A clean translation builds while English pages still run (kb.build.pipeline):
                    # it yields the cores to them.
                    "nice": 10 if clean and edition.lang != "en" else 0,
                }
            )
            theirs += [go_read, done_write]
        self.editions += editions
        plan_file = self.paths.build / f".sphinx-plan-{'-'.join(e.lang for e in editions)}.json"
        plan_file.write_text(json.dumps(plan), encoding="utf-8")
        log = plan_file.with_suffix(".log")
        with open(log, "wb") as output:  # the editions' own output goes to their logs
            self.process = subprocess.Popen(
                [sys.executable, "-m", "kb.build.sphinx_runner", str(plan_file)],
                pass_fds=theirs,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                cwd=self.paths.root,
                env={**os.environ, "PYTHONWARNINGS": "ignore"},
            )
        for fd in theirs:
            os.close(fd)

    def __enter__(self) -> SphinxProcesses:
        return self

    def __exit__(self, *exc) -> None:
        for edition in self.editions:
            edition.stop()
        if self.process is not None:
            self.process.wait()
