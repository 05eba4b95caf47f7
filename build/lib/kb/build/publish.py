"""Publishing: the built editions and the data downloads become `_build/html` in one rename."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from kb.paths import Paths


def write_redirect(paths: Paths, html: Path, lang: str = "en") -> None:
    """`index.html` → the root page named in `_toc.yml` (works from disk too)."""
    (html / "index.html").write_text(redirect_html(paths, lang), encoding="utf-8")


def redirect_html(paths: Paths, lang: str = "en") -> str:
    """The edition's `index.html`: a redirect in its language, with the site icon."""
    import yaml

    from kb.build.editions import EDITION_TITLES

    root = yaml.safe_load(paths.toc.read_text(encoding="utf-8"))["root"]
    url = f"{root}.html"
    title = EDITION_TITLES.get(lang, "CACILM Knowledge Base")
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        f'<meta http-equiv="Refresh" content="0; url={url}"><title>{title}</title>'
        f'<link rel="icon" href="_static/favicon.svg">'
        f'</head><body><p><a href="{url}">{title}</a></p></body></html>\n'
    )


class NewSite:
    """The next `target` (`_build/html`), assembled part by part beside the published one and
    swapped in with one rename, so readers and a failed build never see half a site.

    `places` lists where the parts go: "" for the English root, "ru" for the Russian edition,
    "data" and "ru/data" for the downloads, "charts" for the chart files. Parts can be added
    while other parts are still being built. A file that equals the one already published (same
    size and modification time, which `copy2` preserves) is hard-linked to it instead of copied:
    nothing ever writes into a published file, so the old site stays intact until the rename.
    """

    def __init__(self, target: Path, places: list[str]):
        self.target = target
        self.places = places
        self.folder = target.with_name(target.name + ".new")
        shutil.rmtree(self.folder, ignore_errors=True)

    def add(self, source: Path, place: str) -> None:
        """Mirror a built folder into its place (skipping what it holds where others go)."""
        prefix = f"{place}/" if place else ""
        nested = {p[len(prefix) :].split("/")[0] for p in self.places if p.startswith(prefix)}
        _mirror(source, self.folder / place, self.target / place, skip=nested - {""})

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def publish(self) -> None:
        """Replace the published site with this one."""
        old = self.target.with_name(self.target.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if self.target.exists():
            self.target.rename(old)
        self.folder.rename(self.target)
        shutil.rmtree(old, ignore_errors=True)


def _mirror(source: Path, dest: Path, published: Path, skip: set[str]) -> None:
    """Copy `source` to `dest`, hard-linking files unchanged since `published` was made."""
    for folder, dirs, files in os.walk(source):
        rel = Path(folder).relative_to(source)
        if rel == Path("."):
            dirs[:] = [d for d in dirs if d not in skip]
            files = [f for f in files if f not in skip]
        (dest / rel).mkdir(parents=True, exist_ok=True)
        for name in files:
            src, dst, old = Path(folder, name), dest / rel / name, published / rel / name
            try:
                a, b = src.stat(), old.stat()
                same = a.st_size == b.st_size and a.st_mtime_ns == b.st_mtime_ns
            except FileNotFoundError:
                same = False
            if same:
                os.link(old, dst)
            else:
                shutil.copy2(src, dst)
