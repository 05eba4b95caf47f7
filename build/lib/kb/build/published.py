"""The published downloads under `_build/html/data/` (a contract for readers and reusers)."""

from __future__ import annotations

import json
from pathlib import Path

from kb import csvsafe, indicators
from kb.data import Snapshot
from kb.paths import Paths


def indicator_table(snapshot: Snapshot):
    """Exactly what `indicators.csv` holds: every raw and derived value, projections included
    and marked as such in `status` (the book's pages leave them out)."""
    return indicators.table(snapshot, projections=True)


def write(snapshot: Snapshot, target: Path, paths: Paths) -> list[Path]:
    """Write indicators.csv, projects.csv, the source tables and the data package descriptor.

    Every CSV goes through `kb.csvsafe`: no cell of a download can run as a spreadsheet formula.
    """
    target.mkdir(parents=True, exist_ok=True)
    out = []
    table = indicator_table(snapshot)
    csvsafe.to_csv(table, target / "indicators.csv", index=False)
    out.append(target / "indicators.csv")
    # The snapshot's own tables, whole: the data package's schema describes every column (a
    # grant amount keeps its status: the concept-stage record is not a grant).
    for name in (
        "projects",
        "periods",
        "results",
        "sources",
        "countries",
        "observations",
        "financing",
        "timeline",
        "outcomes",
        "objectives",
        "practices",
        "commitments",
    ):
        csvsafe.copy_table(paths.data / f"{name}.csv", target / f"{name}.csv")
        out.append(target / f"{name}.csv")
    descriptor = json.loads((paths.data / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["resources"].append(
        {
            "name": "indicator_values",
            "path": "indicators.csv",
            "profile": "tabular-data-resource",
            "description": "Every raw and derived indicator value: those the book shows, and "
            "projections (status 'projection'), which the book does not show as observations.",
            "schema": {
                "fields": [
                    {"name": "indicator", "type": "string"},
                    {"name": "country", "type": "string"},
                    {"name": "year", "type": "integer"},
                    {"name": "value", "type": "number"},
                    {"name": "unit", "type": "string"},
                    {
                        "name": "source",
                        "type": "string",
                        "description": "source ids from sources.csv, ';'-separated for derived values",
                    },
                    {
                        "name": "status",
                        "type": "string",
                        "description": "estimate, projection, nowcast or reported (by the country), "
                        "as the publisher flags it; empty where it flags nothing; a derived value "
                        "is a projection when one of its inputs is",
                    },
                ]
            },
        }
    )
    # In the published folder the indicator definitions keep their own file name.
    for res in descriptor["resources"]:
        if res["name"] == "indicators":
            res["path"] = "indicator_definitions.csv"
    csvsafe.copy_table(paths.data / "indicators.csv", target / "indicator_definitions.csv")
    (target / "datapackage.json").write_text(
        json.dumps(descriptor, indent=2, ensure_ascii=False), encoding="utf-8"
    )
    out.append(target / "datapackage.json")
    return out
