"""The whole analysis on the rendered movement photos (tests/data/renders): every photo of
one whole person is accepted; a photo cut off is refused and names what is missing."""

from __future__ import annotations

import pytest

from backcare.vision.analysis import analyse_image
from backcare.vision.errors import PhotoRejected, Reason
from backcare.vision.types import AnalysedPhoto, PhotoAnalysis

# renders whose picture is cut just above the ankles in the tests (several views and poses)
CUT_AT_THE_ANKLES = (
    "standing_side_right.jpg",
    "standing_front.jpg",
    "side_bend_left.jpg",
    "rotation_right_large.jpg",
    "forward_bend_deep.jpg",
)


def test_every_whole_body_photo_is_accepted(analysed, movement_files):
    assert len(movement_files) >= 20
    refused = {f: analysed(f) for f in movement_files if isinstance(analysed(f), PhotoRejected)}
    assert not refused, refused


@pytest.mark.parametrize("name", CUT_AT_THE_ANKLES)
def test_cut_off_photos_name_the_missing_part(estimator, rgb_of, manifest, name):
    rgb = rgb_of(f"renders/{name}")
    points = manifest[f"renders/{name}"]["keypoints"]
    ankles = max(points["left_ankle"][1], points["right_ankle"][1])
    with pytest.raises(PhotoRejected) as err:
        analyse_image(rgb[: int(ankles - 0.02 * rgb.shape[0])], estimator, annotate=False)
    assert err.value.reason is Reason.CROPPED
    assert err.value.detail.split(",")[-1] == "feet"


def test_accepted_photos_carry_the_full_analysis(analysed, movement_files):
    for f in movement_files:
        out = analysed(f)
        assert isinstance(out, AnalysedPhoto) and isinstance(out.analysis, PhotoAnalysis)
        a = out.analysis
        assert a.landmarks.pixel.shape == (33, 2)
        assert {"brightness", "sharpness", "person_frac", "camera_distance_m"} <= set(a.quality)
        assert a.measurements, f
        assert out.annotated_jpeg[:2] == b"\xff\xd8"
        assert 0 <= a.view.yaw_deg < 360 and 0 < a.view.confidence <= 1


def test_analysis_crosses_process_boundaries(analysed):
    import pickle

    out = analysed("renders/forward_bend_deep.jpg")
    again = pickle.loads(pickle.dumps(out))
    assert again.analysis.measurements == out.analysis.measurements
    assert again.annotated_jpeg == out.annotated_jpeg


def test_annotation_can_be_skipped(estimator, rgb_of):
    out = analyse_image(rgb_of("renders/standing_side_right.jpg"), estimator, annotate=False)
    assert out.annotated_jpeg is None and out.analysis.measurements


def test_grayscale_array_is_analysed_like_colour(estimator, rgb_of):
    gray = rgb_of("renders/standing_side_right.jpg").mean(axis=2).astype("uint8")
    out = analyse_image(gray, estimator, annotate=False)
    assert out.analysis.view.kind.value == "side"


def test_the_movement_is_judged_on_the_tilt_the_photo_reports(estimator, rgb_of, monkeypatch):
    """Whether a photo shows the asked movement is judged on the reported (fitted) tilt, not
    the raw one: the raw tilt reads a few degrees forward, which took small backward bends
    for standing."""
    from dataclasses import replace

    from backcare.vision import analysis

    def reported_leaning_back(measurements, *args, **kwargs):
        tilt = measurements["trunk_inclination"]
        return {**measurements, "trunk_inclination": replace(tilt, value=-9.0)}, {}

    rgb = rgb_of("renders/standing_side_right.jpg")
    raw = analyse_image(rgb, estimator, annotate=False).analysis
    assert raw.movement.evidence["backward_bend"] < 5  # standing: no backward bend
    monkeypatch.setattr(analysis.estimators, "apply", reported_leaning_back)
    leaning = analyse_image(rgb, estimator, annotate=False).analysis
    assert leaning.measurements["trunk_inclination"].value == -9.0
    assert leaning.movement.evidence["backward_bend"] == 9.0


def test_a_depth_flipped_look_reads_the_body_mirrored_in_depth(estimator, rgb_of):
    """``depth_flipped`` analyses BlazePose's answer with every depth turned over
    (vision.pose.flip_depth), nothing else: the same as a model that had answered so."""
    from backcare.vision.pose import flip_depth

    class DepthTurned:
        def estimate(self, rgb):
            return flip_depth(estimator.estimate(rgb))

    rgb = rgb_of("renders/standing_side_right.jpg")
    flipped = analyse_image(rgb, estimator, annotate=False, depth_flipped=True).analysis
    answered = analyse_image(rgb, DepthTurned(), annotate=False).analysis
    plain = analyse_image(rgb, estimator, annotate=False).analysis
    assert flipped.measurements == answered.measurements and flipped.view == answered.view
    assert flipped.measurements != plain.measurements
