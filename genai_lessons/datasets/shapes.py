"""A generated image world with a known hierarchy: strokes make parts, parts make objects.

Every image shows one object (a house, a tree, a car, a face or a boat) drawn with straight
strokes. Each object is built from parts (rectangles, triangles, circles, arcs, corners),
each part from strokes; circles and arcs are short polygons. Position, size, rotation and
stroke width are random, small random parts and stray strokes are added as clutter, and
pixel noise on top. Because the generator draws every stroke itself, it knows the truth at
every level of the hierarchy, which is what lesson 2 needs to ask which layer of a network
encodes which level:

- edges: the orientation of the stroke under every pixel (4 bins of 45 degrees);
- parts: which part types are present in the image, and in which cell of a coarse grid;
- objects: the class of the object.

    world = shapes.make_shapes(2000, seed=0)
    world.images.shape, world.labels[:5], world.parts[0], world.orientation.shape
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from genai_lessons.core.validation import check_int

PARTS = ("rectangle", "triangle", "circle", "arc", "corner")
"""Part types, in the order of the columns of `Shapes.parts`."""

OBJECTS = ("house", "tree", "car", "face", "boat")
"""Object classes, in the order of `Shapes.labels`."""

ORIENTATIONS = ("horizontal", "rising diagonal", "vertical", "falling diagonal")
"""Edge-orientation bins (0, 45, 90, 135 degrees), the values of `Shapes.orientation`."""

# Each object is a list of (part, x, y, half_width, half_height, probability) in a frame where
# the object spans [-1, 1] and y points up. Parts with probability < 1 are sometimes left out,
# so that neither the parts nor their number give the class away on their own.
_TEMPLATES = {
    "house": [
        ("rectangle", 0.0, -0.35, 0.6, 0.55, 1.0),
        ("triangle", 0.0, 0.55, 0.75, 0.4, 1.0),
        ("rectangle", 0.0, -0.62, 0.15, 0.28, 0.5),
    ],
    "tree": [("circle", 0.0, 0.3, 0.6, 0.6, 1.0), ("rectangle", 0.0, -0.6, 0.13, 0.35, 1.0)],
    "car": [
        ("rectangle", 0.0, -0.05, 0.9, 0.3, 1.0),
        ("circle", -0.5, -0.55, 0.22, 0.22, 1.0),
        ("circle", 0.5, -0.55, 0.22, 0.22, 1.0),
        ("corner", 0.1, 0.5, 0.4, 0.2, 0.5),
    ],
    "face": [
        ("circle", 0.0, 0.0, 0.9, 0.9, 1.0),
        ("circle", -0.35, 0.28, 0.14, 0.14, 1.0),
        ("circle", 0.35, 0.28, 0.14, 0.14, 1.0),
        ("arc", 0.0, -0.25, 0.45, 0.3, 1.0),
    ],
    "boat": [
        ("arc", 0.0, -0.4, 0.9, 0.45, 1.0),
        ("triangle", 0.1, 0.35, 0.45, 0.55, 1.0),
        ("corner", -0.6, 0.5, 0.2, 0.2, 0.3),
    ],
}


def _polygon(points: list[tuple[float, float]], closed: bool) -> np.ndarray:
    """Strokes (segments, 4) = (x0, y0, x1, y1) joining consecutive points."""
    points = np.asarray(points, dtype=np.float64)
    ends = np.roll(points, -1, axis=0) if closed else points[1:]
    return np.concatenate([points[: len(ends)], ends], axis=1)


def _circle_points(start: float, stop: float, pieces: int) -> list[tuple[float, float]]:
    angles = np.linspace(start, stop, pieces + 1)
    return list(zip(np.cos(angles), np.sin(angles)))


# Each part's strokes in its own frame, spanning [-1, 1] x [-1, 1], y up.
_PART_STROKES = {
    "rectangle": _polygon([(-1, -1), (1, -1), (1, 1), (-1, 1)], closed=True),
    "triangle": _polygon([(-1, -1), (1, -1), (0, 1)], closed=True),
    "circle": _polygon(_circle_points(0, 2 * np.pi, 12)[:-1], closed=True),
    "arc": _polygon(_circle_points(np.pi, 2 * np.pi, 6), closed=False),  # a smile: lower half
    "corner": _polygon([(-1, 1), (-1, -1), (1, -1)], closed=False),
}


@dataclass(frozen=True)
class ShapesConfig:
    """How `make_shapes` varies its images."""

    size: int = 32  # height and width of the images, in pixels
    min_scale: float = 0.3  # half-size of an object as a fraction of `size` (smallest)
    max_scale: float = 0.45  # ... and largest
    max_rotation: float = 20.0  # objects are rotated by up to this many degrees either way
    min_width: float = 1.0  # stroke width in pixels (thinnest)
    max_width: float = 2.0  # ... and thickest
    clutter_parts: int = 2  # up to this many small random parts anywhere in the image
    clutter_strokes: int = 2  # up to this many stray strokes
    noise: float = 0.05  # standard deviation of Gaussian pixel noise (images clipped to [0, 1])
    grid: int = 4  # `Shapes.part_grid` says which part types lie in each cell of a grid x grid

    def __post_init__(self):
        check_int("size", self.size, 8)
        check_int("clutter_parts", self.clutter_parts, 0)
        check_int("clutter_strokes", self.clutter_strokes, 0)
        check_int("grid", self.grid, 1)
        for name in ("min_scale", "max_scale", "max_rotation", "min_width", "max_width", "noise"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not np.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
        if not 0 < self.min_scale <= self.max_scale <= 0.5:
            raise ValueError(
                f"need 0 < min_scale <= max_scale <= 0.5, got min_scale "
                f"{self.min_scale!r}, max_scale {self.max_scale!r}"
            )
        if not 0 < self.min_width <= self.max_width:
            raise ValueError(
                f"need 0 < min_width <= max_width, got min_width "
                f"{self.min_width!r}, max_width {self.max_width!r}"
            )
        if self.size % self.grid:
            raise ValueError(f"grid must divide size ({self.size}), got {self.grid!r}")


@dataclass(frozen=True)
class Shapes:
    """Images with their ground truth at every level of the hierarchy."""

    images: np.ndarray  # (batch, size, size, 1) float32 in [0, 1]
    labels: np.ndarray  # (batch,) int32 object class, an index into OBJECTS
    parts: np.ndarray  # (batch, len(PARTS)) int8: 1 if that part type is present anywhere
    part_grid: np.ndarray  # (batch, grid, grid, len(PARTS)) int8: part centres per grid cell
    orientation: np.ndarray  # (batch, size, size) int8: edge bin under each pixel, -1 if none

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, index) -> Shapes:
        """The images selected by `index` (a slice, boolean mask or integer array)."""
        return Shapes(
            self.images[index],
            self.labels[index],
            self.parts[index],
            self.part_grid[index],
            self.orientation[index],
        )


def _place(strokes: np.ndarray, centre, half, angle: float) -> np.ndarray:
    """Scale a part's strokes by `half` (x, y), rotate by `angle` (radians), move to `centre`."""
    points = strokes.reshape(-1, 2) * np.asarray(half)
    cos, sin = np.cos(angle), np.sin(angle)
    rotated = points @ np.array([[cos, sin], [-sin, cos]])
    return (rotated + np.asarray(centre)).reshape(-1, 4)


_PIECE = 4.0  # strokes are cut into pieces at most this long (pixels), each drawn in a window
_WINDOW = 8  # pixels on a side of that window: enough for a piece and the widest stroke


def _render(strokes: np.ndarray, owner: np.ndarray, width: np.ndarray, n: int, size: int):
    """Draw anti-aliased strokes into `n` images at once.

    Args:
        strokes: (strokes, 4) segments (x0, y0, x1, y1) in pixels, x right, y down.
        owner: (strokes,) the image each stroke belongs to.
        width: (n,) stroke width of each image, in pixels.

    Returns:
        Images (n, size, size) in [0, 1] and orientation bins (n, size, size), -1 off strokes.
    """
    direction = strokes[:, 2:] - strokes[:, :2]
    # orientation modulo 180 degrees; y points down in pixels, so negate it to measure angles
    # the usual way (a "rising" diagonal goes up to the right on screen)
    angles = np.degrees(np.arctan2(-direction[:, 1], direction[:, 0])) % 180.0
    bins = np.rint(angles / 45.0).astype(np.int64) % 4
    # cut every stroke into short pieces, so that each piece only touches a small window
    count = np.maximum(np.ceil(np.linalg.norm(direction, axis=1) / _PIECE), 1).astype(np.int64)
    stroke = np.repeat(np.arange(len(strokes)), count)
    first = np.cumsum(count) - count
    step = (np.arange(len(stroke)) - first[stroke]) / count[stroke]
    start = (strokes[stroke, :2] + step[:, None] * direction[stroke]).astype(np.float32)
    delta = (direction[stroke] / count[stroke, None]).astype(np.float32)
    corner = np.floor(start + delta / 2).astype(np.int64) - _WINDOW // 2 + 1  # window's first pixel
    offsets = np.arange(_WINDOW)
    xs = corner[:, 0, None, None] + offsets[None, None, :]  # (pieces, 1, window)
    ys = corner[:, 1, None, None] + offsets[None, :, None]  # (pieces, window, 1)
    xs, ys = xs.astype(np.int32), ys.astype(np.int32)
    px, py = xs + np.float32(0.5) - start[:, 0, None, None], ys + 0.5 - start[:, 1, None, None]
    dx, dy = delta[:, 0, None, None], delta[:, 1, None, None]
    t = np.clip((px * dx + py * dy) / np.maximum(dx * dx + dy * dy, np.float32(1e-12)), 0, 1)
    distance = np.hypot(px - t * dx, py - t * dy)
    half = (width[owner[stroke]] / 2 + 0.5).astype(np.float32)
    ink = np.clip(half[:, None, None] - distance, 0, 1)
    inside = (xs >= 0) & (xs < size) & (ys >= 0) & (ys < size) & (ink > 0)
    image_of = np.broadcast_to(owner[stroke, None, None], ink.shape)
    flat = ((image_of * size + ys) * size + xs)[inside]  # int64: owner is int64
    # one scatter-max carries both the ink and, in its last 2 bits, the orientation of the
    # piece that inks a pixel most
    key = np.rint(ink * 1000).astype(np.int32) * 4 + np.broadcast_to(
        bins[stroke, None, None], ink.shape
    )
    best = np.zeros(n * size * size, np.int32)
    np.maximum.at(best, flat, key[inside])
    image = (best // 4) / 1000.0
    orientation = np.where(image >= 0.5, best % 4, -1)
    return image.reshape(n, size, size), orientation.reshape(n, size, size).astype(np.int8)


def _draw_one(label: int, config: ShapesConfig, rng: np.random.Generator):
    """Strokes, stroke width, and the parts as (part index, x, y) in pixels, for one image."""
    size = config.size
    half = rng.uniform(config.min_scale, config.max_scale) * size
    centre = rng.uniform(half * 0.9, size - half * 0.9, size=2)
    angle = np.radians(rng.uniform(-config.max_rotation, config.max_rotation))
    flip = np.array([1.0, -1.0])  # object frames have y up; pixels have y down
    strokes, parts = [], []
    for part, x, y, w, h, probability in _TEMPLATES[OBJECTS[label]]:
        if probability < 1 and rng.uniform() >= probability:
            continue
        local = _place(_PART_STROKES[part], (x, y), (w, h), angle) * np.tile(flip, 2)
        strokes.append(local * half + np.tile(centre, 2))
        part_centre = _place(np.zeros((1, 4)), (x, y), (0, 0), angle)[0, :2] * flip * half + centre
        parts.append((PARTS.index(part), *part_centre))
    for _ in range(rng.integers(0, config.clutter_parts + 1)):  # small parts anywhere
        part = int(rng.integers(len(PARTS)))
        radius = rng.uniform(0.08, 0.14) * size
        where = rng.uniform(radius, size - radius, size=2)
        turn = rng.uniform(0, 2 * np.pi)
        strokes.append(_place(_PART_STROKES[PARTS[part]], where, (radius, radius), turn))
        parts.append((part, *where))
    for _ in range(rng.integers(0, config.clutter_strokes + 1)):  # stray strokes
        start = rng.uniform(0, size, size=2)
        length, turn = rng.uniform(0.1, 0.25) * size, rng.uniform(0, 2 * np.pi)
        strokes.append(
            np.concatenate([start, start + length * np.array([np.cos(turn), np.sin(turn)])])[None]
        )
    width = rng.uniform(config.min_width, config.max_width)
    return np.concatenate(strokes), width, parts


def make_shapes(n: int, seed: int = 0, config: ShapesConfig | None = None, labels=None) -> Shapes:
    """Generate `n` images of objects made of parts made of strokes, with their ground truth.

    Args:
        n: number of images.
        seed: the same seed always gives the same images.
        config: how the images vary (default `ShapesConfig()`: 32x32 pixels).
        labels: optional (n,) object classes to draw; default: balanced, in random order.

    Returns:
        A `Shapes` with images (n, size, size, 1) and the truth at every level.
    """
    check_int("n", n, 1)
    check_int("seed", seed, 0)
    config = ShapesConfig() if config is None else config
    if not isinstance(config, ShapesConfig):
        raise TypeError(f"config must be a ShapesConfig, got {type(config).__name__}")
    rng = np.random.default_rng(seed)
    if labels is None:
        labels = rng.permutation(np.arange(n) % len(OBJECTS))
    labels = np.asarray(labels)
    if (
        labels.shape != (n,)
        or not np.issubdtype(labels.dtype, np.integer)
        or (labels.min() < 0 or labels.max() >= len(OBJECTS))
    ):
        raise ValueError(f"labels must be {n} integers in [0, {len(OBJECTS)}), got {labels!r}")
    size, cell = config.size, config.size // config.grid
    parts = np.zeros((n, len(PARTS)), np.int8)
    part_grid = np.zeros((n, config.grid, config.grid, len(PARTS)), np.int8)
    drawn = [_draw_one(int(label), config, rng) for label in labels]
    owner = np.concatenate([np.full(len(strokes), i) for i, (strokes, _, _) in enumerate(drawn)])
    widths = np.array([width for _, width, _ in drawn])
    image, orientation = _render(np.concatenate([s for s, _, _ in drawn]), owner, widths, n, size)
    images = image[..., None]
    for index, (_, _, placed) in enumerate(drawn):
        for part, x, y in placed:
            parts[index, part] = 1
            row = int(np.clip(y // cell, 0, config.grid - 1))
            column = int(np.clip(x // cell, 0, config.grid - 1))
            part_grid[index, row, column, part] = 1
    if config.noise:
        images = np.clip(images + rng.normal(0, config.noise, images.shape), 0, 1)
    return Shapes(images.astype(np.float32), labels.astype(np.int32), parts, part_grid, orientation)
