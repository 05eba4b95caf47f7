"""Publishing: the built editions and the data downloads become `_build/html` in one rename."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from kb.paths import Paths


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


def publish(parts: list[tuple[Path, str]], target: Path, finish=None) -> None:
    """Assemble a new `target` from built folders, then swap it in with one rename.

    `parts` pairs each built folder with its place in the site ("" for the root, "ru" for the
    Russian edition, "data" for the downloads). `finish(folder)` may add files before the swap.
    A file that equals the one already published (same size and modification time, which
    `copy2` preserves) is hard-linked to it instead of copied: nothing ever writes into a
    published file, so the old site stays intact until the rename, and a small edit publishes
    in a fraction of the time of a full copy.
    """
    fresh = target.with_name(target.name + ".new")
    old = target.with_name(target.name + ".old")
    shutil.rmtree(fresh, ignore_errors=True)
    places = [place for _, place in parts]
    for source, place in parts:
        # Skip what a part's folder holds where another part goes (e.g. an old `ru/`).
        prefix = f"{place}/" if place else ""
        nested = {p[len(prefix) :].split("/")[0] for p in places if p.startswith(prefix)}
        _mirror(source, fresh / place, target / place, skip=nested - {""})
    if finish:
        finish(fresh)
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    fresh.rename(target)
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
