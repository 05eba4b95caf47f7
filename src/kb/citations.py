"""Citations: `data/sources.csv` is the one bibliography.

Each source id becomes a BibTeX key, so prose cites the same ids the data rows name
({cite:p}`gef-2006-cacilm-news`), and the data-sources page lists them with anchors.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from kb import display
from kb.data import Snapshot, load
from kb.i18n import t

_BIB_SPECIAL = re.compile(r"([&%$#_{}~^\\])")


def _bib(text) -> str:
    text = "" if pd.isna(text) else str(text)
    return _BIB_SPECIAL.sub(lambda m: "\\" + m.group(1) if m.group(1) not in "~^\\" else " ", text)


def _year(vintage: str) -> str:
    m = re.search(r"(19|20)\d\d", str(vintage))
    return m.group(0) if m else "n.d."


def bibtex(snapshot: Snapshot) -> str:
    entries = []
    for r in snapshot.sources.itertuples(index=False):
        entries.append(
            f"@misc{{{r.id},\n  title = {{{{{_bib(r.title)}}}}},\n"
            f"  author = {{{{{_bib(r.publisher)}}}}},\n  year = {{{_year(r.vintage)}}},\n"
            f"  howpublished = {{\\url{{{r.url}}}}},\n"
            f"  note = {{Retrieved {r.retrieved}. Licence: {_bib(r.licence)}}}\n}}\n"
        )
    return "\n".join(entries)


def write_bibtex(snapshot: Snapshot, path: Path) -> None:
    text = bibtex(snapshot)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def sources_table(snapshot: Snapshot | None = None, ids: list[str] | None = None):
    """Every source (or the given ones) with title, publisher, link, retrieval, licence, vintage."""
    snap = snapshot or load()
    f = snap.sources if ids is None else snap.sources[snap.sources.id.isin(ids)]
    rows = []
    for r in f.sort_values("id").itertuples(index=False):
        rows.append(
            f'<tr id="src-{display.esc(r.id)}"><td><code>{display.esc(r.id)}</code></td>'
            f'<td><a href="{display.esc(r.url)}">{display.esc(r.title)}</a><br>'
            f"<small>{display.esc(r.note)}</small></td><td>{display.esc(r.publisher)}</td>"
            f"<td>{display.esc(r.vintage)}</td><td>{display.esc(r.licence)}</td>"
            f"<td>{display.esc(r.retrieved)}</td></tr>"
        )
    head = "".join(
        f'<th scope="col">{t(h)}</th>'
        for h in ("Id", "Title and note", "Publisher", "Vintage", "Licence", "Retrieved")
    )
    return display.HTML(
        f'<div class="kb-table-wrap"><table class="kb-table kb-sources"><thead>'
        f"<tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def usage(snapshot: Snapshot | None = None) -> pd.DataFrame:
    """How many observations, projects and other rows cite each source."""
    snap = snapshot or load()
    counts = {}
    for name in ("observations", "projects", "financing", "timeline", "indicators"):
        frame = getattr(snap, name)
        for value in frame.source.dropna():
            for sid in str(value).split(";"):
                counts.setdefault(sid, {}).setdefault(name, 0)
                counts[sid][name] += 1
    return pd.DataFrame.from_dict(counts, orient="index").fillna(0).astype(int)


def summary(snapshot: Snapshot | None = None):
    snap = snapshot or load()
    return display.paragraph(t("The snapshot cites {count} sources.", count=len(snap.sources)))
