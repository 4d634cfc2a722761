"""From landmarks to a 3D skeleton in the camera's frame, gravity, and the body's own frame.

Why not just MediaPipe's world landmarks: they are predicted from the picture,
and their depth is the weak part (the synthetic study found trunk rotation
reading ~21 deg low, i.e. depth differences squashed; errors grow with the
camera's angle off the side view). Pixel landmarks are better in the image
plane. So :func:`reconstruct` keeps the pixels, undoes the perspective with an
assumed phone focal length, and places each bone in depth by weighing what
knows its depth (Taylor 2000 and its probabilistic successors):

- its foreshortening: a bone of known length that looks short points along the
  line of sight; strong evidence for a bone pointing at the camera, none for
  one square to its line of sight;
- MediaPipe's depth step, after undoing its flattening (the photo's ``gain``,
  fitted with the camera distance over all long bones: _scale_and_gain);
- for the trunk and thighs, a weak prior that they lie in the sagittal plane.

Camera coordinates follow MediaPipe: x right, y down, z away from the camera, metres.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from backcare.vision.face import featureless
from backcare.vision.types import INDEX, Landmarks

PHONE_FOCAL_35MM = 26.0  # main camera of most phones, 35 mm equivalent
_DIAGONAL_35MM = 43.27

# Bones walked from the hips outwards: (parent, child). Depth is solved per bone.
_TREE: tuple[tuple[str, str], ...] = (
    ("hip_mid", "left_hip"),
    ("hip_mid", "right_hip"),
    ("left_hip", "left_knee"),
    ("left_knee", "left_ankle"),
    ("left_ankle", "left_heel"),
    ("left_ankle", "left_foot_index"),
    ("right_hip", "right_knee"),
    ("right_knee", "right_ankle"),
    ("right_ankle", "right_heel"),
    ("right_ankle", "right_foot_index"),
    ("hip_mid", "shoulder_mid"),  # the trunk, then the shoulder line (its depth shows rotation)
    ("shoulder_mid", "left_shoulder"),
    ("shoulder_mid", "right_shoulder"),
    ("left_shoulder", "left_elbow"),
    ("left_elbow", "left_wrist"),
    ("right_shoulder", "right_elbow"),
    ("right_elbow", "right_wrist"),
)
# Long bones whose image length fixes the scale.
_LIMBS = (
    ("left_hip", "left_knee"),
    ("left_knee", "left_ankle"),
    ("right_hip", "right_knee"),
    ("right_knee", "right_ankle"),
    ("hip_mid", "shoulder_mid"),
    ("left_shoulder", "left_elbow"),
    ("left_elbow", "left_wrist"),
    ("right_shoulder", "right_elbow"),
    ("right_elbow", "right_wrist"),
)
# Small parts take MediaPipe's depth offset from their parent as is.
_LEAVES: dict[str, str] = {
    "left_index": "left_wrist",
    "left_pinky": "left_wrist",
    "left_thumb": "left_wrist",
    "right_index": "right_wrist",
    "right_pinky": "right_wrist",
    "right_thumb": "right_wrist",
    "nose": "shoulder_mid",
    "left_eye_inner": "shoulder_mid",
    "left_eye": "shoulder_mid",
    "left_eye_outer": "shoulder_mid",
    "right_eye_inner": "shoulder_mid",
    "right_eye": "shoulder_mid",
    "right_eye_outer": "shoulder_mid",
    "left_ear": "shoulder_mid",
    "right_ear": "shoulder_mid",
    "mouth_left": "shoulder_mid",
    "mouth_right": "shoulder_mid",
}


# Nodes of the tree (the hip centre first) and, per node, the bones on its path from the hips.
_NODES: tuple[str, ...] = ("hip_mid",) + tuple(child for _, child in _TREE)
_NODE: dict[str, int] = {name: i for i, name in enumerate(_NODES)}
_PATHS = np.zeros((len(_NODES), len(_TREE)))
for _k, (_parent, _child) in enumerate(_TREE):
    _PATHS[_NODE[_child]] = _PATHS[_NODE[_parent]]
    _PATHS[_NODE[_child], _k] = 1.0
_LIMB_NODES = (np.array([_NODE[p] for p, _ in _LIMBS]), np.array([_NODE[c] for _, c in _LIMBS]))


def default_focal(image_size: tuple[int, int], focal_35mm: float = PHONE_FOCAL_35MM) -> float:
    """Focal length in pixels of a phone photo of this size (35 mm equivalents refer to the diagonal)."""
    width, height = image_size
    return focal_35mm / _DIAGONAL_35MM * math.hypot(width, height)


@dataclass(frozen=True)
class Skeleton:
    """33 points in camera orientation, metres, origin between the hips."""

    points: np.ndarray  # (33, 3)
    origin: np.ndarray  # the hip centre in camera coordinates (the camera is at 0)
    focal: float  # pixels
    foreshortened: float  # share of the big bones whose depth came from foreshortening

    @property
    def distance(self) -> float:
        """Camera to the hip centre, metres (scales with the assumed focal length)."""
        return float(np.linalg.norm(self.origin))

    def at(self, name: str) -> np.ndarray:
        if name.endswith("_mid"):
            part = name[:-4]
            return (self.points[INDEX[f"left_{part}"]] + self.points[INDEX[f"right_{part}"]]) / 2
        return self.points[INDEX[name]]


def reconstruct(lm: Landmarks, focal: float | None = None) -> Skeleton:
    """Fuse pixel landmarks (image plane, perspective undone) with MediaPipe's world depth."""
    f = focal or default_focal(lm.image_size)
    centre = np.array(lm.image_size, dtype=float) / 2
    rays = np.column_stack([(lm.pixel - centre) / f, np.ones(len(lm.pixel))])
    world = lm.world
    # every point by name, the midpoints included, looked up once (this runs per photo)
    worlds = {name: world[i] for name, i in INDEX.items()}
    ray_of = {name: rays[i] for name, i in INDEX.items()}
    for part in ("hip", "shoulder", "knee", "ankle"):
        worlds[f"{part}_mid"] = (worlds[f"left_{part}"] + worlds[f"right_{part}"]) / 2
        ray_of[f"{part}_mid"] = (ray_of[f"left_{part}"] + ray_of[f"right_{part}"]) / 2
    w, ray = worlds.__getitem__, ray_of.__getitem__

    bones = _bones(w)
    # How far away the hips are and how much MediaPipe flattened the depth, in one fit
    # over the long bones; then each bone's depth from its foreshortening and MediaPipe.
    fit = _scale_and_gain(ray, w, bones, lm)
    pos, depth, solved = _walk(fit.distance, ray, bones, fit.gain, fit.length_sigma)
    for leaf, parent in _LEAVES.items():
        z = depth[parent] + float(world[INDEX[leaf]][2] - w(parent)[2])
        pos[leaf] = ray(leaf) * max(z, 0.05)
    hip_mid = (pos["left_hip"] + pos["right_hip"]) / 2
    points = np.array([pos[name] for name in INDEX]) - hip_mid
    return Skeleton(points=points, origin=hip_mid, focal=f, foreshortened=solved / len(_TREE))


def _vis(lm: Landmarks, name: str) -> float:
    if name.endswith("_mid"):
        return min(lm.vis(f"left_{name[:-4]}"), lm.vis(f"right_{name[:-4]}"))
    return lm.vis(name)


# The fit of camera distance and MediaPipe's depth flattening (see _scale_and_gain).
_GAINS = np.arange(0.5, 1.0001, 0.025)  # MediaPipe's out-of-plane angle / the true one
_LENGTH_SIGMA = (0.01, 0.03, 0.15)  # a long bone's length vs its picture, relative:
# floor, first guess, ceiling (1 sigma)
_TILT_SIGMA = math.radians(5.0)  # MediaPipe's out-of-plane angle of a bone
_GAIN_PRIOR = (1.0, 0.5)  # no flattening unless the bones show it
_GAIN_SIGMA = 0.1  # the fitted gain's error, relative


@dataclass(frozen=True)
class _Fit:
    distance: float  # camera to the hip centre, metres
    gain: float  # MediaPipe's out-of-plane angles over the true ones
    length_sigma: float  # how well bone lengths and their pictures agree on this photo (relative)


def _scale_and_gain(ray, w, bones, lm: Landmarks) -> _Fit:
    """Camera-to-hips distance and MediaPipe's depth flattening, fitted together.

    Each long bone must be as long as MediaPipe says once its out-of-plane angle is
    known: pixel extent x depth = length x cos(angle). The angle is MediaPipe's
    divided by the flattening ``gain`` (its world landmarks keep bone lengths but
    squash their angles out of the image plane, as a learned model errs); the depth
    is the distance plus the de-flattened steps from the hips. Bones lying in the
    image plane fix the distance whatever the gain; tilted ones fix the gain.
    Weighted least squares (a grid over the gain, the distance solved for each),
    twice: the first pass measures how well this photo's bone lengths agree with
    their pictures (5-15% on the real photos, 1% on exact synthetic ones), the
    second weighs the bones by it, so a noisy photo leans on the gain's prior.
    A camera looking down on a standing person sees no bone at full length: this
    fit, unlike taking the flattest bones as full length, stays right there.
    """
    world_len = px_len = 0.0  # weak-perspective start: metres per ray unit at the hips
    for parent, child in _TREE[2:]:  # sqrt(d @ d) is np.linalg.norm's sum, without its cost
        d_world, d_ray = (w(child) - w(parent))[:2], (ray(child) - ray(parent))[:2]
        world_len += math.sqrt(d_world @ d_world)
        px_len += math.sqrt(d_ray @ d_ray)
    start = float(min(max(world_len / px_len if px_len > 1e-9 else 3.0, 0.3), 30.0))
    use = [k for k, (p, c) in enumerate(_LIMBS) if min(_vis(lm, p), _vis(lm, c)) > 0.5]
    if len(use) < 3:
        return _Fit(start, 1.0, _LENGTH_SIGMA[2])
    lengths = np.array([length for _, _, length, _, _ in bones])
    bone_tilt = np.arcsin(
        np.clip(np.array([dz for _, _, _, dz, _ in bones]) / np.maximum(lengths, 1e-9), -1, 1)
    )
    limb_parent, limb_child = _LIMB_NODES[0][use], _LIMB_NODES[1][use]
    limb_vec = np.array([w(c) - w(p) for p, c in _LIMBS])[use]
    limb_len = np.linalg.norm(limb_vec, axis=1)
    limb_tilt = np.abs(np.arcsin(np.clip(limb_vec[:, 2] / np.maximum(limb_len, 1e-9), -1, 1)))
    # a limb's picture extent scales with its depth: MediaPipe's error in the depth steps
    # from the hips to the limb's start (the trunk, for an arm) blurs its evidence
    limb_blur = np.sqrt(_PATHS[limb_parent] @ lengths**2) * _TILT_SIGMA / start
    node_rays = np.array([ray(name)[:2] for name in _NODES])  # the mids' as plain means
    half_diff = {
        part: (ray(f"left_{part}") - ray(f"right_{part}"))[:2] / 2 for part in ("hip", "shoulder")
    }
    mids = [
        (_NODE[f"{part}_mid"], _NODE[f"left_{part}"], _NODE[f"right_{part}"], half_diff[part])
        for part in ("hip", "shoulder")
    ]

    geometry_of: dict[bytes, tuple[np.ndarray, ...]] = {}  # per grid of gains: both passes

    def at_gains(gains: np.ndarray) -> tuple[np.ndarray, ...]:
        """What the fit needs of a grid of gains that does not depend on sigma."""
        steps = lengths[:, None] * np.sin(np.clip(bone_tilt[:, None] / gains[None, :], -1.5, 1.5))
        offset = _PATHS @ steps  # (nodes, G): node depth - hip depth, per gain
        rays_xy = np.repeat(node_rays[:, None, :], len(gains), axis=1)  # (nodes, G, 2)
        for mid, left, right, diff in mids:  # a midpoint's ray under perspective (_mid_ray)
            rays_xy[mid] += diff[None, :] * ((offset[left] - offset[right]) / 2 / start)[:, None]
        a, b = rays_xy[limb_parent], rays_xy[limb_child]  # (L, G, 2)
        ends = b * offset[limb_child][:, :, None] - a * offset[limb_parent][:, :, None]
        tilts = np.clip(limb_tilt[:, None] / gains[None, :], 0.0, 1.4)  # (L, G)
        expected = np.log(limb_len[:, None] * np.cos(tilts))
        return a, b, ends, tilts, expected

    def fit(gains: np.ndarray, sigma: float) -> tuple[float, float, np.ndarray]:
        """Best gain of ``gains`` with its distance, and the limbs' residuals (log of the
        picture extent over the expected one)."""
        key = gains.tobytes()
        if key not in geometry_of:
            geometry_of[key] = at_gains(gains)
        a, b, ends, tilts, expected = geometry_of[key]
        weight = 1.0 / (sigma**2 + limb_blur[:, None] ** 2 + (np.tan(tilts) * _TILT_SIGMA) ** 2)
        # the bone's image-plane extent in metres is |(b - a) D + ends|: nearly D times a
        # constant, so the best log D per gain is a weighted mean, refined a few times
        distance = np.full(len(gains), start)
        for _ in range(3):
            span = (b - a) + ends / distance[None, :, None]
            log_q = 0.5 * np.log(np.maximum((span * span).sum(axis=2), 1e-18))
            distance = np.exp((weight * (expected - log_q)).sum(0) / weight.sum(0))
        r = np.log(distance)[None, :] + log_q - expected
        cost = (weight * r * r).sum(0) + ((gains - _GAIN_PRIOR[0]) / _GAIN_PRIOR[1]) ** 2
        i = int(np.argmin(cost))
        return float(distance[i]), float(gains[i]), r[:, i]

    def refined(sigma: float) -> tuple[float, float, np.ndarray]:
        _, gain, _ = fit(_GAINS, sigma)
        return fit(np.clip(gain + np.arange(-0.025, 0.0251, 0.005), _GAINS[0], _GAINS[-1]), sigma)

    distance, gain, r = refined(_LENGTH_SIGMA[1])
    # the bones' disagreement, from those whose tilt barely matters (2 parameters were fitted)
    flat = limb_tilt / gain < 0.5
    if flat.sum() >= 3:
        sigma = float(np.sqrt(np.sum(r[flat] ** 2) / max(1, flat.sum() - 2)))
        sigma = float(min(max(sigma, _LENGTH_SIGMA[0]), _LENGTH_SIGMA[2]))
        distance, gain, r = refined(sigma)
    else:
        sigma = _LENGTH_SIGMA[2]
    return _Fit(float(min(max(distance, 0.3), 30.0)), gain, sigma)


def _bones(w) -> list[tuple[str, str, float, float, bool]]:
    """(parent, child, length, MediaPipe's depth step, across) for every bone of the tree."""
    bones = []
    for parent, child in _TREE:
        across = parent.endswith("_mid") and not child.endswith("_mid")  # half a left-right line
        if across:
            part = parent[:-4]
            length = math.hypot(*(w(f"left_{part}") - w(f"right_{part}")).tolist()) / 2
        else:
            length = math.hypot(*(w(child) - w(parent)).tolist())
        bones.append((parent, child, length, float(w(child)[2] - w(parent)[2]), across))
    return bones


def _mid_ray(ray, part: str, half_dz, depth):
    """Ray through the 3D midpoint of a left-right pair whose left point lies ``half_dz``
    deeper than the midpoint (which lies at ``depth``). Under perspective the mean of
    the two rays misses it: a shoulder line seen at 45 deg shifts it by ~1% of the trunk."""
    left, right = ray(f"left_{part}"), ray(f"right_{part}")
    return (left + right) / 2 + (left - right) / 2 * (half_dz / depth)


def _walk(
    distance: float, ray, bones, gain: float = 1.0, length_sigma: float = _LENGTH_SIGMA[1]
) -> tuple[dict, dict, int]:
    """Place every bone of the tree, hips outwards, with the hip centre at ``distance``.
    ``gain``: MediaPipe's depth flattening, undone where its depth is used;
    ``length_sigma``: how far this photo's bone lengths can be trusted (relative)."""
    steps = {}  # MediaPipe's depth step of every bone, de-flattened
    for parent, child, length, mp_dz, _ in bones:
        if gain != 1.0 and length > 1e-6:
            tilt = math.asin(max(-1.0, min(1.0, mp_dz / length))) / gain
            mp_dz = length * math.sin(max(-math.pi / 2, min(math.pi / 2, tilt)))
        steps[parent, child] = mp_dz

    def half(part: str) -> float:
        return (steps[f"{part}_mid", f"left_{part}"] - steps[f"{part}_mid", f"right_{part}"]) / 2

    depth: dict[str, float] = {"hip_mid": distance}
    pos: dict[str, np.ndarray] = {"hip_mid": _mid_ray(ray, "hip", half("hip"), distance) * distance}
    # how well each point's depth is known (the hip centre's from the distance fit)
    spread: dict[str, float] = {"hip_mid": distance * length_sigma / 3}
    solved = 0
    for parent, child, length, _, across in bones:
        mp_dz = steps[parent, child]
        child_ray = ray(child)
        if child.endswith("_mid"):
            child_ray = _mid_ray(ray, child[:-4], half(child[:-4]), max(depth[parent] + mp_dz, 0.1))
        normal = None
        if child in _IN_SAGITTAL and "left_hip" in pos and "right_hip" in pos:
            normal = _unit(pos["left_hip"] - pos["right_hip"])
        dz, from_shape, sigma = _bone_depth(
            pos[parent],
            depth[parent],
            child_ray,
            length,
            mp_dz,
            across,
            gain,
            length_sigma,
            spread[parent],
            ray(parent),
            normal,
        )
        solved += from_shape
        depth[child] = depth[parent] + dz
        pos[child] = child_ray * depth[child]
        spread[child] = math.hypot(spread[parent], sigma)
    return pos, depth, solved


# Bones that lie in the body's sagittal plane unless the photo shows otherwise (the
# trunk, and the thighs of a person standing or bending forward), and how far out of
# it they typically are (1 sigma). This prior only matters where neither the bone's
# length nor MediaPipe can tell its depth: a bone square to the line of sight, e.g. a
# trunk bent 20 deg seen from 45 deg off the side. It costs about 1 deg on a 30 deg
# side bend seen from an angle (side bends are photographed from the front or back,
# where the prior has no grip on depth).
_IN_SAGITTAL = frozenset({"shoulder_mid", "left_knee", "right_knee"})
_SAGITTAL_SIGMA = math.sin(math.radians(10.0))
_STEPS = np.linspace(-1.1, 1.1, 221)  # candidate depth steps, in bone lengths


def _bone_depth(
    parent: np.ndarray,
    parent_z: float,
    child_ray: np.ndarray,
    length: float,
    mp_dz: float,
    across: bool = False,
    gain: float = 1.0,
    length_sigma: float = _LENGTH_SIGMA[1],
    parent_sigma: float = 0.0,
    parent_ray: np.ndarray | None = None,
    normal: np.ndarray | None = None,
) -> tuple[float, int, float]:
    """Depth step from parent to child: the most probable one given the bone's length
    (its picture must be that long: foreshortening) and MediaPipe's de-flattened step.

    Foreshortening knows the depth well for a bone pointing along the line of sight
    and hardly at all for one square to it (there the length barely changes with
    depth); MediaPipe's angle errs by _TILT_SIGMA, amplified by undoing its
    flattening, plus the gain's own error. Weighing both by these errors on the
    photo's own length error (``length_sigma``) and on how well the parent's depth is
    known (``parent_sigma``, metres, moving it along ``parent_ray``) leaves each in
    charge where it knows. Returns the step, whether the length decided it, and its
    uncertainty (metres).

    ``across``: half of the hip or shoulder line. MediaPipe's widths there do not
    match the pixels (its hips are ~30% wide for its shoulders on the front views of the
    studio photos first used; bench/vision_accuracy.py measures the rendered ones), so
    foreshortening is believed only when the line is seen
    nearly end-on (side views), where it is unmistakable."""
    tilt = math.asin(min(1.0, abs(mp_dz) / max(length, 1e-9)))
    mp_sigma = max(
        length * math.cos(tilt) / gain * math.hypot(_TILT_SIGMA, tilt * _GAIN_SIGMA), 0.02 * length
    )
    if length <= 1e-6:
        return mp_dz, 0, mp_sigma
    # distance from the parent to the point at depth Z on the child's ray:
    # |child_ray * Z - parent|^2 = a Z^2 - 2 b Z + |parent|^2
    rx, ry, rz = float(child_ray[0]), float(child_ray[1]), float(child_ray[2])
    px, py, pz = float(parent[0]), float(parent[1]), float(parent[2])
    a = rx * rx + ry * ry + rz * rz
    b = rx * px + ry * py + rz * pz
    pp = px * px + py * py + pz * pz
    if across:
        disc = b * b - a * (pp - length * length)
        if disc <= 0:
            return mp_dz, 0, mp_sigma
        roots = ((b - math.sqrt(disc)) / a - parent_z, (b + math.sqrt(disc)) / a - parent_z)
        shape_dz = min(roots, key=lambda r: abs(r - mp_dz))  # MediaPipe decides near or far
        flat = math.sqrt(max(0.0, 1.0 - (shape_dz / length) ** 2))
        weight = float(min(max((0.5 - flat) / 0.2, 0.0), 1.0))  # full weight > 70 deg out of plane
        if abs(mp_dz) < 0.25 * abs(shape_dz):  # a sign question MediaPipe cannot settle
            weight *= abs(mp_dz) / (0.25 * abs(shape_dz))
        return weight * shape_dz + (1 - weight) * mp_dz, int(weight > 0.5), (1 - weight) * mp_sigma
    dz = _STEPS * length
    z = parent_z + dz
    reach = np.sqrt(np.maximum(a * z * z - 2 * b * z + pp, 1e-12))
    # the parent sliding along its ray by parent_sigma changes the reach by the bone's
    # share along that ray: near-square bones with an uncertain parent say little
    if parent_ray is not None and parent_sigma > 0:
        ray_len = math.sqrt(float(parent_ray @ parent_ray))
        along = (float(parent @ parent_ray) - float(child_ray @ parent_ray) * z) / (reach * ray_len)
        spread = np.sqrt((length * length_sigma) ** 2 + (parent_sigma * along) ** 2)
    else:
        spread = length * length_sigma
    shape_cost = ((reach - length) / spread) ** 2
    cost = shape_cost + ((dz - mp_dz) / mp_sigma) ** 2
    if normal is not None:  # the bone's reach out of the sagittal plane
        off_plane = float(child_ray @ normal) * z - float(parent @ normal)
        cost = cost + (off_plane / (length * _SAGITTAL_SIGMA)) ** 2
    k = min(max(int(np.argmin(cost)), 1), len(dz) - 2)
    c0, c1, c2 = cost[k - 1], cost[k], cost[k + 1]
    bend = c0 - 2 * c1 + c2
    step = dz[1] - dz[0]
    best = dz[k] + (0.5 * step * (c0 - c2) / bend if bend > 1e-12 else 0.0)
    # did the length decide (its cost curves more there than MediaPipe's)?
    shape_bend = shape_cost[k - 1] - 2 * shape_cost[k] + shape_cost[k + 1]
    sigma = math.sqrt(2.0 / bend) * step if bend > 1e-12 else mp_sigma
    return float(best), int(shape_bend / step**2 > 2.0 / mp_sigma**2), min(sigma, mp_sigma)


@dataclass(frozen=True)
class Gravity:
    """Which way is down, in camera coordinates, and how we know."""

    down: np.ndarray
    source: str  # "floor", "legs", "floor+legs", "level-camera"
    confidence: float  # 0..1


LEVEL_CAMERA = np.array([0.0, 1.0, 0.0])


# How much to believe each witness of gravity (1 sigma).
_FOOT_XY_M = 0.03  # a foot point's error in the image plane, metres
_FOOT_DEPTH_M = 0.10  # ... in depth: MediaPipe's feet are its least certain points
_LEG_LEAN_DEG = 6.0  # standing legs lean (sway)
_BENT_LEG_LEAN_DEG = 15.0  # ... more in a bend, where the hips move back
_BALANCE_M = 0.06  # centre of mass off the middle of the feet (sway, a held weight)
_PITCH_PRIOR = (5.0, 15.0)  # phones are held about level or a little above: mean, sigma
# Phones are mostly held level and now and then tilted, so the roll's prior is heavy-tailed
# (Cauchy, centred on level, this scale in degrees): near level it pulls like a normal
# prior of sd 2.1, a clearly tilted phone it barely moves. Evidence: the room lines of the
# shared studio photos (vision.view.scene_roll) put 32 of 37 within 1.5 deg of level and
# 5 at 2.9-5.6 deg. The broad normal prior before (sd 15) let the body's cues (legs taken
# as vertical, the balance) carry their posture into the roll: 3.1 deg rms on rendered
# standing profiles, which turns every absolute angle of a side view by as much.
_ROLL_SCALE = 3.0
_PITCHES = np.arange(-35.0, 65.0, 2.5)
_ROLLS = np.arange(-70.0, 71.0, 2.5)


def _roll_prior(roll: np.ndarray) -> np.ndarray:
    """-2 ln of the roll prior's density, 0 at level: squared sigmas, as the fit's terms."""
    return 2.0 * np.log1p((roll / _ROLL_SCALE) ** 2)


def gravity_vector(pitch_deg: float, roll_deg: float) -> np.ndarray:
    """Down in camera coordinates for a camera pitched down by ``pitch`` and rolled by ``roll``."""
    p, r = math.radians(pitch_deg), math.radians(roll_deg)
    return np.array([-math.sin(r) * math.cos(p), math.cos(r) * math.cos(p), math.sin(p)])


def gravity_roll(gravity: Gravity) -> float:
    """The camera roll a gravity estimate implies (+ when verticals lean to the image's right)."""
    return math.degrees(math.atan2(-float(gravity.down[0]), float(gravity.down[1])))


# One term of the gravity fit: its cost over the grid of (pitch, roll, gravity vector).
_Term = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def estimate_gravity(
    sk: Skeleton, lm: Landmarks, scene_roll: tuple[float, float] | None = None
) -> Gravity:
    """Gravity from the floor under the feet (heel and toe lines lie flat), from
    standing legs and from the room's vertical lines (``scene_roll``: roll and its
    sigma, degrees), balanced against how phones are usually held. People who are
    not on their feet (lying, kneeling) say nothing about pitch: the camera is then
    taken as level, rolled as the room says."""
    if not on_feet(lm):
        if scene_roll is not None:
            return Gravity(gravity_vector(0.0, scene_roll[0]), "room+level-camera", 0.4)
        return Gravity(gravity_vector(0.0, 0.0), "level-camera", 0.3)
    # Each term scores every (pitch, roll, gravity) of the grid: squared sigmas off.
    terms: list[_Term] = [
        lambda P, R, g: ((P - _PITCH_PRIOR[0]) / _PITCH_PRIOR[1]) ** 2 + _roll_prior(R)
    ]
    info = {"floor": 0.0, "legs": 0.0, "balance": 0.0, "room": 0.0}
    if scene_roll is not None:
        room, room_sigma = scene_roll
        terms.append(lambda P, R, g: ((R - room) / room_sigma) ** 2)
        info["room"] = 1 / math.radians(room_sigma)
    feet = ("left_heel", "left_foot_index", "right_heel", "right_foot_index")
    for i, a in enumerate(feet):
        for b in feet[i + 1 :]:
            seen = min(lm.vis(a), lm.vis(b))
            v = sk.at(b) - sk.at(a)
            length = float(np.linalg.norm(v))
            if seen < 0.5 or length < 0.05:
                continue
            sigma = math.hypot(_FOOT_XY_M, _FOOT_DEPTH_M * abs(v[2]) / length) / length
            terms.append(_flat_term(v / length, seen / sigma**2))
            info["floor"] += seen / sigma
    if _standing(sk, lm):
        # balance: a person standing still keeps the centre of mass over the feet
        support = np.mean(
            [
                sk.at(n)
                for n in (
                    "left_heel",
                    "left_foot_index",
                    "right_heel",
                    "right_foot_index",
                    "left_ankle",
                    "right_ankle",
                )
            ],
            axis=0,
        )
        above = centre_of_mass(sk) - support
        height = float(np.linalg.norm(above))
        sigma = math.degrees(math.atan2(_BALANCE_M, height))
        terms.append(_direction_term(-above / height, sigma))
        info["balance"] = 1 / math.radians(sigma)
    trunk = sk.at("shoulder_mid") - sk.at("hip_mid")
    lean = (
        _LEG_LEAN_DEG
        if _angle(trunk, sk.at("hip_mid") - sk.at("knee_mid")) < 30
        else _BENT_LEG_LEAN_DEG
    )
    for side in ("left", "right"):
        if (
            min(lm.vis(f"{side}_{p}") for p in ("hip", "knee", "ankle")) < 0.5
            or knee_angle(sk, side) > 20
        ):
            continue
        leg = _unit(sk.at(f"{side}_ankle") - sk.at(f"{side}_hip"))
        terms.append(_direction_term(leg, lean))
        info["legs"] += 1 / math.radians(lean)
    sources = [name for name, value in info.items() if value > 0]
    if not sources:
        return Gravity(gravity_vector(_PITCH_PRIOR[0], 0.0), "level-camera", 0.3)
    # coarse grid over every plausible pose of the phone, then a fine one around the best
    pitch, roll = _best(terms, _PITCHES, _ROLLS)
    pitch, roll = _best(
        terms, np.arange(pitch - 3.0, pitch + 3.01, 0.5), np.arange(roll - 3.0, roll + 3.01, 0.5)
    )
    strength = sum(info.values())  # ~ 1 / radian of uncertainty
    confidence = float(min(max(strength / 40.0, 0.35), 0.95))
    return Gravity(gravity_vector(pitch, roll), "+".join(sources), round(confidence, 2))


def _off_deg(g: np.ndarray, direction: np.ndarray) -> np.ndarray:
    return np.degrees(np.arccos(np.clip(g @ direction, -1.0, 1.0)))


def _flat_term(v: np.ndarray, weight: float) -> _Term:
    """A line that lies flat (unit ``v``): gravity perpendicular to it, ``weight`` per unit off."""
    return lambda P, R, g: weight * (g @ v) ** 2


def _direction_term(direction: np.ndarray, sigma_deg: float) -> _Term:
    """Gravity along ``direction`` (unit), within ``sigma_deg``."""
    return lambda P, R, g: _off_deg(g, direction) ** 2 / sigma_deg**2


def _best(terms: list[_Term], pitches: np.ndarray, rolls: np.ndarray) -> tuple[float, float]:
    P, R = np.meshgrid(pitches, rolls, indexing="ij")
    p, r = np.radians(P), np.radians(R)
    g = np.stack([-np.sin(r) * np.cos(p), np.cos(r) * np.cos(p), np.sin(p)], axis=-1)
    first, *rest = terms
    cost = first(P, R, g)
    for term in rest:
        cost = cost + term(P, R, g)
    k = np.unravel_index(int(np.argmin(cost)), cost.shape)
    return float(P[k]), float(R[k])


# Segment masses (fraction of body mass) and centres (fraction from the proximal end),
# Dempster's data as tabulated by Winter (2009), Biomechanics and Motor Control of Human Movement.
_SEGMENTS = (
    ("shoulder_mid", "hip_mid", 0.497, 0.50),
    ("left_shoulder", "left_elbow", 0.028, 0.436),
    ("right_shoulder", "right_elbow", 0.028, 0.436),
    ("left_elbow", "left_wrist", 0.016, 0.430),
    ("right_elbow", "right_wrist", 0.016, 0.430),
    ("left_wrist", "left_index", 0.006, 0.506),
    ("right_wrist", "right_index", 0.006, 0.506),
    ("left_hip", "left_knee", 0.100, 0.433),
    ("right_hip", "right_knee", 0.100, 0.433),
    ("left_knee", "left_ankle", 0.0465, 0.433),
    ("right_knee", "right_ankle", 0.0465, 0.433),
    ("left_heel", "left_foot_index", 0.0145, 0.5),
    ("right_heel", "right_foot_index", 0.0145, 0.5),
)
_HEAD_MASS = 0.081


def centre_of_mass(sk: Skeleton) -> np.ndarray:
    """Whole-body centre of mass from the segment model (camera coordinates)."""
    head = (sk.at("left_ear") + sk.at("right_ear")) / 2
    total = _HEAD_MASS * head
    for a, b, mass, frac in _SEGMENTS:
        total = total + mass * (sk.at(a) + frac * (sk.at(b) - sk.at(a)))
    return total


def _standing(sk: Skeleton, lm: Landmarks) -> bool:
    """On the feet with fairly straight legs (not seated, squatting or kneeling): only then
    must the centre of mass be above the feet."""
    if min(lm.vis(n) for n in ("left_ankle", "right_ankle", "left_knee", "right_knee")) < 0.5:
        return False
    legs = (
        sum(
            float(
                np.linalg.norm(sk.at(f"{s}_hip") - sk.at(f"{s}_knee"))
                + np.linalg.norm(sk.at(f"{s}_knee") - sk.at(f"{s}_ankle"))
            )
            for s in ("left", "right")
        )
        / 2
    )
    return float(np.linalg.norm(sk.at("hip_mid") - sk.at("ankle_mid"))) > 0.8 * legs


def on_feet(lm: Landmarks) -> bool:
    """Standing or sitting with the feet on the floor: ankles visible, well below the hips."""
    if min(lm.vis(n) for n in ("left_ankle", "right_ankle", "left_hip", "right_hip")) < 0.3:
        return False
    legs = lm.px("left_ankle") + lm.px("right_ankle") - lm.px("left_hip") - lm.px("right_hip")
    return bool(legs[1] > 0 and math.degrees(math.atan2(abs(legs[0]), legs[1])) < 35)


def knee_angle(sk: Skeleton, side: str) -> float:
    """Knee flexion, 0 = straight."""
    thigh = sk.at(f"{side}_hip") - sk.at(f"{side}_knee")
    shank = sk.at(f"{side}_ankle") - sk.at(f"{side}_knee")
    return 180.0 - _angle(thigh, shank)


@dataclass(frozen=True)
class BodyFrame:
    """The body's own axes in camera coordinates: left (pelvis line), forward, up (against gravity)."""

    left: np.ndarray
    forward: np.ndarray
    up: np.ndarray
    swapped: bool = False  # MediaPipe's left and right looked swapped and were turned round

    def sagittal(self, v: np.ndarray) -> float:
        """Angle of v from up in the sagittal plane, + when its tip leans forward."""
        return math.degrees(math.atan2(float(v @ self.forward), float(v @ self.up)))

    def frontal(self, v: np.ndarray) -> float:
        """Angle of v from up in the frontal plane, + when its tip leans to the person's left."""
        return math.degrees(math.atan2(float(v @ self.left), float(v @ self.up)))

    def heading(self, left_minus_right: np.ndarray) -> float:
        """Turn of a left-minus-right line about the vertical, + when its left end moves back
        (the front turning to the person's left)."""
        return math.degrees(
            math.atan2(-float(left_minus_right @ self.forward), float(left_minus_right @ self.left))
        )

    def lateral(self, v: np.ndarray) -> float:
        """Angle of v out of the sagittal plane, + towards the person's left. Unlike
        ``frontal`` it stays meaningful when v is tipped forward (a bent trunk)."""
        n = float(np.linalg.norm(v))
        return math.degrees(math.asin(max(-1.0, min(1.0, float(v @ self.left) / max(n, 1e-12)))))

    def level(self, left_minus_right: np.ndarray) -> float:
        """Slope of a left-minus-right line from horizontal in the frontal plane, + left end higher."""
        horizontal = math.hypot(
            float(left_minus_right @ self.left), float(left_minus_right @ self.forward)
        )
        return math.degrees(math.atan2(float(left_minus_right @ self.up), horizontal))


def body_frame(sk: Skeleton, gravity: Gravity, lm: Landmarks) -> BodyFrame:
    up = -gravity.down
    across = sk.at("left_hip") - sk.at("right_hip")
    if np.linalg.norm(across - (across @ up) * up) < 0.05:  # pelvis seen end-on from above/below
        across = across + (sk.at("left_shoulder") - sk.at("right_shoulder"))
    left = _unit(across - (across @ up) * up)
    forward = cross(left, up)  # (left, forward, up) is a left-handed triple
    swapped = _front_votes(sk, lm, left, up) < 0
    if swapped:
        left, forward = -left, -forward
    return BodyFrame(left=left, forward=_unit(forward), up=up, swapped=swapped)


def _front_votes(
    sk: Skeleton, lm: Landmarks, left: np.ndarray, up: np.ndarray | None = None
) -> float:
    """How strongly the feet and the face agree that ``left`` is the body's left.

    MediaPipe sometimes swaps left and right (13% of back views in the synthetic
    study), which would turn the body round; the feet and the face cannot. Each
    is judged in its own segment's frame (a foot against its shank, the face
    against the trunk), so the vote holds standing, bent over or lying.

    ``up`` (against gravity) lets the picture vote too: landmarks that turn the
    front to the camera while the picture shows no face there (vision.face) mean
    the camera sees the back.
    """

    def vote(pointing: np.ndarray, segment_up: np.ndarray) -> float:
        front = cross(left, segment_up)  # (left, front, up) is left-handed: left x up = front
        norm = float(np.linalg.norm(pointing) * np.linalg.norm(front))
        return float(min(max(pointing @ front / norm, -1), 1)) if norm > 1e-9 else 0.0

    votes = 0.0
    for side in ("left", "right"):
        weight = min(lm.vis(f"{side}_foot_index"), lm.vis(f"{side}_heel"), lm.vis(f"{side}_knee"))
        votes += weight * vote(
            sk.at(f"{side}_foot_index") - sk.at(f"{side}_heel"),
            sk.at(f"{side}_knee") - sk.at(f"{side}_ankle"),
        )
    face = sk.at("nose") - (sk.at("left_ear") + sk.at("right_ear")) / 2
    votes += 0.7 * lm.vis("nose") * vote(face, sk.at("shoulder_mid") - sk.at("hip_mid"))
    # MediaPipe's own depth of the nose against the ears, judged in its own world frame:
    # on renders of back views it told the face's side right in 133 of 134 photos, where
    # the feet (seen heel-on from behind) voted wrong in 12 (bench/vision_accuracy.py)
    w = lm.world
    w_left = w[INDEX["left_hip"]] - w[INDEX["right_hip"]]
    w_up = (w[INDEX["left_shoulder"]] + w[INDEX["right_shoulder"]]) / 2 - (
        w[INDEX["left_hip"]] + w[INDEX["right_hip"]]
    ) / 2
    w_face = w[INDEX["nose"]] - (w[INDEX["left_ear"]] + w[INDEX["right_ear"]]) / 2
    w_front = cross(w_left, w_up)
    norm = float(np.linalg.norm(w_face) * np.linalg.norm(w_front))
    agree = float(min(max(w_face @ w_front / norm, -1), 1)) if norm > 1e-9 else 0.0
    # the sign of the cross product depends on the frame's handedness: MediaPipe's world is
    # camera-aligned like ``sk`` (x right, y down, z away), so the same formula holds
    votes += 2.0 * lm.vis("nose") * agree
    if up is not None:
        votes += _picture_vote(sk, lm, left, up)
    return votes


FACELESS_WEIGHT = 8.0  # outweighs every landmark vote together (at most ~4.7)
_SQUARE_ON = 0.6  # cosine between the body's front and the camera ray for the full vote


def _picture_vote(sk: Skeleton, lm: Landmarks, left: np.ndarray, up: np.ndarray) -> float:
    """Against ``left`` when it turns the front to the camera but the picture shows no
    face where the eyes should be (for it when it turns the back to the camera).

    In every rendered back view read as a front view (bench/vision_accuracy.py),
    BlazePose had returned a consistent front-facing body: nose visibility >= 0.99,
    its world nose in front of the ears, most toes nearer the camera than the heels,
    so the landmark votes above were as sure as for a true front. On the training
    renders, of upright heads the landmarks turned to the camera, no true front had a
    plain eye region (vision.face) and 7 of 11 such back views had, so at full strength
    (square-on, plainly no eyes) this vote decides; it is silent when the picture
    cannot say (small or bowed head) and weak on views near the side.
    """
    plain = featureless(getattr(lm, "face_detail", None))
    if plain <= 0.0:
        return 0.0
    to_camera = -sk.origin / max(float(np.linalg.norm(sk.origin)), 1e-9)
    facing = float(_unit(cross(left, up)) @ to_camera)
    return -FACELESS_WEIGHT * plain * float(min(max(facing / _SQUARE_ON, -1.0), 1.0))


def cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The cross product of two 3-vectors: np.cross's arithmetic, in the same order (so
    the same result), without its general machinery (~15x its cost on one pair)."""
    a0, a1, a2 = a
    b0, b1, b2 = b
    return np.array([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0])


def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(v))
    return v / n if n > 1e-12 else v


def _angle(a: np.ndarray, b: np.ndarray) -> float:
    cos = float(a @ b) / max(float(np.linalg.norm(a) * np.linalg.norm(b)), 1e-12)
    return math.degrees(math.acos(max(-1.0, min(1.0, cos))))
