"""A page's new title reaches every page that shows it, in an incremental build too.

Sphinx writes again the pages it read and those whose table of contents lists them, but other
pages show titles too: the previous and next links, the navigation sidebar, and references
written with a page's title. When an incremental build finds that a page it read has a new title
(a project's name edited in `data/`, a heading in a template), every page is written again,
as a clean build would write it.
"""

from __future__ import annotations

from kb.sphinx_ext import extension_data

TITLES_BEFORE = "kb_titles_before"
"""The environment attribute holding, during a build, the previous titles of the pages read."""


def remember_title(app, env, docname) -> None:
    """`env-purge-doc`, before Sphinx forgets the page: its title as the last build had it."""
    if docname in env.titles:
        extension_data(env, TITLES_BEFORE)[docname] = env.titles[docname].astext()


def pages_showing_new_titles(app, env) -> list[str]:
    """`env-get-updated`: every page, if a page read in this build has a new title."""
    before = extension_data(env, TITLES_BEFORE)
    setattr(env, TITLES_BEFORE, {})
    changed = [
        name
        for name, title in before.items()
        if name in env.titles and env.titles[name].astext() != title
    ]
    return sorted(env.found_docs) if changed else []
