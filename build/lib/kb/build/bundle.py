"""The offline chart bundle: Vega, Vega-Lite and vega-embed in one script, served by the site.

vl-convert ships the JavaScript for the Vega-Lite version Altair writes; the bundle goes to
`book/_extra/vendor/` and so to the site's `vendor/` folder, and every chart page loads it from
there (no CDN). It is rewritten only when Altair or vl-convert change, which the build checks
from their package versions without importing either (Altair alone takes 0.15 s to import).

Writing it takes 1.4 s of CPU during which vl-convert holds Python's lock, so `kb build` writes
it in a process of its own (`Writing`), beside the pages, and waits for it before Sphinx copies it.
"""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

from kb.errors import KbError

BUNDLE_NAME = "vega-bundle.js"


def _made_by() -> str:
    return f"vl-convert {version('vl-convert-python')}; altair {version('altair')}; iife"


def is_current(target_dir: Path) -> bool:
    """Whether `target_dir` holds the bundle of the installed versions."""
    path, stamp = target_dir / BUNDLE_NAME, target_dir / f"{BUNDLE_NAME}.version"
    return path.exists() and stamp.exists() and stamp.read_text() == _made_by()


def write_bundle(target_dir: Path) -> Path:
    """Write the bundle into `target_dir` unless the one there matches the installed versions."""
    target_dir.mkdir(parents=True, exist_ok=True)
    path = target_dir / BUNDLE_NAME
    if is_current(target_dir):
        return path
    import vl_convert as vlc

    from kb.charts import VL_VERSION

    # Wrapped in a function so its top-level names (e.g. `_`) cannot clash with the page's;
    # a classic script (not a module) also loads from file:// when the site is opened from disk.
    bundle = vlc.javascript_bundle(vl_version=VL_VERSION)
    path.write_text(f"(function(){{\n{bundle}\n}})();\n", encoding="utf-8")
    (target_dir / f"{BUNDLE_NAME}.version").write_text(_made_by())
    return path


class Writing:
    """The bundle being written by `python -m kb.bundle` (nothing to do if it is current)."""

    def __init__(self, target_dir: Path):
        self.process = None
        if not is_current(target_dir):
            self.process = subprocess.Popen(
                [sys.executable, "-m", "kb.build.bundle", str(target_dir)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )

    def __enter__(self) -> Writing:
        return self

    def __exit__(self, *exc) -> None:
        """After a failure elsewhere, stop writing (an unfinished bundle has no stamp)."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()

    def wait(self) -> bool:
        """Return once the bundle is written (True if it was written now); KbError if writing it
        failed."""
        if self.process is None:
            return False
        _, errors = self.process.communicate()
        status, self.process = self.process.returncode, None
        if status:
            last = (errors or "").strip().splitlines()[-1:] or ["no message"]
            raise KbError(f"book/_extra/vendor/{BUNDLE_NAME}: writing it failed: {last[0]}")
        return True


if __name__ == "__main__":
    write_bundle(Path(sys.argv[1]))
