"""A page with a problem fails every build until it is fixed, and only it is read again.

Warnings fail a build (`-W`), but by then Sphinx has saved what it read: the next build would find
the page unchanged, not read it, not repeat its warnings, and pass. After a failed build,
`kb.build.editions` lists the pages the warnings name beside Sphinx's saved environment (or, when
a warning names no page, throws that environment away); this module has Sphinx read those pages
again (`env-get-outdated`). The next build repeats their warnings, and the rest of the book stays
as read: a failed build is followed by an incremental one, not a full one.
"""

from __future__ import annotations

from pathlib import Path

LISTING = "kb-pages-with-problems.txt"


def listing(doctreedir: str | Path) -> Path:
    """The file listing the last failed build's pages with problems (docnames, one a line), in
    Sphinx's doctree folder beside its saved environment."""
    return Path(doctreedir) / LISTING


def read_again(app, env, added, changed, removed) -> list[str]:
    """`env-get-outdated`: the listed pages that are still in the book."""
    path = listing(app.doctreedir)
    if not path.exists():
        return []
    return sorted(set(path.read_text(encoding="utf-8").split()) & env.found_docs)
