"""The participant kit: everything a workshop laptop needs, installable with no internet.

`kb kit` (and `make workshop-kit`, `make dist`) writes `dist/cacilm-workshop-kit/` and its zip:

- `wheels/`: every package the notebooks need (JupyterLab included), pinned by
  `requirements-workshop.lock`, for each chosen platform (Windows, Linux, macOS; x86-64, and
  arm64 for macOS), on the one Python version the setup checklist asks for; and `kb` itself as a
  wheel (installed without its build dependencies: notebooks use only its domain part);
- `site/`: the offline copy of the book, whose `workshops/` folder holds the participants'
  notebooks (the solutions stay with the trainers), with `_config.yml` and `data/` beside it,
  where `kb` looks for the snapshot;
- `install.sh` / `install.ps1` (a venv from `wheels/` with `pip --no-index --no-deps`: the lock
  already lists every package, and pip installs those and no other; `--no-compile`: Python
  compiles only the modules the notebooks import, on first use, instead of pip compiling every
  module of every package on a participant's laptop), `start.sh` /
  `start.ps1` (JupyterLab on the notebooks), a setup checklist and a "test your laptop" notebook.

The lock is universal (its environment markers pick each platform's packages): the markers are
evaluated here for each target with `packaging`, and `pip download` fetches exactly those wheels.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import nbformat

from kb.errors import KbError
from kb.paths import Paths

PYTHON = "3.11"
"""The Python version laptops need (the checklist says so; the wheels are built for it)."""
LAST_PATCH = 30
"""Patch releases of it the kit provides for: 3.11.0 to 3.11.30 (markers and Requires-Python)."""
LOCK = "requirements-workshop.lock"
KIT = "cacilm-workshop-kit"


@dataclass(frozen=True)
class Platform:
    """A participant's system: pip's platform tags and the values of its environment markers."""

    name: str
    tags: tuple[str, ...]
    markers: dict[str, str]


PLATFORMS = {
    "windows": Platform(
        "windows",
        ("win_amd64",),
        {
            "sys_platform": "win32",
            "platform_system": "Windows",
            "os_name": "nt",
            "platform_machine": "AMD64",
        },
    ),
    "linux": Platform(
        "linux",
        tuple(f"manylinux_2_{minor}_x86_64" for minor in (28, 27, 24, 17, 12, 5))
        + ("manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64"),
        {
            "sys_platform": "linux",
            "platform_system": "Linux",
            "os_name": "posix",
            "platform_machine": "x86_64",
        },
    ),
    "macos": Platform(
        "macos",
        tuple(f"macosx_{major}_0_arm64" for major in (14, 13, 12, 11))
        + tuple(f"macosx_{major}_0_universal2" for major in (11, 10)),
        {
            "sys_platform": "darwin",
            "platform_system": "Darwin",
            "os_name": "posix",
            "platform_machine": "arm64",
        },
    ),
}


def locked_requirements(lock: Path) -> list:
    """The requirements of a hashed lock file, one per package line (comments, hashes and
    options left out), as `packaging` requirements with their environment markers."""
    from packaging.requirements import Requirement

    found = []
    for line in lock.read_text(encoding="utf-8").splitlines():
        text = line.split("#", 1)[0].rstrip(" \\").strip()
        if text and not text.startswith("-"):
            found.append(Requirement(text))
    return found


def requirements_for(lock: Path, platform: Platform) -> list[str]:
    """`name==version` of every locked package the platform installs (markers evaluated for it).

    A laptop may have any patch release of Python 3.11, and the lock may pick versions by patch
    (`python_full_version >= '3.11.5'`): the kit carries what any of them installs."""
    envs = [
        {
            "python_version": PYTHON,
            "python_full_version": f"{PYTHON}.{patch}",
            "implementation_name": "cpython",
            "platform_python_implementation": "CPython",
            **platform.markers,
        }
        for patch in range(LAST_PATCH + 1)
    ]
    return [
        f"{req.name}{req.specifier}"
        for req in locked_requirements(lock)
        if req.marker is None or any(req.marker.evaluate(env) for env in envs)
    ]


def _run(command: list[str], what: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode:
        last = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["failed"]
        raise KbError(f"kb kit: {what}: {last[0]}")


def download_wheels(paths: Paths, wheels: Path, platforms: list[str]) -> None:
    """The locked packages' wheels for each platform, from the package index (binary only)."""
    for name in platforms:
        platform = PLATFORMS[name]
        tags = [arg for tag in platform.tags for arg in ("--platform", tag)]
        # pip takes one version of a package per call: a second version (another patch
        # release's pick) goes in a later call.
        rounds: list[dict[str, str]] = []
        for req in requirements_for(paths.root / LOCK, platform):
            package = req.split("==")[0].lower()
            slot = next((r for r in rounds if package not in r), None)
            if slot is None:
                slot = {}
                rounds.append(slot)
            slot[package] = req
        for number, chosen in enumerate(rounds):
            listing = wheels.parent / f".requirements-{name}-{number}.txt"
            listing.write_text("\n".join(chosen.values()) + "\n")
            download = ["pip", "download", "--quiet", "--disable-pip-version-check", "--no-deps"]
            binary = ["--only-binary=:all:", "--implementation", "cp", "--python-version"]
            binary.append(f"{PYTHON}.{LAST_PATCH}")
            _run(
                [
                    sys.executable,
                    "-m",
                    *download,
                    *binary,
                    *tags,
                    "-d",
                    str(wheels),
                    "-r",
                    str(listing),
                ],
                f"downloading the {name} wheels",
            )
            listing.unlink()


def build_kb_wheel(paths: Paths, wheels: Path) -> None:
    """`kb` as a wheel, built from a copy of the package so the project folder gains no build
    leftovers (`build/`, `*.egg-info`), with the locked setuptools already installed rather than
    a build environment fetched from the package index (faster, and the same backend each time)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "kb"
        shutil.copytree(
            paths.root / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
        )
        for name in ("pyproject.toml", "README.md"):
            shutil.copy(paths.root / name, source / name)
        _run(
            [sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check"]
            + ["--no-deps", "--no-build-isolation", "-w", str(wheels), str(source)],
            "building the kb wheel",
        )


INSTALL_SH = f"""#!/bin/sh
# Installs the workshop's Python packages from this kit: no internet needed.
set -e
cd "$(dirname "$0")"
PY=$(command -v python{PYTHON} || command -v python3)
"$PY" -c 'import sys; sys.exit(sys.version_info[:2] != ({PYTHON.replace(".", ", ")}))' || {{
  echo "Python {PYTHON} is needed (see START-HERE.md)"; exit 1; }}
"$PY" -m venv .venv
.venv/bin/python -m pip install --quiet --no-index --no-deps --no-compile --find-links wheels -r requirements.txt
.venv/bin/python -m pip install --quiet --no-index --no-deps wheels/cacilm_kb-*.whl
echo "Installed. Start JupyterLab with ./start.sh"
"""
START_SH = """#!/bin/sh
cd "$(dirname "$0")"
exec .venv/bin/jupyter lab --notebook-dir=site/workshops
"""
INSTALL_PS1 = f"""# Installs the workshop's Python packages from this kit: no internet needed.
$ErrorActionPreference = "Stop"
Set-Location $PSScriptRoot
py -{PYTHON} -m venv .venv
.venv\\Scripts\\python -m pip install --quiet --no-index --no-deps --no-compile --find-links wheels -r requirements.txt
$kb = Get-ChildItem wheels\\cacilm_kb-*.whl | Select-Object -First 1
.venv\\Scripts\\python -m pip install --quiet --no-index --no-deps $kb.FullName
Write-Host "Installed. Start JupyterLab with .\\start.ps1"
"""
START_PS1 = """Set-Location $PSScriptRoot
.venv\\Scripts\\jupyter lab --notebook-dir=site\\workshops
"""
CHECKLIST = f"""# CACILM workshop kit — start here / начните здесь

## The day before (about 15 minutes, no internet needed)
1. Install **Python {PYTHON}** (64-bit) if the laptop does not have it: Windows, from the
   installer the trainer brings (tick "Add python.exe to PATH"); Linux, the distribution's
   `python{PYTHON}` and `python{PYTHON}-venv` packages; macOS (Apple silicon), python.org's installer.
2. Copy this folder to the laptop (not to a network drive).
3. Install: Windows — right-click `install.ps1` → *Run with PowerShell*; Linux and macOS — run
   `./install.sh` in a terminal. It takes a few minutes and needs about 1 GB of disk.
4. Start JupyterLab (`start.ps1` or `./start.sh`) and open **test-your-laptop.ipynb**; choose
   *Run → Run All Cells*. A chart appears and the last line says the laptop is ready.
5. Close JupyterLab. On the day, start it the same way; the module notebooks are in the same folder.

The book itself is in `site/` (open `site/index.html` in a browser): it works without internet.

## Накануне (около 15 минут, интернет не нужен)
1. Установите **Python {PYTHON}** (64-bit), если его нет: Windows — установщик от тренера
   (отметьте «Add python.exe to PATH»); Linux — пакеты `python{PYTHON}` и `python{PYTHON}-venv`;
   macOS (Apple silicon) — установщик с python.org.
2. Скопируйте эту папку на ноутбук (не на сетевой диск).
3. Установка: Windows — правой кнопкой по `install.ps1` → *Run with PowerShell*; Linux и
   macOS — `./install.sh` в терминале. Займёт несколько минут и около 1 ГБ на диске.
4. Запустите JupyterLab (`start.ps1` или `./start.sh`), откройте **test-your-laptop.ipynb** и
   выберите *Run → Run All Cells*. Появится диаграмма, а последняя строка сообщит, что всё готово.
5. Закройте JupyterLab. В день семинара запустите его так же; тетради модулей в той же папке.

Сама книга — в папке `site/` (откройте `site/index.html` в браузере): она работает без интернета.
"""


def laptop_test_notebook() -> nbformat.NotebookNode:
    """Runs what the modules need: the packages, the snapshot, a table and a chart."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [
        nbformat.v4.new_markdown_cell(
            "# Test your laptop / Проверьте ноутбук\n\n"
            "Run all cells (*Run → Run All Cells*). A chart of the five countries appears and the "
            "last line says the laptop is ready.\n\n"
            "Выполните все ячейки (*Run → Run All Cells*): появится диаграмма по пяти странам, а "
            "последняя строка сообщит, что ноутбук готов."
        ),
        nbformat.v4.new_code_cell(
            "import sys\n\nimport altair\nimport pandas\n\nimport kb\n"
            "from kb import dashboard\nfrom kb.data import load\n\n"
            f"assert sys.version_info[:2] == ({PYTHON.replace('.', ', ')}), sys.version\n"
            "snap = load()\nprint(len(snap.observations), 'observations')"
        ),
        nbformat.v4.new_code_cell('dashboard.latest_figure("forest_area_pct", snap, "en")'),
        nbformat.v4.new_code_cell('print("The laptop is ready. / Ноутбук готов.")'),
    ]
    return nb


def make_kit(paths: Paths, platforms: list[str] | None = None, progress=print) -> Path:
    """Write `dist/cacilm-workshop-kit/` and its zip (wheels for `platforms`, by default every
    one in PLATFORMS); returns the zip's path."""
    platforms = platforms or list(PLATFORMS)
    site = paths.html
    if not (site / "index.html").exists():
        raise KbError("_build/html/index.html: no built site; run `make book` first")
    if unknown := [p for p in platforms if p not in PLATFORMS]:
        raise KbError(f"kb kit: unknown platform {unknown[0]!r} (known: {', '.join(PLATFORMS)})")
    out = paths.root / "dist" / KIT
    if out.exists():
        shutil.rmtree(out)
    wheels = out / "wheels"
    wheels.mkdir(parents=True)
    progress(f"kit: downloading wheels for {', '.join(platforms)} (Python {PYTHON}) …")
    download_wheels(paths, wheels, platforms)
    build_kb_wheel(paths, wheels)
    shutil.copy(paths.root / LOCK, out / "requirements.txt")
    shutil.copytree(
        site, out / "site", ignore=shutil.ignore_patterns(".doctrees", "*-solutions*.ipynb")
    )
    nbformat.write(laptop_test_notebook(), out / "site" / "workshops" / "test-your-laptop.ipynb")
    shutil.copytree(paths.data, out / "data")
    shutil.copy(paths.root / "_config.yml", out / "_config.yml")
    for name, text in {
        "install.sh": INSTALL_SH,
        "start.sh": START_SH,
        "install.ps1": INSTALL_PS1,
        "start.ps1": START_PS1,
        "START-HERE.md": CHECKLIST,
    }.items():
        (out / name).write_text(text, encoding="utf-8", newline="\n")
        if name.endswith(".sh"):
            os.chmod(out / name, 0o755)
    archive = out.with_suffix(".zip")
    tmp = archive.with_suffix(".zip.partial")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(out.rglob("*")):
            if f.is_file():
                info = zipfile.ZipInfo.from_file(f, Path(KIT) / f.relative_to(out))
                # A wheel is a zip already: deflating it again costs time and saves about 2 %.
                stored = f.suffix == ".whl"
                info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
                zf.writestr(info, f.read_bytes())
    tmp.replace(archive)
    return archive
