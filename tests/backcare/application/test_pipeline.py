"""The one pipeline: photos + answers -> report, as the bot and the command line use it."""

from __future__ import annotations

import pytest

from backcare.application.pipeline import Pipeline, TriageIncomplete, latest_by_step
from backcare.interview import derive, load_answers, load_interview
from backcare.report.types import PhotoResult
from backcare.vision.pool import PoseService


@pytest.fixture(scope="module")
def pipeline():
    with Pipeline(PoseService(workers=1)) as p:
        yield p


@pytest.fixture(scope="module")
def interview(repo_root):
    return load_interview(repo_root / "interview.yaml")


@pytest.fixture(scope="module")
def sample_result(repo_root, interview):
    return derive(interview, load_answers(repo_root / "samples" / "answers.yaml", interview))


def _photo(repo_root, name):
    return (repo_root / "samples" / "photos" / name).read_bytes()


def test_a_photo_of_the_asked_movement_is_accepted_with_its_measurements(pipeline, repo_root):
    result = pipeline.analyse_photo_sync(
        _photo(repo_root, "forward_bend.jpg"), "forward_bend", "fb.jpg"
    )
    assert result.accepted, result
    assert result.view == "side"
    assert result.measurements["trunk_inclination"].value > 80
    assert result.annotated_jpeg[:2] == b"\xff\xd8"


def test_a_photo_of_another_movement_is_not_used_but_suggested_for_its_step(pipeline, repo_root):
    result = pipeline.analyse_photo_sync(_photo(repo_root, "forward_bend.jpg"), "side_bend_left")
    assert not result.accepted
    assert result.reason == "wrong_movement"
    assert result.detail == "forward_bend"
    assert result.suggested_step == "forward_bend"
    assert result.measurements  # kept: the patient may still use it for the step asked


def test_a_restricted_movement_is_measured_as_its_step_not_refused(pipeline, repo_root):
    # standing still, sent as a forward bend: a finding (no bend), not a wrong photo
    result = pipeline.analyse_photo_sync(_photo(repo_root, "standing_side.jpg"), "forward_bend")
    assert result.accepted and result.suggested_step is None
    assert abs(result.measurements["trunk_inclination"].value) < 15


def test_an_unknown_capture_step_is_a_programming_error(pipeline, repo_root):
    with pytest.raises(ValueError, match="unknown capture step"):
        pipeline.analyse_photo_sync(b"", "cartwheel")


async def test_the_async_analysis_gives_the_same_result_without_blocking(pipeline, repo_root):
    result = await pipeline.analyse_photo(_photo(repo_root, "forward_bend.jpg"), "forward_bend")
    sync = pipeline.analyse_photo_sync(_photo(repo_root, "forward_bend.jpg"), "forward_bend")
    assert result.accepted and sync.accepted
    assert result.measurements["trunk_inclination"].value == pytest.approx(
        sync.measurements["trunk_inclination"].value
    )


def test_an_unnamed_picture_is_placed_by_the_movement_it_shows(pipeline, repo_root):
    result = pipeline.analyse_file(_photo(repo_root, "forward_bend.jpg"), "IMG_0001.jpg")
    assert result.accepted and result.step == "forward_bend"


def test_a_retake_replaces_the_earlier_photo_of_its_step():
    first = PhotoResult(step="forward_bend", source="a.jpg", accepted=True)
    refused = PhotoResult(step="forward_bend", source="b.jpg", accepted=False, reason="too_dark")
    retake = PhotoResult(step="forward_bend", source="c.jpg", accepted=True)
    assert latest_by_step([first, refused])["forward_bend"].source == "a.jpg"
    assert latest_by_step([first, refused, retake])["forward_bend"].source == "c.jpg"


def test_the_report_rates_every_observation_explains_the_case_and_builds_a_program(
    pipeline, repo_root, sample_result
):
    photos = [pipeline.analyse_photo_sync(_photo(repo_root, "forward_bend.jpg"), "forward_bend")]
    report = pipeline.report_sync(sample_result, photos, "en")
    names = {o.name for o in report.observations}
    assert "forward_bend.hip_flexion" in names and "standing.sway" in names
    rated = {o.name: o.rating for o in report.observations}
    assert rated["forward_bend.trunk_inclination"] != "not_assessed"
    assert rated["backward_bend.extension"] == "not_assessed"  # no photo: neither for nor against
    assert report.referral is None
    assert report.diagnosis.explanations
    assert "flexion_impairment" in report.diagnosis.explanations[0].causes  # sitting + bending pain
    assert 3 <= len(report.program.exercises) <= 6


def test_a_red_flag_gives_a_referral_and_no_program(pipeline, repo_root, interview, sample_result):
    answers = dict(load_answers(repo_root / "samples" / "answers.yaml", interview))
    answers["saddle"] = True
    result = derive(interview, answers)
    report = pipeline.report_sync(result, [], "en")
    assert report.referral == "emergency"
    assert report.program is None


def test_no_program_while_red_flag_questions_are_unanswered(repo_root, interview):
    answers = dict(load_answers(repo_root / "samples" / "answers.yaml", interview))
    for question in ("cancer", "steroids"):
        del answers[question]
    reports_only = Pipeline(pose=None)
    with pytest.raises(TriageIncomplete) as refused:
        reports_only.report_sync(derive(interview, answers), [], "en")
    assert refused.value.missing == ("cancer", "steroids")


def test_red_flags_are_triage_s_alone_a_caution_keeps_the_program_and_leads_its_advice(
    repo_root, interview
):
    answers = dict(load_answers(repo_root / "samples" / "answers.yaml", interview))
    answers.update(age=66, onset_age=60)  # a weak flag: caution, not a referral
    report = Pipeline(pose=None).report_sync(derive(interview, answers), [], "ja")
    assert report.referral is None and report.program is not None
    assert report.triage is not None and report.triage.advice == ("caution",)
    assert report.program.advice["ja"][0] == report.triage.notes[0]["ja"]
    assert "red_flag_age_onset" in report.facts  # shown to the clinician, not reasoned on


def test_photo_results_survive_a_trip_through_json(pipeline, repo_root):
    import json

    result = pipeline.analyse_photo_sync(_photo(repo_root, "forward_bend.jpg"), "forward_bend")
    again = PhotoResult.from_dict(json.loads(json.dumps(result.to_dict())))
    assert again.measurements == result.measurements
    assert again.annotated_jpeg is None  # pictures never go into saved state
