"""The whole analysis on the real movement photos: every photo whose person is fully
visible is accepted; the others are refused with the right reason.

Which photos show the whole body was judged by eye from the pictures (the manifest's
notes say so for some: "feet cropped", "two people").
"""

from __future__ import annotations

import pytest

from backcare.vision.errors import PhotoRejected, Reason
from backcare.vision.types import AnalysedPhoto, PhotoAnalysis

CUT = {  # file -> the parts the picture cuts off (lowest last)
    "rotation/Middle_Back_Stretch__1.jpg": "feet",
    "rotation/Pallof_Press_With_Rotation__1.jpg": "feet",
    "rotation/Torso_Rotation__0.jpg": "feet",
    "rotation/Torso_Rotation__1.jpg": "feet",
    "side_bend/Chair_Lower_Back_Stretch__0.jpg": "feet",
    "side_bend/Standing_Lateral_Stretch__0.jpg": "feet",
    "side_bend/Standing_Lateral_Stretch__1.jpg": "feet",
    "standing_upright/Band_Good_Morning__1.jpg": "feet",
    "standing_upright/Dynamic_Back_Stretch__0.jpg": "feet",
    "standing_upright/Good_Morning__0.jpg": "feet",
    "standing_upright/Middle_Back_Stretch__0.jpg": "feet",
    "standing_upright/Overhead_Stretch__0.jpg": "feet",
    "standing_upright/Runners_Stretch__0.jpg": "feet",
    "standing_upright/Standing_Pelvic_Tilt__0.jpg": "feet",
    "standing_upright/Standing_Pelvic_Tilt__1.jpg": "feet",
    "standing_upright/Standing_Toe_Touches__0.jpg": "feet",
    "standing_upright/Upward_Stretch__0.jpg": "feet",
}
TWO_PEOPLE = {
    "rotation/Medicine_Ball_Full_Twist__0.jpg",
    "rotation/Medicine_Ball_Full_Twist__1.jpg",
}


def _whole_body(movement_files):
    return [
        f
        for f in movement_files
        if f[len("movements/") :] not in CUT and f[len("movements/") :] not in TWO_PEOPLE
    ]


def test_every_whole_body_photo_is_accepted(analysed, movement_files):
    photos = _whole_body(movement_files)
    assert len(photos) >= 40
    refused = {f: analysed(f) for f in photos if isinstance(analysed(f), PhotoRejected)}
    assert not refused, refused


@pytest.mark.parametrize("photo", sorted(CUT))
def test_cut_off_photos_name_the_missing_part(analysed, photo):
    err = analysed(f"movements/{photo}")
    assert isinstance(err, PhotoRejected) and err.reason is Reason.CROPPED
    assert err.detail.split(",")[-1] == CUT[photo]


def test_accepted_photos_carry_the_full_analysis(analysed, movement_files):
    for f in _whole_body(movement_files):
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

    out = analysed("movements/forward_bend/Standing_Toe_Touches__1.jpg")
    again = pickle.loads(pickle.dumps(out))
    assert again.analysis.measurements == out.analysis.measurements
    assert again.annotated_jpeg == out.annotated_jpeg


def test_annotation_can_be_skipped(estimator, rgb_of):
    from backcare.vision.analysis import analyse_image

    out = analyse_image(
        rgb_of("movements/standing_upright/Standing_Hip_Circles__0.jpg"), estimator, annotate=False
    )
    assert out.annotated_jpeg is None and out.analysis.measurements


def test_grayscale_array_is_analysed_like_colour(estimator, rgb_of):
    from backcare.vision.analysis import analyse_image

    gray = (
        rgb_of("movements/standing_upright/Standing_Hip_Circles__0.jpg")
        .mean(axis=2)
        .astype("uint8")
    )
    out = analyse_image(gray, estimator, annotate=False)
    assert out.analysis.view.kind.value == "side"
