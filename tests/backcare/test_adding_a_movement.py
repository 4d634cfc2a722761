"""Adding a movement photo touches only the declared places (docs/ARCHITECTURE.md, "A new
movement photo"): its entry in the vocabulary, the capture instructions in the dialogs'
catalogue and a rule for each finding it measures. Forgetting one fails at load, naming
the file and the key, and no product code names a capture step."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from backcare.assessment import thresholds
from backcare.bot.dialogs import capture
from backcare.bot.dialogs import texts as dialog_texts
from backcare.kernel import vocabulary as vocabulary_module
from backcare.kernel.vocabulary import parse, vocabulary
from backcare.kernel.yamlfile import DataFileError, load, loads
from backcare.vision.types import Movement, ViewKind
from tests.support.imports import module_files

NEW_MOVEMENT = (
    '  hip_hinge:       {expects: forward_bend, view: side, en: "Hip hinge", ja: "股関節の曲げ"}\n'
)
NEW_FINDING = (
    "  hip_hinge.hip_flexion:\n"
    "    {movement: hip_hinge, part: hip, en: how far the hips bend, ja: 股関節の曲がり}\n"
)
RULE = {
    "value": {"measure": "hip_hinge.hip_flexion"},
    "unit": "deg",
    "error": 6,
    "below": "insufficient",
    "above": "excessive",
    "source": "a test's made-up rule",
    "bands": [{"low": 40, "high": 90}],
}


def _vocabulary_with_new_movement(tmp_path: Path) -> Path:
    text = vocabulary_module.PATH.read_text(encoding="utf-8")
    text = text.replace("\nobservations:\n", f"{NEW_MOVEMENT}\nobservations:\n{NEW_FINDING}", 1)
    path = tmp_path / "vocabulary.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def with_new_movement(tmp_path, monkeypatch):
    """The product's vocabulary with one more movement photo and its finding."""
    monkeypatch.setattr(vocabulary_module, "PATH", _vocabulary_with_new_movement(tmp_path))
    vocabulary.cache_clear()
    yield vocabulary()
    vocabulary.cache_clear()


def test_every_movement_asks_vision_for_a_class_and_a_view_it_knows():
    for name, term in vocabulary().movements.items():
        assert term.expects in {m.value for m in Movement}, name
        assert term.view in {v.value for v in ViewKind}, name
        assert term.side in (None, "left", "right"), name


def test_a_movement_must_say_what_vision_should_see_and_from_where():
    with pytest.raises(DataFileError) as caught:
        parse(
            loads(
                "movements:\n  squat: {en: Squat, ja: しゃがむ}\n"
                "observations: {}\nfacts: {}\ncauses: {}\n",
                "vocabulary.yaml",
            ),
            "vocabulary.yaml",
        )
    message = str(caught.value)
    assert "movements.squat" in message and "expects" in message and "view" in message


def test_a_new_movement_without_its_capture_instructions_fails_at_load(with_new_movement):
    assert "hip_hinge" in with_new_movement.movements
    with pytest.raises(DataFileError) as caught:
        dialog_texts.load_texts(dialog_texts.PATH)
    assert "photo.steps.hip_hinge" in str(caught.value)
    assert str(dialog_texts.PATH) in str(caught.value)


def test_a_new_finding_without_its_rule_fails_at_load(with_new_movement):
    with pytest.raises(DataFileError) as caught:
        thresholds.parse(load(thresholds.PATH), str(thresholds.PATH), with_new_movement)
    assert "observations.hip_hinge.hip_flexion" in str(caught.value)


def test_the_declared_places_are_enough(with_new_movement, tmp_path):
    catalogue = dialog_texts.PATH.read_text(encoding="utf-8")
    instructions = (
        "    hip_hinge:\n"
        '      en: "Side to the camera: bend at the hips with a straight back."\n'
        '      ja: "体の横をカメラに向け、背中をまっすぐにしたまま股関節から曲げます。"\n'
    )
    catalogue = catalogue.replace("\n  steps:\n", "\n  steps:\n" + instructions, 1)
    texts_path = tmp_path / "texts.yaml"
    texts_path.write_text(catalogue, encoding="utf-8")
    texts = dialog_texts.load_texts(texts_path)
    assert texts.get("photo.steps.hip_hinge", "en").startswith("Side to the camera")

    data = load(thresholds.PATH)
    data["observations"]["hip_hinge.hip_flexion"] = RULE
    rules = thresholds.parse(data, str(thresholds.PATH), with_new_movement)
    assert "hip_hinge.hip_flexion" in rules.rules

    assert capture.steps()[-1] == "hip_hinge"  # asked for, in vocabulary order


CAPTURE_STEPS = set(vocabulary().movements) - {m.value for m in Movement}
WORD = re.compile(r"\b(" + "|".join(sorted(CAPTURE_STEPS)) + r")\b")


def _strings(tree: ast.AST):
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
        ):
            yield node.lineno, node.value


def test_no_product_code_names_a_capture_step():
    assert {"standing_side", "rotation_left", "side_bend_right"} <= CAPTURE_STEPS
    named = [
        f"{path}:{line}: {text!r}"
        for path in module_files().values()
        for line, text in _strings(ast.parse(path.read_text(encoding="utf-8")))
        if WORD.search(text)
    ]
    assert named == []


def test_the_scan_sees_a_step_named_in_code(tmp_path):
    source = 'def f():\n    """Not this: standing_side."""\n    return "rotation_left"\n'
    found = [t for _, t in _strings(ast.parse(source)) if WORD.search(t)]
    assert found == ["rotation_left"]
