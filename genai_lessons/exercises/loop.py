"""The training-loop exercise of lesson 1: the learner's `train(params, x, y, gradients, epochs,
learning_rate, batch_size)` must run mini-batch gradient descent on a small spirals task.

The checker hands the loop an instrumented `gradients` function. Every call records which
examples the batch held and the parameters it was given, so the feedback can say precisely what
the loop did: how many steps, on which examples, and how far each step moved the parameters
compared with learning_rate x gradient. It then measures the trained network's accuracy on
held-out spirals against a stated target.
"""

from __future__ import annotations

import math

import numpy as np

from genai_lessons.datasets import points2d
from genai_lessons.exercises import answers, safe
from genai_lessons.exercises.core import error_result, precheck_function
from genai_lessons.exercises.result import Result, Verdict

TARGET_ACCURACY = 0.95
EPOCHS, LEARNING_RATE, BATCH_SIZE = 120, 0.5, 20
HIDDEN = 32
TIME_LIMIT_S = 30.0
ARG_NAMES = ["params", "x", "y", "gradients", "epochs", "learning_rate", "batch_size"]


def task():
    """Training and held-out spirals (the training set sorted by class: shuffling matters)
    and the initial parameters of a 2-HIDDEN-2 ReLU network."""
    points, labels = points2d.make_spirals(600, classes=2, turns=1.5, noise=0.2, seed=7)
    points, labels = points.astype(np.float64), labels.astype(np.int64)
    x, y, x_test, y_test = points[:400], labels[:400], points[400:], labels[400:]
    order = np.argsort(y, kind="stable")
    rng = np.random.default_rng(8)
    params = {
        "W1": rng.normal(0, math.sqrt(2 / 2), (2, HIDDEN)),
        "b1": np.zeros(HIDDEN),
        "W2": rng.normal(0, math.sqrt(2 / HIDDEN), (HIDDEN, 2)),
        "b2": np.zeros(2),
    }
    return params, x[order], y[order], x_test, y_test


def _probabilities(params, x):
    hidden = np.maximum(x @ params["W1"] + params["b1"], 0.0)
    logits = hidden @ params["W2"] + params["b2"]
    logits = logits - logits.max(axis=1, keepdims=True)
    p = np.exp(logits)
    return hidden, p / p.sum(axis=1, keepdims=True)


def loss_and_gradients(params, x, y):
    """Mean cross-entropy of the 2-layer ReLU network, and its gradients (a dict like params)."""
    x, y = np.asarray(x, np.float64), np.asarray(y).astype(np.int64)
    hidden, p = _probabilities(params, x)
    loss = -float(np.mean(np.log(p[np.arange(len(y)), y] + 1e-12)))
    delta = p.copy()
    delta[np.arange(len(y)), y] -= 1.0
    delta /= len(y)
    back = (delta @ params["W2"].T) * (hidden > 0)
    return loss, {"W1": x.T @ back, "b1": back.sum(0), "W2": hidden.T @ delta, "b2": delta.sum(0)}


def accuracy(params, x, y) -> float:
    return float(np.mean(_probabilities(params, x)[1].argmax(axis=1) == y))


class Recorder:
    """The `gradients` function given to the learner's loop; it remembers every call."""

    def __init__(self, x):
        self.index = {row.tobytes(): i for i, row in enumerate(np.asarray(x, np.float64))}
        self.batches, self.params, self.grads, self.losses = [], [], [], []

    def __call__(self, params, x_batch, y_batch):
        rows = np.asarray(x_batch, np.float64).reshape(-1, 2)
        self.batches.append([self.index.get(row.tobytes(), -1) for row in rows])
        self.params.append({k: np.array(v, np.float64, copy=True) for k, v in dict(params).items()})
        loss, grads = loss_and_gradients(self.params[-1], rows, y_batch)
        self.losses.append(loss)
        self.grads.append({k: v.copy() for k, v in grads.items()})
        return loss, grads


def _step_ratios(recorder: Recorder) -> dict[str, float]:
    """For each parameter, the median over steps of -(change . gradient) / |gradient|^2: the
    learning rate the loop really used (negative: it climbed the loss)."""
    ratios: dict[str, list[float]] = {}
    for before, after, grads in zip(recorder.params, recorder.params[1:], recorder.grads):
        for name, grad in grads.items():
            if name not in after or np.shape(after[name]) != grad.shape:
                continue
            norm = float(np.sum(grad * grad))
            if norm > 1e-20:
                ratios.setdefault(name, []).append(
                    -float(np.sum((after[name] - before[name]) * grad)) / norm
                )
    return {name: float(np.median(values)) for name, values in ratios.items()}


def _wrong(message: str) -> Result:
    return Result("training loop", Verdict.WRONG, message)


def check_train(train) -> Result:
    """Run the learner's loop on the spirals task and explain what it did."""
    exercise = "training loop"
    stop = precheck_function(exercise, train, len(ARG_NAMES), ARG_NAMES)
    if stop is not None:
        return stop
    params, x, y, x_test, y_test = task()
    recorder = Recorder(x)
    given = safe.copies((params, x, y))
    run = safe.call(train, (*given, recorder, EPOCHS, LEARNING_RATE, BATCH_SIZE), TIME_LIMIT_S)
    if isinstance(run.error, NotImplementedError):
        return Result(
            exercise,
            Verdict.NOT_ATTEMPTED,
            "not attempted yet: replace the placeholder "
            "with your answer and run the cell again (the exercise is optional).",
        )
    if run.timed_out or run.error is not None:
        return error_result(exercise, run, ("<the spirals task>",), ["on"])
    steps = len(recorder.batches)
    expected_steps = EPOCHS * math.ceil(len(x) / BATCH_SIZE)
    if steps == 0:
        return _wrong(
            "your loop never called gradients(params, x_batch, y_batch), so it never "
            "learned anything."
        )
    if run.value is None:
        return _wrong("your function returned None: did you forget `return params` at the end?")
    trained = run.value
    if not isinstance(trained, dict) or set(trained) != set(params):
        return _wrong(
            f"your function returned {answers.kind(trained)}; return the trained params, "
            f"a dict with the same keys ({', '.join(params)})."
        )
    sizes = [len(b) for b in recorder.batches]
    seen = {i for b in recorder.batches for i in b if i >= 0}
    if steps == 1:
        return _wrong("your loop made a single step: repeat for every batch of every epoch.")
    if max(sizes) > BATCH_SIZE:
        return _wrong(
            f"your batches held {max(sizes)} examples, more than batch_size = "
            f"{BATCH_SIZE}: cut each epoch into batches of batch_size examples."
        )
    if len(seen) < 0.9 * len(x):
        return _wrong(
            f"your loop only ever used {len(seen)} of the {len(x)} training examples: "
            "does every step take the same first batch? Move through the whole data "
            "set in each epoch."
        )
    if steps < 0.9 * expected_steps:
        epochs_done = steps / math.ceil(len(x) / BATCH_SIZE)
        return _wrong(
            f"your loop made {steps} steps, about {epochs_done:.3g} epoch(s); with "
            f"epochs = {EPOCHS} it should make {expected_steps}: repeat the pass over "
            "the data once per epoch."
        )
    ratios = _step_ratios(recorder)
    frozen = [n for n in params if abs(ratios.get(n, 0.0)) < 1e-9]
    if len(frozen) == len(params):
        return _wrong(
            "the parameters never changed between steps: compute the update and store "
            "it (assign the new value to params[name])."
        )
    if frozen:
        return _wrong(
            f"{', '.join(frozen)} never changed: update every parameter, not only "
            f"{', '.join(n for n in params if n not in frozen)}."
        )
    if all(r < 0 for r in ratios.values()):
        last = recorder.losses[-1]
        went = (
            f"to {last:.3f}"
            if math.isfinite(last)
            else "until it was no longer a number (it diverged)"
        )
        return _wrong(
            "each step moved the parameters along the gradient, which climbs the loss "
            f"(it went from {recorder.losses[0]:.3f} {went}): gradient descent subtracts "
            "the gradient."
        )
    off = {n: r for n, r in ratios.items() if not math.isclose(r, LEARNING_RATE, rel_tol=0.02)}
    if off:
        name, ratio = next(iter(off.items()))
        return _wrong(
            f"each step should move a parameter by learning_rate x its gradient "
            f"({LEARNING_RATE} x); yours moved {name} by {ratio:.3g} x its gradient."
        )
    final = recorder.params[-1]
    if not all(np.shape(trained[n]) == np.shape(final[n]) for n in params):
        return _wrong("the arrays you returned do not have the parameters' shapes.")
    test_accuracy = accuracy(
        {k: np.asarray(v, np.float64) for k, v in trained.items()}, x_test, y_test
    )
    if all(safe.same(np.asarray(trained[n], np.float64), params[n]) for n in params):
        return _wrong("you returned the parameters from before training: return the updated ones.")
    if test_accuracy >= TARGET_ACCURACY:
        return Result(
            exercise,
            Verdict.CORRECT,
            f"correct: {steps} steps, held-out accuracy "
            f"{test_accuracy:.1%} (target {TARGET_ACCURACY:.0%}; untrained "
            f"{accuracy(params, x_test, y_test):.1%}). Well done.",
        )
    per_epoch = math.ceil(len(x) / BATCH_SIZE)
    orders = [
        tuple(i for b in recorder.batches[e * per_epoch : (e + 1) * per_epoch] for i in b)
        for e in range(min(3, steps // per_epoch))
    ]
    if len(orders) > 1 and len(set(orders)) == 1:
        return _wrong(
            f"held-out accuracy {test_accuracy:.1%}, below the target "
            f"{TARGET_ACCURACY:.0%}: your batches come in the same order every epoch, "
            "and this training set is sorted by class, so each batch holds one class "
            "and each step undoes the last. Shuffle the examples at every epoch."
        )
    return _wrong(
        f"held-out accuracy {test_accuracy:.1%}, below the target {TARGET_ACCURACY:.0%} "
        f"(untrained: {accuracy(params, x_test, y_test):.1%})."
    )
