"""A Jupyter Book build that gets ready early and builds when told.

`python -m kb.sphinx_runner <jupyter-book build arguments>` runs `jupyter-book build` in this
process, except that after Sphinx is set up (imports, configuration, extensions, the saved
environment) it waits for one line on standard input: `build` goes on, anything else (or end of
input) exits with status 3 without building. `kb.editions` starts it while pages are still
executing, so a rebuild does not wait for that second or two of start-up after the last page.
"""

from __future__ import annotations

import sys

STOPPED = 3
"""Exit status when told not to build."""


def main(argv: list[str]) -> int:
    from jupyter_book.cli.main import main as jupyter_book
    from sphinx.application import Sphinx

    build = Sphinx.build

    def build_when_told(self, *args, **kwargs):
        if sys.stdin.readline().strip() != "build":
            raise SystemExit(STOPPED)
        return build(self, *args, **kwargs)

    Sphinx.build = build_when_told
    return jupyter_book(["build", *argv], standalone_mode=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
