"""The participants' kit (`kb kit`): made from the built book with Linux wheels from the package
index, installed into a fresh venv with `pip --no-index` by its own installer, then used: JupyterLab
runs, every module's solution notebook runs in the kit's Python, and a chart in a notebook draws in
JupyterLab (Debian's Chromium)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import zipfile
from pathlib import Path

import pytest

from kb.build.pdf import ARGS

from .conftest import run_kb


def laptop_env(**extra: str) -> dict[str, str]:
    """The environment of a participant's laptop: none of this machine's virtualenv, pip or
    Python settings (such as not writing bytecode)."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PIP_", "PYTHON"))
    }
    return {**env, **extra}


@pytest.fixture(scope="module")
def kit(built_project, tmp_path_factory) -> Path:
    project = tmp_path_factory.mktemp("kit") / "project"
    shutil.copytree(built_project, project, symlinks=True)
    result = run_kb(project, "kit", "--platform", "linux")
    assert result.returncode == 0, result.stderr
    folder = project / "dist" / "cacilm-workshop-kit"
    installed = subprocess.run(
        ["./install.sh"],
        cwd=folder,
        capture_output=True,
        text=True,
        env=laptop_env(PIP_NO_INDEX="1"),  # and the installer says --no-index itself
        timeout=900,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return folder


def test_the_kit_is_one_zip_with_installers_checklist_and_no_solutions(kit):
    archive = kit.parent / "cacilm-workshop-kit.zip"
    with zipfile.ZipFile(archive) as zf:
        names = set(zf.namelist())
        install = zf.getinfo("cacilm-workshop-kit/install.sh")
    assert install.external_attr >> 16 & 0o111  # executable once unzipped
    for name in ("install.ps1", "start.sh", "start.ps1", "START-HERE.md", "requirements.txt"):
        assert f"cacilm-workshop-kit/{name}" in names
    notebooks = {Path(n).name for n in names if n.endswith(".ipynb")}
    assert {"m1-exercises.ipynb", "m1-exercises-ru.ipynb", "test-your-laptop.ipynb"} <= notebooks
    assert not [n for n in notebooks if "solutions" in n]
    assert any(Path(n).name.startswith("cacilm_kb-") for n in names)
    assert archive.stat().st_size < 400e6


def test_jupyterlab_runs_from_the_kit(kit):
    result = subprocess.run(
        [str(kit / ".venv" / "bin" / "jupyter"), "lab", "--version"],
        capture_output=True,
        text=True,
        env=laptop_env(),
    )
    assert result.returncode == 0 and result.stdout.strip()[:1].isdigit(), result.stderr


def test_the_kit_installs_exactly_the_locked_packages(kit):
    """The installer puts in the kit's venv the lock's packages at the lock's versions, none
    missing and none added (such as those the lock leaves out on purpose), plus `kb` itself."""
    import json

    from packaging.utils import canonicalize_name

    from kb.build.kit import locked_requirements

    locked = {
        canonicalize_name(req.name): str(req.specifier).removeprefix("==")
        for req in locked_requirements(kit / "requirements.txt")
        if req.marker is None or req.marker.evaluate()  # this machine: Linux, Python 3.11
    }
    listed = subprocess.run(
        [str(kit / ".venv" / "bin" / "python"), "-m", "pip", "list", "--format=json"],
        capture_output=True,
        text=True,
        check=True,
    )
    installed = {canonicalize_name(p["name"]): p["version"] for p in json.loads(listed.stdout)}
    assert "cacilm-kb" in installed and "rfc3987-syntax" not in installed
    bundled = {"pip", "setuptools", "cacilm-kb"}  # the venv's own, and kb's wheel
    assert {k: v for k, v in installed.items() if k not in bundled} == locked


def _code(notebook) -> list[tuple[str, bool]]:
    """A notebook's code cells: each one's source, and whether it is the parameters cell."""
    return [
        (c.source, "parameters" in c.metadata.get("tags", []))
        for c in notebook.cells
        if c.cell_type == "code"
    ]


@pytest.mark.parametrize(
    "module, lang", [("m0", "en"), ("m1", "ru"), ("m2", "en"), ("m3", "ru"), ("m4", "en")]
)
def test_every_solution_runs_in_the_kit(kit, built_project, module, lang, tmp_path):
    """Trainers' solution notebooks (from the site) run in the participants' Python, from the
    folder the participants' notebooks are in: no cell fails and the solutions show results.
    Each module's are run in one language, the languages in turn: a module's two notebooks hold
    the same code but for the parameters cell (checked here), and the build runs that code in both
    languages for the module's pages."""
    import nbformat

    site = built_project / "_build" / "html" / "workshops"
    english, russian = (
        nbformat.read(site / f"{module}-solutions{suffix}.ipynb", as_version=4)
        for suffix in ("", "-ru")
    )
    en, ru = _code(english), _code(russian)
    assert len(en) == len(ru) > 3
    assert [a for a, b in zip(en, ru, strict=True) if a != b and not a[1]] == []
    name = f"{module}-solutions{'-ru' if lang == 'ru' else ''}.ipynb"
    shutil.copy(site / name, tmp_path / name)
    result = subprocess.run(
        [str(kit / ".venv" / "bin" / "papermill"), "--cwd", str(kit / "site" / "workshops")]
        + ["-k", "python3", str(tmp_path / name), str(tmp_path / f"out-{name}")],
        capture_output=True,
        text=True,
        env=laptop_env(),
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    executed = nbformat.read(tmp_path / f"out-{name}", as_version=4)
    code = [c for c in executed.cells if c.cell_type == "code"]
    assert [o for c in code for o in c.outputs if o.output_type == "error"] == []
    assert sum(1 for c in code if c.outputs) >= 3, name


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.browser
def test_a_chart_in_a_notebook_draws_in_jupyterlab(kit, tmp_path):
    """The laptop test, run in the kit's kernel, opened in the kit's JupyterLab: its chart is
    Vega-Lite output, which JupyterLab draws itself (no other host, no book renderer)."""
    from playwright.sync_api import sync_playwright

    workshops = kit / "site" / "workshops"
    bin_ = kit / ".venv" / "bin"
    ran = subprocess.run(
        [str(bin_ / "papermill"), "--cwd", str(workshops), "-k", "python3"]
        + [str(workshops / "test-your-laptop.ipynb"), str(workshops / "laptop-checked.ipynb")],
        capture_output=True,
        text=True,
        env=laptop_env(),
        timeout=600,
    )
    assert ran.returncode == 0, ran.stderr[-3000:]
    port, token = _free_port(), "kit-test"
    # JupyterLab draws only the cells in view unless its documented windowing setting says
    # otherwise; the check wants every output in the page.
    settings = tmp_path / "lab-settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    (settings / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    lab_env = laptop_env(JUPYTERLAB_SETTINGS_DIR=str(tmp_path / "lab-settings"))
    server = subprocess.Popen(
        [str(bin_ / "jupyter"), "lab", "--no-browser", "--allow-root", f"--port={port}"]
        + ["--ip=127.0.0.1"]
        + [f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={workshops}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=lab_env,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(120):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.5)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page()
            offsite = []
            page.on(
                "request",
                lambda r: (
                    None if r.url.startswith((base, "data:", "blob:")) else offsite.append(r.url)
                ),
            )
            page.goto(f"{base}/lab/tree/laptop-checked.ipynb?token={token}")
            page.locator(
                ".jp-OutputArea-output .vega-embed svg, .jp-RenderedVegaCommon5 svg"
            ).first.wait_for(timeout=120000)
            ready = page.locator(".jp-OutputArea-output").filter(has_text="The laptop is ready")
            ready.first.wait_for(state="attached", timeout=60000)
            browser.close()
        assert [u for u in offsite if "127.0.0.1" not in u] == []
    finally:
        server.terminate()
        server.wait(timeout=30)
