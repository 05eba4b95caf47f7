"""The theme's icon font, cut down to the icons the site shows.

The theme draws its buttons (menu, search, contents, colour mode, downloads, previous/next) with
Font Awesome's solid font: 156 KB of 1,400 icons, downloaded by every reader on their first page
in each edition, of which the site shows about twenty. When Sphinx has written an edition, the
font in its `_static/` is replaced by a subset (fontTools) holding the icons named in the
edition's pages and in the theme's scripts (which add a close button), taken from the theme's own
copy of the font each time, so the subset always matches the pages published with it.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from pathlib import Path

FONT = Path("vendor", "fontawesome", "webfonts", "fa-solid-900.woff2")
"""The font's place in the theme's static folder (and the edition's `_static/`)."""

STYLE_SHEET = Path("styles", "pydata-sphinx-theme.css")
"""The theme's style sheet: which character each icon class draws."""

_GLYPH = re.compile(r'\{content:"\\([0-9a-f]{4,5})"\}')
_ICON_CLASS = re.compile(r"\.fa-([a-z0-9-]+):+before")
_NAMED = re.compile(r"\bfa-([a-z0-9-]+)")


def characters(style_sheet: str) -> dict[str, int]:
    """Icon name → the character its class draws, from the theme's style sheet."""
    found = {}
    for glyph in _GLYPH.finditer(style_sheet):  # its selectors: back to the previous rule's end
        selectors = style_sheet[style_sheet.rfind("}", 0, glyph.start()) + 1 : glyph.start()]
        for name in _ICON_CLASS.findall(selectors):
            found[name] = int(glyph.group(1), 16)
    return found


def icons_used(static: Path, texts) -> set[str]:
    """Icon names in the given page texts and in the edition's scripts (not Font Awesome's)."""
    names: set[str] = set()
    for text in texts:
        names.update(_NAMED.findall(text))
    for script in static.rglob("*.js"):
        if "fontawesome" not in script.name and "vendor" not in script.parts:
            names.update(_NAMED.findall(script.read_text(encoding="utf-8", errors="replace")))
    return names


def subset(original: Path, codepoints: set[int], target: Path) -> None:
    """Write the font with only these characters to `target` (replaced in one rename)."""
    from fontTools import subset as ft_subset

    options = ft_subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]
    font = ft_subset.load_font(str(original), options)
    subsetter = ft_subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(codepoints))
    subsetter.subset(font)
    _replace(target, lambda temporary: ft_subset.save_font(font, temporary, options))


def _replace(target: Path, write) -> None:
    """`write(path)` to a file beside `target`, then renamed over it (readable by a web server,
    as Sphinx's copy was)."""
    handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=target.suffix)
    os.close(handle)
    try:
        write(temporary)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def cached_subset(original: Path, codepoints: set[int], target: Path, cache: Path) -> None:
    """`subset`, kept in `cache` under a name made of everything it is made from (the font's
    bytes, the characters, fontTools' version): an unchanged set of icons costs a copy, not
    0.5 s of subsetting. The cache keeps one subset; a clean build starts without it."""
    import fontTools

    key = hashlib.sha256(original.read_bytes())
    key.update(repr((sorted(codepoints), fontTools.version)).encode())
    kept = cache / f"kb-icons-{key.hexdigest()[:20]}.woff2"
    if not kept.is_file():
        cache.mkdir(parents=True, exist_ok=True)
        for old in cache.glob("kb-icons-*.woff2"):
            old.unlink()
        subset(original, codepoints, kept)
    _replace(target, lambda temporary: shutil.copyfile(kept, temporary))


def subset_icon_font(app, exception) -> None:
    """`build-finished`: the edition's icon font holds the icons its pages and scripts use."""
    if exception is not None or app.builder.format != "html" or not app.builder.theme:
        return
    static = Path(app.outdir, "_static")
    target, style_sheet = static / FONT, static / STYLE_SHEET
    originals = [Path(d, "static", FONT) for d in app.builder.theme.get_theme_dirs()]
    original = next((p for p in originals if p.is_file()), None)
    if original is None or not target.is_file() or not style_sheet.is_file():
        return
    drawn = characters(style_sheet.read_text(encoding="utf-8"))
    pages = (
        p.read_text(encoding="utf-8")
        for p in Path(app.outdir).rglob("*.html")
        if "_static" not in p.parts
    )
    wanted = {drawn[name] for name in icons_used(static, pages) if name in drawn}
    cached_subset(original, wanted, target, Path(app.doctreedir))
