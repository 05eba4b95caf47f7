"""Each page loads only the scripts and style sheets it uses, and no script holds up its first paint.

Jupyter Book's extensions add their assets to every page: the copy button for code, the toggle
button, sphinx-design's tabs and styles, sphinx-exercise's styles, myst-nb's cell styles and
pygments' colours. On a phone over a slow connection each one is another request before the
page can show anything. Here, in Sphinx's public `html-page-context` event (whose `script_files`
and `css_files` a handler may change for its page), a page keeps an asset only when its body has
an element the asset is for, and its scripts are loaded with `defer` (through
`app.add_js_file(…, loading_method="defer")`), so they run after the page is parsed, in order.

The theme's inline lines that set fields of `DOCUMENTATION_OPTIONS` (defined by
`documentation_options.js`, now deferred) become module scripts: the browser runs an inline module
script with the deferred ones, in document order, so each line still runs after the file that
defines the object and before the scripts that read it. The search page keeps Sphinx's loading
order untouched.

sphinx-thebe is dropped everywhere: Jupyter Book 1 always loads it, its inline
`const THEBE_JS_URL` is added twice per page (a console error in every browser) and would point
at a CDN; the book runs no live code.
"""

from __future__ import annotations

import re

USED_BY = {
    # asset file name (as it ends) → class names, one of which a page must have to need it
    "clipboard.min.js": {"highlight"},
    "copybutton.js": {"highlight"},
    "copybutton.css": {"highlight"},
    "pygments.css": {"highlight"},
    "togglebutton.js": {"toggle", "dropdown"},
    "togglebutton.css": {"toggle", "dropdown"},
    "design-tabs.js": {"sd-tab-set"},
    "exercise.css": {"exercise", "solution"},
}
"""Which page elements each optional asset serves (the extension's own selectors)."""

PREFIXED_BY = {
    # asset name (as it starts) → class prefix a page must use to need it
    "sphinx-design": "sd-",
    "mystnb.": "cell",
}

INLINE_FOR = {"toggle": "togglebutton.js"}
"""An inline script mentioning the key only configures the named script."""

AFTER_DEFERRED = ("DOCUMENTATION_OPTIONS.",)
"""Inline scripts that use an object a deferred script defines: they run as module scripts."""

_CLASS_ATTRIBUTE = re.compile(r'class="([^"]*)"')


def page_classes(body: str) -> set[str]:
    """Every class name used in a page's body."""
    return {name for m in _CLASS_ATTRIBUTE.finditer(body) for name in m.group(1).split()}


def _name(asset) -> str:
    return str(getattr(asset, "filename", "") or "").rsplit("/", 1)[-1]


def _inline(asset) -> str:
    return str(getattr(asset, "attributes", {}).get("body", "") or "")


def _is_thebe(asset) -> bool:
    return "thebe" in _name(asset) or "THEBE_JS_URL" in _inline(asset)


def needed(name: str, classes: set[str]) -> bool:
    """Whether a page with these classes uses the asset named `name`."""
    for suffix, wanted in USED_BY.items():
        if name.endswith(suffix):
            return bool(wanted & classes)
    for start, prefix in PREFIXED_BY.items():
        if name.startswith(start):
            return any(c.startswith(prefix) for c in classes)
    return True


def _keeps(asset, classes: set[str]) -> bool:
    if _is_thebe(asset):
        return False
    name = _name(asset)
    if name:
        return needed(name, classes)
    body = _inline(asset)
    for word, script in INLINE_FOR.items():
        if word in body:
            return needed(script, classes)
    return True


def page_assets(app, pagename, templatename, context, doctree) -> None:
    """Keep the assets this page uses; load its scripts deferred (see the module's docstring)."""
    if "script_files" not in context or "css_files" not in context:
        return
    if pagename == "search":  # Sphinx's search page loads its index after its scripts
        for key in ("script_files", "css_files"):
            context[key] = [a for a in context[key] if not _is_thebe(a)]
        return
    classes = page_classes(context.get("body") or "")
    context["css_files"] = [a for a in context["css_files"] if _keeps(a, classes)]
    scripts = context["script_files"]  # Sphinx's list: add_js_file appends to it
    before, kept = len(scripts), []
    for asset in [a for a in scripts if _keeps(a, classes)]:
        name = str(getattr(asset, "filename", "") or "")
        attributes = dict(getattr(asset, "attributes", {}))
        # Sphinx's own call, as an extension would have made it: same order, run after parsing.
        if not name and _inline(asset).startswith(AFTER_DEFERRED) and "type" not in attributes:
            app.add_js_file(None, priority=asset.priority, type="module", **attributes)
        elif name and "://" not in name and not {"defer", "async"} & attributes.keys():
            app.add_js_file(
                name.removeprefix("_static/"),
                priority=asset.priority,
                loading_method="defer",
                **attributes,
            )
        else:
            kept.append(asset)
    context["script_files"] = kept + scripts[before:]
