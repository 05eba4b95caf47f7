"""Charts: one Altair theme for the book, chart builders, and an offline renderer.

Pages never load anything from another host. A chart is emitted as a `<figure>` holding its
Vega-Lite spec as inert JSON; `_static/kb-charts.js` loads the vendored vega bundle (built by
`write_bundle` from vl-convert) once, only on pages that have charts, and draws them. Each figure
carries a text description for screen readers, a source-and-licence line and download links for
the chart's data (CSV) and image (SVG rendered at build time with vl-convert).
"""

from __future__ import annotations

import hashlib
import html
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import altair as alt
import pandas as pd

from kb import i18n
from kb.data import Snapshot, load
from kb.i18n import t
from kb.paths import Paths

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


@alt.theme.register("kb", enable=True)
def _kb_theme():
    return alt.theme.ThemeConfig(theme())


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
    return os.environ.get("KB_CHARTS_ROOT", os.environ.get("KB_SITE_ROOT", ""))


def _downloads_dir() -> Path:
    return Paths.here().charts


def _safe_json(obj) -> str:
    """JSON that cannot close or open markup inside a `<script>` element."""
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False, default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


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
        if self.datasets:
            spec.setdefault("datasets", {}).update(self.datasets)
        locale = i18n.VEGA_LOCALE.get(i18n.language())
        if locale:
            spec.setdefault("config", {})["locale"] = locale
        return spec

    def _key(self, spec: dict) -> str:
        return hashlib.sha256(_safe_json(spec).encode()).hexdigest()[:16]

    def _write_downloads(self, spec: dict) -> tuple[str, str]:
        import vl_convert as vlc

        key = f"{self.label}-{self._key(spec)}"
        out = _downloads_dir()
        out.mkdir(parents=True, exist_ok=True)
        csv_path, svg_path = out / f"{key}.csv", out / f"{key}.svg"
        if not csv_path.exists():
            self.data.to_csv(csv_path, index=False)
        if not svg_path.exists():
            svg_path.write_text(vlc.vegalite_to_svg(spec, vl_version=VL_VERSION), encoding="utf-8")
        base = f"{_charts_root()}charts/"
        return base + csv_path.name, base + svg_path.name

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
                f"{html.escape(r.publisher)} ({html.escape(r.vintage)}); "
                f"{t('licence: ')}{html.escape(r.licence)}"
            )
        return t("Source: ") + " · ".join(items) if items else ""

    def _repr_html_(self) -> str:
        spec = self.spec()
        csv_url, svg_url = self._write_downloads(spec)
        desc = html.escape(self.description)
        return (
            f'<figure class="kb-chart">'
            f'<div class="kb-vega" role="img" aria-label="{html.escape(self.description, True)}">'
            f"</div>"
            f'<script type="application/json" class="kb-spec">{_safe_json(spec)}</script>'
            f'<figcaption><p class="kb-desc">{desc}</p>'
            f'<p class="kb-credit">{self.credits_html()}</p>'
            f'<p class="kb-downloads">{t("Download: ")}<a href="{csv_url}" download>'
            f'{t("data (CSV)")}</a> · <a href="{svg_url}" download>{t("image (SVG)")}</a></p>'
            "</figcaption></figure>"
        )


def _kb_renderer(spec: dict, **_options) -> dict:
    """Altair renderer for bare charts in a notebook: same offline HTML, no captions."""
    return {
        "text/html": '<figure class="kb-chart"><div class="kb-vega"></div>'
        f'<script type="application/json" class="kb-spec">{_safe_json(spec)}</script></figure>',
        "text/plain": "<Vega-Lite chart>",
    }


alt.renderers.register("kb", _kb_renderer)
alt.renderers.enable("kb")


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
