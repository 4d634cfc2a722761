"""The fitted estimators: boosted trees read as fitted, and the shipped file fits the code."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from backcare.vision.estimators import (
    FEET_TO_HIPS,
    PARAMS,
    Estimator,
    Ridge,
    RidgeAndTrees,
    Trees,
    features,
    load,
    nodes_of,
)
from backcare.vision.measure import SHOULDER_TO_HIP_PX
from backcare.vision.types import INDEX


def _tree(*rows: tuple[float, float, int, int, float]) -> np.ndarray:
    return np.array(rows, dtype=float)


# one split on feature 1 at 10.0: at or below goes left (leaf 2.0), above right (leaf 6.0)
STUMP = _tree((1, 10.0, 1, 2, 0.0), (0, 0.0, -1, -1, 2.0), (0, 0.0, -1, -1, 6.0))
# two levels: feature 0 at 0.5, then feature 2 at -3.0 on the left
DEEPER = _tree(
    (0, 0.5, 1, 4, 0.0),
    (2, -3.0, 2, 3, 0.0),
    (0, 0.0, -1, -1, -1.0),
    (0, 0.0, -1, -1, 1.0),
    (0, 0.0, -1, -1, 3.0),
)


@pytest.mark.parametrize(
    ("x", "expected"),
    [
        # base 10 + rate 0.5 x (stump leaf + deeper leaf)
        ([0.0, 10.0, -5.0], 10 + 0.5 * (2.0 - 1.0)),  # the threshold itself goes left
        ([0.0, 10.5, -2.0], 10 + 0.5 * (6.0 + 1.0)),
        ([0.9, -4.0, -9.0], 10 + 0.5 * (2.0 + 3.0)),
    ],
)
def test_boosted_trees_add_the_leaf_each_tree_reaches(x, expected):
    trees = Trees.stack(10.0, 0.5, [np.array(STUMP), np.array(DEEPER)])
    assert trees.predict(np.array(x)) == pytest.approx(expected)


def _walk_each_tree(trees: Trees, x: np.ndarray) -> float:
    """The reference reading: each tree walked on its own, node by node."""
    x = np.asarray(x, dtype=np.float32)
    total = 0.0
    for tree in trees.nodes:
        node = 0
        while tree[node, 2] >= 0:
            node = int(tree[node, 2] if x[int(tree[node, 0])] <= tree[node, 1] else tree[node, 3])
        total += float(tree[node, 4])
    return trees.base + trees.rate * total


def test_every_shipped_ensemble_reads_as_its_trees_walked_one_by_one():
    rng = np.random.default_rng(7)
    model = load()
    assert model is not None
    checked = 0
    for est in model.estimators.values():
        trees = est.model if isinstance(est.model, Trees) else getattr(est.model, "trees", None)
        if trees is None:
            continue
        low = est.low if est.low is not None else np.full(len(est.names), -50.0)
        high = est.high if est.high is not None else np.full(len(est.names), 50.0)
        for _ in range(200):  # within and a little beyond the training range
            x = low + (high - low) * (rng.random(len(est.names)) * 1.2 - 0.1)
            assert trees.predict(x) == pytest.approx(_walk_each_tree(trees, x), abs=1e-9)
        checked += 1
    assert checked >= 3


def test_an_estimator_hands_its_model_the_features_in_its_own_order():
    est = Estimator(
        target="trunk_rotation",
        plane="transverse",
        names=("a", "b", "c"),
        model=Trees.stack(10.0, 0.5, [np.array(STUMP)]),
        sd_by_view=(1.0, 1.0, 1.0, 1.0),
    )
    assert est.predict({"c": 0.0, "b": 12.0, "a": 0.0}) == pytest.approx(13.0)
    assert est.predict({"a": 12.0, "b": 0.0}) == pytest.approx(11.0)  # missing: 0


def test_a_ridge_line_reads_standardised_features():
    line = Ridge(
        mean=np.array([1.0, 2.0]),
        scale=np.array([2.0, 4.0]),
        coef=np.array([3.0, -1.0]),
        intercept=5.0,
    )
    assert line.predict(np.array([3.0, 6.0])) == pytest.approx(5 + 3 * 1 - 1 * 1)


def test_trees_on_a_ridge_line_add_their_leaves_to_the_line():
    line = Ridge(mean=np.zeros(3), scale=np.ones(3), coef=np.array([2.0, 0.0, 0.0]), intercept=1.0)
    both = RidgeAndTrees(ridge=line, trees=Trees.stack(0.5, 1.0, [np.array(STUMP)]))
    # line 1 + 2 x 3 = 7; the stump: feature 1 at 12 > 10 goes right, 6; base 0.5
    assert both.predict(np.array([3.0, 12.0, 0.0])) == pytest.approx(7 + 0.5 + 6)


def test_a_line_with_trees_reads_back_from_the_parameters_file(tmp_path):
    params = json.loads(PARAMS.read_text(encoding="utf-8"))
    name, e = next((n, e) for n, e in params["estimators"].items() if "trees" in e["model"])
    width = len(e["features"])
    e.update(
        model="ridge+trees",
        mean=[0.0] * width,
        scale=[1.0] * width,
        coef=[3.0] + [0.0] * (width - 1),
        intercept=-2.0,
    )
    e["trees"].update(base=0.25, rate=1.0, shape=[1, 3], nodes=STUMP_TEXT)
    path = tmp_path / "estimators.json"
    path.write_text(json.dumps(params), encoding="utf-8")
    est = load.__wrapped__(path).estimators[name]
    assert isinstance(est.model, RidgeAndTrees)
    first, second = est.names[0], est.names[1]
    # -2 + 3 x 4 = 10, then 0.25 and the stump's right leaf (feature 1 above 0.5): 6
    assert est.predict({first: 4.0, second: 1.0}) == pytest.approx(10 + 0.25 + 6)


def test_an_unknown_model_kind_is_refused_naming_the_file_and_estimator(tmp_path):
    params = json.loads(PARAMS.read_text(encoding="utf-8"))
    name = next(iter(params["estimators"]))
    params["estimators"][name]["model"] = "forest"
    path = tmp_path / "estimators.json"
    path.write_text(json.dumps(params), encoding="utf-8")
    with pytest.raises(ValueError, match=rf"estimators\.{name}\.model: 'forest'"):
        load.__wrapped__(path)


def test_a_line_with_trees_missing_its_line_is_refused_naming_what_it_lacks(tmp_path):
    params = json.loads(PARAMS.read_text(encoding="utf-8"))
    name = next(n for n, e in params["estimators"].items() if "trees" in e["model"])
    e = params["estimators"][name]
    e["model"] = "ridge+trees"  # trees, but no line
    for field in ("mean", "scale", "coef", "intercept"):
        e.pop(field, None)
    path = tmp_path / "estimators.json"
    path.write_text(json.dumps(params), encoding="utf-8")
    with pytest.raises(ValueError) as refused:
        load.__wrapped__(path)
    assert str(path) in str(refused.value) and f"estimators.{name}: " in str(refused.value)
    assert "'mean', 'scale', 'coef', 'intercept'" in str(refused.value)


def _photo_features() -> dict[str, float]:
    """Features of a plausible photo: a person standing square-on, seen from the side."""
    world = np.zeros((33, 3))
    pixel = np.zeros((33, 2))
    for side, x in (("left", 0.1), ("right", -0.1)):
        for part, y in (("shoulder", -0.5), ("hip", 0.0), ("knee", 0.45), ("ear", -0.65)):
            world[INDEX[f"{side}_{part}"]] = (x, y, 0.0)
            pixel[INDEX[f"{side}_{part}"]] = (300 + 100 * x, 500 + 400 * y)
    world[INDEX["nose"]] = (0.0, -0.62, -0.1)
    back = {"lumbar": 20.0, "thoracic": 30.0, "slopes": {"S2": -10.0, "junction": 5.0, "T1": -8.0}}
    angles = {"trunk_inclination": 2.0, "trunk_thigh_angle": 3.0, "lateral_bend": 1.0}
    return features(angles, 0.0, 5.0, back, world, pixel)


def test_every_shipped_estimator_reads_features_the_photo_gives_and_answers_a_number():
    model = load()
    assert model is not None and model.estimators
    f = _photo_features()
    for name, est in model.estimators.items():
        missing = [n for n in est.names if n not in f]
        assert not missing, f"{name} needs features no photo gives: {missing}"
        assert math.isfinite(est.predict(f)), name
        assert len(est.sd_by_view) == 4 and all(sd > 0 for sd in est.sd_by_view), name


# a stump as text: split on feature 1 at 0.5, two leaves
STUMP_TEXT = "1 0.5 1 2 0  0 0 -1 -1 2.5  0 0 -1 -1 6"


def test_exported_trees_read_back_as_one_single_precision_array():
    nodes = nodes_of({"shape": [2, 3], "nodes": f"{STUMP_TEXT} {STUMP_TEXT}"}, features=2)
    assert nodes.shape == (2, 3, 5) and nodes.dtype == np.float32
    assert nodes[1, 0, 1] == np.float32(0.5) and nodes[1, 2, 4] == np.float32(6.0)
    assert Trees(base=1.0, rate=0.5, nodes=nodes).predict(np.array([0.0, 0.7])) == 1 + 0.5 * 12


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("1 0.5 1 2 0", "5 numbers where shape 2x3 needs 30"),
        ("1 0.5 x 2 0", "could not convert"),
        (STUMP_TEXT.replace("6", "inf") + " " + STUMP_TEXT, "not finite"),
        (STUMP_TEXT.replace("1 2 0 ", "1.5 2 0 ", 1) + " " + STUMP_TEXT, "not a whole number"),
        (STUMP_TEXT.replace("1 0.5", "999 0.5", 1) + " " + STUMP_TEXT, "tree 0, node 0"),
        # a child pointing back at its own node: a walk would never end
        (STUMP_TEXT + " " + STUMP_TEXT.replace("1 0.5 1 2", "1 0.5 0 2", 1), "tree 1, node 0"),
        (STUMP_TEXT + " " + STUMP_TEXT.replace("-1 -1 6", "-1 2 6"), "tree 1, node 2"),
    ],
)
def test_bad_tree_numbers_are_refused_naming_the_file_and_estimator(tmp_path, text, problem):
    params = json.loads(PARAMS.read_text(encoding="utf-8"))
    name = next(n for n, e in params["estimators"].items() if "trees" in e["model"])
    params["estimators"][name]["trees"].update(shape=[2, 3], nodes=text)
    broken = tmp_path / "estimators.json"
    broken.write_text(json.dumps(params), encoding="utf-8")
    with pytest.raises(ValueError) as refused:
        load.__wrapped__(broken)
    assert str(broken) in str(refused.value)
    assert f"estimators.{name}.trees" in str(refused.value) and problem in str(refused.value)


def _twisted_pixels(yaw: float, twist: float) -> np.ndarray:
    """Pixels of a person seen from ``yaw`` (0 their right side, 90 the front, 270 the back;
    a far camera) with the shoulders turned ``twist`` deg on planted feet: the hips 0.3 m
    apart, the shoulders and the heel-to-toe lengths in the proportions the witnesses take."""
    y, r = math.radians(yaw), math.radians(twist)
    right_of_image = np.array([math.sin(y), 0.0, math.cos(y)])  # body axes: left, up, forward

    def px(point: tuple[float, float, float]) -> tuple[float, float]:
        return 500.0 + 400.0 * float(np.dot(point, right_of_image)), 900.0 - 400.0 * point[1]

    half_hips, half_shoulders = 0.15, 0.15 * SHOULDER_TO_HIP_PX
    foot = 0.3 * FEET_TO_HIPS
    turned = np.array([math.cos(r), 0.0, -math.sin(r)])  # the shoulder line's left end
    pixel = np.zeros((33, 2))
    for name, sign in (("left", 1.0), ("right", -1.0)):
        pixel[INDEX[f"{name}_hip"]] = px((sign * half_hips, 1.0, 0.0))
        pixel[INDEX[f"{name}_shoulder"]] = px(tuple(sign * half_shoulders * turned + (0, 1.5, 0)))
        pixel[INDEX[f"{name}_heel"]] = px((sign * 0.1, 0.0, -0.05))
        pixel[INDEX[f"{name}_foot_index"]] = px((sign * 0.1, 0.0, foot - 0.05))
    return pixel


@pytest.mark.parametrize("square", [90.0, 270.0])  # the front and the back
@pytest.mark.parametrize("camera_off", [-40.0, -15.0, 0.0, 20.0, 45.0])
@pytest.mark.parametrize("twist", [-45.0, -20.0, -5.0, 10.0, 35.0])
def test_the_feet_place_the_camera_and_the_shoulders_width_leaves_two_turns_one_true(
    square, camera_off, twist
):
    f = features({}, 0.0, 0.0, None, np.zeros((33, 3)), _twisted_pixels(square + camera_off, twist))
    # which side of the pelvis the camera stands on, from the feet alone (no depth)
    assert f["feet_off"] == pytest.approx(camera_off, abs=0.01)
    # the two turns the shoulders' width allows, one either side of the camera's offset:
    # the true one and its depth-turned twin
    turns = sorted((f["twist_wide"], f["twist_narrow"]))
    assert turns == pytest.approx(sorted((twist, 2 * camera_off - twist)), abs=0.01)


@pytest.mark.parametrize("square", [90.0, 270.0])
@pytest.mark.parametrize("trunk_turn", [-20.0, 0.0, 15.0])
def test_the_views_yaw_over_the_feet_is_how_far_the_trunk_turned_the_view(square, trunk_turn):
    pixels = _twisted_pixels(square + 30.0, 25.0)
    f = features({}, square + 30.0 + trunk_turn, 0.0, None, np.zeros((33, 3)), pixels)
    assert f["view_over_feet"] == pytest.approx(trunk_turn, abs=0.01)


def test_feet_witnesses_are_silent_without_hips_to_measure_by():
    f = features({}, 0.0, 0.0, None, np.zeros((33, 3)), np.zeros((33, 2)))
    assert (f["feet_along"], f["feet_off"], f["twist_wide"], f["twist_narrow"]) == (0, 0, 0, 0)
