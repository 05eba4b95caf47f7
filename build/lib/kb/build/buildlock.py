"""One build of a project at a time: a second `kb build` waits for the first.

Two builds writing the same cache and site at once would race (one could delete the
dependency records the other is reading). An advisory lock on a file in the project root
(`fcntl.flock`, released by the system even when a build is killed) serialises them; the
waiting build says so in one line.
"""

from __future__ import annotations

import contextlib
import fcntl
import sys
from collections.abc import Iterator

from kb.paths import Paths

LOCK_NAME = ".kb-build.lock"


@contextlib.contextmanager
def exclusive(paths: Paths, what: str = "build") -> Iterator[None]:
    """Hold the project's build lock for the duration of the block (waiting for it if needed)."""
    with open(paths.root / LOCK_NAME, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(
                f"kb: another kb command is building this project; the {what} waits for it",
                file=sys.stderr,
                flush=True,
            )
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
