"""Page families: which notebook template is executed with which parameters, and where it goes.

One template per family (country, outcome, …); `jobs()` lists every page the book builds from
templates. `_toc.yml` points at the generated paths; a test keeps the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from kb.data import Snapshot, load


@dataclass(frozen=True)
class Job:
    """One papermill run: template × parameters → a generated notebook."""

    template: str  # file name under book/templates/, e.g. "country.md"
    output: str  # path under book/_generated/ without suffix, e.g. "countries/kaz"
    parameters: dict = field(default_factory=dict)
    title: str = ""  # substituted for {{ title }} in markdown cells

    @property
    def lang(self) -> str:
        return str(self.parameters.get("lang", "en"))

    @property
    def name(self) -> str:
        return self.output if self.lang == "en" else f"{self.lang}/{self.output}"

    def output_path(self, paths) -> Path:
        """English pages go to `book/_generated/`, other editions to their source mirror."""
        return paths.generated_for(self.lang) / f"{self.output}.ipynb"

    def site_root(self) -> str:
        """Relative URL from this page to the site root (`_generated/countries/kaz` → `../../`)."""
        return "../" * (len(Path("_generated", self.output).parts) - 1)

    def charts_root(self) -> str:
        """Relative URL to the top of the whole site, where the shared `charts/` folder is."""
        return self.site_root() + ("" if self.lang == "en" else "../")

    def context(self) -> dict:
        return {
            "title": self.title,
            "slug": Path(self.output).name,
            **{k: str(v) for k, v in self.parameters.items()},
        }


SINGLE_PAGES = (
    ("home.md", "home", "CACILM Knowledge Base"),
    ("timeline.md", "programme/timeline", "Timeline and duration"),
    ("financing.md", "programme/financing", "Financing"),
    ("evidence.md", "programme/evidence", "Indicators for the benefits and objectives"),
    ("projects.md", "projects/catalogue", "Projects by country"),
    ("practices.md", "practices/catalogue", "Practices on the ground"),
    ("indicators.md", "indicators/catalogue", "Indicator catalogue"),
    ("sources.md", "reference/sources", "Data sources"),
)


TITLED_FROM_DATA = ("project.md",)
"""Templates whose page title is a data value: each edition's job carries it in its language."""


def jobs(snapshot: Snapshot | None = None, lang: str = "en") -> list[Job]:
    """Every generated page of the book, in table-of-contents order."""
    snap = snapshot or load()
    # Markdown keeps the English title in every edition: the Russian build translates the
    # page's Markdown through its gettext catalogue, whose entries are the English text.
    out = [Job(t, o, {"lang": lang}, title) for t, o, title in SINGLE_PAGES]
    # One page per catalogued project. Its title is data, so each edition's job carries the
    # title in its own language (no page catalogue to keep per project; see kb.build.translations).
    for row in snap.projects.itertuples(index=False):
        title = row.title_ru if lang == "ru" and isinstance(row.title_ru, str) else row.title
        out.append(
            Job("project.md", f"projects/{row.id}", {"project": row.id, "lang": lang}, title)
        )
    for iso3 in snap.countries.iso3:
        out.append(
            Job(
                "country.md",
                f"countries/{iso3.lower()}",
                {"country": iso3, "lang": lang},
                snap.country_name(iso3, "en", form="full"),
            )
        )
    from kb import workshops

    out.append(Job("workshop_agenda.md", "workshops/agenda", {"lang": lang}, "Workshop agenda"))
    for m in workshops.modules():
        out.append(Job(m.template.name, f"workshops/{m.slug}", {"lang": lang}, m.title))
    for row in snap.outcomes.itertuples(index=False):
        out.append(
            Job("outcome.md", f"outcomes/{row.id}", {"outcome": row.id, "lang": lang}, row.title)
        )
    return out


def check_toc(jobs_: list[Job], paths) -> None:
    """Every generated page must be in `_toc.yml`, and every `_generated/` entry must be a job."""
    import yaml

    from kb.errors import KbError

    def files(node):
        if isinstance(node, dict):
            if "file" in node:
                yield node["file"]
            for value in node.values():
                yield from files(value)
        elif isinstance(node, list):
            for item in node:
                yield from files(item)

    toc = yaml.safe_load(paths.toc.read_text(encoding="utf-8"))
    listed = {f for f in files(toc) if f.startswith("_generated/")} | (
        {toc["root"]} if str(toc.get("root", "")).startswith("_generated/") else set()
    )
    wanted = {f"_generated/{j.output}" for j in jobs_}
    problems = [
        f"_toc.yml:1: generated page {p} is missing from the table of contents"
        for p in sorted(wanted - listed)
    ]
    problems += [
        f"_toc.yml:1: {p} is not produced by any template (see kb/pages.py)"
        for p in sorted(listed - wanted)
    ]
    if problems:
        raise KbError(problems)
