"""Sphinx extension for the book: each page loads only the assets it uses (`assets`) and the
icon font holds only the icons the site shows (`icons`); fix one ARIA role.

Docutils marks a bibliography `role="list"` while its entries are `role="doc-biblioentry"`,
which accessibility checkers report as a list without list items; the book's HTML writer (a
subclass registered with `app.set_translator`) leaves the list role out.

It also gives prose the facts of `data/` (roles `{kb-date}` …, see `kb.facts`), and, under
`kb.build.sphinx_runner`, holds a build until the pages are executed. It only uses Sphinx's public
events and roles: nothing of Sphinx, docutils, pybtex or Jinja is patched.
"""

from __future__ import annotations

import copy
from pathlib import Path


def _book_translator():
    """Sphinx's HTML writer, with one change: a bibliography's entries are `doc-biblioentry`
    elements, so the block around them is not marked as a `list` (accessibility checkers report a
    list without list items). Registered with `app.set_translator`; the theme mixes its own
    writer into it."""
    from sphinx.writers.html5 import HTML5Translator

    class BookTranslator(HTML5Translator):
        def visit_citation(self, node):
            if not isinstance(node.previous_sibling(), type(node)):
                self.body.append('<div class="citation-list">\n')
            self.body.append(
                self.starttag(node, "div", classes=[node.tagname], role="doc-biblioentry")
            )

    return BookTranslator


SWITCH = {
    "en": ("ru", "Русская версия", "Read this page in Russian"),
    "ru": ("en", "English version", "Эта страница на английском"),
}


def _language_switch(app, pagename, templatename, context, doctree) -> None:
    """The same page in the other edition, for the `kb-lang-switch.html` header component: on
    every page, the search and index pages included.

    The English site is the root and the Russian edition lives in `ru/`, page for page.
    """
    lang = app.config.language or "en"
    if lang not in SWITCH:
        return
    other, label, title = SWITCH[lang]
    root = "../" * pagename.count("/")
    href = f"{root}ru/{pagename}.html" if other == "ru" else f"{root}../{pagename}.html"
    context["kb_lang_switch"] = {"href": href, "lang": other, "label": label, "title": title}


def alphabetical_key(term: str) -> tuple:
    """Dictionary order for a glossary headword: Cyrillic headwords first, in the Russian
    alphabet (ё beside е), then Latin ones; case does not count."""
    text = term.strip().lower().replace("ё", "е")
    return (0 if text[:1].isalpha() and "а" <= text[:1] <= "я" else 1, text)


def _unique_ids_transform():
    from docutils import nodes
    from sphinx.transforms.post_transforms import SphinxPostTransform

    class UniqueIds(SphinxPostTransform):
        """Give every element of a page an id no other element has.

        Two extensions repeat ids: sphinx-exercise names every exercise's and solution's body
        `exercise-content` / `solution-content`, and a translated paragraph's citations are
        numbered afresh (`id14` twice on a Russian page). A repeated id is invalid HTML and
        links to it are ambiguous; the second and later get a suffix (`exercise-content-2`)."""

        default_priority = 990  # after the other post-transforms have made their nodes

        def run(self, **kwargs) -> None:
            seen: set[str] = set()
            elements = list(self.document.findall(nodes.Element))
            for element in elements:
                seen.update(element.get("ids", ()))
            taken: set[str] = set()
            for element in elements:
                ids = []
                for id_ in element.get("ids", ()):
                    if id_ in taken:
                        n = 2
                        while f"{id_}-{n}" in seen:
                            n += 1
                        id_ = f"{id_}-{n}"
                        seen.add(id_)
                    taken.add(id_)
                    ids.append(id_)
                element["ids"] = ids

    return UniqueIds


def _glossary_order_transform():
    from docutils import nodes
    from sphinx import addnodes
    from sphinx.transforms.post_transforms import SphinxPostTransform

    class GlossaryInEditionOrder(SphinxPostTransform):
        """A translated glossary lists its translated headwords alphabetically, so a reader can
        look up АБР or УУЗР (the English source is in English order)."""

        default_priority = 200

        def run(self, **kwargs) -> None:
            if (self.config.language or "en") == "en":
                return
            for glossary in self.document.findall(addnodes.glossary):
                for entries in glossary.findall(nodes.definition_list):
                    items = list(entries.children)
                    items.sort(key=lambda item: alphabetical_key(item[0].astext()))
                    entries.children[:] = items

    return GlossaryInEditionOrder


INTERFACE_JS = "kb-translations.js"


def _interface_catalogue(app) -> Path | None:
    """The book's interface catalogue for the edition's language (`sphinx.po`), if any."""
    lang = app.config.language or "en"
    for folder in app.config.locale_dirs:
        po = Path(app.srcdir, folder, lang, "LC_MESSAGES", "sphinx.po")
        if po.is_file():
            return po
    return None


def _filter_script(app, pagename, templatename, context, doctree) -> None:
    """The table filters' script (`_static/kb-filter.js`), only on pages with a filtered table
    (Sphinx adds a script given in `html-page-context` to that page alone)."""
    if 'class="kb-filters"' in (context.get("body") or ""):
        app.add_js_file("kb-filter.js", loading_method="defer")


def _add_interface_js(app) -> None:
    """Load the book's interface translations after Sphinx's own on every page."""
    if app.builder.format == "html" and _interface_catalogue(app):
        app.add_js_file(INTERFACE_JS)


def _write_interface_js(app, exception) -> None:
    """The search page's JavaScript reads its words from `Documentation.addTranslations`
    (Sphinx's public catalogue hook): give it the book's catalogue, which fills the messages
    Sphinx's shipped Russian catalogue leaves empty (the results line among them)."""
    po = _interface_catalogue(app)
    if exception is not None or po is None or app.builder.format != "html":
        return
    import json

    from babel.messages.pofile import read_po

    with po.open("rb") as handle:
        catalogue = read_po(handle)
    messages = {m.id: m.string for m in catalogue if m.id and m.string and not m.fuzzy}
    body = {
        "messages": messages,
        "plural_expr": catalogue.plural_expr,
        "locale": str(catalogue.locale),
    }
    text = (
        f"Documentation.addTranslations({json.dumps(body, ensure_ascii=False, sort_keys=True)});\n"
    )
    target = Path(app.outdir, "_static", INTERFACE_JS)
    if not target.exists() or target.read_text(encoding="utf-8") != text:
        target.write_text(text, encoding="utf-8")


DESCRIPTION_LENGTH = 160
"""Search engines show about this many characters of a page's description."""


def page_description(doctree) -> str:
    """The page's first paragraph of prose, shortened at a word to about 160 characters."""
    from docutils import nodes

    for paragraph in doctree.findall(nodes.paragraph):
        if any(
            isinstance(a, (nodes.Admonition, nodes.table, nodes.figure))
            for a in _ancestors(paragraph)
        ):
            continue
        text = " ".join(paragraph.astext().split())
        if len(text) < 40:
            continue
        return _shortened(text)
    return ""


def _shortened(text: str) -> str:
    """`text` cut at a word to about `DESCRIPTION_LENGTH` characters."""
    if len(text) > DESCRIPTION_LENGTH:
        text = text[: DESCRIPTION_LENGTH - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return text


def _ancestors(node):
    while node.parent is not None:
        node = node.parent
        yield node


def _first_html_paragraph(body: str) -> str:
    """The text of the first `<p>` of at least 40 characters in a page's HTML body."""
    from html.parser import HTMLParser

    class Paragraphs(HTMLParser):
        def __init__(self):
            super().__init__()
            self.depth, self.text, self.found = 0, [], []

        def handle_starttag(self, tag, attrs):
            if tag == "p":
                self.depth, self.text = 1, []

        def handle_endtag(self, tag):
            if tag == "p" and self.depth:
                self.depth = 0
                self.found.append(" ".join("".join(self.text).split()))

        def handle_data(self, data):
            if self.depth:
                self.text.append(data)

    parser = Paragraphs()
    parser.feed(body)
    return _shortened(next((t for t in parser.found if len(t) >= 40), ""))


def _meta_description(app, pagename, templatename, context, doctree) -> None:
    """`<meta name="description">` from the page's own first paragraph (search results and
    link previews show it)."""
    import html

    text = page_description(doctree) if doctree is not None else ""
    if not text:  # a page whose text is all executed output: its first paragraph there
        text = _first_html_paragraph(context.get("body") or "")
    if text:
        tag = f'<meta name="description" content="{html.escape(text, quote=True)}">'
        context["metatags"] = (context.get("metatags") or "") + tag


def _name_chart_bundle(app, pagename, templatename, context, doctree) -> None:
    """On pages with charts, tell `kb-charts.js` where the interactive layer is, without fetching it.

    Both editions use the one bundle at the site root (a translation lives one folder down), so a
    reader's browser caches it once; it is fetched only when a reader asks for a chart's values."""
    if 'class="kb-chart"' not in (context.get("body") or ""):
        return
    up = "../" * pagename.count("/") + ("" if (app.config.language or "en") == "en" else "../")
    context["metatags"] = (context.get("metatags") or "") + (
        f'<meta name="kb-chart-bundle" content="{up}vendor/vega-bundle.js">'
    )


STOPPED = 3
"""Exit status of a build told not to go ahead (kb.build.sphinx_runner)."""

PYBTEX_GROUPS = (
    "pybtex.backends",
    "pybtex.style.formatting",
    "pybtex.style.labels",
    "pybtex.style.names",
    "pybtex.style.sorting",
)
BIBTEX_GROUPS = ("sphinxcontrib.bibtex.style.referencing",)


_citation_plugins_registered = False


def register_citation_plugins() -> None:
    """Look pybtex's and sphinxcontrib-bibtex's style plugins up once per process, and register
    them with each library's own `register_plugin`, which both consult before the installed
    packages.

    Otherwise every citation reference looks its style up in the entry points of every installed
    package, about one second per build (measured). Registering costs about 0.7 s itself (each
    registration scans the entry points): `kb.build.sphinx_runner` does it once, before it forks
    the editions' builds, and their `setup` then finds it done."""
    global _citation_plugins_registered
    if _citation_plugins_registered:
        return
    from importlib.metadata import entry_points

    import pybtex.plugin
    import sphinxcontrib.bibtex.plugin

    for group in PYBTEX_GROUPS:
        for entry in entry_points(group=group):
            pybtex.plugin.register_plugin(group, entry.name, entry.load(), force=True)
    for group in BIBTEX_GROUPS:
        for entry in entry_points(group=group):
            sphinxcontrib.bibtex.plugin.register_plugin(group, entry.name, entry.load(), force=True)
    _citation_plugins_registered = True


def _wait_for_go(app) -> None:
    """Under `kb.build.sphinx_runner`: once Sphinx is set up, wait for the word to build.

    The runner starts an edition's build while pages still execute; everything up to here
    (extensions, configuration, the saved environment, the builder) is done by then."""
    import os

    fd = os.environ.pop("KB_SPHINX_GO_FD", None)
    if fd is None:
        return
    with os.fdopen(int(fd), encoding="utf-8") as go:
        if go.readline().strip() != "build":
            raise SystemExit(STOPPED)


def _data_dir(app) -> Path:
    from kb.paths import find_root

    return find_root(Path(app.srcdir)) / "data"


def _fact_role(kind: str):
    """A role that shows one fact from `data/` in the edition's language: `{kb-date}`phase1-launch``.

    Prose names the row; the date or amount itself lives in `data/`, with its source. The page
    depends on the table it read, so Sphinx reads the page again when the table changes."""
    from docutils import nodes

    from kb import facts

    def role(name, rawtext, text, lineno, inliner, options=None, content=None):
        env = inliner.document.settings.env
        data = _data_dir(env.app)
        env.note_dependency(str(facts.table_path(data, kind)))
        try:
            shown = facts.render(data, kind, text.strip(), env.config.language or "en")
        except (facts.UnknownFact, ValueError) as exc:
            message = inliner.reporter.error(f"{{kb-{kind}}}`{text}`: {exc}", line=lineno)
            return [inliner.problematic(rawtext, rawtext, message)], [message]
        return [nodes.inline(rawtext, shown, classes=["kb-fact"])], []

    return role


def _empty_static_folder(app, builder) -> None:
    """Start each writing of pages with no `_static/` in the output, as a clean build does.

    Sphinx puts `?v=<checksum>` after a style sheet's or script's name only when the file is
    already in the output when a page is written. Its own static files are copied just before
    the pages are written, but myst-nb and sphinx-exercise copy theirs when the build finishes:
    a clean build's pages name them bare, an incremental build's rewritten pages (finding last
    build's copies) with a checksum — a site that depends on its history. Emptied here (Sphinx's
    `write-started`, emitted only when pages are written), it is filled again in the same order
    as in a clean build."""
    import shutil

    if builder.format == "html":
        shutil.rmtree(Path(builder.outdir) / "_static", ignore_errors=True)


def extension_data(env, name: str) -> dict:
    """The dictionary the extension keeps on Sphinx's environment under `name` (where extensions
    keep their data: it is saved and loaded with the environment), made empty the first time."""
    if not hasattr(env, name):
        setattr(env, name, {})
    return getattr(env, name)


SPHINX_NUMBERS = "kb_sphinx_fignumbers"
"""The environment attribute (extensions keep their data on Sphinx's environment) holding the
numbers Sphinx gave figures and exercises in the last build, before the per-page renumbering."""


def _restore_sphinx_numbers(app, env) -> list[str]:
    """Give Sphinx back its own numbers of the last build before it numbers again
    (`env-get-updated`, before its own handler): it rewrites every page whose numbers differ
    from the last build's, and compared with the renumbered ones every module after the first
    would differ each time, so an edit of one module rewrote them all."""
    saved = getattr(env, SPHINX_NUMBERS, None)
    if saved is not None:
        env.toc_fignumbers = saved
    return []


def _number_exercises_per_page(app, env) -> list[str]:
    """Exercises are numbered 1, 2, … on each page, as the module's notebooks number them.

    Sphinx numbers enumerable nodes in one sequence across an unnumbered book, so module 4's
    first exercise would read "Exercise 14" on its page and "Exercise 1" in its notebook. After
    Sphinx has assigned its numbers (`env-get-updated`), each page's exercises are renumbered
    from 1 in their order; solutions and references read the same numbers. Sphinx's own numbers
    are kept for its next comparison (`_restore_sphinx_numbers`): a page's numbers change only
    if Sphinx's did."""
    setattr(env, SPHINX_NUMBERS, copy.deepcopy(env.toc_fignumbers))
    for figures in env.toc_fignumbers.values():
        exercises = figures.get("exercise")
        if exercises:
            ordered = sorted(exercises, key=exercises.get)
            figures["exercise"] = {label: (n,) for n, label in enumerate(ordered, start=1)}
    return []


def _nodes_belong_to_their_page(app, doctree) -> None:
    """Point every node of a page at the page's own document (docutils' `Node.document`).

    A translation parses each message of its catalogue as a small document of its own and moves
    the result into the page, whose nodes then still name that small document; its settings hold
    Sphinx's whole build environment, which was so saved again with every translated page (a
    Russian page's doctree was 5-14 times the English one's, and slower to save and read back).
    The page's HTML does not change."""
    for node in doctree.findall():
        if node.document is not doctree:
            node.document = doctree


BUILT_BY_KB = "KB_BUILDING"
"""Set by `kb` for the Sphinx builds it runs (kb.build.sphinx_runner, kb.build.translations)."""


def setup(app):
    import os
    import sys

    from kb import facts
    from kb.sphinx_ext import assets, icons, problems, search, titles

    if not os.environ.get(BUILT_BY_KB):
        # A bare `jupyter-book build` would publish pages that were never executed, over the
        # site `make book` published: stop before Sphinx writes anything.
        # One line and a non-zero exit, without Jupyter Book's traceback for an extension error.
        print(
            "kb: this book is built with `make book` (it executes the pages, then builds both "
            "editions); run `make book`, not `jupyter-book build`",
            file=sys.stderr,
        )
        raise SystemExit(2)

    for kind in facts.TABLES:
        app.add_role(f"kb-{kind}", _fact_role(kind))
    register_citation_plugins()
    app.connect("builder-inited", _wait_for_go, priority=900)
    app.connect("html-page-context", _name_chart_bundle)
    app.connect("html-page-context", _meta_description)
    app.connect("html-page-context", _language_switch)
    app.connect("html-page-context", _filter_script)
    app.connect("builder-inited", _add_interface_js)
    app.add_post_transform(_glossary_order_transform())
    app.add_post_transform(_unique_ids_transform())
    app.connect("build-finished", _write_interface_js)
    app.connect("write-started", _empty_static_folder)
    app.connect("doctree-read", search.record_entries)
    app.connect("env-purge-doc", search.forget_entries)
    app.connect("env-merge-info", search.merge_entries)
    app.connect("build-finished", search.correct_index)
    app.set_translator("html", _book_translator())
    app.connect("html-page-context", assets.page_assets, priority=900)
    app.connect("build-finished", icons.subset_icon_font)
    app.connect("env-get-updated", _restore_sphinx_numbers, priority=100)
    app.connect("env-get-updated", _number_exercises_per_page, priority=900)
    # Before Sphinx's own handler forgets the page (priority 500).
    app.connect("env-purge-doc", titles.remember_title, priority=100)
    app.connect("env-get-updated", titles.pages_showing_new_titles)
    app.connect("doctree-read", _nodes_belong_to_their_page)
    app.connect("env-get-outdated", problems.read_again)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
