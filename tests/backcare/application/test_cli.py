"""The `backcare` command: demo and analyze run the whole pipeline; bad files are named with a reason."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from backcare.application import cli

STEPS = [
    "standing_side",
    "standing_back",
    "forward_bend",
    "backward_bend",
    "rotation_left",
    "rotation_right",
    "side_bend_left",
    "side_bend_right",
]


@pytest.mark.parametrize(
    "name, step",
    [
        ("forward_bend.jpg", "forward_bend"),
        ("Forward-Bend-2.PNG", "forward_bend"),
        ("side_bend_left.jpg", "side_bend_left"),
        ("side_bend_right_retake.webp", "side_bend_right"),
        ("standing_back.heic", "standing_back"),
        ("IMG_2041.jpg", None),
        ("notes.txt", None),
    ],
)
def test_the_capture_step_comes_from_the_start_of_the_file_name(name, step):
    assert cli.step_from_name(name, STEPS) == step


def test_help_explains_every_sub_command(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    for command in ("demo", "analyze", "chat", "bot", "check"):
        assert command in out


def test_check_validates_every_admin_file(capsys):
    assert cli.main(["check"]) == 0
    out = capsys.readouterr().out
    assert out.count("ok ") == 4


@pytest.fixture(scope="module")
def bad_folder(tmp_path_factory, repo_root):
    """Two good photos, a text file, a corrupt JPEG and a picture with no person."""
    folder = tmp_path_factory.mktemp("photos")
    shutil.copy(repo_root / "samples" / "photos" / "forward_bend.jpg", folder / "forward_bend.jpg")
    shutil.copy(
        repo_root / "samples" / "photos" / "standing_side.jpg", folder / "standing_side.jpg"
    )
    (folder / "notes.txt").write_text("my back hurts on Mondays")
    good = (repo_root / "samples" / "photos" / "rotation_left.jpg").read_bytes()
    (folder / "side_bend_left.jpg").write_bytes(good[: len(good) // 3])  # truncated: corrupt
    import cv2
    import numpy as np

    rng = np.random.default_rng(7)  # a sharp, well-lit room with furniture and no person
    wall = rng.integers(120, 200, (600, 800, 3), dtype=np.uint8)
    for _ in range(40):
        x, y = (int(v) for v in rng.integers(0, 700, 2))
        color = tuple(int(c) for c in rng.integers(0, 255, 3))
        cv2.rectangle(
            wall,
            (x, y),
            (x + int(rng.integers(20, 120)), y + int(rng.integers(20, 120))),
            color,
            -1,
        )
    (folder / "standing_back.jpg").write_bytes(cv2.imencode(".jpg", wall)[1].tobytes())
    return folder


@pytest.mark.slow  # a second run of the command in a process of its own; the demo's stays fast
def test_analyze_names_each_bad_file_with_its_reason_and_still_analyses_the_good_ones(
    bad_folder, repo_root, tmp_path
):
    out = tmp_path / "out"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "backcare",
            "analyze",
            "--photos",
            str(bad_folder),
            "--answers",
            str(repo_root / "samples" / "answers.yaml"),
            "--out",
            str(out),
            "--workers",
            "1",
        ],
        capture_output=True,
        text=True,
        cwd=repo_root,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    progress = proc.stderr
    assert "notes.txt: not used: the file is not a picture" in progress
    assert "side_bend_left.jpg: not used: the picture file is damaged" in progress
    assert "standing_back.jpg: not used: no person could be found" in progress
    assert "forward_bend.jpg: accepted" in progress
    report = json.loads((out / "report.json").read_text())
    accepted = {p["step"] for p in report["photos"] if p["accepted"]}
    assert "forward_bend" in accepted
    refused = {p["source"]: p["reason"] for p in report["photos"] if not p["accepted"]}
    assert refused == {
        "notes.txt": "not_image",
        "side_bend_left.jpg": "corrupt",
        "standing_back.jpg": "no_person",
    }
    assert (out / "forward_bend.annotated.jpg").stat().st_size > 10_000
    assert "data:image/jpeg;base64," in (out / "report.html").read_text()  # embedded


def test_demo_prints_a_report_and_writes_its_files(repo_root, tmp_path):
    out = tmp_path / "demo"
    proc = subprocess.run(
        [sys.executable, "-m", "backcare", "demo", "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=repo_root,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "keep your back pain going" in proc.stdout  # the causes, once each
    assert "Your exercise program" in proc.stdout
    for name in ("report.json", "report.md", "report.html", "forward_bend.annotated.jpg"):
        assert (out / name).is_file(), name
    report = json.loads((out / "report.json").read_text())
    assert report["diagnosis"]["explanations"], "the demo case should be explained"
    assert report["program"]["exercises"]


def test_analyze_refuses_a_bad_answers_file_with_the_question_named(repo_root, tmp_path):
    answers = tmp_path / "answers.yaml"
    answers.write_text("age: 300\nsex: female\n")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "backcare",
            "analyze",
            "--photos",
            str(repo_root / "samples" / "photos"),
            "--answers",
            str(answers),
            "--out",
            str(tmp_path / "o"),
        ],
        capture_output=True,
        text=True,
        cwd=repo_root,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "age" in proc.stderr


def test_analyze_without_the_red_flag_answers_gives_no_program_and_names_each_missing_question(
    repo_root, tmp_path, capsys
):
    # a plausible answers file from before the warning signs were asked: no safety section
    answers = tmp_path / "answers.yaml"
    answers.write_text(
        "age: 42\nsex: female\nheight: 165\nweight: 68\nduration: over_1y\n"
        "onset_age: 35\nnight_pain: on_moving\nsaddle: no\npain_now: 4\n"
    )
    out = tmp_path / "o"
    status = cli.main(
        ["analyze", "--photos", str(repo_root / "samples" / "photos"), "--answers", str(answers)]
        + ["--out", str(out)]
    )
    err = capsys.readouterr()
    assert status == cli.UNSCREENED != 0
    assert "no exercise program" in err.err and "not ruled out" in err.err
    for missing in ("bladder_bowel", "both_legs", "trauma", "fever", "cancer", "steroids"):
        assert f"  {missing} (yes or no): " in err.err
    assert "Have you ever been diagnosed with cancer?" in err.err
    assert "  saddle " not in err.err and "  night_pain " not in err.err  # those were answered
    assert not out.exists() and "Your exercise program" not in err.out  # nothing analysed


def test_analyze_names_the_missing_questions_in_the_report_language(repo_root, tmp_path, capsys):
    answers = tmp_path / "answers.yaml"
    answers.write_text("age: 42\nsex: female\nonset_age: 35\n")
    status = cli.main(
        ["analyze", "--photos", str(tmp_path), "--answers", str(answers), "--lang", "ja"]
    )
    assert status == cli.UNSCREENED
    assert "これまでに、がんと診断されたことがありますか？" in capsys.readouterr().err


def test_analyze_with_a_red_flag_but_missing_answers_still_refers_and_warns(tmp_path, capsys):
    answers = tmp_path / "answers.yaml"
    answers.write_text("age: 64\nsex: female\nonset_age: 60\ncancer: yes\n")
    photos = tmp_path / "photos"
    photos.mkdir()
    status = cli.main(
        ["analyze", "--photos", str(photos), "--answers", str(answers), "--out", str(tmp_path)]
    )
    out = capsys.readouterr()
    assert status == cli.UNSCREENED
    assert "within 24 hours" in out.out and "Your exercise program" not in out.out
    assert "could make it more urgent" in out.err and "  saddle (yes or no): " in out.err
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["referral"] == "urgent" and report["program"] is None
