"""`backcare measure`: one JSON line per photo, exactly what the bot's pipeline gives."""

from __future__ import annotations

import json
import shutil

import pytest

from backcare.application.cli import main, read_manifest
from backcare.application.pipeline import Pipeline, measurement_record
from backcare.vision.pool import PoseService

PHOTOS = ("forward_bend.jpg", "standing_side.jpg", "side_bend_left.jpg")


@pytest.fixture(scope="module")
def photos(repo_root, tmp_path_factory):
    folder = tmp_path_factory.mktemp("photos")
    for name in PHOTOS:
        shutil.copy(repo_root / "samples" / "photos" / name, folder / name)
    return folder


@pytest.fixture(scope="module")
def expected(photos):
    """What the bot's pipeline gives for each (photo, step)."""
    with Pipeline(PoseService(workers=1)) as pipeline:

        def record(name: str, step: str | None) -> dict:
            path = photos / name
            return measurement_record(pipeline.analyse_file(path.read_bytes(), str(path), step))

        yield record


def _lines(capsys) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]


def test_measure_prints_what_the_pipeline_gives_for_the_same_photo_and_step(
    photos, expected, capsys
):
    paths = [str(photos / n) for n in PHOTOS]
    assert main(["measure", "--step", "forward_bend", "--workers", "1", *paths]) == 0
    lines = _lines(capsys)
    assert [line["photo"] for line in lines] == paths
    for name, line in zip(PHOTOS, lines, strict=True):
        assert line == expected(name, "forward_bend")
    bend = lines[0]
    assert bend["accepted"] and bend["view"] == "side" and bend["movement_seen"] == "forward_bend"
    incl = bend["measurements"]["trunk_inclination"]
    assert incl["unit"] == "deg" and incl["value"] > 80 and incl["uncertainty"] > 0
    # standing still for a forward bend: measured (no bend is a finding), not refused
    assert lines[1]["accepted"] and lines[1]["measurements"]["trunk_inclination"]["value"] < 15


def test_a_manifest_gives_each_photo_its_own_step(photos, expected, capsys, tmp_path):
    csv_file = photos / "m.csv"
    csv_file.write_text("photo,step\nforward_bend.jpg,forward_bend\nside_bend_left.jpg,\n")
    jsonl = photos / "m.jsonl"
    jsonl.write_text(json.dumps({"photo": "side_bend_left.jpg", "step": "side_bend_left"}) + "\n")
    assert main(["measure", "--manifest", str(csv_file), "--workers", "1"]) == 0
    assert main(["measure", "--manifest", str(jsonl), "--workers", "1"]) == 0
    lines = _lines(capsys)
    assert [line["step"] for line in lines[:1]] == ["forward_bend"]
    assert lines[0] == expected("forward_bend.jpg", "forward_bend")
    assert lines[1]["step"] == "side_bend_left"  # no step: placed by the movement it shows
    assert lines[2] == expected("side_bend_left.jpg", "side_bend_left")


def test_manifest_rows_are_read_relative_to_the_manifest(tmp_path):
    (tmp_path / "a.csv").write_text("x.jpg,forward_bend\nsub/y.jpg\n")
    assert read_manifest(tmp_path / "a.csv") == [
        (tmp_path / "x.jpg", "forward_bend"),
        (tmp_path / "sub" / "y.jpg", None),
    ]


def test_an_unknown_step_is_refused_before_any_work(photos, capsys):
    assert main(["measure", "--step", "cartwheel", str(photos / PHOTOS[0])]) == 2
    assert "unknown step cartwheel" in capsys.readouterr().err
