"""The Jupyter kernels that run the pages: one per worker process, kept from page to page, and
forked rather than started.

A fresh kernel process spends 0.8 s of CPU starting Python and importing ipykernel, pandas,
Altair and kb (measured) before it runs a line of a page, and every worker needs one. So the
build imports all of that once, in its own process, before it forks the workers
(`import_kernel_modules`); each worker then forks its kernel from itself, and the kernel starts
with everything already imported. To jupyter_client and papermill it is an ordinary local
kernel: same connection file, same messages; only the launch differs (`KeptKernel`).

Should a kernel die or a page fail, the next page gets a kernel started the ordinary way.
"""

from __future__ import annotations

import gc
import os
import signal
import sys
from pathlib import Path

PAGE_MODULES = (
    "IPython.display",
    "kb.catalogue",
    "kb.charts",
    "kb.dashboard",
    "kb.data",
    "kb.display",
    "kb.indicators",
    "kb.maps",
    "kb.programme",
    "kb.projects",
    "kb.workshops",
)
"""What pages import (with pandas and Altair, which these import)."""

KERNEL_MODULES = (
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "jupyter_client.manager",
    "papermill",
    "nbformat",
    "jupytext",
    *PAGE_MODULES,
)
"""What a page's kernel and its worker import; imported by the build before forking workers."""

WARM_UP = (
    "import gc, importlib\n"
    f"for name in {PAGE_MODULES!r}:\n"
    "    importlib.import_module(name)\n"
    "gc.freeze()\n"
)
"""Run once in each kernel before its first page (a no-op in a forked kernel, which has it all):
imports, then `gc.freeze()`, which moves the imported modules out of the collector's reach, so
the `%reset -f` between pages (which runs a full collection) stays cheap."""

_KERNEL = None
"""This worker's kernel: pandas, Altair and kb stay imported between pages."""

_FORKED_ONCE = False


def import_kernel_modules() -> None:
    """Import, in the build's process, what the workers and their kernels will need."""
    import importlib

    for name in KERNEL_MODULES:
        importlib.import_module(name)


class _ForkedKernel:
    """The handle jupyter_client keeps of a kernel process (`subprocess.Popen`'s methods it
    uses), for a kernel forked from this process."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None

    def _reap(self, flags: int) -> int | None:
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, flags)
            except ChildProcessError:
                self.returncode = 0
            else:
                if pid:
                    self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def poll(self) -> int | None:
        return self._reap(os.WNOHANG)

    def wait(self, timeout: float | None = None) -> int | None:
        return self._reap(0)

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def _run_kernel(argv: list[str], env: dict[str, str], cwd: str | None, parent: int) -> None:
    """In the forked child: become `python -m ipykernel_launcher <argv>`, then exit."""
    status = 1
    try:
        import asyncio

        os.setsid()  # like jupyter_client's launch: the terminal's Ctrl+C goes to the build
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD, signal.SIGPIPE):
            signal.signal(signum, signal.SIG_DFL)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        if cwd:
            os.chdir(cwd)
        os.environ.clear()
        os.environ.update(env)
        # The worker's event loop (inside which this fork happened) is not this process's.
        asyncio.set_event_loop(asyncio.new_event_loop())
        if "pandas" in sys.modules:
            # pandas chose its column limit when the build imported it, as a terminal program
            # (fit the terminal); a kernel's is 20, and pages' text output must not depend on
            # the terminal the build ran in.
            sys.modules["pandas"].set_option("display.max_columns", 20)
        gc.freeze()
        from ipykernel.kernelapp import IPKernelApp

        sys.argv = ["ipykernel_launcher", *argv]
        # Its default was read from the environment when ipykernel was imported (in the build):
        # tell it explicitly which process to outlive no longer than.
        IPKernelApp.launch_instance([*argv, f"--IPKernelApp.parent_handle={parent}"])
        status = 0
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else 0
    except BaseException:  # noqa: BLE001 - reported in the kernels' log; the page then fails
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)


def _launcher_arguments(kernel_cmd: list[str]) -> list[str] | None:
    """The arguments after `python -m ipykernel_launcher`, or None for any other kernel."""
    if len(kernel_cmd) >= 3 and kernel_cmd[1:3] == ["-m", "ipykernel_launcher"]:
        return kernel_cmd[3:]
    return None


def kernel(root: Path):
    """This worker's kernel, started (forked, the first time) if there is none or it died."""
    global _KERNEL
    if _KERNEL is None or not _KERNEL.is_alive():
        from multiprocessing.util import Finalize

        from jupyter_client.manager import KernelManager

        class KeptKernel(KernelManager):
            """Hands out one client that stays connected from page to page (`_kept_client`)
            and forks its first kernel from this process."""

            kept = None

            def client(self, **kwargs):
                if self.kept is None:
                    self.kept = _kept_client(super().client(**kwargs))
                return self.kept

            async def _async_launch_kernel(self, kernel_cmd, **kw):
                global _FORKED_ONCE
                argv = _launcher_arguments(kernel_cmd)
                # Only once: before this worker has sockets or threads of its own to inherit.
                if argv is None or _FORKED_ONCE:
                    return await super()._async_launch_kernel(kernel_cmd, **kw)
                _FORKED_ONCE = True
                env = dict(kw.get("env") or os.environ)
                parent = os.getpid()
                sys.stdout.flush()
                sys.stderr.flush()
                pid = os.fork()
                if pid == 0:
                    _run_kernel(argv, env, kw.get("cwd"), parent)
                provisioner = self.provisioner
                provisioner.process = _ForkedKernel(pid)
                provisioner.pid, provisioner.pgid = pid, pid
                provisioner.cwd = kw.get("cwd")
                self._reconcile_connection_info(provisioner.connection_info)

        _KERNEL = KeptKernel(kernel_name="python3")
        _KERNEL.start_kernel(cwd=str(root), env={**os.environ, "KB_VALIDATED": "1"})
        Finalize(_KERNEL, _KERNEL.shutdown_kernel, kwargs={"now": True}, exitpriority=10)
    return _KERNEL


def _kept_client(client):
    """Make a kernel client reusable: nbclient starts a new one per notebook and waits for it to
    be ready, which always costs a 0.2 s wait for silence on its output channel; on a warm kernel
    that is a third of a small page. This client starts its channels and checks the kernel once."""
    start, wait = client.start_channels, client.wait_for_ready
    state = {"ready": False}

    def start_channels(*args, **kwargs):
        if not client.channels_running:
            start(*args, **kwargs)

    def wait_for_ready(timeout=None):
        if not state["ready"]:
            wait(timeout=timeout)
            state["ready"] = True

    client.start_channels, client.wait_for_ready = start_channels, wait_for_ready
    return client


def _ready_client(root: str):
    """This worker's kernel client, connected and the kernel answering."""
    client = kernel(Path(root)).client()
    client.start_channels()
    client.wait_for_ready(timeout=60)
    return client


def warm(root: str) -> None:
    """Start this worker's kernel and run `WARM_UP` in it, before its first page.

    Best effort: if warming fails, the first page starts the kernel itself and reports any real
    error with its template and cell.
    """
    try:
        _ready_client(root).execute_interactive(WARM_UP, timeout=120, output_hook=lambda _msg: None)
    except Exception as exc:  # noqa: BLE001 - see docstring: the first page reports real errors
        print(f"kb: kernel warm-up failed: {exc}", file=sys.stderr)


def evaluate(root: str, expression: str) -> tuple[int, bool, str]:
    """In a worker: (its pid, whether its kernel was forked, the kernel's `repr` of
    `expression`). For checks that a forked kernel behaves like a fresh one."""
    shown: list[str] = []

    def keep(msg):
        if msg["msg_type"] == "execute_result":
            shown.append(msg["content"]["data"]["text/plain"])

    _ready_client(root).execute_interactive(expression, timeout=60, output_hook=keep)
    return os.getpid(), _FORKED_ONCE, "".join(shown)


def drop() -> None:
    """After a failure, start the next page in a fresh kernel."""
    global _KERNEL
    if _KERNEL is not None:
        if _KERNEL.kept is not None:
            _KERNEL.kept.stop_channels()
        _KERNEL.shutdown_kernel(now=True)
        _KERNEL = None
