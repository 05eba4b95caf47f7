"""Charts: one Altair theme for the book, chart builders, and an offline renderer.

Pages never load anything from another host. In the book a chart is a `<figure>` that shows
the image vl-convert rendered at build time (an SVG in the shared `charts/` folder, scaled to its
column), so it is there at once, costs a few kilobytes and prints. The figure names its Vega-Lite
spec, kept beside the image as a small script (`*.vl.js`, which a browser loads from disk too,
where it may not fetch JSON): `_static/kb-charts.js` loads it and the vendored vega bundle (built
by `write_bundle` from vl-convert) only when a reader asks for the values (a button, or a mouse
over the chart) and redraws that chart with tooltips. Each figure carries a text description, a
source-and-licence line and download links for the chart's data (CSV) and image (SVG).
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import altair as alt
import pandas as pd

from kb import csvsafe, facts, i18n
from kb.data import Snapshot, load
from kb.i18n import language, localized, t
from kb.paths import Paths

VEGA_LITE_MIMES = tuple(
    f"application/vnd.vegalite.v{major}+json"
    for major in dict.fromkeys((alt.SCHEMA_VERSION.lstrip("v").split(".")[0], "5"))
)
"""Output types JupyterLab draws as Vega-Lite: Altair's own schema version, and v5, which every
JupyterLab 4 draws."""
VL_VERSION = "v" + ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2]).replace(".", "_")

# Okabe–Ito palette: distinguishable with the common colour-vision deficiencies.
COUNTRY_COLOURS = {
    "KAZ": "#0072B2",
    "KGZ": "#D55E00",
    "TJK": "#009E73",
    "TKM": "#CC79A7",
    "UZB": "#E69F00",
}
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', Arial, sans-serif"


def theme() -> dict:
    """The book's Vega-Lite config: readable type, quiet grid, fixed sizes."""
    return {
        "config": {
            "font": FONT,
            "view": {"continuousWidth": 520, "continuousHeight": 280, "stroke": None},
            "title": {"fontSize": 15, "anchor": "start", "subtitleColor": "#444"},
            "axis": {
                "labelFontSize": 12,
                "titleFontSize": 12,
                "gridColor": "#e5e5e5",
                "labelColor": "#222",
                "titleColor": "#222",
            },
            "legend": {
                "labelFontSize": 12,
                "titleFontSize": 12,
                "orient": "bottom",
                "direction": "horizontal",
                "columns": 3,
                "symbolType": "circle",
                "labelLimit": 200,
            },
            "line": {"strokeWidth": 2.5},
            "point": {"size": 40, "filled": True},
        }
    }


@alt.theme.register("kb", enable=False)
def _kb_theme():
    """The book's look as an Altair theme, for anyone who wants it (`alt.theme.enable("kb")`);
    importing kb enables nothing: the book's own charts carry the look in their spec."""
    return alt.theme.ThemeConfig(theme())


def _with_theme(config: dict) -> dict:
    """`config` with the book's theme laid over it (the theme's settings win)."""
    out = dict(config)
    for key, value in theme()["config"].items():
        out[key] = (
            {**out[key], **value}
            if isinstance(value, dict) and isinstance(out.get(key), dict)
            else value
        )
    return out


def book_output() -> bool:
    """True while `kb build` runs the page (it sets `KB_PAGE`): charts are then emitted as the
    book's self-contained HTML; run by hand, in JupyterLab, they are ordinary Vega-Lite output."""
    return bool(os.environ.get("KB_PAGE"))


def country_scale(snapshot: Snapshot, lang: str | None = None) -> alt.Scale:
    """Fixed colour per country everywhere in the book (keyed by display name)."""
    names = [snapshot.country_name(c, lang) for c in COUNTRY_COLOURS]
    return alt.Scale(domain=names, range=list(COUNTRY_COLOURS.values()))


# ---------------------------------------------------------------- figures


def _charts_root() -> str:
    """Relative path from the page being executed to the folder holding `charts/`.

    Every edition links to the one `charts/` folder at the top of the site (set by `kb execute`),
    so the Russian edition does not carry a second copy of the downloads.
    """
    from kb import display

    return display.shared_root()


def _downloads_dir() -> Path:
    return Paths.here().charts


def _safe_json(obj) -> str:
    """JSON that cannot close or open markup inside a `<script>` element."""
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False, default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


# ---------------------------------------------------------------- downloads
#
# A download is named `<label>-<first 16 hex digits of the SHA-256 of its bytes>.<ext>`: a file
# of that name holds exactly those bytes, so an edit that changes a download (even beyond the
# 6 significant digits a chart draws) gives it a new name and the page a new link, while an
# unchanged download keeps its name and its file (and publishing hard-links it). Files no page
# links to any more are deleted by `kb.build.pipeline.prune_chart_files` before publishing.


def spec_script(spec: dict) -> bytes:
    """A chart's Vega-Lite spec as a script that hands it to `kbSpec` (`_static/kb-charts.js`)."""
    return f"kbSpec({_safe_json(spec)});\n".encode()


SPEC_SCRIPT = re.compile(r"^kbSpec\((.*)\);\n$", re.S)
"""What `spec_script` writes, to read the spec back (tests, tools)."""


def _digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()[:16]


def write_download(folder: Path, label: str, ext: str, content: bytes) -> str:
    """Write `content` as `<label>-<hash of content>.<ext>` in `folder`, unless a file of that
    name already holds exactly these bytes; returns the file name.

    Pages run in several processes at once and may write the same file: the bytes go to a
    private temporary file first and are renamed into place, so nobody reads half a file.
    """
    name = f"{label}-{_digest(content)}.{ext}"
    path = folder / name
    try:
        if path.read_bytes() == content:
            return name
    except FileNotFoundError:
        pass
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{name}.{os.getpid()}.tmp"
    tmp.write_bytes(content)
    os.replace(tmp, path)
    return name


def _csv_bytes(data: pd.DataFrame) -> bytes:
    """The chart's data as published: every value exactly, no cell a spreadsheet formula."""
    return csvsafe.to_csv(data, index=False, lineterminator="\n").encode("utf-8")


_SVG_ID = re.compile(r'\bid="([^"]+)"')
_SVG_ID_OR_REF = re.compile(r'(\bid="|url\(#|href="#)([^"()]+)')


def stable_svg_ids(svg: str) -> str:
    """Renumber the generated ids of an SVG (and the references to them) in document order.

    vl-convert numbers the ids it generates (gradients such as `gradient_3`, clip paths, …)
    with counters that live as long as its JavaScript runtime, so the same chart drawn after
    other charts in the same process comes out with other ids, and a build's image files would
    depend on which pages a kernel happened to run before. Here every id ending in a number is
    renumbered per prefix from 0, in the order the ids are defined (`gradient_0`,
    `gradient_1`, …), and `url(#…)` / `href="#…"` references follow: the same chart always
    gives the same bytes. Ids are defined and referenced only inside one file (the downloads
    are separate images, not inlined in pages).
    """
    counters: dict[str, int] = {}
    renamed: dict[str, str] = {}
    for old in dict.fromkeys(_SVG_ID.findall(svg)):
        prefix = old.rstrip("0123456789")
        if prefix != old:
            renamed[old] = f"{prefix}{counters.setdefault(prefix, 0)}"
            counters[prefix] += 1
    if not renamed:
        return svg
    return _SVG_ID_OR_REF.sub(lambda m: m.group(1) + renamed.get(m.group(2), m.group(2)), svg)


def warm_renderer() -> None:
    """Start vl-convert's JavaScript engine now (a kernel's warm-up), not on a page's first chart."""
    import vl_convert as vlc

    vlc.vegalite_to_svg({"mark": "point"}, vl_version=VL_VERSION)


def _render_svg(spec: dict) -> bytes:
    import vl_convert as vlc

    return stable_svg_ids(vlc.vegalite_to_svg(spec, vl_version=VL_VERSION)).encode("utf-8")


def _svg_download(folder: Path, label: str, spec: dict) -> str:
    """The chart's image, rendered at most once per exact spec and vl-convert version.

    Rendering costs ~50 ms a chart, and a page re-runs with mostly unchanged charts, so
    `.kb-cache/svg/` remembers which file the rendering of a spec gave; the file is reused only
    if it is still there and still holds the bytes its name was made from.
    """
    import vl_convert as vlc

    key = f"{vlc.__version__}:{VL_VERSION}:{SVG_FORMAT}:{_safe_json(spec)}"
    memo = Paths.here().cache / "svg" / f"{hashlib.sha256(key.encode()).hexdigest()}.txt"
    try:
        name = memo.read_text(encoding="utf-8")
        content = (folder / name).read_bytes()
        if name == f"{label}-{_digest(content)}.svg":
            return name
    except (OSError, ValueError):  # no memo, no file, or not what its name says
        pass
    name = write_download(folder, label, "svg", _render_svg(spec))
    memo.parent.mkdir(parents=True, exist_ok=True)
    tmp = memo.with_name(f".{memo.name}.{os.getpid()}.tmp")
    tmp.write_text(name, encoding="utf-8")
    os.replace(tmp, memo)
    return name


_SVG_SIZE = re.compile(rb'<svg[^>]*?\swidth="([\d.]+)"[^>]*?\sheight="([\d.]+)"')


def svg_size(svg: bytes) -> tuple[str, str]:
    """Width and height of a vl-convert SVG, in CSS pixels, as its root element gives them."""
    found = _SVG_SIZE.search(svg[:2000])
    if not found:
        raise ValueError("vl-convert gave an SVG without width and height")
    return found.group(1).decode(), found.group(2).decode()


SVG_FORMAT = 1
"""Bump when `_render_svg` changes what it makes of vl-convert's output (invalidates the memo)."""


@dataclass(repr=False)
class Figure:
    """A chart with its description, data and credits, displayed as self-contained HTML."""

    chart: alt.TopLevelMixin
    data: pd.DataFrame
    description: str
    sources: list[str]
    snapshot: Snapshot | None = None
    label: str = "chart"
    datasets: dict[str, object] = field(default_factory=dict)
    """Large data the chart names (`alt.NamedData`) instead of holding, added to the spec at the
    end: Altair deep-copies a chart's inline data at every step (`+`, `.project`, …), which for
    the map outlines cost a quarter of a second per map (measured)."""

    def __repr__(self) -> str:
        return f"<Figure {self.label}: {self.description[:80]}>"

    def spec(self) -> dict:
        """The Vega-Lite spec, with the page language's number and date formats."""
        spec = self.chart.to_dict(validate=False)
        spec["config"] = _with_theme(spec.get("config", {}))
        if self.datasets:
            spec.setdefault("datasets", {}).update(self.datasets)
        locale = i18n.VEGA_LOCALE.get(i18n.language())
        if locale:
            spec.setdefault("config", {})["locale"] = locale
        return spec

    def _write_downloads(self, spec: dict) -> tuple[str, ChartFiles]:
        """The chart's CSV, SVG and spec script in the shared `charts/` folder, each named by
        its own bytes."""
        csv_name = write_download(_downloads_dir(), self.label, "csv", _csv_bytes(self.data))
        return f"{_charts_root()}charts/{csv_name}", chart_files(self.label, spec)

    def credits_html(self) -> str:
        snap = self.snapshot or load()
        src = snap.sources.set_index("id")
        items = []
        for sid in dict.fromkeys(self.sources):
            if sid not in src.index:
                continue
            r = src.loc[sid]
            items.append(
                f'<a href="{html.escape(r.url, quote=True)}">{html.escape(r.title)}</a>, '
                f"{html.escape(localized(r, 'publisher'))} "
                f"({html.escape(facts.dated_text(localized(r, 'vintage'), language()))}); "
                f"{t('licence: ')}{html.escape(localized(r, 'licence'))}"
            )
        return t("Source: ") + " · ".join(items) if items else ""

    def _ipython_display_(self) -> None:
        """In the book: one self-contained `<figure>`. By hand (JupyterLab): the chart as
        Vega-Lite, which JupyterLab draws, then its description, sources and licence."""
        from IPython.display import HTML, display

        if book_output():
            display(HTML(self._repr_html_()))
            return
        spec = self.spec()
        display({**dict.fromkeys(VEGA_LITE_MIMES, spec), "text/plain": repr(self)}, raw=True)
        display(HTML(f"<p>{html.escape(self.description)}</p><p>{self.credits_html()}</p>"))

    def _repr_html_(self) -> str:
        spec = self.spec()
        csv_url, files = self._write_downloads(spec)
        caption = (
            f'<p class="kb-desc">{html.escape(self.description)}</p>'
            f'<p class="kb-credit">{self.credits_html()}</p>'
            f'<p class="kb-downloads">{t("Download: ")}<a href="{csv_url}" download>'
            f'{t("data (CSV)")}</a> · <a href="{files.svg_url}" download>{t("image (SVG)")}</a>'
            f"{_explore_button()}</p>"
        )
        return files.figure_html(self.description, caption)


def _explore_button() -> str:
    """The button that asks for the interactive chart (`kb-charts.js` shows it)."""
    return f'<button type="button" class="kb-explore" hidden>{t("Show the values")}</button>'


@dataclass(frozen=True)
class ChartFiles:
    """A chart's build-time image and its spec script in `charts/`, as the page links them."""

    svg_url: str
    spec_url: str
    width: str
    height: str

    def figure_html(self, alt: str, caption: str) -> str:
        """The figure: the image at once, the spec named for `_static/kb-charts.js`."""
        return (
            f'<figure class="kb-chart" data-spec="{self.spec_url}">'
            f'<div class="kb-vega"><img class="kb-static" src="{self.svg_url}" '
            f'width="{self.width}" height="{self.height}" alt="{html.escape(alt, True)}" '
            'loading="lazy" decoding="async"></div>'
            f"<figcaption>{caption}</figcaption></figure>"
        )


def chart_files(label: str, spec: dict) -> ChartFiles:
    """Render (or reuse) the chart's SVG and write its spec script, each named by its bytes."""
    out = _downloads_dir()
    base = f"{_charts_root()}charts/"
    svg_name = _svg_download(out, label, spec)
    spec_name = write_download(out, label, "vl.js", spec_script(spec))
    width, height = svg_size((out / svg_name).read_bytes())
    return ChartFiles(base + svg_name, base + spec_name, width, height)


def _kb_renderer(spec: dict, **_options) -> dict:
    """Altair renderer for bare charts in a page: the same image and spec script as a Figure,
    no description or sources (a bare chart has none to show)."""
    caption = f'<p class="kb-downloads">{_explore_button()}</p>'
    return {
        "text/html": chart_files("chart", spec).figure_html(t("Chart"), caption),
        "text/plain": "<Vega-Lite chart>",
    }


alt.renderers.register("kb", _kb_renderer)  # enabled by `kb build` for its pages only


# ---------------------------------------------------------------- builders


def _fmt(unit: str) -> str:
    return ",.1f" if unit.startswith("%") else ",.4~g" if "per" in unit else ",.0f"


def _names(snapshot: Snapshot, lang: str) -> alt.LookupData:
    """Country code → display name, joined in the chart so each data row stays small."""
    values = [{"country": c, "name": snapshot.country_name(c, lang)} for c in COUNTRY_COLOURS]
    return alt.LookupData(alt.InlineData(values=values), "country", ["name"])


def _compact(frame: pd.DataFrame) -> pd.DataFrame:
    """Only the columns a chart draws, values to 6 significant digits (downloads keep all)."""
    out = frame[["country", "year", "value"]].copy()
    out["value"] = out["value"].map(lambda v: float(f"{v:.6g}"))
    return out


def _tooltip(unit: str) -> list:
    return [
        alt.Tooltip("name:N", title=t("Country")),
        alt.Tooltip("year:Q", title=t("Year"), format="d"),
        alt.Tooltip("value:Q", title=unit, format=_fmt(unit)),
    ]


def trend(
    frame: pd.DataFrame, title: str, unit: str, snapshot: Snapshot, lang: str | None = None
) -> alt.Chart:
    """Lines over years, one per country, fixed country colours, tooltips."""
    return (
        alt.Chart(_compact(frame), title=alt.Title(title, subtitle=unit))
        .transform_lookup(lookup="country", from_=_names(snapshot, lang))
        .mark_line(point=True)
        .encode(
            x=alt.X("year:Q", title=t("Year"), axis=alt.Axis(format="d", tickMinStep=1)),
            y=alt.Y("value:Q", title=unit),
            color=alt.Color("name:N", title=t("Country"), scale=country_scale(snapshot, lang)),
            tooltip=_tooltip(unit),
        )
    )


def bars(
    frame: pd.DataFrame, title: str, unit: str, snapshot: Snapshot, lang: str | None = None
) -> alt.Chart:
    """Horizontal bars of one value per country (e.g. the latest year)."""
    return (
        alt.Chart(_compact(frame), title=alt.Title(title, subtitle=unit))
        .transform_lookup(lookup="country", from_=_names(snapshot, lang))
        .mark_bar()
        .encode(
            y=alt.Y("name:N", title=None, sort="-x"),
            x=alt.X("value:Q", title=unit),
            color=alt.Color("name:N", legend=None, scale=country_scale(snapshot, lang)),
            tooltip=_tooltip(unit),
        )
        .properties(height=alt.Step(28))
    )
