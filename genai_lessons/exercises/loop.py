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
from genai_lessons.exercises.core import precheck_function
from genai_lessons.exercises.failures import error_result, unfinished_result
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

    def __init__(self, x, y):
        self.index = {row.tobytes(): i for i, row in enumerate(np.asarray(x, np.float64))}
        self.y = np.asarray(y)
        self.batches, self.params, self.grads, self.losses = [], [], [], []
        self.mismatched = 0  # batches whose labels are not those of their examples

    def __call__(self, params, x_batch, y_batch):
        rows = np.asarray(x_batch, np.float64).reshape(-1, 2)
        self.batches.append([self.index.get(row.tobytes(), -1) for row in rows])
        known = [i for i in self.batches[-1] if i >= 0]
        labels = np.asarray(y_batch).reshape(-1)
        if len(known) == len(labels) and not np.array_equal(labels, self.y[known]):
            self.mismatched += 1
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
    recorder = Recorder(x, y)
    given = safe.copies((params, x, y))
    run = safe.call(train, (*given, recorder, EPOCHS, LEARNING_RATE, BATCH_SIZE), TIME_LIMIT_S)
    if isinstance(run.error, NotImplementedError) and run.unfinished:
        return unfinished_result(exercise, run.unfinished)
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
    trained = {k: np.asarray(v, np.float64) for k, v in trained.items()}
    if all(safe.same(trained[n], params[n]) for n in params):
        return _wrong("you returned the parameters from before training: return the updated ones.")
    if recorder.mismatched:
        return _wrong(
            f"in {recorder.mismatched} of {steps} batches the labels y_batch were not the labels "
            "of the examples in x_batch: take both with the same indices (x[batch], y[batch])."
        )
    last = {n: final[n] - LEARNING_RATE * recorder.grads[-1][n] for n in params}
    if not all(np.allclose(trained[n], last[n], rtol=1e-6, atol=1e-9) for n in params):
        return _wrong(
            "the params you returned are not those after the last step: return params once "
            "every epoch is done (after the loops, not inside them)."
        )
    return _judge_order(recorder, trained, params, x_test, y_test, steps)


def _epochs(recorder: Recorder, n_examples: int) -> list[list[int]]:
    """The examples of each epoch, in the order the loop used them."""
    per_epoch = math.ceil(n_examples / BATCH_SIZE)
    batches = recorder.batches
    return [
        [i for batch in batches[e * per_epoch : (e + 1) * per_epoch] for i in batch]
        for e in range(len(batches) // per_epoch)
    ]


def _judge_order(recorder, trained, params, x_test, y_test, steps) -> Result:
    """The mechanics are right (batches, steps, updates, the returned params): judge the order
    of the examples. A fresh shuffle of every example at each epoch is what the exercise asks
    for, and is accepted whatever accuracy its particular shuffles reach; other orders are
    judged on the held-out accuracy."""
    exercise = "training loop"
    n = len(recorder.index)
    epochs = _epochs(recorder, n)
    accuracy_text = (
        f"held-out accuracy {accuracy(trained, x_test, y_test):.1%} (untrained "
        f"{accuracy(params, x_test, y_test):.1%})"
    )
    test_accuracy = accuracy(trained, x_test, y_test)
    permutations = all(sorted(epoch) == list(range(n)) for epoch in epochs)
    orders = {tuple(epoch) for epoch in epochs}
    if permutations and len(orders) == len(epochs) > 1:
        return Result(
            exercise,
            Verdict.CORRECT,
            f"correct: {steps} steps of learning_rate x gradient, every epoch a fresh shuffle "
            f"of all {n} examples; {accuracy_text}. Well done.",
        )
    if len(orders) == 1 and len(epochs) > 1:
        y = recorder.y
        pure = np.mean([len(set(y[[i for i in b if i >= 0]])) <= 1 for b in recorder.batches])
        if pure > 0.5:
            return _wrong(
                f"{accuracy_text}: your batches come in the same order every epoch, and this "
                "training set is sorted by class, so each batch holds one class and each step "
                "undoes the last. Shuffle the examples at every epoch."
            )
        if test_accuracy >= TARGET_ACCURACY:
            return Result(
                exercise,
                Verdict.CORRECT,
                f"correct: {accuracy_text}, above the target {TARGET_ACCURACY:.0%}. A note: your "
                "batches come in the same order every epoch (one shuffle before the epochs?); "
                "the usual loop reshuffles at the start of each epoch, so that successive "
                "epochs do not repeat the same sequence of steps.",
            )
        return _wrong(
            f"{accuracy_text}, below the target {TARGET_ACCURACY:.0%}: your batches come in the "
            "same order every epoch (one shuffle before the epochs?). Shuffle at the start of "
            "every epoch, so that each epoch sees new batches."
        )
    if test_accuracy >= TARGET_ACCURACY:
        return Result(
            exercise,
            Verdict.CORRECT,
            f"correct: {accuracy_text}, above the target {TARGET_ACCURACY:.0%}. A note: your "
            "epochs do not each visit every example exactly once (drawn with replacement?); "
            "the usual loop takes a fresh permutation of all the examples at each epoch.",
        )
    return _wrong(
        f"{accuracy_text}, below the target {TARGET_ACCURACY:.0%}: an epoch should visit "
        "every example exactly once, in a new random order: take a permutation of all the "
        "indices at the start of each epoch and cut it into batches."
    )
