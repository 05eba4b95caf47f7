"""The Jupyter kernels that run the pages: one per worker process, kept from page to page.

A kernel is started the documented way (jupyter_client's `KernelManager`, handed to papermill
as `km=`) and kept for the next page the worker runs: starting one costs 0.8 s of CPU (measured)
before it runs a line, and pages are many. Between pages the build's set-up cell forgets the
previous page's names and resets what a page may change (kb.build.execute); tables a page reads are
its own copies (kb.data).

nbclient asks the kernel manager for a client and waits until the kernel answers, for every
notebook; on a kept kernel that wait is a third of a small page. `KeptClient` is a client that
starts its channels and checks the kernel once, and `KeptKernel` hands the same client out each
time — both subclasses that override public methods, not patches of jupyter_client.

Should a kernel die, the next page gets a new one, warmed up like the first. A page whose cell
raised keeps the kernel: its set-up cell resets it for the next page as after any page.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from jupyter_client.blocking import BlockingKernelClient
from jupyter_client.manager import KernelManager
from traitlets import DottedObjectName

PAGE_MODULES = (
    "IPython.display",
    "kb.catalogue",
    "kb.charts",
    "kb.dashboard",
    "kb.data",
    "kb.display",
    "kb.indicators",
    "kb.maps",
    "kb.outcomes",
    "kb.programme",
    "kb.projects",
    "kb.workshops",
)
"""What pages import (with pandas and Altair, which these import)."""

WORKER_MODULES = ("papermill", "nbformat", "jupytext", "jupyter_client.manager", "kb.build.execute")
"""What a worker process imports; the forkserver that starts the workers imports them first."""

WARM_UP = (
    "import gc, importlib\n"
    f"for name in {PAGE_MODULES!r}:\n"
    "    importlib.import_module(name)\n"
    "importlib.import_module('kb.charts').warm_renderer()\n"
    "gc.freeze()\n"
)
"""Run once in each kernel before its first page: imports, the chart renderer's start (its
JavaScript engine takes 0.7 s to start, measured, which a page would otherwise wait for), then
`gc.freeze()`, which moves the imported modules out of the collector's reach, so the `%reset -f`
between pages (which runs a full collection) stays cheap."""

KERNEL_OPTIONS = ["--HistoryManager.enabled=False"]
"""IPython options of the page kernels: no input history (IPython writes every cell to an SQLite
file in a thread of its own; pages are not sessions anyone goes back to)."""

_KERNEL: KeptKernel | None = None
"""This worker's kernel: pandas, Altair and kb stay imported between pages."""


class KeptClient(BlockingKernelClient):
    """A kernel client that stays connected from page to page: its channels start once and it
    waits for the kernel to answer once."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.kb_ready = False

    def start_channels(self, *args, **kwargs):
        if not self.channels_running:
            super().start_channels(*args, **kwargs)

    def wait_for_ready(self, timeout=None):
        if not self.kb_ready:
            super().wait_for_ready(timeout=timeout)
            self.kb_ready = True


class KeptKernel(KernelManager):
    """A kernel manager that hands out one `KeptClient` for all the pages of its kernel."""

    client_class = DottedObjectName("kb.build.kernels.KeptClient")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.kept: KeptClient | None = None
        self.warmed = False  # whether WARM_UP ran in it

    def client(self, **kwargs):
        if self.kept is None:
            self.kept = super().client(**kwargs)
        return self.kept


def kernel(root: Path) -> KeptKernel:
    """This worker's kernel, started if there is none or it died."""
    global _KERNEL
    if _KERNEL is None or not _KERNEL.is_alive():
        from multiprocessing.util import Finalize

        _KERNEL = KeptKernel(kernel_name="python3")
        _KERNEL.start_kernel(
            cwd=str(root),
            env={**os.environ, "KB_VALIDATED": "1"},
            extra_arguments=KERNEL_OPTIONS,
        )
        Finalize(_KERNEL, _KERNEL.shutdown_kernel, kwargs={"now": True}, exitpriority=10)
    return _KERNEL


def _ready_client(root: str) -> KeptClient:
    """This worker's kernel client, connected and the kernel answering."""
    client = kernel(Path(root)).client()
    client.start_channels()
    client.wait_for_ready(timeout=60)
    return client


def warm(root: str) -> None:
    """Start this worker's kernel if need be, and run `WARM_UP` in it once: before its first
    page (the build asks for it while it validates `data/`), or before the next page when a
    kernel died and a new one was started.

    Best effort: if warming fails, the page starts the kernel itself and reports any real error
    with its template and cell.
    """
    try:
        manager = kernel(Path(root))
        if not manager.warmed:
            _ready_client(root).execute_interactive(
                WARM_UP, timeout=120, output_hook=lambda _msg: None
            )
            manager.warmed = True
    except Exception as exc:  # noqa: BLE001 - see docstring: the page reports real errors
        print(f"kb: kernel warm-up failed: {exc}", file=sys.stderr)


def evaluate(root: str, expression: str) -> tuple[int, str]:
    """In a worker: (its pid, the kernel's `repr` of `expression`), for tests of page kernels."""
    shown: list[str] = []

    def keep(msg):
        if msg["msg_type"] == "execute_result":
            shown.append(msg["content"]["data"]["text/plain"])

    _ready_client(root).execute_interactive(expression, timeout=60, output_hook=keep)
    return os.getpid(), "".join(shown)


def drop() -> None:
    """After the kernel died or could not be reached, start the next page in a fresh one. (A
    cell that raised leaves its kernel as a page that ended does: the next page's set-up cell
    resets it.)"""
    global _KERNEL
    if _KERNEL is not None:
        if _KERNEL.kept is not None:
            _KERNEL.kept.stop_channels()
        _KERNEL.shutdown_kernel(now=True)
        _KERNEL = None
