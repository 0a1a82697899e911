"""How lesson 6's Keras exercise is judged: the learner's `answer_loss(logits, targets, mask)`,
the fine-tuning loss of instruction tuning written with keras.ops: the next-token cross-entropy
averaged over the answer's tokens only (mask 1), the prompt's tokens (mask 0) left out.

The reference is NumPy (a log-softmax per position); answers of different lengths make the
usual mistakes (every token counted, a masked sum divided by all the tokens, one mean per
sequence, the mask inverted, logits taken for probabilities) give different numbers.
"""

from __future__ import annotations

import numpy as np

from genai_lessons.exercises import keras_answers as ka
from genai_lessons.exercises.core import precheck_function
from genai_lessons.exercises.diagnosis import matches, value_problem
from genai_lessons.exercises.result import Result, Verdict

EXERCISE = "loss on the answer tokens"
ARG_NAMES = ["logits", "targets", "mask"]


def case():
    rng = np.random.default_rng(90)
    logits = rng.normal(0, 2, (3, 6, 5)).astype("float32")
    targets = rng.integers(0, 5, (3, 6))
    mask = np.array([[0, 0, 1, 1, 1, 1], [0, 0, 0, 0, 1, 1], [0, 1, 1, 1, 1, 0]], "float32")
    return logits, targets, mask


def _token_losses(logits, targets):
    logits = np.asarray(logits, np.float64)
    shifted = logits - logits.max(axis=-1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return -np.take_along_axis(log_p, np.asarray(targets)[..., None], axis=-1)[..., 0]


def reference(logits, targets, mask):
    losses, mask = _token_losses(logits, targets), np.asarray(mask, np.float64)
    return float((losses * mask).sum() / mask.sum())


def _probabilities_misread(logits, targets, mask):
    picked = np.take_along_axis(np.asarray(logits, np.float64), targets[..., None], -1)[..., 0]
    clipped = np.clip(picked, 1e-7, 1 - 1e-7)  # what a cross-entropy on probabilities does
    return float((-np.log(clipped) * mask).sum() / mask.sum())


MISTAKES = [
    (
        lambda z, y, m: float(_token_losses(z, y).mean()),
        "every token is counted, the prompt's too: weight each token's loss by the mask.",
    ),
    (
        lambda z, y, m: float((_token_losses(z, y) * m).sum() / m.size),
        "the masked sum is divided by the number of all tokens: divide by the number of answer "
        "tokens (the sum of the mask), so the loss does not depend on the prompt's length.",
    ),
    (
        lambda z, y, m: float(np.mean((_token_losses(z, y) * m).sum(1) / m.sum(1))),
        "that is a mean per sequence, then over sequences: average over all the answer tokens "
        "of the batch together (sum of masked losses / sum of the mask).",
    ),
    (
        lambda z, y, m: reference(z, y, 1 - m),
        "the mask is inverted: mask is 1 on the answer's tokens, the ones the loss keeps.",
    ),
    (
        _probabilities_misread,
        "the logits are read as probabilities: take a softmax first (or use from_logits=True).",
    ),
]


def check_answer_loss(answer_loss) -> Result:
    """The check behind `language_models.check_answer_loss` (documented there)."""
    with ka.keeping_random_state():
        return _check(answer_loss)


def _check(function) -> Result:
    stop = precheck_function(EXERCISE, function, len(ARG_NAMES), ARG_NAMES)
    if stop is not None:
        return stop
    args = case()
    shapes = "logits (3, 6, 5), targets (3, 6), mask (3, 6) with answers of 4, 2 and 4 tokens"
    run = ka.call(function, args)
    problem = ka.stop(EXERCISE, run, shapes)
    if problem is not None:
        return problem
    want = reference(*args)
    problem = value_problem(run.value, np.float64(want), "your loss")
    if problem:
        return ka.wrong(EXERCISE, problem)
    got = float(ka.to_numpy(run.value)[0])
    if matches(got, want, 1e-4, 1e-5):
        return Result(
            EXERCISE,
            Verdict.CORRECT,
            f"correct: {got:.4f}, the mean cross-entropy over the 10 answer tokens. Well done.",
        )
    for mistake, message in MISTAKES:
        if matches(got, mistake(*case()), 1e-4, 1e-5):
            return ka.wrong(EXERCISE, message)
    return ka.wrong(
        EXERCISE,
        f"your loss is {got:.4f}, expected {want:.4f} on {shapes}: the cross-entropy of each "
        "position's logits against its target, weighted by the mask, summed, divided by the "
        "number of answer tokens.",
    )
