"""The offline chart bundle: Vega, Vega-Lite and vega-embed in one script, served by the site.

vl-convert ships the JavaScript for the Vega-Lite version Altair writes; the bundle goes to
`book/_extra/vendor/` and so to the site's `vendor/` folder, and every chart page loads it from
there (no CDN). It is rewritten only when Altair or vl-convert change, which the build checks
from their package versions without importing either (Altair alone takes 0.15 s to import).
"""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

BUNDLE_NAME = "vega-bundle.js"


def write_bundle(target_dir: Path) -> Path:
    """Write the bundle into `target_dir` unless the one there matches the installed versions."""
    target_dir.mkdir(parents=True, exist_ok=True)
    path = target_dir / BUNDLE_NAME
    stamp = target_dir / f"{BUNDLE_NAME}.version"
    made_by = f"vl-convert {version('vl-convert-python')}; altair {version('altair')}; iife"
    if path.exists() and stamp.exists() and stamp.read_text() == made_by:
        return path
    import vl_convert as vlc

    from kb.charts import VL_VERSION

    # Wrapped in a function so its top-level names (e.g. `_`) cannot clash with the page's;
    # a classic script (not a module) also loads from file:// when the site is opened from disk.
    bundle = vlc.javascript_bundle(vl_version=VL_VERSION)
    path.write_text(f"(function(){{\n{bundle}\n}})();\n", encoding="utf-8")
    stamp.write_text(made_by)
    return path
