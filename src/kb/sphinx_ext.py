"""Sphinx extension for the book: remove sphinx-thebe's page assets.

Jupyter Book 1 always loads sphinx-thebe, whose inline `const THEBE_JS_URL` is added twice per
page and raises "Identifier 'THEBE_JS_URL' has already been declared" in every browser console;
it would also point at a CDN. The book runs no live code, so thebe's scripts and styles are
dropped from every page.
"""

from __future__ import annotations


def _is_thebe(asset) -> bool:
    name = str(getattr(asset, "filename", "") or "")
    body = str(getattr(asset, "attributes", {}).get("body", "") or "")
    return "thebe" in name or "THEBE_JS_URL" in body


def _strip_thebe(app, pagename, templatename, context, doctree) -> None:
    for key in ("script_files", "css_files"):
        if key in context:
            context[key] = [a for a in context[key] if not _is_thebe(a)]


def setup(app):
    app.connect("html-page-context", _strip_thebe, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
