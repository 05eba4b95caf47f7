"""What each executed page read from `data/`, so a data edit re-runs only the pages it affects.

Inside a notebook kernel, `kb` records the data it touches as keys: `table:<name>` for a whole
CSV (e.g. `table:projects`), `row:<name>:<id>` for one row of it (`Snapshot.row`),
`obs:<indicator>` for one indicator's observations,
`file:<path>` for other files (map outlines), and `template:<name>` for another page's template
that a page reads (the workshop agenda reads every module's minutes), with `templates:list` for
which templates exist. `kb execute` appends a hidden last cell that saves
the keys; the next build hashes only those slices of `data/` for that page.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

_READS: set[str] = set()

ALWAYS = ("file:datapackage.json",)
"""Keys every page depends on: the schema changes what every table means."""


def uses(*keys: str) -> None:
    """Record that the running page depends on these data keys."""
    _READS.update(keys)


def reset() -> None:
    """Forget recorded keys (a warm kernel runs several pages in turn)."""
    _READS.clear()


def remembered(snapshot, key, compute: Callable[[], T]) -> T:
    """`compute()` once per snapshot and key; every call records the data keys it read.

    A warm kernel runs many pages that ask for the same computations; a cached answer must still
    tell each page what data it depends on, or a later edit would leave that page stale.
    """
    memo = snapshot.__dict__.setdefault("_remembered", {})
    if key not in memo:
        outer = set(_READS)
        _READS.clear()
        try:
            value = compute()
        finally:
            used = set(_READS)
            _READS.clear()
            _READS.update(outer | used)
        memo[key] = (value, used)
    value, used = memo[key]
    _READS.update(used)
    return value


def reads() -> list[str]:
    return sorted(_READS)


def dump() -> None:
    """Save the recorded keys where `kb execute` asked (the `KB_DEPS_FILE` variable)."""
    target = os.environ.get("KB_DEPS_FILE")
    if target:
        Path(target).write_text(json.dumps(reads()), encoding="utf-8")


def digests(data_dir: Path, templates_dir: Path | None = None) -> dict[str, str]:
    """Hash of every dependency key's slice of `data/` (and of the templates pages read)."""
    out: dict[str, str] = {}
    if templates_dir is not None and templates_dir.is_dir():
        names = sorted(p.name for p in templates_dir.glob("*.md"))
        out["templates:list"] = hashlib.sha256("\n".join(names).encode()).hexdigest()
        for name in names:
            raw = (templates_dir / name).read_bytes()
            out[f"template:{name}"] = hashlib.sha256(raw).hexdigest()
    for path in sorted(p for p in data_dir.rglob("*") if p.is_file()):
        rel = path.relative_to(data_dir).as_posix()
        raw = path.read_bytes()
        out[f"file:{rel}"] = hashlib.sha256(raw).hexdigest()
        if path.suffix == ".csv" and path.parent == data_dir:
            out[f"table:{path.stem}"] = out[f"file:{rel}"]
            out.update(_row_digests(path.stem, raw))
    obs = data_dir / "observations.csv"
    if obs.exists():
        groups: dict[str, hashlib._Hash] = {}
        text = obs.read_text(encoding="utf-8", errors="replace")
        header, _, body = text.partition("\n")
        for line in csv.reader(io.StringIO(body)):
            if line:
                groups.setdefault(line[0], hashlib.sha256(header.encode())).update(
                    ",".join(line).encode() + b"\n"
                )
        out.update({f"obs:{k}": h.hexdigest() for k, h in groups.items()})
    return out


def _row_digests(table: str, raw: bytes) -> dict[str, str]:
    """`row:<table>:<id>` for each row of a table keyed by an `id` first column (none for other
    tables): the hash of the header and that row (a new column changes every row)."""
    if not raw.startswith(b"id,"):
        return {}
    rows = csv.reader(io.StringIO(raw.decode("utf-8", errors="replace")))
    header = "\x1f".join(next(rows)).encode() + b"\n"
    return {
        f"row:{table}:{row[0]}": hashlib.sha256(header + "\x1f".join(row).encode()).hexdigest()
        for row in rows
        if row
    }


def slice_hash(keys: list[str], table: dict[str, str]) -> str:
    """One hash over the given keys' digests (a missing key hashes as absent)."""
    h = hashlib.sha256()
    for key in sorted(set(keys) | set(ALWAYS)):
        h.update(f"{key}={table.get(key, 'absent')}\n".encode())
    return h.hexdigest()
