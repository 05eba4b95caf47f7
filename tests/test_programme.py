"""The programme as its founding document describes it: outcome groups, spans, money, dates."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from kb import facts, indicators, outcomes, programme, projects
from kb.data import load

ROOT = Path(__file__).resolve().parents[1]
FOUNDING = sorted((ROOT.parent / "shared" / "founding").glob("*.txt"))
NUMERALS = ["i", "ii", "iii", "iv", "v", "vi"]
STOP = set("the of in and to for by through with a an its their cacs cac s".split())


def _words(text: str) -> set[str]:
    return {
        w
        for w in re.findall(r"[a-z]+", text.lower().replace("favorable", "favourable"))
        if w not in STOP
    }


def founding_groups() -> dict[str, str]:
    """The six outcome groups as FAO's CACILM page lists them: `(i) …;` up to `(vi) ….`"""
    text = FOUNDING[0].read_text(encoding="utf-8")
    part = text[text.index("divided into six groups") :]
    found = re.findall(r"^\((i|ii|iii|iv|v|vi)\) (.+?)(?:; and|;|\.)$", part, re.M)
    return dict(found)


@pytest.mark.skipif(not FOUNDING, reason="the founding document lies beside the repository")
def test_outcome_groups_are_the_founding_documents_six_in_its_order():
    groups = founding_groups()
    assert list(groups) == NUMERALS
    snap = load()
    assert list(snap.outcomes.id) == [f"og{i}" for i in range(1, 7)]
    assert list(snap.outcomes.numeral) == NUMERALS
    assert set(snap.outcomes.source) == {"fao-nd-cacilm-project"}
    for row in snap.outcomes.itertuples():
        theirs, ours = _words(groups[row.numeral]), _words(row.title)
        # The title keeps the group's own words (most of the founding wording, little else).
        assert len(theirs & ours) >= 0.6 * len(theirs), (row.id, theirs - ours)
        assert len(ours - theirs) <= 0.4 * len(ours), (row.id, ours - theirs)


def test_parser_of_the_founding_list_finds_a_missing_group(tmp_path):
    text = "divided into six groups:\n(i) Alpha beta;\n(ii) Gamma.\n"
    assert re.findall(r"^\((i|ii|iii|iv|v|vi)\) (.+?)(?:; and|;|\.)$", text, re.M) == [
        ("i", "Alpha beta"),
        ("ii", "Gamma"),
    ]


def test_no_page_claims_the_outcome_list_is_unavailable():
    book = ROOT / "book"
    for path in list(book.rglob("*.md")) + list((ROOT / "locales").rglob("*.po")):
        lines = path.read_text(encoding="utf-8").splitlines()
        text = " ".join(ln.strip().strip('"') for ln in lines if not ln.startswith("#~"))
        assert "do not contain a list of six" not in text, path
        assert "не содержат перечня шести" not in text, path


def test_land_state_indicators_evidence_groups_iii_and_iv():
    reg = indicators.registry(load())
    assert set(reg["land_degraded_pct"].outcomes) == {"og3", "og4"}
    assert reg["forest_area_pct"].outcomes == ("og4",)
    assert reg["agricultural_land_pct"].outcomes == ("og3",)


def test_every_outcome_group_has_projects_and_results_or_says_none():
    snap = load()
    for og in snap.outcomes.id:
        shown = outcomes.results_table(og, snap).data
        reported = outcomes.results(og, snap)
        if reported.empty:
            assert "No source we could read reports a result" in shown
        else:
            assert all(html.escape(str(r)) in shown for r in reported.result), og
    # Results the research holds are on their groups' pages.
    og3 = outcomes.results_table("og3", snap).data
    assert "Desert land restored" in og3 and "successful" in og3


def test_concept_stage_record_is_never_counted_as_a_grant():
    snap = load()
    record = snap.projects.set_index("id").loc["reg-cacilm-cmpf-gef"]
    assert record.gef_grant_status == "concept"
    assert "reg-cacilm-cmpf-gef" not in set(projects.grants(snap).id)
    counted = projects.phase_counts(snap).set_index("phase").gef_reported
    expected = snap.projects[
        (snap.projects.phase == "phase1") & (snap.projects.gef_grant_status == "reported")
    ]
    assert counted["CACILM Phase 1"] == len(expected)
    assert "not a grant" in projects.table(snap, phase="phase1").data


def test_spans_keep_phase_one_framework_and_both_cacilm_twos_apart():
    snap = load()
    spans = snap.periods.set_index("id")
    assert {"framework", "phase1", "cacilm-ii", "cacilm2-planned", "cacilm2-extended"} <= set(
        spans.index
    )
    assert spans.at["framework", "end"][:4] != spans.at["cacilm2-planned", "start"][:4]
    assert not (set(snap.timeline.phase) - set(programme.PHASE_NAMES))
    # CACILM II (2013) and CACILM 2 (2017) are different phases of the timeline.
    phase = snap.timeline.set_index("id").phase
    assert phase["km-inception"] == "cacilm-ii" and phase["cacilm2-launch"] == "cacilm2"


def test_a_workshop_after_the_extended_end_is_shown_as_a_disagreement():
    snap = load()
    found = programme.period_disagreements(snap)
    assert ("cacilm2-extended", "cacilm2-final-workshop") in set(
        zip(found.period, found.event, strict=True)
    )
    assert "the sources disagree" in programme.disagreement_notes(snap).data


def test_unccd_membership_dates_disagree_and_both_are_kept():
    tl = load().timeline.set_index("id")
    assert tl.at["all-unccd-by-1997", "source"] != tl.at["kgz-unccd", "source"]
    assert tl.at["kgz-unccd", "date"][:4] > tl.at["all-unccd-by-1997", "date"][:4]


def test_change_is_counted_from_the_launch_year_in_the_data():
    assert indicators.BASELINE_YEAR == programme.launch_year(load())


def test_fact_roles_format_dates_and_amounts_per_language():
    data = ROOT / "data"
    assert facts.render(data, "date", "phase1-launch", "en") == "16 November 2006"
    assert facts.render(data, "date", "phase1-launch", "ru") == "16 ноября 2006 г."
    assert facts.render(data, "amount", "fin-07-phase1-gef-grant", "en") == "US$21.8 million"
    assert facts.render(data, "amount", "fin-07-phase1-gef-grant", "ru") == "21,8 млн долл. США"
    assert facts.months_text(36, "ru") == "3 года" and facts.months_text(60, "ru") == "5 лет"
    with pytest.raises(facts.UnknownFact):
        facts.render(data, "date", "no-such-event", "en")
