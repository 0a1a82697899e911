"""How lesson 2's early-stopping exercise is judged: which epoch training stops at, and which
epoch's weights are kept, for a given validation-loss history and patience.

`reference` replays Keras's `EarlyStopping(monitor="val_loss", restore_best_weights=True)`; the
tests check it against the callback itself on every history of `CASES`. The learner-facing part
is in `genai_lessons.exercises.cnn`.
"""

from __future__ import annotations

import numpy as np

from genai_lessons.exercises.core import check_function
from genai_lessons.exercises.result import Result


def reference(val_losses, patience):
    """Keras's EarlyStopping(monitor="val_loss", patience, restore_best_weights=True, min_delta=0),
    with 1-based epochs: (epochs trained, epoch whose weights are kept)."""
    best, best_epoch, wait = float("inf"), 0, 0
    for epoch, loss in enumerate(val_losses, start=1):
        wait += 1
        if loss < best:  # strictly lower: a tie is not an improvement
            best, best_epoch, wait = loss, epoch, 0
        elif wait >= patience and epoch > 1:
            return epoch, best_epoch
    return len(val_losses), best_epoch


CASES = [
    ([1.0, 0.8, 0.7, 0.75, 0.72, 0.71, 0.9, 0.95], 3),
    (
        [0.9, 0.6, 0.5, 0.5, 0.55, 0.6, 0.4],
        2,
    ),  # a tie is no improvement; a later minimum is never seen
    ([1.0, 0.9, 0.8, 0.7, 0.6], 2),  # never stops
    ([0.5, 0.7, 0.4, 0.6, 0.65, 0.66, 0.3, 0.2], 3),
    ([2.0, 1.5, 1.6, 1.2, 1.3, 1.25, 1.4, 1.1, 1.0], 1),
]


def _argmin1(values):
    return int(np.argmin(values)) + 1


def _stop_first_increase(losses, patience):
    for epoch in range(1, len(losses)):
        if losses[epoch] >= losses[epoch - 1]:
            return epoch + 1, _argmin1(losses[: epoch + 1])
    return len(losses), _argmin1(losses)


def _stop_with_ties(losses, patience):
    best, best_epoch, wait = float("inf"), 0, 0
    for epoch, loss in enumerate(losses, start=1):
        wait += 1
        if loss <= best:
            best, best_epoch, wait = loss, epoch, 0
        elif wait >= patience and epoch > 1:
            return epoch, best_epoch
    return len(losses), best_epoch


def check_early_stopping(early_stopping) -> Result:
    """The check behind `cnn.check_early_stopping` (documented there)."""
    return check_function(
        "early stopping",
        early_stopping,
        [(list(h), p) for h, p in CASES],
        reference,
        arg_names=["val_losses", "patience"],
        part_names=["stopped epoch", "best epoch"],
        mistakes=[
            (
                lambda h, p: (len(h), _argmin1(h)),
                "training should stop early: once `patience` epochs pass without a new lowest loss, "
                "the later epochs never happen, and a lower loss after that point is never seen.",
            ),
            (
                lambda h, p: (
                    reference(h, p)[0],
                    reference(h, p)[1] - 1,
                ),
                "epochs are counted from 1 here (as Keras prints them): add 1 to a 0-based index.",
            ),
            (
                _stop_first_increase,
                "you stopped at the first epoch that did not improve: patience is the number of "
                "epochs to wait without improvement before stopping.",
            ),
            (
                lambda h, p: (
                    min(len(h), reference(h, p)[1] + p - 1),
                    reference(h, p)[1],
                ),
                "off by one: training stops `patience` epochs after the best one, not patience - 1.",
            ),
            (
                _stop_with_ties,
                "a loss equal to the best so far is not an improvement (Keras needs strictly lower).",
            ),
            (
                lambda h, p: (reference(h, p)[0],) * 2,
                "with restore_best_weights=True the weights kept are those of the best epoch, not "
                "of the last one trained.",
            ),
            (
                lambda h, p: reference([-v for v in h], p),
                "a loss improves by going down: the best epoch has the lowest validation loss.",
            ),
        ],
        hint="Replay the smallest case epoch by epoch on paper.",
    )
