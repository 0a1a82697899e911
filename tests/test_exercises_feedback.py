"""Tests of the feedback fixes of issue 31: right answers are never rejected (a training loop
whatever its shuffles, inputs changed in place, two decimals of log 4), an unfinished helper is
named, messages say what really happened, a learner's prints are shown, and a checker called
with the wrong arguments explains how to call it without counting an attempt."""

import numpy as np
import pytest

from genai_lessons.core import syllabus
from genai_lessons.exercises import (
    Verdict,
    cnn,
    diffusion,
    gan,
    language_models,
    lesson,
    loop,
    nn,
    start,
    vae,
)


@pytest.fixture(autouse=True)
def fresh_lessons():
    for number in list(lesson._ALL):
        lesson._ALL[number].reset()


def _course_train(seed):
    """The lesson's own solution with its shuffle seed changed."""
    source = nn.LESSON.exercises["train"].solution.replace("default_rng(0)", f"default_rng({seed})")
    assert f"default_rng({seed})" in source
    namespace = {"np": np}
    exec(source, namespace)
    return namespace["train"]


# --------------------------------------------------------------------------- the training loop


def test_the_courses_train_solution_passes_for_40_of_40_shuffle_seeds():
    verdicts = [loop.check_train(_course_train(seed)) for seed in range(40)]
    failed = [(seed, r.message) for seed, r in enumerate(verdicts) if not r.correct]
    assert not failed
    # Seed 16 was rejected before the fix (93.0% held out): it is judged on its mechanics now,
    # and the accuracy of its run is still reported.
    assert "held-out accuracy" in verdicts[16].message


def train_global_shuffle(params, x, y, gradients, epochs, learning_rate, batch_size):
    """np.random.shuffle plus np.array_split, the global generator left as it is."""
    index = np.arange(len(x))
    for _ in range(epochs):
        np.random.shuffle(index)
        for batch in np.array_split(index, len(x) // batch_size):
            _, grads = gradients(params, x[batch], y[batch])
            for name in params:
                params[name] = params[name] - learning_rate * grads[name]
    return params


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_loop_on_the_global_generator_passes_whatever_its_draws(seed):
    np.random.seed(seed)
    assert loop.check_train(train_global_shuffle).correct


def _train(order="fresh", labels="same", give_back="final"):
    def train(params, x, y, gradients, epochs, learning_rate, batch_size):
        rng = np.random.default_rng(5)
        once = rng.permutation(len(x))
        for _ in range(epochs):
            index = {
                "fresh": rng.permutation(len(x)),
                "once": once,
                "sorted": np.arange(len(x)),
                "replacement": rng.integers(0, len(x), len(x)),
            }[order]
            for s in range(0, len(x), batch_size):
                batch = index[s : s + batch_size]
                y_batch = y[batch] if labels == "same" else y[s : s + batch_size]
                _, grads = gradients(params, x[batch], y_batch)
                params = {k: v - learning_rate * grads[k] for k, v in params.items()}
            if give_back == "first epoch":
                return params
        return params

    return train


def test_typical_broken_loops_still_fail():
    unshuffled = loop.check_train(_train(order="sorted"))
    assert not unshuffled and "each batch holds one class" in unshuffled.message
    mixed = loop.check_train(_train(labels="unshuffled"))
    assert not mixed and "x[batch], y[batch]" in mixed.message
    early = loop.check_train(_train(give_back="first epoch"))
    assert not early and "once per epoch" in early.message


def test_a_loop_shuffled_once_is_not_told_its_batches_hold_one_class():
    result = loop.check_train(_train(order="once"))
    assert "one class" not in result.message
    assert "same order every epoch" in result.message
    # Judged on its accuracy, stated with the target either way.
    assert ("below the target" in result.message) is (not result.correct)


def test_a_loop_drawing_with_replacement_is_judged_on_accuracy_with_a_true_note():
    result = loop.check_train(_train(order="replacement"))
    assert "exactly once" in result.message


# --------------------------------------------------------------------------- inputs changed in place


def discriminator_step_in_place(w, b, x_real, x_fake, learning_rate):
    d_real = 1 / (1 + np.exp(-(x_real @ w + b)))
    d_fake = 1 / (1 + np.exp(-(x_fake @ w + b)))
    grad_w = x_real.T @ (d_real - 1) / len(x_real) + x_fake.T @ d_fake / len(x_fake)
    grad_b = np.mean(d_real - 1) + np.mean(d_fake)
    w -= learning_rate * grad_w
    b -= learning_rate * grad_b
    return w, b


def scale_pixels_in_place(pixels):
    pixels /= 16
    return pixels


def merge_in_place(ids, pair, new_id):
    i = 0
    while i < len(ids) - 1:
        if ids[i] == pair[0] and ids[i + 1] == pair[1]:
            ids[i] = new_id
            del ids[i + 1]
        i += 1
    return ids


def early_stopping_with_pop(val_losses, patience):
    best, best_epoch, waited, epoch = float("inf"), 0, 0, 0
    while val_losses:
        loss = val_losses.pop(0)
        epoch += 1
        if loss < best:
            best, best_epoch, waited = loss, epoch, 0
        else:
            waited += 1
            if waited >= patience:
                return epoch, best_epoch
    return epoch, best_epoch


@pytest.mark.parametrize(
    "check, answer",
    [
        (gan.check_discriminator_step, discriminator_step_in_place),
        (start.check_scale_pixels, scale_pixels_in_place),
        (language_models.check_merge, merge_in_place),
        (cnn.check_early_stopping, early_stopping_with_pop),
    ],
    ids=["discriminator_step", "scale_pixels", "merge", "early_stopping"],
)
def test_right_values_computed_in_place_pass_with_a_note(check, answer):
    result = check(answer)
    assert result.correct, result
    assert "in place" in result.message and "allowed" in result.message


def test_wrong_values_computed_in_place_still_fail_and_say_so():
    def scale_wrong(pixels):
        pixels /= 255
        return pixels

    result = start.check_scale_pixels(scale_wrong)
    assert not result and "not 255" in result.message and "in place" in result.message


# --------------------------------------------------------------------------- other fixes


def add_noise(x0, alpha_bar, eps):
    raise NotImplementedError  # the notebook's stub, not finished yet


def ddim_via_stub(x_t, eps_hat, alpha_bar, alpha_bar_prev):
    x0 = (x_t - np.sqrt(1 - alpha_bar) * eps_hat) / np.sqrt(alpha_bar)
    return add_noise(x0, alpha_bar_prev, eps_hat)


def test_a_step_calling_an_unfinished_helper_names_it():
    result = diffusion.check_ddim_step(ddim_via_stub)
    assert result.verdict is Verdict.ERROR
    assert "add_noise" in result.message and "unfinished" in result.message


def test_the_step_itself_left_a_stub_is_still_not_attempted():
    def ddim_step(x_t, eps_hat, alpha_bar, alpha_bar_prev):
        raise NotImplementedError

    assert diffusion.check_ddim_step(ddim_step).verdict is Verdict.NOT_ATTEMPTED


def test_two_decimals_of_the_equilibrium_loss_pass_rounded_or_cut():
    assert gan.check_equilibrium_loss(1.38).correct  # log 4 = 1.3863, cut
    assert gan.check_equilibrium_loss(1.39).correct  # rounded
    assert not gan.check_equilibrium_loss(1.37)
    assert not gan.check_equilibrium_loss(1.40)


def test_a_broadcast_error_between_1d_arrays_does_not_advise_a_transpose():
    result = nn.check_sigmoid_derivative(lambda z: z[:-1] * z)
    assert result.verdict is Verdict.ERROR and ".T" not in result.message
    assert "different lengths" in result.message
    matrix = nn.check_dense_forward(lambda x, w, b: np.maximum(x @ w.T + b, 0))
    assert matrix.verdict is Verdict.ERROR and ".T" in matrix.message


def test_own_noise_in_reparameterize_is_named():
    rng = np.random.default_rng(0)
    result = vae.check_reparameterize(
        lambda m, lv, e: m + np.exp(lv / 2) * rng.standard_normal(np.shape(m))
    )
    assert not result and "eps" in result.message and "noise of its own" in result.message


def test_a_learners_prints_are_shown_with_the_verdict():
    def dense_forward(x, weights, bias):
        print("x has shape", x.shape)
        return np.maximum(x @ weights + bias, 0)

    result = nn.check_dense_forward(dense_forward)
    assert result.correct and "x has shape" in repr(result)
    wrong = nn.check_dense_forward(lambda x, w, b: print("z =", (x @ w).sum()) or x @ w)
    assert not wrong and "z =" in repr(wrong)
    assert "printed" not in repr(nn.check_sigmoid_derivative(lambda z: 1 / (1 + np.exp(-z))))


@pytest.mark.parametrize("args", [(), ("a", "b")], ids=["missing", "extra"])
def test_a_checker_called_with_the_wrong_arguments_explains_and_counts_nothing(args):
    result = nn.check_dense_forward(*args)
    assert result.verdict is Verdict.NOT_ATTEMPTED
    assert "ex.check_dense_forward(dense_forward)" in result.message
    assert "could not read" not in result.message
    assert nn.LESSON.records["dense_forward"].attempts == 0
    value = gan.check_equilibrium_loss()
    assert "ex.check_equilibrium_loss(equilibrium_loss)" in value.message


@pytest.mark.parametrize("number", [info.number for info in syllabus.LESSONS])
def test_every_lesson_lists_its_exercises_in_its_notebooks_order(number):
    import json
    import re
    from pathlib import Path

    from genai_lessons import exercises

    exercises.progress()  # imports every lesson's exercises
    path = Path(__file__).resolve().parents[1] / "notebooks" / syllabus.lesson(number).notebook
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    checked = list(dict.fromkeys(re.findall(r"\bex\.check_(\w+)\(", code)))
    registered = lesson._ALL.get(number)
    assert checked == (list(registered.exercises) if registered else [])
