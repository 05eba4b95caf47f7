"""What an update changes in the snapshot: values added, withdrawn and revised, per indicator
and country, for an author to review before committing."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Changes:
    added: list[tuple[str, str, int, float]] = field(default_factory=list)
    withdrawn: list[tuple[str, str, int, float]] = field(default_factory=list)
    revised: list[tuple[str, str, int, float, float]] = field(default_factory=list)
    unchanged: int = 0

    @property
    def any(self) -> bool:
        return bool(self.added or self.withdrawn or self.revised)

    def summary(self) -> str:
        return (
            f"{len(self.added)} added, {len(self.withdrawn)} withdrawn, "
            f"{len(self.revised)} revised, {self.unchanged} unchanged"
        )

    def by_series(self) -> list[tuple[str, str, int, int, int]]:
        """(indicator, country, added, withdrawn, revised) for every pair that changed."""
        counts = {
            kind: Counter((r[0], r[1]) for r in rows)
            for kind, rows in (
                ("added", self.added),
                ("withdrawn", self.withdrawn),
                ("revised", self.revised),
            )
        }
        keys = sorted(set().union(*counts.values()))
        return [
            (i, c, counts["added"][i, c], counts["withdrawn"][i, c], counts["revised"][i, c])
            for i, c in keys
        ]

    def markdown(self, dry_run: bool, today: dt.date) -> str:
        """The review file: the summary, changes per series, then every revision, largest first."""
        lines = [
            f"# Snapshot update {today.isoformat()}{' (dry run: nothing written)' if dry_run else ''}",
            "",
            self.summary() + ".",
            "",
            "| indicator | country | added | withdrawn | revised |",
            "|---|---|---:|---:|---:|",
        ]
        lines += [f"| {i} | {c} | {a} | {w} | {r} |" for i, c, a, w, r in self.by_series()]
        lines += ["", "## Revisions, largest first", ""]
        lines += [
            "| indicator | country | year | was | now | change |",
            "|---|---|---:|---:|---:|---:|",
        ]
        for ind, country, year, old, new in self.largest_revisions():
            lines.append(
                f"| {ind} | {country} | {year} | {old:g} | {new:g} | {relative(old, new)} |"
            )
        if self.withdrawn:
            lines += ["", "## Withdrawn (the publisher no longer gives them)", ""]
            lines += [f"- {i} {c} {y}: {v:g}" for i, c, y, v in sorted(self.withdrawn)]
        return "\n".join(lines) + "\n"

    def largest_revisions(self) -> list[tuple[str, str, int, float, float]]:
        return sorted(self.revised, key=lambda r: -_size(r[3], r[4]))


def _size(old: float, new: float) -> float:
    return abs(new - old) / abs(old) if old else abs(new - old)


def relative(old: float, new: float) -> str:
    return f"{(new - old) / old * 100:+.2f} %" if old else f"{new - old:+g}"


def compare(old_rows: list[dict[str, str]], new_rows: list[dict[str, str]]) -> Changes:
    """Old and new observation rows of the updated indicators, keyed by (indicator, country,
    year); values equal to 1e-9 (relative) count as unchanged."""

    def keyed(rows):
        return {(r["indicator"], r["country"], int(r["year"])): float(r["value"]) for r in rows}

    old, new = keyed(old_rows), keyed(new_rows)
    changes = Changes()
    for key in sorted(old.keys() | new.keys()):
        if key not in old:
            changes.added.append((*key, new[key]))
        elif key not in new:
            changes.withdrawn.append((*key, old[key]))
        elif abs(new[key] - old[key]) > 1e-9 * max(abs(old[key]), 1.0):
            changes.revised.append((*key, old[key], new[key]))
        else:
            changes.unchanged += 1
    return changes
