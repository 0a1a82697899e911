"""Running a model on NumPy arrays: the package's one batched-inference path.

The digit judge, `cnn.feature_maps` and the VAE's `encode`/`reconstruct` all go through
`predict`, so a change to how inference runs (batch size, device, backend) is made here once.
"""

from __future__ import annotations

import keras
import numpy as np

from genai_lessons.core.validation import check_int, check_type


def predict(model: keras.Model, inputs, batch_size: int = 1024):
    """What `model.predict(inputs, batch_size=batch_size, verbose=0)` returns, faster on the
    many small calls a lesson makes.

    Keras's `predict` builds a data pipeline on every call, a fixed cost of about a tenth of
    a second on a CPU; `predict_on_batch` runs the same compiled inference function directly
    (layers in inference mode: no dropout, batch-norm statistics frozen). Chunks of
    `batch_size` bound the memory.

    Args:
        model: any single-input Keras model.
        inputs: a NumPy array (batch, ...) with at least one example.
        batch_size: examples per chunk.

    Returns:
        A NumPy array (batch, ...), or a tuple of them for a model with several outputs.
    """
    check_type("model", model, keras.Model, "keras.Model")
    check_int("batch_size", batch_size)
    if len(inputs) == 0:
        raise ValueError(f"inputs must hold at least one example, got shape {np.shape(inputs)}")
    parts = [
        model.predict_on_batch(inputs[start : start + batch_size])
        for start in range(0, len(inputs), batch_size)
    ]
    if isinstance(parts[0], (list, tuple)):
        return tuple(
            np.concatenate([np.asarray(part[k]) for part in parts]) for k in range(len(parts[0]))
        )
    return np.concatenate([np.asarray(part) for part in parts])
