"""Citations: `data/sources.csv` is the one bibliography.

Each source id becomes a BibTeX key, so prose cites the same ids the data rows name
({cite:p}`gef-2006-cacilm-news`), and the data-sources page lists them with anchors.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd

from kb import display, facts, i18n
from kb.data import Snapshot, load
from kb.i18n import t

_BIB_SPECIAL = re.compile(r"([&%$#_{}~^\\])")

NO_DATE = {"en": "n.d.", "ru": "б. г."}
"""What an undated entry shows instead of a year, per edition."""

_WORDS = {
    "en": {"retrieved": "Retrieved {date}", "licence": "Licence", "read_from": "Read from a copy"},
    "ru": {
        "retrieved": "Дата обращения: {date}",
        "licence": "Лицензия",
        "read_from": "Где прочитано",
    },
}


def _bib(text) -> str:
    text = "" if pd.isna(text) else str(text)
    return _BIB_SPECIAL.sub(lambda m: "\\" + m.group(1) if m.group(1) not in "~^\\" else " ", text)


_URL_SPECIAL = {"%": r"\%", "&": r"\&", "#": r"\#", "$": r"\$", "~": r"\textasciitilde{}"}


def _bib_url(url) -> str:
    r"""A URL for `\url{...}`, kept byte for byte by pybtex's LaTeX decoding.

    pybtex decodes field text as LaTeX, where `--` is an en dash and `%` starts a comment: an
    empty group between hyphens (`-{}-`) and escapes keep them as typed."""
    text = re.sub(r"-(?=-)", "-{}", str(url))
    return re.sub(r"[%&#$~]", lambda m: _URL_SPECIAL[m.group(0)], text)


def _blank(value) -> bool:
    return value is None or pd.isna(value) or str(value).strip() == ""


def year(value, lang: str = "en") -> str:
    """The entry's year: the publication year the source gives (`year` column), else "n.d."."""
    return NO_DATE[lang] if _blank(value) else str(int(value))


def bibtex(snapshot: Snapshot, lang: str = "en") -> str:
    """`data/sources.csv` as BibTeX, in the words of the edition `lang` ("n.d." or "б. г.")."""
    words = _WORDS[lang]
    entries = []
    suffix = "_ru" if lang == "ru" else ""
    for r in snapshot.sources.itertuples(index=False):
        licence, publisher = getattr(r, f"licence{suffix}"), getattr(r, f"publisher{suffix}")
        retrieved = facts.date(str(r.retrieved)[:10], "day", lang)
        note = f"{words['retrieved'].format(date=retrieved)}. {words['licence']}: {_bib(licence)}"
        read_from = getattr(r, "read_from", None)
        if not _blank(read_from):
            note += f". {words['read_from']}: \\url{{{_bib_url(read_from)}}}"
        entries.append(
            f"@misc{{{r.id},\n  title = {{{{{_bib(r.title)}}}}},\n"
            f"  author = {{{{{_bib(publisher)}}}}},\n"
            f"  year = {{{year(getattr(r, 'year', None), lang)}}},\n"
            f"  howpublished = {{\\url{{{_bib_url(r.url)}}}}},\n"
            f"  note = {{{note}}}\n}}\n"
        )
    return "\n".join(entries)


def write_bibtex(snapshot: Snapshot, path: Path, lang: str = "en") -> None:
    text = bibtex(snapshot, lang)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def _read_from_link(row) -> str:
    """A link to the copy the source was read from (empty when read at the publisher's site)."""
    url = getattr(row, "read_from", None)
    if _blank(url):
        return ""
    host = urlsplit(str(url)).netloc
    return f'<a href="{display.esc(url)}">{display.esc(host or url)}</a>'


def sources_table(snapshot: Snapshot | None = None, ids: list[str] | None = None):
    """Every source (or the given ones) with title, publisher, link, retrieval, licence, vintage."""
    snap = snapshot or load()
    f = snap.sources if ids is None else snap.sources[snap.sources.id.isin(ids)]
    rows = []
    lang = i18n.language()
    usual_licence, usual_date = common_terms(f)
    for r in f.sort_values("id").itertuples(index=False):
        vintage = facts.dated_text(str(i18n.localized(r, "vintage")), lang)
        licence = i18n.localized(r, "licence") if r.licence != usual_licence else "〃"
        read = str(r.retrieved)[:10]
        retrieved = facts.date(read, "day", lang) if read != usual_date else "〃"
        rows.append(
            f'<tr id="src-{display.esc(r.id)}"><td>{display.esc(r.id)}</td>'
            f'<td><a href="{display.esc(r.url)}"><cite>{display.esc(r.title)}</cite></a><br>'
            f"<small>{display.esc(i18n.localized(r, 'note'))}</small></td>"
            f"<td>{display.esc(i18n.localized(r, 'publisher'))}</td>"
            f"<td>{display.esc(vintage)}</td>"
            f"<td>{display.esc(licence)}</td>"
            f"<td>{display.esc(retrieved)}</td>"
            f"<td>{_read_from_link(r)}</td></tr>"
        )
    head = "".join(
        f'<th scope="col">{t(h)}</th>'
        for h in (
            "Id",
            "Title and note",
            "Publisher",
            "Vintage",
            "Licence",
            "Retrieved",
            "Read from",
        )
    )
    return display.HTML(
        display.table_frame(
            f'<table class="kb-table kb-sources"><thead>'
            f"<tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>",
            t("Data sources"),
        )
    )


def common_terms(sources: pd.DataFrame) -> tuple[str, str]:
    """The licence and the retrieval date most sources share: the table states them once (its
    cells show 〃) instead of on every row, which keeps the page light on a phone."""
    return (
        str(sources.licence.mode().iloc[0]),
        str(sources.retrieved.astype(str).str[:10].mode().iloc[0]),
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
    licence, read = common_terms(snap.sources)
    usual = snap.sources[snap.sources.licence == licence].iloc[0]
    return display.paragraph(
        t(
            "The snapshot cites {sources}. Where the table shows 〃, the licence is “{licence}” "
            "and the source was read on {date}.",
            sources=i18n.counted(len(snap.sources), "{count} sources"),
            licence=i18n.localized(usual, "licence"),
            date=facts.date(read, "day", i18n.language()),
        )
    )
