"""The knowledge base file: the shipped one is complete and cited, and every
kind of mistake an admin can make is reported with file, line and entry."""

from __future__ import annotations

import pytest

from backcare.kernel.vocabulary import parse as parse_vocabulary
from backcare.kernel.vocabulary import vocabulary
from backcare.kernel.yamlfile import DataFileError, loads
from backcare.reasoning.knowledge import PATH, load_knowledge_base, parse
from backcare.reasoning.model import ABNORMAL, NOT, REFER, is_atom, split_atom

# -- the shipped base --------------------------------------------------------------------

MOVEMENT_PATTERNS = (
    "flexion_impairment",
    "extension_impairment",
    "rotation_impairment",
    "hamstring_shortness",
    "hip_flexor_shortness",
    "thoracic_stiffness",
    "standing_posture",
)


def test_the_shipped_base_loads_and_has_an_entry_for_every_vocabulary_cause(kb):
    assert kb.path == str(PATH)
    assert set(kb.causes) == set(vocabulary().causes)


def test_every_rule_of_the_shipped_base_cites_a_listed_source(kb):
    for cause in kb.causes.values():
        assert cause.sources and set(cause.sources) <= set(kb.sources), cause.name
        for item, sources in cause.explains.items():
            assert sources and set(sources) <= set(kb.sources), (cause.name, item)
        for rule in (
            cause.against + cause.more_likely_with + cause.less_likely_with + cause.contributes_to
        ):
            assert rule.sources and set(rule.sources) <= set(kb.sources), (cause.name, rule.item)


def test_every_red_flag_is_accounted_for_by_refer_clinician(kb):
    assert set(kb.red_flags) == set(vocabulary().red_flags())
    assert set(kb.red_flags) <= set(kb.causes[REFER].explains)


def test_every_observation_has_an_abnormal_rating_some_cause_explains(kb):
    explained = {split_atom(i)[0] for c in kb.causes.values() for i in c.explains if is_atom(i)}
    assert explained == set(kb.observations)


def test_normal_ratings_speak_against_the_movement_patterns_that_predict_otherwise(kb):
    for name in MOVEMENT_PATTERNS:
        cause = kb.causes[name]
        predicted = {split_atom(i)[0] for i in cause.explains if is_atom(i)}
        normal = [w.item for w in cause.against if w.item.endswith("=normal")]
        assert normal, name
        assert all(split_atom(a)[0] in predicted for a in normal), name


def test_facts_weaken_or_strengthen_causes_and_denied_symptoms_speak_against_them(kb):
    flexion = kb.causes["flexion_impairment"]
    assert "sitting_long" in {w.item for w in flexion.more_likely_with}
    assert "better_sitting" in {w.item for w in flexion.less_likely_with}
    assert NOT + "worse_bending" in {w.item for w in flexion.against}


# -- validation -----------------------------------------------------------------------------

TINY_VOCABULARY = """
movements:
  bend: {expects: forward_bend, view: side, en: "Bend", ja: "前屈"}
observations:
  bend.hip: {movement: bend, part: hip, en: "hip", ja: "股関節"}
  bend.back: {movement: bend, part: lower_back, en: "back", ja: "腰"}
facts:
  sits: {en: "sits", ja: "座る"}
  hurts: {en: "hurts", ja: "痛い"}
  flag: {en: "flag", ja: "旗", red_flag: urgent}
causes:
  stiff: {en: "stiff", ja: "硬い"}
  loose: {en: "loose", ja: "緩い"}
  refer_clinician: {en: "refer", ja: "紹介"}
"""

GOOD = """\
version: 1
sources:
  s1: "Author A. Title. Journal. 2001."
causes:
  stiff:
    cost: 3.0
    sources: [s1]
    explains:
      bend.hip=insufficient: s1
      hurts: s1
    against:
      bend.hip=normal: {weight: 1.0, source: s1}
    more_likely_with:
      sits: {weight: 0.5, source: s1}
    contributes_to:
      loose: {weight: 0.5, source: s1}
  loose:
    cost: 2.0
    sources: s1
    explains:
      bend.back=excessive: [s1]
  refer_clinician:
    cost: 2.0
    sources: s1
    explains:
      flag: s1
cannot_co_occur:
  - atoms: [bend.hip=insufficient, bend.back=excessive]
    source: s1
"""


def tiny_vocabulary():
    return parse_vocabulary(loads(TINY_VOCABULARY, "vocab.yaml"), "vocab.yaml")


def load_text(text: str):
    return parse(loads(text, "kb.yaml"), "kb.yaml", tiny_vocabulary())


def problems(text: str) -> list[str]:
    with pytest.raises(DataFileError) as err:
        load_text(text)
    return [str(p) for p in err.value.problems]


def line_of(text: str, fragment: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if fragment in line)


def test_a_well_formed_base_loads_into_causes_rules_and_groups():
    kb = load_text(GOOD)
    assert list(kb.causes) == ["stiff", "loose", "refer_clinician"]
    stiff = kb.causes["stiff"]
    assert stiff.explains == {"bend.hip=insufficient": ("s1",), "hurts": ("s1",)}
    assert [(w.item, w.weight) for w in stiff.against] == [("bend.hip=normal", 1.0)]
    assert kb.cannot_co_occur == (("bend.back=excessive", "bend.hip=insufficient"),)
    assert kb.red_flags == {"flag": "urgent"}


def test_the_loader_reads_the_shipped_file_from_a_path(tmp_path):
    path = tmp_path / "kb.yaml"
    path.write_text(GOOD, encoding="utf-8")
    assert set(load_knowledge_base(path, tiny_vocabulary()).causes) == {
        "stiff",
        "loose",
        "refer_clinician",
    }


@pytest.mark.parametrize(
    "old, new, fragment, message",
    [
        (
            "bend.hip=insufficient: s1",
            "bend.knee=insufficient: s1",
            "bend.knee",
            "unknown observation atom or fact",
        ),
        (
            "bend.hip=insufficient: s1",
            "bend.hip=normal: s1",
            "bend.hip=normal: s1",
            "a normal rating needs no explanation",
        ),
        ("      hurts: s1", "      hurts: s9", "hurts: s9", "unknown source 's9'"),
        (
            "      sits: {weight: 0.5, source: s1}",
            "      sits: {weight: -1, source: s1}",
            "sits: {weight: -1",
            "must be greater than 0",
        ),
        (
            "      sits: {weight: 0.5, source: s1}",
            "      sits: {weight: lots, source: s1}",
            "sits: {weight: lots",
            "expected float",
        ),
        (
            "      sits: {weight: 0.5, source: s1}",
            "      sits: {weight: 0.5}",
            "sits: {weight: 0.5}",
            "cite a source",
        ),
        (
            "      sits: {weight: 0.5, source: s1}",
            "      naps: {weight: 0.5, source: s1}",
            "naps:",
            "unknown fact",
        ),
        (
            "      bend.hip=normal: {weight: 1.0, source: s1}",
            "      hurts: {weight: 1.0, source: s1}",
            "hurts: {weight: 1.0",
            "goes under less_likely_with",
        ),
        (
            "      loose: {weight: 0.5, source: s1}",
            "      stiff: {weight: 0.5, source: s1}",
            "stiff: {weight: 0.5",
            "must name another cause",
        ),
        ("    cost: 3.0", "    cost: 3.0\n    colour: red", "colour: red", "unknown field"),
        # names YAML reads as a number or a boolean: reported, not a crash of the loader
        ("bend.hip=insufficient: s1", "42: s1", "42: s1", "expected a name as text, got int"),
        (
            "      bend.hip=normal: {weight: 1.0, source: s1}",
            "      1.5: {weight: 1.0, source: s1}",
            "1.5: {weight",
            "expected a name as text, got float",
        ),
        (
            "      sits: {weight: 0.5, source: s1}",
            "      yes: {weight: 0.5, source: s1}",
            "yes: {weight",
            "expected a name as text, got bool",
        ),
    ],
)
def test_a_bad_entry_is_reported_with_file_line_and_field(old, new, fragment, message):
    text = GOOD.replace(old, new, 1)
    assert text != GOOD
    found = problems(text)
    assert any(
        message in p and p.startswith(f"kb.yaml:{line_of(text, fragment)}:") and "causes.stiff" in p
        for p in found
    ), found


def test_a_cause_that_explains_nothing_can_never_be_supported():
    text = GOOD.replace("    explains:\n      bend.back=excessive: [s1]\n", "")
    assert any(
        "causes.loose.explains" in p and "no observation or fact could ever support" in p
        for p in problems(text)
    )


def test_a_cycle_in_the_causal_chain_is_refused_naming_the_cycle():
    text = GOOD.replace(
        "      bend.back=excessive: [s1]\n",
        "      bend.back=excessive: [s1]\n    contributes_to:\n      stiff: {weight: 0.5, source: s1}\n",
    )
    found = problems(text)
    assert any(
        "cycle in contributes_to" in p
        and ("stiff -> loose -> stiff" in p or "loose -> stiff -> loose" in p)
        and p.startswith("kb.yaml:")
        for p in found
    ), found


@pytest.mark.parametrize(
    "old, new, message",
    [
        (
            "    against:\n      bend.hip=normal: {weight: 1.0, source: s1}\n",
            "    against:\n      bend.hip=insufficient: {weight: 1.0, source: s1}\n",
            "both explains it and is weakened by it",
        ),
        (
            "    contributes_to:\n",
            "    less_likely_with:\n      sits: {weight: 0.5, source: s1}\n    contributes_to:\n",
            "also listed under less_likely_with",
        ),
        (
            "    contributes_to:\n      loose: {weight: 0.5, source: s1}\n",
            "    contributes_to:\n      loose: {weight: 0.5, source: s1}\n    excludes:\n      loose: s1\n",
            "also exclude each other",
        ),
        (
            "    explains:\n      bend.back=excessive: [s1]\n",
            "    explains:\n      bend.back=excessive: [s1]\n      bend.hip=insufficient: s1\n",
            "explains all of them, but they cannot occur together",
        ),
        (
            "      loose: {weight: 0.5, source: s1}",
            "      loose: {weight: 1.9, source: s1}",
            "would push its cost below min_cause_cost",
        ),
    ],
)
def test_conflicting_rules_and_constraints_are_refused(old, new, message):
    text = GOOD.replace(old, new, 1)
    assert text != GOOD
    found = problems(text)
    assert any(message in p and p.startswith("kb.yaml:") for p in found), found


def test_a_vocabulary_cause_without_an_entry_and_an_unexplained_red_flag_are_refused():
    text = GOOD.replace(
        "  refer_clinician:\n    cost: 2.0\n    sources: s1\n    explains:\n      flag: s1\n", ""
    )
    found = problems(text)
    assert any("causes.refer_clinician" in p and "could never be concluded" in p for p in found), (
        found
    )
    assert any("red-flag fact 'flag'" in p for p in found), found


def test_an_uncited_source_and_a_bad_group_are_refused():
    text = GOOD.replace(
        '  s1: "Author A. Title. Journal. 2001."',
        '  s1: "Author A. Title. Journal. 2001."\n  s2: "Nobody. Never cited. 1999."',
    )
    text = text.replace(
        "[bend.hip=insufficient, bend.back=excessive]",
        "[bend.hip=insufficient, bend.hip=excessive]",
    )
    found = problems(text)
    assert any(
        p.startswith(f"kb.yaml:{line_of(text, 's2:')}:") and "never cited" in p for p in found
    ), found
    assert any("different observations" in p for p in found), found


def test_every_problem_is_reported_at_once():
    text = GOOD.replace("hurts: s1", "hurts: s9").replace(
        "bend.back=excessive: [s1]", "bend.neck=excessive: [s1]"
    )
    found = problems(text)
    assert len(found) >= 2
    assert any("s9" in p for p in found) and any("bend.neck" in p for p in found)


def test_settings_are_validated():
    text = GOOD.replace(
        "version: 1\n",
        "version: 1\nsettings:\n  min_cause_cost: 0\n  unexplained:\n"
        "    observation: -1\n  refer_unexplained:\n    share: 1.5\n",
    )
    found = problems(text)
    for field in (
        "settings.min_cause_cost",
        "settings.unexplained.observation",
        "settings.refer_unexplained.share",
    ):
        assert any(field in p for p in found), (field, found)


def test_abnormal_ratings_are_the_only_findings(kb):
    for cause in kb.causes.values():
        assert all(split_atom(i)[1] in ABNORMAL for i in cause.explains if is_atom(i))
