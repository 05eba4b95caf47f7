"""Sphinx extension for the book: remove sphinx-thebe's page assets; fix one ARIA role.

Jupyter Book 1 always loads sphinx-thebe, whose inline `const THEBE_JS_URL` is added twice per
page and raises "Identifier 'THEBE_JS_URL' has already been declared" in every browser console;
it would also point at a CDN. The book runs no live code, so thebe's scripts and styles are
dropped from every page.

Docutils marks a bibliography `role="list"` while its entries are `role="doc-biblioentry"`,
which accessibility checkers report as a list without list items; the list role is dropped.

pybtex looks its style plugins up in the installed packages' entry points on every citation
reference it formats (sphinxcontrib-bibtex asks once per reference); a scan of every installed
distribution each time cost about one second per build. The lookups are cached per build, and
compiled templates, formatted bibliography entries and parsed translations are kept between
builds (incremental rebuilds are what authors wait for).
"""

from __future__ import annotations

from pathlib import Path


def _is_thebe(asset) -> bool:
    name = str(getattr(asset, "filename", "") or "")
    body = str(getattr(asset, "attributes", {}).get("body", "") or "")
    return "thebe" in name or "THEBE_JS_URL" in body


def _strip_thebe(app, pagename, templatename, context, doctree) -> None:
    for key in ("script_files", "css_files"):
        if key in context:
            context[key] = [a for a in context[key] if not _is_thebe(a)]


def _fix_citation_list_role(app, pagename, templatename, context, doctree) -> None:
    body = context.get("body")
    if body and 'role="list" class="citation-list"' in body:
        context["body"] = body.replace('role="list" class="citation-list"', 'class="citation-list"')


SWITCH = {
    "en": ("ru", "Русская версия", "Read this page in Russian"),
    "ru": ("en", "English version", "Эта страница на английском"),
}


def _language_switch(app, pagename, templatename, context, doctree) -> None:
    """A link at the top of every page to the same page in the other edition.

    The English site is the root and the Russian edition lives in `ru/`, page for page.
    """
    lang = app.config.language or "en"
    if lang not in SWITCH or not context.get("body"):
        return
    other, label, title = SWITCH[lang]
    root = "../" * pagename.count("/")
    href = f"{root}ru/{pagename}.html" if other == "ru" else f"{root}../{pagename}.html"
    link = (
        f'<p class="kb-lang-switch"><a href="{href}" hreflang="{other}" lang="{other}" '
        f'title="{title}">{label}</a></p>'
    )
    context["body"] = link + context["body"]


def _preload_chart_bundle(app, pagename, templatename, context, doctree) -> None:
    """On pages with charts, fetch the chart bundle while the page is still being parsed."""
    if 'class="kb-chart"' not in (context.get("body") or ""):
        return
    href = "../" * pagename.count("/") + "vendor/vega-bundle.js"
    context["metatags"] = (context.get("metatags") or "") + (
        f'<link rel="preload" href="{href}" as="script">'
    )


def _cache_pybtex_plugin_lookups() -> None:
    """Memoise pybtex's entry-point lookups: one scan of the installed packages per process
    (pybtex otherwise scans them all for every plugin it looks up).

    `kb.sphinx_runner` calls this and scans before it forks the editions, which share the result.
    """
    import functools

    import pybtex.plugin

    scan = pybtex.plugin.entry_points
    if getattr(scan, "kb_cached", False):
        return

    @functools.cache
    def everything():
        return scan()

    @functools.cache
    def cached(selection: tuple) -> tuple:
        return tuple(everything().select(**dict(selection)))

    def entry_points(**selection):
        return cached(tuple(sorted(selection.items())))

    entry_points.kb_cached = True
    entry_points.scan_now = everything
    pybtex.plugin.entry_points = entry_points


def prepare_before_fork() -> None:
    """Work every edition's build would repeat, done once in `kb.sphinx_runner` before it forks."""
    import pybtex.plugin

    _cache_pybtex_plugin_lookups()
    pybtex.plugin.entry_points.scan_now()


def _cache_compiled_templates(app) -> None:
    """Keep the theme's compiled Jinja templates between builds (next to the doctrees).

    Sphinx compiles some forty templates on every run, about 0.3 s (measured); an incremental
    rebuild then loads them compiled. Jinja checks each template's source before reusing it."""
    import jinja2

    templates = getattr(app.builder, "templates", None)
    environment = getattr(templates, "environment", None)
    if environment is None:
        return
    folder = Path(app.doctreedir).parent / "jinja-cache"
    folder.mkdir(parents=True, exist_ok=True)
    environment.bytecode_cache = jinja2.FileSystemBytecodeCache(str(folder))


def _kept_between_builds(app, name: str, versions: tuple) -> dict:
    """A dict saved beside the doctrees when a build succeeds, and given to the next build
    (empty when missing, unreadable or saved by other versions of the code that filled it)."""
    import pickle

    store = Path(app.doctreedir).parent / name
    try:
        saved_versions, known = pickle.loads(store.read_bytes())
        if saved_versions != versions:
            known = {}
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError):
        known = {}
    size = len(known)

    def save(app, exception) -> None:
        if exception is None and len(known) != size:
            store.write_bytes(pickle.dumps((versions, known)))

    app.connect("build-finished", save)
    return known


def _cache_formatted_entries(app) -> None:
    """Keep pybtex's formatted bibliography entries between builds.

    sphinxcontrib-bibtex formats every entry of `references.bib` on every build (about 0.3 s,
    measured), although the entries only change with `data/sources.csv`. A formatted entry
    depends on the style and on the entry's type, fields and names, which make up the key."""
    from importlib.metadata import version

    from pybtex.style.formatting import BaseStyle

    versions = (version("pybtex"), version("sphinxcontrib-bibtex"))
    known = _kept_between_builds(app, "bibtex-formatted.pickle", versions)
    format_entry = BaseStyle.format_entry

    def remembered(self, label, entry, bib_data=None):
        key = (
            type(self).__module__,
            type(self).__qualname__,
            type(self.name_style).__qualname__,
            self.abbreviate_names,
            label,
            entry.type,
            tuple(sorted((k, str(v)) for k, v in entry.fields.items())),
            tuple(
                (role, tuple(map(str, people))) for role, people in sorted(entry.persons.items())
            ),
        )
        if bib_data is not None:  # cross-references: not cached
            return format_entry(self, label, entry, bib_data)
        if key not in known:
            known[key] = format_entry(self, label, entry)
        return known[key]

    BaseStyle.format_entry = remembered


def _cache_translated_messages(app) -> None:
    """Keep Sphinx's parsed translations between builds of a translated edition.

    For every translatable paragraph of a page it reads, Sphinx parses the translation again
    with the Markdown parser, about 0.1 s a page (measured). An executed page that changed keeps
    the same Markdown, so its translations are taken from the previous build: the parse of a
    translation depends only on its text and place, and the parser's versions are checked."""
    if not app.config.language or app.config.language == "en":
        return
    import myst_parser
    import sphinx
    import sphinx.transforms.i18n as i18n
    from docutils import nodes

    # A translation that uses a fact role parses to that fact's text: the data is part of the key.
    versions = (sphinx.__version__, myst_parser.__version__, _data_digest(app))
    known = _kept_between_builds(app, "translations-parsed.pickle", versions)
    parse = i18n.publish_msgstr

    def detached(node):
        copy = node.deepcopy()
        for part in copy.findall():
            part._document = None
        copy.parent = None
        return copy

    def remembered(app, source, source_path, source_line, config, settings):
        key = (source, source_path, source_line)
        if key not in known:
            parsed = parse(app, source, source_path, source_line, config, settings)
            if isinstance(parsed, nodes.document):  # an empty translation: nothing to keep
                return parsed
            known[key] = detached(parsed)
        return known[key].deepcopy()

    i18n.publish_msgstr = remembered


STOPPED = 3
"""Exit status of a build told not to go ahead (kb.sphinx_runner)."""


def _wait_for_go(app) -> None:
    """Under `kb.sphinx_runner`: once Sphinx is set up, wait for the word to build.

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


def _data_digest(app) -> str:
    """Hash of the tables the fact roles read: parsed translations depend on them too."""
    import hashlib

    from kb import facts

    data = _data_dir(app)
    h = hashlib.sha256()
    for name in sorted({table for table, _ in facts.TABLES.values()}):
        h.update((data / f"{name}.csv").read_bytes())
    return h.hexdigest()


def setup(app):
    from kb import facts

    for kind in facts.TABLES:
        app.add_role(f"kb-{kind}", _fact_role(kind))
    _cache_pybtex_plugin_lookups()
    app.connect("builder-inited", _wait_for_go, priority=900)
    app.connect("builder-inited", _cache_translated_messages)
    app.connect("builder-inited", _cache_formatted_entries)
    app.connect("builder-inited", _cache_compiled_templates)
    app.connect("html-page-context", _preload_chart_bundle)
    app.connect("html-page-context", _language_switch)
    app.connect("html-page-context", _fix_citation_list_role)
    app.connect("html-page-context", _strip_thebe, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
