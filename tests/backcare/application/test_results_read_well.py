"""Issue 16, items 3 and 5, in the written report: results that hold together and read well.

Reports are built by hand so each defect of the issue is shown on its own: an empty
headline, near-duplicate cause sets with small percentages, a cause printed beside the
photo finding that contradicts it, a dead end with internal codes, a doubled lead-in,
two numbers for one measurement, English and ids in the Japanese report, and an HTML
page without tables, links or pictures beside their findings.
"""

from __future__ import annotations

import html
import re

import pytest

from backcare.application import render
from backcare.assessment.types import Observation
from backcare.content.program import build_program
from backcare.kernel.units import number
from backcare.reasoning.types import Diagnosis, Explanation
from backcare.report.types import PhotoResult, Report
from backcare.vision.annotate import label_text
from backcare.vision.types import Measurement

LUMBAR_NORMAL = Observation(
    name="forward_bend.lumbar_flexion",
    rating="normal",
    value=40.0,
    unit="deg",
    normal_range=(27.0, 55.0),
    source="Esola 1996",
    confidence=0.8,
    explanation={
        "en": "Your lower back rounds a usual amount as you bend forward.",
        "ja": "前屈での腰の丸まりは標準的です。",
    },
    uncertainty=8.0,
    population="adults (age and sex not given)",
)
KNEE = Observation(
    name="forward_bend.knee_flexion",
    rating="normal",
    value=3.26,
    unit="deg",
    normal_range=(0.0, 15.0),
    source="Perret 2001",
    confidence=0.7,
    explanation={
        "en": "You kept your knees straight as you bent forward.",
        "ja": "前屈の間、膝はまっすぐでした。",
    },
    uncertainty=5.0,
    population="adults",
)
JPEG = (
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xdb\x00C\x00"
    + bytes([8] * 64)
    + b"\xff\xc0\x00\x0b\x08\x00\x01\x00\x01\x01\x01\x11\x00\xff\xc4\x00\x14\x00\x01"
    + bytes(15)
    + b"\x09\xff\xc4\x00\x14\x10\x01"
    + bytes(15)
    + b"\x00\xff\xda\x00\x08\x01\x01\x00\x00?\x00\xd2\xcf \xff\xd9"
)


def expl(causes, plausibility, against=(), evidence=None):
    return Explanation(
        causes=tuple(causes),
        cost=1.0,
        plausibility=plausibility,
        explains=(),
        unexplained=(),
        against=tuple(against),
        evidence=evidence or dict.fromkeys(causes, ("worse_bending",)),
    )


def report(
    explanations, language="en", referral=None, unexplained=(), observations=(LUMBAR_NORMAL,)
):
    dx = Diagnosis(explanations=tuple(explanations), referral=referral, unexplained=unexplained)
    program = build_program(
        Diagnosis(explanations=dx.explanations, referral=referral),
        list(observations),
        frozenset({"worse_bending"}),
        {"pain": 4},
        language,
    )
    photo = PhotoResult(
        step="forward_bend",
        source="forward_bend.jpg",
        accepted=True,
        view="side",
        measurements={"knee_flexion": Measurement("knee_flexion", 3.26, "deg", 0.7, "t")},
        annotated_jpeg=JPEG,
    )
    return Report(
        created="2026-12-04T10:00:00+00:00",
        language=language,
        facts=("worse_bending",),
        scores={"pain": 4, "startback_total": 3},
        photos=(photo,),
        observations=tuple(observations),
        diagnosis=dx,
        program=program,
        referral=referral,
    )


def section(text: str, heading: str) -> str:
    """The lines of ``text`` from ``heading`` to the next blank line."""
    start = text.index(heading)
    end = text.find("\n\n", start)
    return text[start : end if end >= 0 else None]


def test_nothing_standing_out_is_said_never_an_empty_headline():
    # issue 16: "What most likely keeps your back pain going:" with nothing under it
    for language, words in (
        ("en", "Nothing in your answers"),
        ("ja", "目立つものは見つかりません"),
    ):
        r = report([expl([], 1.0)], language)
        _, lines = render.cause_lines(r)
        assert lines and words in lines[0]
        assert not any(line.startswith("•") for line in lines)
        assert r.program is not None and len(r.program.exercises) >= 3  # the general program


def test_each_cause_is_named_once_and_the_patient_sees_no_percentages():
    # issue 16: "also possible" repeated the headline's causes with small percentages
    r = report(
        [
            expl(["flexion_impairment"], 0.5),
            expl(["flexion_impairment", "sitting_posture"], 0.3),
            expl(["flexion_impairment", "deconditioning"], 0.2),
        ]
    )
    causes = section(render.to_text(r), "What most likely keeps")
    assert causes.count("flexion-related movement pattern") == 1
    assert "%" not in causes
    also = [line for line in causes.splitlines() if line.startswith("Also possible")]
    assert len(also) == 1 and "slumped posture" in also[0] and "fitness" in also[0]


def test_a_cause_says_plainly_that_the_photos_did_not_show_it():
    # issue 16: the top cause beside the photo finding that contradicts it, without a word
    r = report([expl(["flexion_impairment"], 1.0, against=("forward_bend.lumbar_flexion=normal",))])
    # with nothing in the photos for it, the cause is only "possible"
    causes = section(render.to_text(r), "What may keep your back pain going")
    assert (
        "The photos did not show this: Your lower back rounds a usual amount as you bend forward."
        in causes
    )


def test_findings_no_cause_explains_get_a_program_and_plain_words_never_a_code():
    # issue 16: a dead end ("ask a physiotherapist") with forward_bend.trunk_inclination=insufficient
    r = report(
        [expl(["flexion_impairment"], 1.0)],
        referral="unexplained",
        unexplained=("forward_bend.trunk_inclination=insufficient",),
    )
    text = render.to_text(r)
    assert r.program is not None and "Your exercise program" in text
    assert "how far you bend forward: less than usual" in text
    assert "physiotherapist" in section(text, "General advice")
    assert not re.search(r"\b[a-z_]+\.[a-z_]+=[a-z_]+", text.split("For your clinician")[0])


def test_the_if_worse_section_does_not_repeat_its_heading():
    # issue 16: "If the pain gets worse: If your pain gets worse:" in both languages
    for language in ("en", "ja"):
        text = render.to_text(report([expl(["flexion_impairment"], 1.0)], language))
        heading = render.texts().get("if_worse", language)
        body = section(text, heading).splitlines()[2]
        assert not body.startswith(("If your pain", "If the pain", "痛みが悪化", "痛みが強く"))


def test_the_picture_and_the_report_give_the_same_number():
    # issue 16: the picture and the report gave different numbers for the same measurement
    r = report([expl(["flexion_impairment"], 1.0)], observations=(LUMBAR_NORMAL, KNEE))
    measured = r.photos[0].measurements["knee_flexion"]
    on_picture = label_text("knee_flexion", measured)
    row = next(row for row in render.clinician_rows(r) if row[0].startswith("knee bend"))
    shown = number(KNEE.value, "deg").rstrip("°")
    assert on_picture == f"Knee +{shown}°" and row[1].startswith(f"{shown} ± ")


def test_the_japanese_report_shows_no_ids_and_no_english_to_the_patient():
    r = report(
        [expl(["flexion_impairment"], 1.0, against=("forward_bend.lumbar_flexion=normal",))],
        "ja",
        observations=(LUMBAR_NORMAL, KNEE),
    )
    clinician = render.texts().get("clinician", "ja")
    patient = "\n".join(
        line for heading, lines in render.sections(r) if heading != clinician for line in lines
    )
    patient = re.sub(r"https?://\S+", "", patient)
    assert not re.search(r"[a-z_]+\.[a-z_]+", patient), "an internal id in the Japanese report"
    names = r"STarT Back|McKenzie|NICE NG59|BMI"  # a tool, a method, a guideline, an index
    words = set(re.findall(r"[A-Za-z]{3,}", re.sub(names, "", patient)))
    assert not words, f"English in the Japanese report: {sorted(words)}"
    table = render.clinician_rows(r)
    assert all(not re.search(r"[a-z]+_[a-z]+", row[0]) for row in table)
    assert {row[3] for row in table} <= {"成人", "成人（年齢・性別の回答なし）"}


def test_the_html_report_is_self_contained_with_tables_links_and_pictures_beside_findings():
    page = render.to_html(report([expl(["flexion_impairment"], 1.0)], observations=(KNEE,)))
    assert not re.search(r'src="(?!data:)', page), "every picture embedded"
    block = re.search(r'<div class="finding".*?</div></div>', page, re.S)
    assert block and 'src="data:image/jpeg;base64,' in block.group(0)
    assert "You kept your knees straight" in block.group(0)  # the finding beside its picture
    assert '<table class="measurements">' in page and "<tbody><tr>" in page
    assert re.search(r'<a href="https?://[^"]+">', page)
    assert "@media print" in page


def test_every_cause_the_program_works_on_is_named_for_the_patient():
    r = report(
        [
            expl(["flexion_impairment"], 0.82),
            expl(["flexion_impairment", "psychosocial_risk"], 0.18),
        ]
    )
    assert r.program is not None and "psychosocial_risk" in r.program.causes
    _, lines = render.cause_lines(r)
    assert any("Worry, low mood or fear of movement" in line for line in lines)


@pytest.mark.parametrize("urgency", ["emergency", "urgent", "soon"])
def test_a_red_flag_stop_names_no_mechanical_cause_to_the_patient(urgency):
    # issue 16 (audit): "see a doctor today" for a cancer history, then "What may keep
    # your back pain going: your lower back rounds too easily": reassurance where a doctor
    # must look first. The clinician's section keeps the causes.
    r = report([expl(["flexion_impairment"], 0.9)], referral=urgency)
    heading = render._t("en", "causes_likely")
    for text, written in ((render.to_markdown(r), str), (render.to_html(r), html.escape)):
        assert written(render._t("en", f"referral_{urgency}")) in text
        assert written(heading) not in text
    md = render.to_markdown(r)
    clinician = md[md.index(render._t("en", "clinician")) :]
    assert render.cause_text("flexion_impairment", "en") in clinician
    routine = report([expl(["flexion_impairment"], 0.9)], referral="routine")
    assert heading in render.to_markdown(routine)


def test_the_clinician_reads_what_a_causes_percentage_means():
    # issue 16 (audit): the clinician's table gave the top cause "100%" while the patient
    # read "the evidence is not strong": the share is relative to the alternatives found
    r = report([expl(["flexion_impairment"], 1.0)])
    note = render._t("en", "clinician_plausibility")
    assert "not a probability" in note
    assert note in render.to_markdown(r)
    assert html.escape(note) in render.to_html(r)
