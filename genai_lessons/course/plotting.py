"""Figures the lessons share: image grids, training curves, 2D scatter with decision boundary,
heatmaps (confusion matrices, attention maps).

Each function returns its matplotlib `Figure`, so tests can inspect it. Figures are made with
pyplot and so render inline in Jupyter at the end of the cell; write `fig = plotting.x(...)`
(or end the line with `;`) so that a figure is not shown twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap


def image_grid(
    images,
    labels: Sequence | None = None,
    ncols: int = 10,
    title: str | None = None,
    cell_size: float = 0.9,
) -> plt.Figure:
    """Show images in a grid, optionally with a label above each.

    Args:
        images: array of shape (batch, height, width) or (batch, height, width, 1), values in
            [0, 1] or [-1, 1] (detected: anything negative is taken to be [-1, 1]).
        labels: optional text or numbers, one per image.
        ncols: images per row.
        title: figure title.
        cell_size: size of one image in inches.
    """
    images = np.asarray(images, dtype=np.float32)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim != 3 or len(images) == 0:
        raise ValueError(f"images must have shape (batch, height, width[, 1]), got {images.shape}")
    if labels is not None and len(labels) != len(images):
        raise ValueError(f"got {len(labels)} labels for {len(images)} images")
    if ncols < 1:
        raise ValueError(f"ncols must be at least 1, got {ncols!r}")
    if images.min() < 0:
        images = (images + 1.0) / 2.0
    ncols = min(ncols, len(images))
    nrows = -(-len(images) // ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(ncols * cell_size, nrows * cell_size + 0.3), squeeze=False
    )
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < len(images):
            ax.imshow(images[i], cmap="gray_r", vmin=0.0, vmax=1.0)
            if labels is not None:
                ax.set_title(str(labels[i]), fontsize=8, pad=2)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def _history_dict(history) -> dict[str, list[float]]:
    values = getattr(history, "history", history)
    if not isinstance(values, Mapping) or not values:
        raise ValueError("history must be a Keras History or a non-empty dict of metric lists")
    return {key: list(series) for key, series in values.items()}


def training_curves(
    history, metrics: Sequence[str] | None = None, title: str | None = None
) -> plt.Figure:
    """One panel per metric, training and validation curves against the epoch.

    Args:
        history: what `model.fit` returns, or a dict such as `{"loss": [...], "val_loss": [...]}`.
        metrics: which metrics to draw (default: every metric that is not a `val_` one).
        title: figure title.
    """
    values = _history_dict(history)
    names = list(metrics) if metrics else [k for k in values if not k.startswith("val_")]
    missing = [name for name in names if name not in values]
    if missing:
        raise ValueError(f"metrics {missing} not in the history; it has {sorted(values)}")
    fig, axes = plt.subplots(1, len(names), figsize=(4.2 * len(names), 3.2), squeeze=False)
    for ax, name in zip(axes[0], names):
        epochs = np.arange(1, len(values[name]) + 1)
        ax.plot(epochs, values[name], label="training")
        if f"val_{name}" in values:
            ax.plot(epochs, values[f"val_{name}"], label="validation")
            ax.legend()
        ax.set_xlabel("epoch")
        ax.set_title(name)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def scatter_2d(
    points,
    labels=None,
    predict: Callable | None = None,
    title: str | None = None,
    resolution: int = 150,
    ax: plt.Axes | None = None,
    margin: float = 0.3,
) -> plt.Figure:
    """Scatter 2D points coloured by label, over a model's decision regions if `predict` is given.

    Args:
        points: array of shape (n, 2).
        labels: optional class index per point.
        predict: optional function from an (m, 2) float32 array to probabilities, shape (m,)
            for a binary model or (m, classes); the background shows the predicted class.
        title: axes title.
        resolution: grid points per axis for the decision regions.
        ax: draw into these axes instead of a new figure (for side-by-side panels).
        margin: space around the data, in data units.
    """
    points = np.asarray(points, dtype=np.float32)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"points must have shape (n, 2), got {points.shape}")
    if ax is None:
        fig, ax = plt.subplots(figsize=(4.5, 4.0))
    else:
        fig = ax.figure
    count = 2  # number of classes, for a colour map shared by the points and the regions
    if labels is not None:
        labels = np.asarray(labels).astype(int)
        count = max(count, int(labels.max()) + 1)
    probs = None
    if predict is not None:
        low, high = points.min(axis=0) - margin, points.max(axis=0) + margin
        gx, gy = np.meshgrid(
            np.linspace(low[0], high[0], resolution), np.linspace(low[1], high[1], resolution)
        )
        grid = np.stack([gx.ravel(), gy.ravel()], axis=1).astype(np.float32)
        probs = np.asarray(predict(grid))
        binary = probs.ndim == 1 or probs.shape[-1] == 1
        regions = (probs.ravel() > 0.5).astype(int) if binary else probs.argmax(-1)
        count = max(count, 2 if binary else probs.shape[-1])
    # Two classes: blue and red. More: tab10's distinct colours (coolwarm's middle is white).
    colours = ListedColormap(
        ["#3b4cc0", "#b40426"] if count == 2 else plt.get_cmap("tab10").colors[:count]
    )
    if probs is not None:
        ax.contourf(
            gx,
            gy,
            regions.reshape(gx.shape),
            levels=np.arange(count + 1) - 0.5,
            cmap=colours,
            alpha=0.25,
        )
    if labels is None:
        ax.scatter(points[:, 0], points[:, 1], s=8, edgecolors="none")
    else:
        ax.scatter(
            points[:, 0],
            points[:, 1],
            c=labels,
            s=8,
            cmap=colours,
            vmin=-0.5,
            vmax=count - 0.5,
            edgecolors="none",
        )
    ax.set_aspect("equal", adjustable="datalim")
    if title:
        ax.set_title(title)
    return fig


def heatmap(
    matrix,
    row_labels: Sequence | None = None,
    col_labels: Sequence | None = None,
    title: str | None = None,
    annotate: bool = False,
    cmap: str = "viridis",
    ax: plt.Axes | None = None,
    colorbar: bool = True,
) -> plt.Figure:
    """Draw a 2D array as a heatmap: confusion matrices, attention weights, correlations.

    Args:
        matrix: array of shape (rows, cols).
        row_labels, col_labels: tick labels (e.g. characters of a sentence for attention).
        title: axes title.
        annotate: write each value in its cell (for small matrices).
        cmap: matplotlib colour map.
        ax: draw into these axes instead of a new figure.
        colorbar: add a colour bar.
    """
    matrix = np.asarray(matrix, dtype=np.float64)
    if matrix.ndim != 2:
        raise ValueError(f"matrix must be 2D, got shape {matrix.shape}")
    for name, tick_labels, size in (
        ("row_labels", row_labels, matrix.shape[0]),
        ("col_labels", col_labels, matrix.shape[1]),
    ):
        if tick_labels is not None and len(tick_labels) != size:
            raise ValueError(f"{name} has {len(tick_labels)} entries for {size} {name[:3]}s")
    if ax is None:
        side = min(8.0, 2.0 + 0.35 * max(matrix.shape))
        fig, ax = plt.subplots(figsize=(side + 1.0, side))
    else:
        fig = ax.figure
    image = ax.imshow(matrix, cmap=cmap, aspect="auto")
    ax.grid(False)
    if row_labels is not None:
        ax.set_yticks(range(matrix.shape[0]), [str(label) for label in row_labels])
    if col_labels is not None:
        ax.set_xticks(range(matrix.shape[1]), [str(label) for label in col_labels])
    if annotate:
        for (i, j), value in np.ndenumerate(matrix):
            red, green, blue, _ = image.cmap(image.norm(value))
            dark = 0.299 * red + 0.587 * green + 0.114 * blue < 0.5  # perceived brightness
            text = f"{value:.0f}" if float(value).is_integer() else f"{value:.2f}"
            ax.text(
                j, i, text, ha="center", va="center", fontsize=7, color="white" if dark else "black"
            )
    if colorbar:
        fig.colorbar(image, ax=ax)
    if title:
        ax.set_title(title)
    return fig
