"""The indicator registry: raw indicators from `data/indicators.csv` and derived ones computed here.

One call, `table()`, returns every value the book shows as a tidy frame with the published
columns `indicator,country,year,value,unit,source`. A derived value's `source` lists the source
ids of every input, `;`-separated, so each row still traces back to `data/sources.csv`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from kb import deps, i18n
from kb.data import Snapshot, load

BASELINE_YEAR = 2006
"""The programme's launch year (the Almaty launch in `data/timeline.csv`, id `phase1-launch`);
no source names a CACILM baseline year, so changes are counted from the launch year. A test keeps
this constant equal to the year in the data."""

COLUMNS = ["indicator", "country", "year", "value", "unit", "source", "status"]

PROJECTION = "projection"
"""An observation's `status` for a value its publisher projects: kept in the downloads (with its
status), never shown as an observed or latest value."""


@dataclass(frozen=True)
class Indicator:
    """What an indicator means and where its values come from."""

    id: str
    title: str
    unit: str
    definition: str
    good_direction: str  # up | down | none
    change_means: str = "change"  # change | revision
    outcomes: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    derived_from: tuple[str, ...] = ()
    min_value: float | None = None
    max_value: float | None = None

    @property
    def derived(self) -> bool:
        return bool(self.derived_from)

    @property
    def is_percent(self) -> bool:
        return self.unit.startswith("%")


@dataclass(frozen=True)
class Derivation:
    """A derived indicator: its metadata and the function computing it from raw series."""

    id: str
    title: str
    unit: str
    definition: str
    good_direction: str
    inputs: tuple[str, ...]
    compute: Callable[[dict[str, pd.DataFrame]], pd.DataFrame] = field(repr=False)


def _wide(series: dict[str, pd.DataFrame], ids: tuple[str, ...]) -> pd.DataFrame:
    """Inputs side by side on (country, year), keeping only years where all are present."""
    out = None
    for ind in ids:
        part = series[ind][["country", "year", "value", "source", "status"]].rename(
            columns={"value": ind, "source": f"{ind}__source", "status": f"{ind}__status"}
        )
        out = part if out is None else out.merge(part, on=["country", "year"])
    return out


def _joined_sources(frame: pd.DataFrame, ids: tuple[str, ...]) -> pd.Series:
    cols = [f"{i}__source" for i in ids]
    return frame[cols].apply(lambda r: ";".join(dict.fromkeys(";".join(r).split(";"))), axis=1)


def _derived_status(frame: pd.DataFrame, ids: tuple[str, ...]) -> pd.Series:
    """A derived value is a projection when any of its inputs is; otherwise unflagged."""
    cols = [f"{i}__status" for i in ids]
    return frame[cols].eq(PROJECTION).any(axis=1).map({True: PROJECTION, False: ""})


def _change_since_baseline(ind: str, relative: bool):
    def compute(series):
        s = series[ind]
        base = s[s.year == BASELINE_YEAR][["country", "value", "source"]]
        base = base.rename(columns={"value": "base", "source": "base_source"})
        later = s[s.year >= BASELINE_YEAR].merge(base, on="country")
        value = later.value - later.base
        if relative:
            value = value / later.base * 100
        src = later.apply(lambda r: ";".join(dict.fromkeys([r.source, r.base_source])), axis=1)
        status = later.status.where(later.status == PROJECTION, "")
        return pd.DataFrame(
            {
                "country": later.country,
                "year": later.year,
                "value": value,
                "source": src,
                "status": status,
            }
        )

    return compute


def _agri_land_per_person(series):
    ids = ("agricultural_land_pct", "land_area_km2", "population")
    w = _wide(series, ids)
    hectares = w.agricultural_land_pct / 100 * w.land_area_km2 * 100  # 1 km² = 100 ha
    return pd.DataFrame(
        {
            "country": w.country,
            "year": w.year,
            "value": hectares / w.population,
            "source": _joined_sources(w, ids),
            "status": _derived_status(w, ids),
        }
    )


def _agri_land_km2(series):
    ids = ("agricultural_land_pct", "land_area_km2")
    w = _wide(series, ids)
    return pd.DataFrame(
        {
            "country": w.country,
            "year": w.year,
            "value": w.agricultural_land_pct / 100 * w.land_area_km2,
            "source": _joined_sources(w, ids),
            "status": _derived_status(w, ids),
        }
    )


DERIVATIONS: tuple[Derivation, ...] = (
    Derivation(
        "forest_area_change_km2",
        f"Forest area change since {BASELINE_YEAR}",
        "km²",
        f"Forest area in the year minus forest area in {BASELINE_YEAR}, the programme's launch year "
        "(FAO FRA 2020 series).",
        "up",
        ("forest_area_km2",),
        _change_since_baseline("forest_area_km2", relative=False),
    ),
    Derivation(
        "forest_area_change_pct",
        f"Forest area change since {BASELINE_YEAR}",
        f"% of {BASELINE_YEAR} area",
        f"Relative change of forest area against {BASELINE_YEAR} (FAO FRA 2020 series).",
        "up",
        ("forest_area_km2",),
        _change_since_baseline("forest_area_km2", relative=True),
    ),
    Derivation(
        "agricultural_land_km2",
        "Agricultural land area",
        "km²",
        "Agricultural land (share of land area) multiplied by land area.",
        "none",
        ("agricultural_land_pct", "land_area_km2"),
        _agri_land_km2,
    ),
    Derivation(
        "agricultural_land_per_person_ha",
        "Agricultural land per person",
        "ha per person",
        "Agricultural land area (hectares) divided by total population in the same year.",
        "none",
        ("agricultural_land_pct", "land_area_km2", "population"),
        _agri_land_per_person,
    ),
    Derivation(
        "population_change_pct",
        f"Population change since {BASELINE_YEAR}",
        f"% of {BASELINE_YEAR} population",
        f"Relative change of total population against {BASELINE_YEAR}.",
        "none",
        ("population",),
        _change_since_baseline("population", relative=True),
    ),
)


def _split(value) -> tuple[str, ...]:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ()
    return tuple(s.strip() for s in str(value).split(";") if s.strip())


def registry(snapshot: Snapshot | None = None) -> dict[str, Indicator]:
    """Every indicator, raw then derived, by id (in the page's language)."""
    snap = snapshot or load()
    key = ("registry", i18n.language())
    return dict(deps.remembered(snap, key, lambda: _registry(snap)))


def _registry(snap: Snapshot) -> dict[str, Indicator]:
    ru = i18n.language() == "ru"
    out: dict[str, Indicator] = {}
    for r in snap.indicators.itertuples(index=False):
        out[r.id] = Indicator(
            id=r.id,
            title=r.title_ru if ru else r.title,
            unit=r.unit_ru if ru else r.unit,
            definition=r.definition_ru if ru else r.definition,
            good_direction=r.good_direction,
            change_means=r.change_means,
            outcomes=_split(r.outcomes),
            sources=_split(r.source),
            min_value=None if pd.isna(r.min_value) else float(r.min_value),
            max_value=None if pd.isna(r.max_value) else float(r.max_value),
        )
    for d in DERIVATIONS:
        if not all(i in out for i in d.inputs):
            continue
        outcomes = tuple(dict.fromkeys(o for i in d.inputs for o in out[i].outcomes))
        sources = tuple(dict.fromkeys(s for i in d.inputs for s in out[i].sources))
        out[d.id] = Indicator(
            id=d.id,
            title=i18n.t(d.title),
            unit=i18n.t(d.unit),
            definition=i18n.t(d.definition),
            good_direction=d.good_direction,
            outcomes=outcomes,
            sources=sources,
            derived_from=d.inputs,
        )
    return out


def table(
    snapshot: Snapshot | None = None,
    ids: list[str] | None = None,
    projections: bool = False,
) -> pd.DataFrame:
    """Raw and derived values (all, or the given ids):
    `indicator,country,year,value,unit,source,status`.

    Projected values are left out unless `projections` is true (the downloads keep them, with
    their status): a page never shows a projection as an observation. Only the observations
    needed are read, so a page depends on just those indicators.
    """
    snap = snapshot or load()
    key = ("table", i18n.language(), None if ids is None else tuple(sorted(set(ids))))
    out = deps.remembered(snap, key, lambda: _table(snap, ids))
    if not projections:
        out = out[out.status != PROJECTION].reset_index(drop=True)
    return out.copy()


def _table(snap: Snapshot, ids: list[str] | None) -> pd.DataFrame:
    reg = registry(snap)
    wanted = set(reg) if ids is None else set(ids)
    derived = [d for d in DERIVATIONS if d.id in wanted and d.id in reg]
    raw_ids = {i for i in wanted if i in reg and not reg[i].derived}
    raw_ids |= {i for d in derived for i in d.inputs}
    obs = snap.observations_for(raw_ids)
    raw = obs[["indicator", "country", "year", "value", "source", "status"]].copy()
    raw["status"] = raw.status.fillna("")
    series = {i: g.drop(columns="indicator") for i, g in raw.groupby("indicator")}
    parts = [raw[raw.indicator.isin(wanted)]]
    for d in derived:
        if not all(i in series for i in d.inputs):
            continue
        frame = d.compute(series)
        frame.insert(0, "indicator", d.id)
        parts.append(frame)
    out = pd.concat(parts, ignore_index=True)
    out["year"] = out["year"].astype(int)
    out["unit"] = out.indicator.map({k: v.unit for k, v in reg.items()})
    out = out[COLUMNS].sort_values(["indicator", "country", "year", "source"], ignore_index=True)
    return out


def series(indicator: str, snapshot: Snapshot | None = None) -> pd.DataFrame:
    """One indicator's rows from `table()`."""
    t = table(snapshot, [indicator])
    return t[t.indicator == indicator].reset_index(drop=True)


def latest(indicator: str, snapshot: Snapshot | None = None) -> pd.DataFrame:
    """Per country, the most recent value (and its year and source) of one indicator."""
    s = series(indicator, snapshot)
    if s.empty:
        return s
    return s.sort_values("year").groupby("country", as_index=False).tail(1).sort_values("country")


def change_since_baseline(indicator: str, snapshot: Snapshot | None = None) -> pd.DataFrame:
    """Per country: baseline-year value, latest value, absolute and relative change.

    Countries without a value in the baseline year get no change (shown as missing, not guessed).
    """
    s = series(indicator, snapshot)
    rows = []
    for country, g in s.groupby("country"):
        last = g.sort_values("year").iloc[-1]
        base = g[g.year == BASELINE_YEAR]
        b = base.iloc[0] if not base.empty else None
        rows.append(
            {
                "country": country,
                "baseline_year": BASELINE_YEAR if b is not None else None,
                "baseline": b.value if b is not None else None,
                "latest_year": int(last.year),
                "latest": last.value,
                "change": (last.value - b.value) if b is not None else None,
                "change_pct": ((last.value - b.value) / b.value * 100)
                if b is not None and b.value
                else None,
                "source": last.source
                if b is None
                else ";".join(dict.fromkeys([b.source, last.source])),
            }
        )
    return pd.DataFrame(rows)
