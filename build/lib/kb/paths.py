"""Where things live. Everything is relative to the project root (the folder holding `_config.yml`).

`KB_ROOT` overrides the root, which lets tests build a copy of the project in a temporary folder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def find_root(start: Path | None = None) -> Path:
    """The project root: $KB_ROOT, else the nearest parent of `start` (or cwd) with `_config.yml`."""
    if env := os.environ.get("KB_ROOT"):
        return Path(env).resolve()
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "_config.yml").exists() and (folder / "data").is_dir():
            return folder
    # Installed editable from src/kb: the repository is two levels up.
    return Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Paths:
    """Named locations inside one project root."""

    root: Path

    @classmethod
    def here(cls) -> Paths:
        return cls(find_root())

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def book(self) -> Path:
        return self.root / "book"

    @property
    def templates(self) -> Path:
        return self.book / "templates"

    @property
    def generated(self) -> Path:
        """Executed notebooks (git-ignored); `_toc.yml` points here."""
        return self.book / "_generated"

    @property
    def locales(self) -> Path:
        return self.root / "locales"

    def edition(self, lang: str) -> Path:
        """Work folder of a translated edition: a mirror of `book/` plus its own pages."""
        return self.build / f".{lang}"

    def generated_for(self, lang: str) -> Path:
        """Where executed pages of one language go (English: `book/_generated/`)."""
        if lang == "en":
            return self.generated
        return self.edition(lang) / "book" / "_generated"

    @property
    def static(self) -> Path:
        return self.book / "_static"

    @property
    def vendor(self) -> Path:
        """Built JS bundle. Not under `_static`: Jupyter Book would load every `.js` there on
        every page. `book/_extra` is copied to the site root through `html_extra_path`."""
        return self.book / "_extra" / "vendor"

    @property
    def charts(self) -> Path:
        """Chart downloads (CSV, SVG) and spec scripts written by executed pages, published as `charts/`.

        Not under `_extra`: Sphinx never deletes an extra file it copied once, so old versions
        would pile up in the site; publishing mirrors this folder exactly instead."""
        return self.book / "_charts"

    @property
    def build(self) -> Path:
        return self.root / "_build"

    @property
    def html(self) -> Path:
        return self.build / "html"

    @property
    def cache(self) -> Path:
        """Input hashes of executed notebooks, kept outside `_build` so a clean keeps them apart."""
        return self.root / ".kb-cache"

    @property
    def config(self) -> Path:
        return self.root / "_config.yml"

    @property
    def toc(self) -> Path:
        return self.root / "_toc.yml"


_OUTPUTS = {
    ".venv",
    "_build",
    ".kb-cache",
    ".kb-build.lock",
    "dist",
    ".git",
    "node_modules",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
}
_BOOK_OUTPUTS = {"_generated", "_extra", "_charts", "references.bib"}


def ignore_outputs(folder: str, names: list[str]) -> set[str]:
    """`shutil.copytree` filter for a clean copy of the project's sources.

    Skips build outputs and caches; `_generated` only where the book puts it, so the
    `locales/ru/LC_MESSAGES/_generated/` catalogues are copied.
    """
    skipped = {n for n in names if n in _OUTPUTS}
    if Path(folder).name == "book":
        skipped |= {n for n in names if n in _BOOK_OUTPUTS}
    return skipped
