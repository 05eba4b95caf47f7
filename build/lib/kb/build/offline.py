"""The offline copy of the site: a zip that works from disk, a USB stick or any static server."""

from __future__ import annotations

import zipfile
from pathlib import Path

from kb import __version__
from kb.errors import KbError
from kb.paths import Paths


def make_dist(paths: Paths) -> Path:
    site = paths.html
    if not (site / "index.html").exists():
        raise KbError("_build/html/index.html: no built site; run `make book` first")
    out = paths.root / "dist" / f"cacilm-kb-{__version__}.zip"
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".zip.partial")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for f in sorted(site.rglob("*")):
            if f.is_file() and ".doctrees" not in f.parts:
                zf.write(f, Path("cacilm-kb") / f.relative_to(site))
    tmp.replace(out)
    return out
