import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from genai_lessons.course import plotting  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_image_grid_lays_out_rows_and_labels():
    images = np.random.default_rng(0).random((12, 8, 8, 1), dtype=np.float32)
    fig = plotting.image_grid(images, labels=list(range(12)), ncols=5, title="digits")
    assert len(fig.axes) == 15  # 3 rows of 5, the last 3 empty
    shown = [ax for ax in fig.axes if ax.images]
    assert len(shown) == 12 and shown[3].get_title() == "3"
    np.testing.assert_allclose(shown[0].images[0].get_array(), images[0, ..., 0])
    assert fig._suptitle.get_text() == "digits"


def test_image_grid_maps_symmetric_range_to_unit():
    fig = plotting.image_grid(-np.ones((2, 4, 4), dtype=np.float32))
    assert np.asarray(fig.axes[0].images[0].get_array()).max() == 0.0


@pytest.mark.parametrize("images, labels", [(np.zeros((3, 8)), None), (np.zeros((2, 8, 8)), [1])])
def test_image_grid_rejects_bad_input(images, labels):
    with pytest.raises(ValueError):
        plotting.image_grid(images, labels=labels)


def test_training_curves_pair_training_with_validation():
    history = {"loss": [1.0, 0.5, 0.2], "val_loss": [1.1, 0.7, 0.6], "accuracy": [0.5, 0.8, 0.9]}
    fig = plotting.training_curves(history)
    assert [ax.get_title() for ax in fig.axes] == ["loss", "accuracy"]
    assert len(fig.axes[0].lines) == 2 and len(fig.axes[1].lines) == 1
    np.testing.assert_allclose(fig.axes[0].lines[1].get_ydata(), history["val_loss"])


def test_training_curves_accept_a_keras_history_and_reject_unknown_metrics():
    class History:  # what model.fit returns: an object with a .history dict
        history = {"loss": [2.0, 1.0]}

    assert len(plotting.training_curves(History()).axes) == 1
    with pytest.raises(ValueError, match="auc"):
        plotting.training_curves(History(), metrics=["auc"])
    with pytest.raises(ValueError):
        plotting.training_curves({})


def test_scatter_draws_decision_regions_from_predict():
    points = np.array([[-1, 0], [1, 0], [0, 1]], dtype=np.float32)
    seen = {}

    def predict(grid):
        seen["shape"] = grid.shape
        return (grid[:, 0] > 0).astype(np.float32)

    fig = plotting.scatter_2d(points, labels=[0, 1, 1], predict=predict, resolution=20)
    assert seen["shape"] == (400, 2)
    ax = fig.axes[0]
    assert len(ax.collections) >= 2  # filled contours plus the scatter
    with pytest.raises(ValueError):
        plotting.scatter_2d(np.zeros((3, 3)))


def test_scatter_gives_each_of_many_classes_a_distinct_colour():
    points = np.random.default_rng(0).normal(size=(30, 2)).astype(np.float32)
    labels = np.arange(30) % 3
    fig = plotting.scatter_2d(
        points, labels, predict=lambda g: np.eye(3)[(g[:, 0] > 0).astype(int)]
    )
    dots = fig.axes[0].collections[-1]
    colours = {tuple(np.round(c, 3)) for c in dots.to_rgba(dots.get_array())}
    assert len(colours) == 3  # three classes, three colours (none washed out to white)
    assert all(min(c[:3]) < 0.9 for c in colours)


def test_heatmap_annotates_and_labels():
    matrix = np.array([[5, 1], [0, 7]])
    fig = plotting.heatmap(matrix, row_labels=["a", "b"], col_labels=["x", "y"], annotate=True)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.texts] == ["5", "1", "0", "7"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["x", "y"]
    colours = {t.get_text(): t.get_color() for t in ax.texts}
    assert colours["0"] == "white" and colours["7"] == "black"  # viridis: dark low, light high
    blues = plotting.heatmap(matrix, annotate=True, cmap="Blues").axes[0]
    assert {t.get_text(): t.get_color() for t in blues.texts}["0"] == "black"  # light low end
    with pytest.raises(ValueError, match="row_labels"):
        plotting.heatmap(matrix, row_labels=["a"])
