"""Keeping the Russian edition in step: extract the English text, update and check catalogues.

`kb i18n update` runs Sphinx's gettext builder over the English book (after `kb build`) and
merges new or changed messages into `locales/ru/LC_MESSAGES/**.po` with sphinx-intl (changed
ones become fuzzy). `kb i18n check` compares the fresh English messages with the catalogues and
reports, per page, messages that are missing, untranslated or fuzzy.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from kb.paths import Paths

LANG = "ru"


@dataclass
class PageStatus:
    page: str
    messages: int
    untranslated: list[str]
    fuzzy: list[str]

    @property
    def complete(self) -> bool:
        return not self.untranslated and not self.fuzzy


def extract(paths: Paths) -> Path:
    """English messages as .pot files, one per page (needs the executed English pages)."""
    out = paths.build / ".gettext"
    exe = Path(sys.executable).with_name("jupyter-book")
    subprocess.run(
        [
            str(exe),
            "build",
            str(paths.book),
            "--config",
            str(paths.config),
            "--toc",
            str(paths.toc),
            "--path-output",
            str(out),
            "--builder",
            "custom",
            "--custom-builder",
            "gettext",
            "-q",
        ],
        check=True,
        capture_output=True,
        text=True,
        cwd=paths.root,
        env={**os.environ, "KB_BUILDING": "1"},  # see kb.sphinx_ext.BUILT_BY_KB
    )
    return out / "_build" / "gettext"


def update(paths: Paths) -> None:
    pot = extract(paths)
    exe = Path(sys.executable).with_name("sphinx-intl")
    subprocess.run(
        [str(exe), "update", "-p", str(pot), "-l", LANG, "-d", str(paths.locales)],
        check=True,
        capture_output=True,
        text=True,
    )


def _titles_from_data(paths: Paths) -> dict[str, str]:
    """Pages whose title is a data value with its Russian twin in `data/` (each edition's job
    carries its own title, see kb.build.pages): page → English title, which needs no catalogue."""
    from kb.build import pages
    from kb.data import load

    return {
        f"_generated/{job.output}": job.title
        for job in pages.jobs(load(paths.data, check=False))
        if job.template in pages.TITLED_FROM_DATA
    }


def check(paths: Paths) -> list[PageStatus]:
    """Per page: every English message must have a non-fuzzy Russian translation."""
    import polib

    titles = _titles_from_data(paths)
    pot_dir = extract(paths)
    po_dir = paths.locales / LANG / "LC_MESSAGES"
    out = []
    for pot_path in sorted(pot_dir.rglob("*.pot")):
        page = pot_path.relative_to(pot_dir).with_suffix("").as_posix()
        po_path = po_dir / f"{page}.po"
        po = {e.msgid: e for e in polib.pofile(str(po_path))} if po_path.exists() else {}
        untranslated, fuzzy = [], []
        pot = polib.pofile(str(pot_path))
        for entry in pot:
            if not entry.msgid or entry.msgid == titles.get(page):
                continue
            have = po.get(entry.msgid)
            if have is None or not have.msgstr.strip():
                untranslated.append(entry.msgid)
            elif "fuzzy" in have.flags:
                fuzzy.append(entry.msgid)
        out.append(PageStatus(page, len(pot), untranslated, fuzzy))
    return out
