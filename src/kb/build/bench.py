"""`kb bench`: measure builds (issue: fast, correct rebuilds) and pages (weight, first chart).

Runs on a temporary copy of the project so the author's `_build` is untouched. Build figures,
each the median of three runs: clean build (after `kb clean`); no-op rebuild; rebuild after
editing one observation of one country; and, once, the same notebooks built by stock
`jupyter-book build` with `execute_notebooks: force` (serial, one fresh kernel per notebook). Page figures: HTML weight of every page, and the time until the first
chart is drawn in headless Chromium from a local server, with a cold and a warm cache; and
Lighthouse's mobile scores of four pages, served gzip-compressed.
"""

from __future__ import annotations

import csv
import functools
import http.server
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
import yaml

from kb.paths import Paths, ignore_outputs
from kb.sphinx_ext import BUILT_BY_KB


def _kb(root: Path, *args: str) -> tuple[float, str]:
    exe = str(Path(sys.executable).with_name("kb"))
    started = time.perf_counter()
    proc = subprocess.run(
        [exe, *args],
        cwd=root,
        env={**os.environ, "KB_ROOT": str(root)},
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr)
    return elapsed, proc.stdout


def _executed(stdout: str) -> str:
    m = re.search(r"notebooks: (\d+) executed, (\d+) unchanged", stdout)
    return f"{m.group(1)} executed, {m.group(2)} unchanged" if m else "?"


def edit_one_observation(root: Path) -> str:
    """Change the latest KAZ forest share by +0.01 percentage point; returns what changed."""
    path = root / "data" / "observations.csv"
    rows = list(csv.reader(path.open(encoding="utf-8", newline="")))
    hits = [r for r in rows[1:] if r[0] == "forest_area_pct" and r[1] == "KAZ"]
    row = max(hits, key=lambda r: int(r[2]))
    old = row[3]
    row[3] = f"{float(old) + 0.01:.6g}"
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    return f"forest_area_pct KAZ {row[2]}: {old} → {row[3]}"


def _stock_build(root: Path) -> float:
    """The generated notebooks, outputs stripped, built by stock Jupyter Book (force, serial)."""
    stock = root / "stock"
    shutil.copytree(root / "book", stock / "book", ignore=shutil.ignore_patterns("_extra"))
    for nb_path in (stock / "book" / "_generated").rglob("*.ipynb"):
        nb = nbformat.read(nb_path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        nbformat.write(nb, nb_path)
    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    config["execute"] = {"execute_notebooks": "force", "timeout": 600}
    config["sphinx"]["config"]["html_extra_path"] = []
    (stock / "_config.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    shutil.copy2(root / "_toc.yml", stock / "_toc.yml")
    exe = str(Path(sys.executable).with_name("jupyter-book"))
    started = time.perf_counter()
    subprocess.run(
        [
            exe,
            "build",
            str(stock / "book"),
            "--config",
            str(stock / "_config.yml"),
            "--toc",
            str(stock / "_toc.yml"),
            "--path-output",
            str(stock),
            "-q",
        ],
        cwd=root,
        # kb's own comparison build, into its own folder: the book's extension lets it run.
        env={**os.environ, "KB_ROOT": str(root), BUILT_BY_KB: "1"},
        capture_output=True,
        text=True,
        check=True,
    )
    return time.perf_counter() - started


REPEATS = 3
"""Each build figure is the median of this many runs: on a shared 2-core machine one run can be
off by a second either way."""


def build_figures(source: Path) -> list[tuple[str, list[float], str]]:
    """Clean, no-op and one-edit build times (REPEATS rounds), then the stock build once.

    The three builds are interleaved, round by round (clean, no-op, edit; clean, …), so that a
    slow spell of a shared machine weighs on all of them alike rather than on one row."""
    with tempfile.TemporaryDirectory(prefix="kb-bench-") as tmp:
        root = Path(tmp) / "project"
        shutil.copytree(source, root, ignore=ignore_outputs)
        times: dict[str, list[float]] = {"clean": [], "no-op": [], "edit": []}
        notes: dict[str, str] = {}
        edits: list[str] = []

        def timed(kind: str) -> None:
            t, out = _kb(root, "build")
            times[kind].append(t)
            notes[kind] = _executed(out)

        for _ in range(REPEATS):
            _kb(root, "clean")
            timed("clean")
            timed("no-op")
            edits.append(edit_one_observation(root))
            timed("edit")
        english = sum(1 for _ in (root / "book" / "_generated").rglob("*.ipynb"))
        return [
            ("clean build (English + Russian editions)", times["clean"], notes["clean"]),
            ("no-op rebuild", times["no-op"], notes["no-op"]),
            (
                f"one-country data edit ({edits[0].split(':')[0]}, +0.01 each run)",
                times["edit"],
                notes["edit"],
            ),
            (
                "stock jupyter-book, execute_notebooks: force (serial; English only; one run)",
                [_stock_build(root)],
                f"{english} executed by Jupyter Book",
            ),
        ]


def page_figures(site: Path) -> tuple[list[tuple[str, int]], list[tuple[str, float, float]]]:
    from playwright.sync_api import sync_playwright

    weights = sorted(
        (
            (str(p.relative_to(site)), p.stat().st_size)
            for p in site.rglob("*.html")
            if "_static" not in p.parts
        ),
        key=lambda kv: -kv[1],
    )

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(site))
    )
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}/"
    timings = []
    # The first chart's image, brought into view (charts load lazily, as a reader scrolls).
    first = """() => new Promise(done => { const img = document.querySelector('img.kb-static');
        if (!img) return done(0); img.scrollIntoView();
        const t = () => img.complete && img.naturalWidth ? done(performance.now())
        : requestAnimationFrame(t); t(); })"""
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        context = browser.new_context()
        for path in [w for w, _ in weights if "/countries/" in w or w.endswith("home.html")]:
            page = context.new_page()
            page.goto(base + path)
            cold = page.evaluate(first)
            page.reload()
            warm = page.evaluate(first)
            timings.append((path, cold / 1000, warm / 1000))
            page.close()
        browser.close()
    httpd.shutdown()
    return weights, timings


LIGHTHOUSE_PAGES = (
    "_generated/home.html",
    "_generated/countries/kaz.html",
    "_generated/indicators/catalogue.html",
    "ru/_generated/countries/kaz.html",
)
"""The pages Lighthouse scores: home, a country page, the indicator catalogue, a Russian page."""

CATEGORIES = ("performance", "accessibility", "best-practices", "seo")


class _Gzipped(http.server.SimpleHTTPRequestHandler):
    """A static server that compresses text as any static host does (Lighthouse judges what a
    reader downloads)."""

    def log_message(self, *args):
        pass

    def send_head(self):
        import gzip
        import io

        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        kind = self.guess_type(str(path))
        textual = any(t in kind for t in ("text", "javascript", "json", "svg", "xml"))
        if not path.is_file() or not textual:
            return super().send_head()
        body = gzip.compress(path.read_bytes(), 6)
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)


def lighthouse_figures(site: Path, root: Path) -> list[tuple[str, dict, str, float]]:
    """Lighthouse (the npm package, mobile preset with its simulated slow 4G) on Debian's
    Chromium: category scores, first contentful paint and bytes transferred per page."""
    import json

    exe = root / "node_modules" / ".bin" / "lighthouse"
    if not exe.exists():
        return []
    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Gzipped, directory=str(site))
    )
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    flags = "--headless=new --no-sandbox --disable-gpu --disable-background-networking "
    flags += "--disable-component-update --no-first-run"
    rows = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for page in LIGHTHOUSE_PAGES:
                report = Path(tmp) / "report.json"
                subprocess.run(
                    [
                        str(exe),
                        f"http://127.0.0.1:{httpd.server_address[1]}/{page}",
                        f"--chrome-flags={flags}",
                        f"--only-categories={','.join(CATEGORIES)}",
                        "--output=json",
                        f"--output-path={report}",
                        "--quiet",
                    ],
                    env={**os.environ, "CHROME_PATH": "/usr/bin/chromium"},
                    check=True,
                    capture_output=True,
                    timeout=300,
                )
                result = json.loads(report.read_text(encoding="utf-8"))
                scores = {c: round(result["categories"][c]["score"] * 100) for c in CATEGORIES}
                audits = result["audits"]
                rows.append(
                    (
                        page,
                        scores,
                        audits["first-contentful-paint"]["displayValue"],
                        audits["total-byte-weight"]["numericValue"] / 1024,
                    )
                )
    finally:
        httpd.shutdown()
    return rows


def run(pages_only: bool = False) -> None:
    paths = Paths.here()
    if not pages_only:
        rows = build_figures(paths.root)
        clean = statistics.median(rows[0][1])
        print(
            f"\nBuilds (fresh temporary copy of the project, {os.cpu_count()} CPU cores; median of "
            f"{REPEATS} rounds of clean, no-op and edit builds)"
        )
        print(f"{'step':<76} {'median s':>8} {'× clean':>8}  {'runs (s)':<18} notebooks")
        for name, times, note in rows:
            median = statistics.median(times)
            runs = " ".join(f"{t:.1f}" for t in times)
            print(f"{name:<76} {median:8.1f} {median / clean:8.2f}  {runs:<18} {note}")
        for label, row in (("no-op", rows[1]), ("edit", rows[2])):
            ratios = [t / c for t, c in zip(row[1], rows[0][1], strict=True)]
            listed = " ".join(f"{r:.2f}" for r in ratios)
            print(
                f"{label} ÷ clean, round by round: {listed} (median {statistics.median(ratios):.2f})"
            )
        print(f"clean build vs stock serial build: {clean / rows[-1][1][0]:.2f}×")
    if not (paths.html / "index.html").exists():
        print("\n(no _build/html: run `make book` for page figures)")
        return
    weights, timings = page_figures(paths.html)
    print("\nPage weight (HTML only; shared CSS/JS and the chart bundle are cached)")
    print(
        f"heaviest: {weights[0][0]} {weights[0][1] / 1024:.0f} KB; "
        f"limit 150 KB; pages over it: {sum(1 for _, w in weights if w > 150 * 1024)}"
    )
    for name, size in weights[:8]:
        print(f"  {size / 1024:6.0f} KB  {name}")
    bundle = paths.html / "vendor" / "vega-bundle.js"
    print(f"chart bundle: {bundle.stat().st_size / 1024:.0f} KB, loaded only when a reader asks for a chart's values, cached")
    print("\nFirst chart shown (its image, headless Chromium, local server): cold cache / warm cache")
    for name, cold, warm in timings:
        print(f"  {cold:5.2f} s / {warm:5.2f} s  {name}")
    print(f"slowest cold: {max(t[1] for t in timings):.2f} s (target ≤ 1 s)")
    scored = lighthouse_figures(paths.html, paths.root)
    if not scored:
        print("\n(Lighthouse not installed: `npm ci`, which `make test` runs)")
        return
    print("\nLighthouse, mobile preset (simulated slow 4G), site served gzip-compressed")
    print(f"  {'perf':>4} {'a11y':>4} {'best':>4} {'seo':>4}  {'first paint':>11} {'KiB':>6}  page")
    for page, s, fcp, kib in scored:
        print(
            f"  {s['performance']:4} {s['accessibility']:4} {s['best-practices']:4} "
            f"{s['seo']:4}  {fcp:>11} {kib:6.0f}  {page}"
        )
