"""`kb` command line: validate, execute, build, serve, clean, dist.

Expected failures (bad data, a failing cell, a Sphinx warning) print one line each and exit 1,
with no Python traceback.
"""

from __future__ import annotations

import os
import sys
import time
from functools import wraps

import typer

from kb.errors import KbError
from kb.paths import Paths

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Build and check the CACILM Knowledge Base.",
)


def _friendly(func):
    """Turn KbError into `error:` lines on stderr and exit status 1."""

    @wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except KbError as exc:
            for line in exc.lines:
                typer.echo(line, err=True)
            n = len(exc.lines)
            typer.echo(
                f"kb: {func.__name__} failed ({n} problem{'s' if n != 1 else ''}); "
                "the published site was left as it was.",
                err=True,
            )
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            typer.echo("kb: interrupted", err=True)
            raise typer.Exit(130) from None

    return wrapper


@app.command()
@_friendly
def validate() -> None:
    """Check data/ against its Data Package: types, ranges, keys, sources."""
    from kb.build.pipeline import validate_data

    t = time.perf_counter()
    validate_data(Paths.here())
    typer.echo(f"data/ is valid ({time.perf_counter() - t:.2f} s)")


@app.command()
@_friendly
def execute(
    force: bool = typer.Option(False, help="Re-run every notebook."),
    workers: int = typer.Option(0, help="Parallel notebooks (0 = one per CPU)."),
) -> None:
    """Run the notebook templates with papermill into book/_generated/: the pages of every
    edition whose inputs changed (all of them with --force), as `kb build` does before Sphinx."""
    from kb.build.buildlock import exclusive
    from kb.build.execute import execute as run
    from kb.build.pipeline import all_jobs, prepare_assets, validate_data
    from kb.data import load

    paths = Paths.here()
    with exclusive(paths, "run"):
        validate_data(paths)
        prepare_assets(paths)
        report = run(
            all_jobs(load(paths.data), paths),
            paths,
            force=force,
            workers=workers or None,
            progress=sys.stderr.isatty(),
        )
    _print_execution(report.ran, report.skipped, report.same_output)


def _print_execution(ran: dict, skipped: list, same: list) -> None:
    for name, seconds in sorted(ran.items(), key=lambda kv: -kv[1]):
        note = " (same output as before)" if name in same else ""
        typer.echo(f"  executed {name:<28} {seconds:6.1f} s{note}")
    typer.echo(
        f"notebooks: {len(ran)} executed, {len(skipped)} unchanged; "
        f"{len(same)} of the executed gave the same output as before"
    )


@app.command()
@_friendly
def build(force: bool = typer.Option(False, help="Re-execute and rebuild every page.")) -> None:
    """Validate, execute, build the book into _build/html and publish the data files."""
    from kb.build.buildlock import exclusive
    from kb.build.pipeline import build as run

    t = time.perf_counter()
    paths = Paths.here()
    with exclusive(paths):
        report = run(paths, force=force, progress=sys.stderr.isatty())
    _print_execution(report.executed, report.skipped, report.same_output)
    steps = ", ".join(f"{k} {v:.1f} s" for k, v in report.steps.items())
    state = "site rebuilt" if report.published else "site already up to date"
    typer.echo(f"{state}: _build/html/index.html ({steps}; total {time.perf_counter() - t:.1f} s)")


@app.command()
def serve(port: int = typer.Option(8000), host: str = typer.Option("127.0.0.1")) -> None:
    """Preview the built site on http://127.0.0.1:8000 (local only)."""
    import functools
    import http.server

    site = Paths.here().html
    if not (site / "index.html").exists():
        typer.echo("kb: no site yet; run `make book` first", err=True)
        raise typer.Exit(1)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    with http.server.ThreadingHTTPServer((host, port), handler) as httpd:
        typer.echo(f"serving {site} on http://{host}:{port}/ (Ctrl+C to stop)")
        try:
            httpd.serve_forever()
        except KeyboardInterrupt:
            pass


@app.command()
def clean() -> None:
    """Remove built outputs and caches (keeps .venv)."""
    from kb.build.buildlock import exclusive

    paths = Paths.here()
    with exclusive(paths, "clean"):
        _remove_outputs(paths)
    typer.echo("removed _build/, book/_generated/, book/_extra/, book/_charts/, .kb-cache/, dist/")


def _remove_outputs(paths: Paths) -> None:
    import shutil

    for target in (
        paths.build,
        paths.generated,
        paths.cache,
        paths.book / "_extra",
        paths.charts,
        paths.book / "references.bib",
        paths.root / "dist",
    ):
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()


@app.command()
@_friendly
def i18n(action: str = typer.Argument("check", help="check | update")) -> None:
    """Russian catalogues: `check` lists untranslated text per page; `update` merges new text."""
    from kb.build import translations

    paths = Paths.here()
    if not (paths.generated / "home.ipynb").exists():
        raise KbError("book/_generated: no executed pages; run `make book` first")
    if action == "update":
        translations.update(paths)
        typer.echo("updated locales/ru/LC_MESSAGES from the English book")
        return
    problems = []
    for status in translations.check(paths):
        n_missing, n_fuzzy = len(status.untranslated), len(status.fuzzy)
        typer.echo(
            f"{status.page:<36} {status.messages:4d} messages, {n_missing:3d} untranslated, "
            f"{n_fuzzy:3d} fuzzy"
        )
        problems += [
            f"locales/ru/LC_MESSAGES/{status.page}.po:1: untranslated: {m[:70]!r}"
            for m in status.untranslated
        ]
        problems += [
            f"locales/ru/LC_MESSAGES/{status.page}.po:1: fuzzy: {m[:70]!r}" for m in status.fuzzy
        ]
    if problems:
        raise KbError(problems)
    typer.echo("Russian edition: every message translated")


@app.command()
@_friendly
def update(
    sources: list[str] = typer.Argument(  # noqa: B008 (typer's documented style)
        None, help="Publishers (worldbank, unsd), indicator ids or series codes; default: all."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Report the changes, write nothing."),
) -> None:
    """Fetch the indicators from their publishers' APIs into data/, and report what changed."""
    from kb.build.buildlock import exclusive
    from kb.update import update as run_update

    paths = Paths.here()
    with exclusive(paths, "update"):
        changes = run_update(paths, sources or None, dry_run=dry_run)
    for indicator, country, added, withdrawn, revised in changes.by_series():
        typer.echo(
            f"  {indicator:34} {country}  +{added} added  -{withdrawn} withdrawn  "
            f"~{revised} revised"
        )
    for ind, country, year, old, new in changes.largest_revisions()[:10]:
        typer.echo(f"  revised {ind} {country} {year}: {old:g} → {new:g}")
    verb = "would change" if dry_run else "changed"
    report = (paths.build / "update-report.md").relative_to(paths.root)
    typer.echo(f"data/ {verb}: {changes.summary()}; review: {report}")
    if not dry_run and changes.any:
        typer.echo("next: `make book`, then review and commit data/")


@app.command()
def bench(
    pages_only: bool = typer.Option(False, help="Only page weights and chart timings."),
) -> None:
    """Measure clean, no-op and one-edit builds against stock Jupyter Book, and page figures."""
    from kb.build.bench import run

    run(pages_only=pages_only)


@app.command()
@_friendly
def dist(
    pdf: bool = typer.Option(True, help="Also print the PDF editions and workshop handouts."),
    kit: bool = typer.Option(True, help="Also make the workshop participants' kit."),
) -> None:
    """Zip the built site for offline use (dist/cacilm-kb-<version>.zip), print the book
    (dist/cacilm-kb-<lang>.pdf per edition, dist/workshop-<module>-<audience>-<lang>.pdf) and
    make the participants' kit (dist/cacilm-workshop-kit.zip; see `kb kit`)."""
    from kb.build.buildlock import exclusive
    from kb.build.offline import make_dist

    paths = Paths.here()
    with exclusive(paths, "zip"):
        path = make_dist(paths)
        typer.echo(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
        if pdf:
            from kb.build import pdf as printing

            made = printing.write_all(paths, path.parent, progress=typer.echo)
            typer.echo(f"wrote {len(made)} PDF files to {path.parent}")
        if kit:
            _kit(paths, None)


def _kit(paths: Paths, platforms: list[str] | None) -> None:
    from kb.build.kit import make_kit

    archive = make_kit(paths, platforms, progress=typer.echo)
    typer.echo(f"wrote {archive} ({archive.stat().st_size / 1e6:.1f} MB)")


@app.command()
@_friendly
def kit(
    platform: list[str] | None = typer.Option(  # noqa: B008 (typer's documented style)
        None, help="Laptops to carry wheels for: windows, linux, macos (default: all three)."
    ),
) -> None:
    """Make the workshop participants' kit (dist/cacilm-workshop-kit.zip): wheels of every
    package the notebooks need, kb, the offline book with the participants' notebooks, the
    snapshot, installers for Windows, Linux and macOS and a setup checklist. Needs the package
    index (PyPI) once, to download the wheels; the laptops then install with no internet."""
    from kb.build.buildlock import exclusive

    paths = Paths.here()
    with exclusive(paths, "zip"):
        _kit(paths, platform)


def main() -> None:
    """The `kb` command: run it, flush its output and exit at once.

    Skipping the interpreter's teardown saves 0.2 s on every command (measured; unloading
    pandas, Altair and Jupyter's modules): a no-op rebuild is a fifth faster. Every command
    closes its files and waits for its processes before returning, so nothing is lost."""
    try:
        app()
        status = 0
    except SystemExit as exc:
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr)
        status = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


if __name__ == "__main__":
    main()
