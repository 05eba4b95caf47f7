"""What a publisher's API gave for one series: the shape every `kb.update` publisher returns."""

from __future__ import annotations

from dataclasses import dataclass

Row = tuple[str, int, float, str, str]
"""(country ISO3, year, value, status, note): status is the snapshot's word for the publisher's
flag (estimate, projection, nowcast, reported, or empty); the note keeps the flag as given."""


@dataclass(frozen=True)
class Fetched:
    indicator: str
    series: str  # the publisher's series code
    name: str  # the series' name, as the publisher gives it
    rows: tuple[Row, ...]
    request: str  # the API request, for the source row
    vintage: str  # the publisher's release or last-updated mark, as the response gives it
    served: str = ""  # the date the response says it was prepared, where it says one
