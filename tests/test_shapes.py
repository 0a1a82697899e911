"""Tests of genai_lessons.datasets.shapes: the generated world and its ground truth."""

import dataclasses

import numpy as np
import pytest

from genai_lessons.datasets import shapes

CLEAN = shapes.ShapesConfig(noise=0.0, clutter_parts=0, clutter_strokes=0)


def _draw(strokes, width=1.0, size=16):
    strokes = np.asarray(strokes, np.float64)
    image, orientation = shapes._render(
        strokes, np.zeros(len(strokes), int), np.array([width]), 1, size
    )
    return image[0], orientation[0]


def test_same_seed_same_world_and_types():
    a, b = shapes.make_shapes(50, seed=3), shapes.make_shapes(50, seed=3)
    for field in dataclasses.fields(a):
        np.testing.assert_array_equal(getattr(a, field.name), getattr(b, field.name))
    assert not np.array_equal(a.images, shapes.make_shapes(50, seed=4).images)
    assert a.images.shape == (50, 32, 32, 1) and a.images.dtype == np.float32
    assert 0.0 <= a.images.min() and a.images.max() <= 1.0
    assert a.orientation.shape == (50, 32, 32) and set(np.unique(a.orientation)) <= {-1, 0, 1, 2, 3}
    assert np.bincount(a.labels).tolist() == [10] * len(shapes.OBJECTS)  # balanced


def test_a_stroke_is_drawn_where_it_is_with_its_orientation():
    # a horizontal stroke along the middle of pixel row 5, from x = 2 to x = 12
    image, orientation = _draw([[2, 5.5, 12, 5.5]])
    assert np.all(image[5, 3:12] == 1.0) and np.all(image[:4] == 0) and np.all(image[7:] == 0)
    assert set(orientation[5, 3:12]) == {0} and np.all(orientation[image < 0.5] == -1)
    # vertical, then diagonals: y points down, so (2, 12) -> (12, 2) rises to the right on screen
    assert set(_draw([[7.5, 2, 7.5, 12]])[1][3:12, 7]) == {2}
    rising = _draw([[2, 12, 12, 2]])[1]
    falling = _draw([[2, 2, 12, 12]])[1]
    assert set(rising[rising >= 0]) == {1} and set(falling[falling >= 0]) == {3}
    # ink at a pixel is width/2 + 1/2 minus its distance to the stroke, clipped to [0, 1]
    image, _ = _draw([[2, 5.5, 12, 5.5]], width=2.0)
    assert image[5, 6] == 1.0 and image[4, 6] == pytest.approx(0.5) and image[3, 6] == 0.0


def test_long_strokes_are_drawn_whole():
    image, _ = _draw([[0.5, 8.5, 31.5, 8.5]], size=32)
    assert np.all(image[8] == 1.0)


def test_parts_are_the_objects_parts_without_clutter():
    world = shapes.make_shapes(200, seed=0, config=CLEAN)
    required = {
        "house": {"rectangle", "triangle"},
        "tree": {"circle", "rectangle"},
        "car": {"rectangle", "circle"},
        "face": {"circle", "arc"},
        "boat": {"arc", "triangle"},
    }
    optional = {"house": set(), "tree": set(), "car": {"corner"}, "face": set(), "boat": {"corner"}}
    for label, present in zip(world.labels, world.parts):
        name = shapes.OBJECTS[label]
        found = {shapes.PARTS[p] for p in np.flatnonzero(present)}
        assert required[name] <= found <= required[name] | optional[name], (name, found)
    np.testing.assert_array_equal(world.part_grid.any(axis=(1, 2)), world.parts.astype(bool))
    # without noise, a pixel has an orientation exactly where the strokes ink it half or more
    np.testing.assert_array_equal(world.orientation >= 0, world.images[..., 0] >= 0.5)


def test_clutter_adds_parts_the_object_lacks():
    world = shapes.make_shapes(300, seed=1, labels=np.full(300, shapes.OBJECTS.index("face")))
    assert world.parts[:, shapes.PARTS.index("triangle")].mean() > 0.1


def test_labels_and_config_are_checked():
    with pytest.raises(ValueError, match="labels"):
        shapes.make_shapes(2, labels=[0, 9])
    with pytest.raises(ValueError, match="n must"):
        shapes.make_shapes(0)
    with pytest.raises(ValueError, match="min_scale"):
        shapes.ShapesConfig(min_scale=0.4, max_scale=0.3)
    with pytest.raises(ValueError, match="grid"):
        shapes.ShapesConfig(grid=5)
    with pytest.raises(TypeError, match="config"):
        shapes.make_shapes(2, config={"size": 32})
