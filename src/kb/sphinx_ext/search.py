"""The search index of an incremental build, made the one a clean build writes.

Sphinx (7.4) updates `searchindex.js` from the index of the last build and the pages it writes
again, and two things of a clean build's index are lost on the way:

- words only a page's previous version had stay, each pointing to no page (harmless to search,
  but the index would depend on the site's history);
- the index entries (the glossary's terms) of every page not written again are dropped
  (sphinx-doc/sphinx#12599): Sphinx keeps them on its environment but saves the environment
  before it writes the pages.

Here each page's index entries are recorded as Sphinx reads the page, on the environment (where
extensions keep their data, saved with it), and once the build is done the index is read,
corrected and written back with Sphinx's own serializer. A clean build's index comes out
unchanged, byte for byte.
"""

from __future__ import annotations

from pathlib import Path

from kb.sphinx_ext import extension_data

ENTRIES = "kb_index_entries"
"""The environment attribute holding each page's index entries (as Sphinx's search index
records them: entry, target id, main or not)."""


def page_entries(doctree) -> list[tuple[str, str, str]]:
    """A page's index entries, as Sphinx's search indexer collects them from its index nodes."""
    from sphinx import addnodes
    from sphinx.util.index_entries import split_index_msg

    found: set[tuple[str, str, str]] = set()
    for node in doctree.findall(addnodes.index):
        for entry_type, value, target_id, main, _category in node["entries"]:
            try:
                words = split_index_msg(entry_type, value)
            except ValueError:
                continue
            if entry_type in {"see", "seealso"}:
                found.add((words[0], target_id or "", main))
            found |= {(word, target_id or "", main) for word in words}
    return sorted(found)


def _entries(env) -> dict[str, list[tuple[str, str, str]]]:
    return extension_data(env, ENTRIES)


def record_entries(app, doctree) -> None:
    """`doctree-read`: remember the page's index entries."""
    _entries(app.env)[app.env.docname] = page_entries(doctree)


def forget_entries(app, env, docname) -> None:
    """`env-purge-doc`: a page read again or removed drops what was recorded of it."""
    _entries(env).pop(docname, None)


def merge_entries(app, env, docnames, other) -> None:
    """`env-merge-info`: pages read in another process (parallel reading)."""
    theirs = _entries(other)
    _entries(env).update({name: theirs[name] for name in docnames if name in theirs})


def correct_index(app, exception) -> None:
    """`build-finished`: drop the words that point to no page, and give every indexed page its
    index entries again, in the order a clean build writes them (pages in name order)."""
    from sphinx.search import js_index

    index_file = Path(app.outdir) / "searchindex.js"
    if exception is not None or app.builder.format != "html" or not index_file.exists():
        return
    with index_file.open(encoding="utf-8") as stream:
        index = js_index.load(stream)
    for kind in ("terms", "titleterms"):
        index[kind] = {word: pages for word, pages in index[kind].items() if pages != []}
    number = {name: n for n, name in enumerate(index["docnames"])}
    entries: dict[str, list] = {}
    for name, found in sorted(_entries(app.env).items()):
        metadata = app.env.metadata.get(name, {})
        if name not in number or "no-search" in metadata or "nosearch" in metadata:
            continue
        for entry, target, main in found:
            entries.setdefault(entry.lower(), []).append([number[name], target, main == "main"])
    index["indexentries"] = entries
    with index_file.open("w", encoding="utf-8") as stream:
        js_index.dump(index, stream)
