"""Generated 2D datasets: two moons, spirals and a ring of Gaussians.

Small worlds where a learner sees every point: classification boundaries (lessons 1 and 2), mode
coverage of a generator (lesson 3), a diffusion model's trajectories (lesson 7). Points are
float32 arrays of shape (n_samples, 2); labels int32 class indices.
"""

from __future__ import annotations

import numpy as np

from genai_lessons.core.validation import check_int, check_number, check_seed


def make_moons(n_samples: int = 1000, noise: float = 0.1, seed: int = 0):
    """Two interleaving half circles: a 2D binary task no straight line can separate.

    Returns:
        `(points, labels)`: float32 of shape (n_samples, 2) and int32 of shape (n_samples,).
    """
    from sklearn.datasets import make_moons as sklearn_moons

    check_int("n_samples", n_samples, 2)
    check_number("noise", noise, 0.0)
    check_seed("seed", seed)
    points, labels = sklearn_moons(n_samples=n_samples, noise=noise, random_state=seed)
    return points.astype(np.float32), labels.astype(np.int32)


def make_spirals(
    n_samples: int = 1000, classes: int = 2, turns: float = 1.5, noise: float = 0.2, seed: int = 0
):
    """Interleaved spiral arms, one per class: harder than moons, needs a deeper boundary.

    Returns:
        `(points, labels)`: float32 of shape (n_samples, 2), roughly in [-1, 1]^2 plus noise,
        and int32 class indices.
    """
    check_int("classes", classes, 2)
    check_int("n_samples", n_samples, classes)
    check_number("turns", turns)
    check_number("noise", noise, 0.0)
    check_seed("seed", seed)
    rng = np.random.default_rng(seed)
    labels = np.arange(n_samples) % classes
    radius = rng.uniform(0.05, 1.0, n_samples)
    angle = radius * turns * 2 * np.pi + labels * 2 * np.pi / classes
    points = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    points += rng.normal(scale=noise * 0.1, size=points.shape)
    order = rng.permutation(n_samples)
    return points[order].astype(np.float32), labels[order].astype(np.int32)


def ring_centres(modes: int = 8, radius: float = 2.0) -> np.ndarray:
    """Centres of the ring of Gaussians: `modes` points evenly spaced on a circle, (modes, 2)."""
    check_int("modes", modes, 1)
    check_number("radius", radius, 0.0, inclusive=False)
    angles = 2 * np.pi * np.arange(modes) / modes
    return (radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)).astype(np.float32)


def make_ring(
    n_samples: int = 2000, modes: int = 8, radius: float = 2.0, std: float = 0.05, seed: int = 0
) -> np.ndarray:
    """Samples from a ring of `modes` equally likely Gaussians: the classic GAN test of mode coverage.

    Returns:
        float32 points of shape (n_samples, 2).
    """
    check_int("n_samples", n_samples, 1)
    check_int("modes", modes, 1)
    check_number("radius", radius, 0.0, inclusive=False)
    check_number("std", std, 0.0, inclusive=False)
    check_seed("seed", seed)
    rng = np.random.default_rng(seed)
    centres = ring_centres(modes, radius)
    chosen = rng.integers(0, modes, size=n_samples)
    return (centres[chosen] + rng.normal(scale=std, size=(n_samples, 2))).astype(np.float32)
