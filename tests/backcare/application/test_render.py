"""The written report: every format tells the same story, escapes text, carries no pictures."""

from __future__ import annotations

import json

from backcare.application import render
from backcare.assessment.types import Observation
from backcare.content.types import Dose, Prescription, Program
from backcare.kernel.languages import LANGUAGES
from backcare.reasoning.types import Diagnosis, Explanation
from backcare.report.types import PhotoResult, Report
from backcare.vision.types import Measurement


def _observation(name="forward_bend.hip_flexion", rating="insufficient", value=38.0):
    return Observation(
        name=name,
        rating=rating,
        value=value,
        unit="deg",
        normal_range=(60.0, 90.0),
        source="Esola 1996 <b>",
        confidence=0.8,
        explanation={
            "en": "You bent little from your hips.",
            "ja": "股関節があまり曲がっていません。",
        },
    )


def _report(referral=None, language="en", program=True):
    expl = Explanation(
        causes=("flexion_impairment",),
        cost=2.0,
        plausibility=0.7,
        explains=("forward_bend.hip_flexion=insufficient", "worse_bending"),
        unexplained=(),
        against=("standing.lumbar_lordosis=normal", "not:worse_sitting"),
        evidence={"flexion_impairment": ("forward_bend.hip_flexion=insufficient", "worse_bending")},
    )
    prog = (
        Program(
            exercises=(
                Prescription(
                    exercise_id="hip_hinge",
                    name={"en": "Hip hinge", "ja": "ヒップヒンジ"},
                    instructions={"en": "...", "ja": "..."},
                    dose=Dose(sets=2, reps=10, hold_s=None, days_per_week=5),
                    why={"en": "Your hips bent little.", "ja": "股関節の動きが少ないため。"},
                    video_url="https://example.org/hinge",
                    progression={"en": "", "ja": ""},
                    regression={"en": "", "ja": ""},
                    stop_if={"en": "", "ja": ""},
                ),
            ),
            advice={"en": ("Stay active.",), "ja": ("活動を続けましょう。",)},
            if_worse={
                "en": "Rest a day, then restart gently.",
                "ja": "1日休んで、軽く再開しましょう。",
            },
        )
        if program
        else None
    )
    photo = PhotoResult(
        step="forward_bend",
        source="fb.jpg",
        accepted=True,
        view="side",
        measurements={"hip_flexion": Measurement("hip_flexion", 38.0, "deg", 0.8, "3d-world")},
        annotated_jpeg=b"\xff\xd8not-really-a-jpeg",
    )
    refused = PhotoResult(
        step="standing_side", source="<script>.jpg", accepted=False, reason="too_dark"
    )
    return Report(
        created="2026-11-25T05:00:00+00:00",
        language=language,
        facts=("worse_bending",),
        scores={"pain": 6},
        photos=(photo, refused),
        observations=(_observation(),),
        diagnosis=Diagnosis(explanations=(expl,), referral=referral, solve_ms=1.2),
        program=prog,
        referral=referral,
    )


def test_text_report_names_the_cause_its_evidence_the_program_and_the_refused_photo():
    text = render.to_text(_report())
    assert "flexion-related movement pattern" in text
    assert "pain worse when bending forward" in text  # evidence in plain words
    assert "Hip hinge - 2 x 10, 5 days a week" in text
    assert "too dark" in text and "<script>.jpg" in text
    assert "not the case: pain worse when sitting" in text  # a denied symptom in plain words
    assert "Backward bend: no photo" in text  # missing steps are named
    assert "not a diagnosis" in text


def test_html_escapes_every_piece_of_text():
    page = render.to_html(_report(), {"forward_bend": "forward_bend.annotated.jpg"})
    assert "<script>" not in page and "&lt;script&gt;.jpg" in page
    assert "Esola 1996 &lt;b&gt;" in page
    # self-contained: the picture in memory is embedded, not linked to a file
    assert '<img src="data:image/jpeg;base64,' in page
    assert "forward_bend.annotated.jpg" not in page


def test_json_is_valid_and_holds_no_picture_bytes():
    data = json.loads(render.to_json(_report()))
    assert data["photos"][0]["measurements"]["hip_flexion"]["value"] == 38.0
    assert "annotated_jpeg" not in data["photos"][0]
    assert data["diagnosis"]["explanations"][0]["causes"] == ["flexion_impairment"]


def test_a_referral_comes_first_and_in_the_patients_language():
    text = render.to_text(_report(referral="emergency", language="ja", program=False))
    body = text.split("\n", 3)[3]
    assert body.lstrip().startswith("今すぐ救急外来")
    assert "あなたの運動プログラム" not in text


def test_report_texts_have_every_key_in_every_language():
    table = render.texts().table
    assert len(table) > 50 and all(set(entry) == set(LANGUAGES) for entry in table.values())


def test_every_photo_refusal_reason_has_a_plain_sentence():
    from backcare.vision.errors import Reason

    for reason in Reason:
        for language in ("en", "ja"):
            sentence = render.reason_text(reason.value, "left foot", language)
            assert sentence != reason.value, (reason, language)
