"""A photo is questioned as another movement only when a second, mirrored look agrees.

The pose service here 'sees' synthetic people with exact angles: one on its plain
look, one on its mirrored look, so each test fixes what the two looks read.
"""

from __future__ import annotations

import pytest

from backcare.application.pipeline import Pipeline, settle
from backcare.report.types import PhotoResult
from backcare.vision.analysis import analyse_image
from backcare.vision.errors import PhotoRejected, Reason
from backcare.vision.types import Measurement
from tests.support.synthetic_landmarks import SynthCamera, SynthPose, shoot
from tests.vision.helpers import StandIn, textured

SIDE_BEND = shoot(SynthPose(lateral_bend=25), SynthCamera(yaw=270), depth_gain=0.8)
BACKWARD_BEND = shoot(SynthPose(hip_flexion=-25), SynthCamera(yaw=0), depth_gain=0.8)


class TwoLooks:
    """A pose service whose plain and mirrored looks see the given people; it keeps the
    looks it was asked for."""

    def __init__(self, plain, mirrored) -> None:
        self.shots = {False: plain, True: mirrored}
        self.looks: list[bool] = []

    def analyse(self, data: bytes, annotate: bool | str = True, mirrored: bool = False):
        self.looks.append(mirrored)
        shot = self.shots[mirrored]
        if isinstance(shot, PhotoRejected):
            raise shot
        return analyse_image(
            textured(*shot.landmarks.image_size), StandIn(shot), annotate=False, fitted=False
        )

    async def analyse_async(self, data: bytes, annotate: bool | str = True, mirrored=False):
        return self.analyse(data, annotate, mirrored)

    def close(self) -> None:
        pass


def test_a_photo_the_second_look_measures_as_its_step_is_used_with_that_reading():
    pose = TwoLooks(plain=SIDE_BEND, mirrored=BACKWARD_BEND)
    result = Pipeline(pose).analyse_photo_sync(b"photo", "backward_bend")
    assert pose.looks == [False, True]
    assert result.accepted and result.reason is None and result.suggested_step is None
    assert result.movement_seen == "backward_bend"
    assert result.measurements["trunk_inclination"].value < -15  # the second look's reading
    # the looks disagreed by ~25 deg on the trunk's tilt: the reading is only that sure
    alone = Pipeline(TwoLooks(plain=BACKWARD_BEND, mirrored=BACKWARD_BEND))
    own = alone.analyse_photo_sync(b"photo", "backward_bend").measurements["trunk_inclination"]
    widened = result.measurements["trunk_inclination"]
    assert widened.value == own.value
    assert widened.uncertainty > 10 > own.uncertainty


def test_a_photo_both_looks_read_as_another_movement_is_questioned_with_the_first_reading():
    pose = TwoLooks(plain=SIDE_BEND, mirrored=SIDE_BEND)
    result = Pipeline(pose).analyse_photo_sync(b"photo", "backward_bend")
    assert pose.looks == [False, True]
    assert not result.accepted and result.reason == "wrong_movement"
    assert result.suggested_step is not None and result.suggested_step.startswith("side_bend")
    assert abs(result.measurements["lateral_bend"].value) > 15


def test_a_photo_of_the_asked_movement_takes_one_look():
    pose = TwoLooks(plain=BACKWARD_BEND, mirrored=SIDE_BEND)
    result = Pipeline(pose).analyse_photo_sync(b"photo", "backward_bend")
    assert pose.looks == [False]
    assert result.accepted and result.movement_seen == "backward_bend"


async def test_the_bot_s_path_takes_the_second_look_too():
    pose = TwoLooks(plain=SIDE_BEND, mirrored=BACKWARD_BEND)
    result = await Pipeline(pose).analyse_photo(b"photo", "backward_bend")
    assert pose.looks == [False, True]
    assert result.accepted and result.movement_seen == "backward_bend"


@pytest.mark.parametrize("step", [None, "backward_bend"])
def test_the_command_line_s_path_takes_the_second_look_too(step):
    pose = TwoLooks(plain=SIDE_BEND, mirrored=BACKWARD_BEND)
    result = Pipeline(pose).analyse_file(b"photo", "a.jpg", step)
    if step is None:  # placed by what it shows: never questioned, one look
        assert pose.looks == [False] and result.step.startswith("side_bend")
    else:
        assert pose.looks == [False, True] and result.accepted


def test_a_photo_refused_as_tilted_is_used_when_the_second_look_reads_it_upright():
    # BlazePose folded a skeleton upside down on an upright person (renders)
    pose = TwoLooks(
        plain=PhotoRejected(Reason.TILTED, "picture upside down"), mirrored=BACKWARD_BEND
    )
    result = Pipeline(pose).analyse_photo_sync(b"photo", "backward_bend")
    assert pose.looks == [False, True] and result.accepted


@pytest.mark.parametrize(
    "refusal",
    [PhotoRejected(Reason.TILTED, "camera tilted +30 deg"), PhotoRejected(Reason.BLURRED, "4")],
)
def test_a_refusal_both_looks_make_or_one_about_the_picture_itself_stands(refusal):
    pose = TwoLooks(plain=refusal, mirrored=refusal)
    result = Pipeline(pose).analyse_photo_sync(b"photo", "backward_bend")
    assert not result.accepted and result.reason == refusal.reason.value
    assert result.detail == refusal.detail
    # a blurred picture is blurred either way round: no second look
    assert pose.looks == ([False, True] if refusal.reason is Reason.TILTED else [False])


def _looked(accepted: bool, seen: str, lateral: float) -> PhotoResult:
    return PhotoResult(
        step="side_bend_left",
        source="a.jpg",
        accepted=accepted,
        reason=None if accepted else "wrong_movement",
        measurements={"lateral_bend": Measurement("lateral_bend", lateral, "deg", 0.9, "t", 3.0)},
        movement_seen=seen,
        suggested_step=None if accepted else "side_bend_right",
    )


def test_a_second_look_that_sees_the_same_bend_a_little_less_does_not_overrule():
    # both looks see a bend to the right when the left was asked; the second reads it
    # under the threshold for asking: a second roll at the threshold, not a second opinion
    first = _looked(False, "side_bend", -11.0)
    assert settle(first, _looked(True, "side_bend", -9.0)) is first
    # a second look that reads the asked side, or another movement, does overrule
    assert settle(first, _looked(True, "side_bend", 9.0)).accepted
    assert settle(first, _looked(True, "rotation", -9.0)).accepted
