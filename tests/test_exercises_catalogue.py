"""Every checker of every lesson against a catalogue of answers, written as learners write them:
right answers (accepted, including ones that return tensors, lists or print), at least five
typical mistakes each (rejected with their own diagnosis), and hostile answers (tuples,
generators, ragged lists, strings, exceptions, endless loops, changed inputs...), from which no
exception may escape. No default output may contain the solution's code."""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field

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
    music,
    nn,
    safe,
    start,
    transformer,
    vae,
)


@dataclass
class Entry:
    module: object
    name: str
    right: list
    mistakes: list  # (answer, words that the feedback must contain)
    value: bool = False  # the learner gives a value, not a function
    skip_hostile: set = field(default_factory=set)

    @property
    def check(self):
        return getattr(self.module, f"check_{self.name}")

    @property
    def n_args(self) -> int:
        return len(_ARITY[self.name])


def softmax(z, axis=-1):
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


# --------------------------------------------------------------------------- lesson 1


def backward_right(x, weights, bias, grad_out):
    delta = np.where(x @ weights + bias > 0, grad_out, 0.0)
    return np.einsum("bi,bo->io", x, delta), delta.sum(axis=0), delta @ weights.T


def _bw(
    x,
    w,
    b,
    g,
    *,
    mask=True,
    mean_b=False,
    per_example_b=False,
    dx_unmasked=False,
    div=False,
    order=None,
):
    d = g * (x @ w + b > 0) if mask else g
    gw, gb, gx = (
        x.T @ d,
        (d.mean(0) if mean_b else d if per_example_b else d.sum(0)),
        (g if dx_unmasked else d) @ w.T,
    )
    out = (gw, gb, gx)
    if div:
        out = tuple(a / len(x) for a in out)
    return tuple(out[i] for i in order) if order else out


def train_right(params, x, y, gradients, epochs, learning_rate, batch_size):
    rng = np.random.default_rng(1)
    for _ in range(epochs):
        order = rng.permutation(len(x))
        for start_ in range(0, len(x), batch_size):
            batch = order[start_ : start_ + batch_size]
            _, grads = gradients(params, x[batch], y[batch])
            for name in params:
                params[name] -= learning_rate * grads[name]
    return params


def train_new_dicts(params, x, y, gradients, epochs, learning_rate, batch_size):
    """Another right answer: builds a new dict at every step, shuffles with np.random.permutation."""
    np.random.seed(3)
    for _ in range(epochs):
        order = np.random.permutation(len(x))
        for batch in np.array_split(order, len(x) // batch_size):
            _, grads = gradients(params, x[batch], y[batch])
            params = {k: v - learning_rate * grads[k] for k, v in params.items()}
    return params


def make_train(
    *,
    sign=-1.0,
    store=True,
    epochs_used=None,
    first_batch=False,
    full_batch=False,
    names=None,
    shuffle=True,
    rate=True,
    give_back="params",
):
    def train(params, x, y, gradients, epochs, learning_rate, batch_size):
        rng = np.random.default_rng(0)
        start_params = {k: v.copy() for k, v in params.items()}
        for _ in range(epochs if epochs_used is None else epochs_used):
            order = rng.permutation(len(x)) if shuffle else np.arange(len(x))
            starts = [0] if full_batch else range(0, len(x), batch_size)
            for s in starts:
                batch = (
                    order[:batch_size]
                    if first_batch
                    else order
                    if full_batch
                    else order[s : s + batch_size]
                )
                _, grads = gradients(params, x[batch], y[batch])
                for name in names or params:
                    new = params[name] + sign * (learning_rate if rate else 1.0) * grads[name]
                    if store:
                        params[name] = new
        return {"params": params, "none": None, "initial": start_params, "loss": 0.5}[give_back]

    return train


# --------------------------------------------------------------------------- lesson 2


def early_stopping_right(val_losses, patience):
    best_epoch, waited = 1, 0
    for epoch in range(2, len(val_losses) + 1):
        if val_losses[epoch - 1] < val_losses[best_epoch - 1]:
            best_epoch, waited = epoch, 0
        else:
            waited += 1
            if waited == patience:
                return epoch, best_epoch
    return len(val_losses), best_epoch


def _stopping(
    h,
    p,
    *,
    strict=True,
    first_increase=False,
    zero_based=False,
    last=False,
    early_by_one=False,
    maximize=False,
    no_stop=False,
):
    values = [-v for v in h] if maximize else list(h)
    best, best_epoch, waited = math.inf, 0, 0
    for epoch, v in enumerate(values, 1):
        better = v < best if strict else v <= best
        if better:
            best, best_epoch, waited = v, epoch, 0
            continue
        waited += 1
        limit = 1 if first_increase else (p - 1 if early_by_one else p)
        if waited >= limit and not no_stop:
            return (epoch, epoch if last else best_epoch - zero_based)
    return (len(values), len(values) if last else best_epoch - zero_based)


def conv2d_right(image, kernel):
    kh, kw = kernel.shape
    windows = np.lib.stride_tricks.sliding_window_view(image, (kh, kw))
    return np.einsum("ijkl,kl->ij", windows, kernel)


# --------------------------------------------------------------------------- lesson 3


def step_right(w, b, x_real, x_fake, learning_rate):
    x = np.concatenate([x_real, x_fake])
    target = np.concatenate([np.ones(len(x_real)), np.zeros(len(x_fake))])
    weight = np.concatenate(
        [np.full(len(x_real), 1 / len(x_real)), np.full(len(x_fake), 1 / len(x_fake))]
    )
    error = (sigmoid(x @ w + b) - target) * weight
    return w - learning_rate * x.T @ error, b - learning_rate * error.sum()


def _step(
    w,
    b,
    xr,
    xf,
    lr,
    *,
    ascent=False,
    swap=False,
    fake_one=False,
    joint=False,
    real_only=False,
    freeze_b=False,
    extra=False,
    no_rate=False,
):
    tr, tf_ = (0.0, 1.0) if swap else (1.0, 1.0) if fake_one else (1.0, 0.0)
    gw, gb = 0.0, 0.0
    n_all = len(xr) + len(xf)
    for x, t in ((xr, tr),) if real_only else ((xr, tr), (xf, tf_)):
        d = sigmoid(x @ w + b)
        e = (d - t) * (d * (1 - d) if extra else 1.0)
        gw = gw + x.T @ e / (n_all if joint else len(x))
        gb = gb + e.sum() / (n_all if joint else len(x))
    rate = 1.0 if no_rate else lr
    sign = 1.0 if ascent else -1.0
    return w + sign * rate * gw, (b if freeze_b else b + sign * rate * gb)


# --------------------------------------------------------------------------- lesson 4


def elbo_right(images, reconstructions, mean, log_var):
    x = images.reshape(len(images), -1)
    p = reconstructions.reshape(len(images), -1)
    reconstruction = -(x * np.log(p) + (1 - x) * np.log1p(-p)).sum(axis=1)
    kl = 0.5 * (np.exp(log_var) + mean**2 - 1 - log_var).sum(axis=1)
    return float((reconstruction + kl).mean())


def _elbo(
    x,
    p,
    m,
    lv,
    *,
    pixel_mean=False,
    no_kl=False,
    kl_sign=1,
    batch_sum=False,
    per_example=False,
    swap=False,
    mse=False,
    elbo=False,
    kl_mean=False,
    one_term=False,
):
    a, b = (p, x) if swap else (x, p)
    rec = (
        (a - b) ** 2
        if mse
        else -(a * np.log(b))
        if one_term
        else -(a * np.log(b) + (1 - a) * np.log(1 - b))
    )
    rec = rec.reshape(len(x), -1)
    rec = rec.mean(1) if pixel_mean else rec.sum(1)
    terms = 0.5 * (np.exp(lv) + m**2 - 1 - lv)
    kl = 0 if no_kl else kl_sign * (terms.mean(1) if kl_mean else terms.sum(1))
    per = rec + kl
    if per_example:
        return per
    out = per.sum() if batch_sum else per.mean()
    return -out if elbo else out


# --------------------------------------------------------------------------- lesson 5


def top_k_right(logits, k, rng):
    top = np.argpartition(-logits, k - 1)[:k]
    p = softmax(logits[top])
    return int(top[np.searchsorted(np.cumsum(p), rng.random() * p.sum())])


def _top_k(
    z,
    k,
    rng,
    *,
    greedy=False,
    all_tokens=False,
    bottom=False,
    positions=False,
    uniform=False,
    global_rng=False,
    extra=0,
):
    if greedy:
        return int(np.argmax(z))
    order = np.argsort(z)
    top = np.arange(len(z)) if all_tokens else order[:k] if bottom else order[-(k + extra) :]
    p = softmax(z[top])
    generator = np.random if global_rng else rng
    if uniform:
        return int(generator.choice(top))
    choice = generator.choice(len(top), p=p)
    return int(choice if positions else top[choice])


# --------------------------------------------------------------------------- lesson 7


def add_noise_right(x0, alpha_bar, eps):
    signal, noise = alpha_bar**0.5, (1 - alpha_bar) ** 0.5
    return signal * x0 + noise * eps


def ddpm_step_right(x_t, eps_hat, beta, alpha_bar, z):
    alpha = 1 - beta
    return (x_t - (1 - alpha) / np.sqrt(1 - alpha_bar) * eps_hat) / np.sqrt(alpha) + np.sqrt(
        1 - alpha
    ) * z


def ddim_step_right(x_t, eps_hat, alpha_bar, alpha_bar_prev):
    ratio = np.sqrt(alpha_bar_prev / alpha_bar)  # the step as one linear map of x_t and eps_hat
    return ratio * x_t + (np.sqrt(1 - alpha_bar_prev) - ratio * np.sqrt(1 - alpha_bar)) * eps_hat


def ddim_via_add_noise(x_t, eps_hat, alpha_bar, alpha_bar_prev):
    """Another right answer: reuses a learner's add_noise, as the third hint suggests."""
    x0 = (x_t - math.sqrt(1 - alpha_bar) * eps_hat) / math.sqrt(alpha_bar)
    return add_noise_right(x0, alpha_bar_prev, eps_hat)


def _ddpm(
    x,
    e,
    b,
    a,
    z,
    *,
    no_z=False,
    no_scale=False,
    times=False,
    abar_scale=False,
    var_weight=False,
    whole=False,
    plus=False,
    var_z=False,
    z_inside=False,
):
    weight = np.sqrt(1 - a) if whole else b / (1 - a) if var_weight else b / np.sqrt(1 - a)
    inner = x + weight * e if plus else x - weight * e
    scale = (
        1.0
        if no_scale
        else np.sqrt(1 - b)
        if times
        else 1 / np.sqrt(a)
        if abar_scale
        else 1 / np.sqrt(1 - b)
    )
    fresh = 0.0 if no_z else (b if var_z else np.sqrt(b)) * z
    return (inner + fresh) * scale if z_inside else inner * scale + fresh


def _ddim(
    x,
    e,
    a,
    s,
    *,
    x0_only=False,
    no_noise=False,
    no_unscale=False,
    times=False,
    var_remove=False,
    var_noise=False,
    swap=False,
    minus=False,
):
    a, s = (s, a) if swap else (a, s)
    x0 = x - ((1 - a) if var_remove else np.sqrt(1 - a)) * e
    x0 = x0 if no_unscale else x0 * np.sqrt(a) if times else x0 / np.sqrt(a)
    if x0_only:
        return x0
    noise = 0.0 if no_noise else ((1 - s) if var_noise else np.sqrt(1 - s)) * e
    return np.sqrt(s) * x0 - noise if minus else np.sqrt(s) * x0 + noise


_ARITY = {
    "scale_pixels": "p",
    "dense_forward": "xwb",
    "sigmoid_derivative": "z",
    "softmax_cross_entropy_grad": "zy",
    "dense_backward": "xwbg",
    "train": "pxygelb",
    "conv2d": "ik",
    "conv_output_size": "nksp",
    "conv_params": "cfk",
    "early_stopping": "hp",
    "discriminator_loss": "rf",
    "generator_loss": "p",
    "equilibrium_loss": "",
    "discriminator_step": "wbrfl",
    "reparameterize": "mle",
    "kl_divergence": "ml",
    "negative_elbo": "xpml",
    "attend": "qkv",
    "causal_mask": "n",
    "temperature_softmax": "zt",
    "top_k_sample": "zkr",
    "add_noise": "xae",
    "ddpm_step": "xebaz",
    "ddim_step": "xeas",
    "merge": "ipn",
    "cached_attention": "qkvKV",
    "midi_to_frequency": "m",
    "note_seconds": "nut",
    "bar_error": "num",
}


# --------------------------------------------------------------------------- lesson 6
def merge_by_replacing(ids, pair, new_id):  # find-and-replace on a spaced string of ids
    text = " " + " ".join(str(int(i)) for i in ids) + " "
    pattern, replacement = f" {pair[0]} {pair[1]} ", f" {new_id} "
    while pattern in text:
        text = text.replace(pattern, replacement, 1)
    return [int(t) for t in text.split()]


def merge_by_scanning(ids, pair, new_id):
    out, i = [], 0
    while i < len(ids):
        if i + 1 < len(ids) and (ids[i], ids[i + 1]) == tuple(pair):
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


def _merge_first_only(ids, pair, new_id):
    for i in range(len(ids) - 1):
        if (ids[i], ids[i + 1]) == tuple(pair):
            return list(ids[:i]) + [new_id] + list(ids[i + 2 :])
    return list(ids)


def _cached(query, key, value, past_keys, past_values, past_only=False, unscaled=False,
            no_growth=False, new_first=False):  # fmt: skip
    past_keys_2d = np.reshape(past_keys, (-1, len(key)))
    past_values_2d = np.reshape(past_values, (-1, len(value)))
    if new_first:
        keys, values = np.vstack([[key], past_keys_2d]), np.vstack([[value], past_values_2d])
    else:
        keys, values = np.vstack([past_keys_2d, [key]]), np.vstack([past_values_2d, [value]])
    attended_keys, attended_values = (keys[:-1], values[:-1]) if past_only else (keys, values)
    if len(attended_keys) == 0:
        output = np.zeros_like(value)
    else:
        scores = attended_keys @ query / (1.0 if unscaled else np.sqrt(len(query)))
        output = softmax(scores) @ attended_values
    if no_growth:
        return output, past_keys, past_values
    return output, keys, values


def _merge_keeping_second(ids, pair, new_id):  # writes new_id, then the pair's second id too
    out, i = [], 0
    while i < len(ids):
        if i + 1 < len(ids) and (ids[i], ids[i + 1]) == tuple(pair):
            out += [new_id, ids[i + 1]]
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


def _merge_all_but_last(ids, pair, new_id):  # the scan stops one place early
    return merge_by_scanning(list(ids)[:-1], pair, new_id) + list(ids)[-1:]


def cached_attention_loops(query, key, value, past_keys, past_values):
    keys = [*past_keys, key]
    values = [*past_values, value]
    scores = np.array([np.dot(k, query) for k in keys]) / math.sqrt(len(query))
    weights = np.exp(scores - scores.max())
    weights /= weights.sum()
    return sum(w * np.asarray(v) for w, v in zip(weights, values)), np.array(keys), np.array(values)


CATALOGUE = [
    Entry(
        start,
        "scale_pixels",
        [lambda p: p / 16, lambda p: np.divide(p, 16.0).tolist()],
        [
            (lambda p: p / 255, "not 255"),
            (lambda p: p / 8 - 1, "[-1, 1]"),
            (lambda p: p / p.max(), "largest possible"),
            (lambda p: p / 15, "check the divisor"),
            (lambda p: p // 16, "integer division"),
            (lambda p: (16 - p) / 16, "upside down"),
        ],
    ),
    Entry(
        nn,
        "dense_forward",
        [
            lambda x, w, b: np.clip(np.einsum("bi,io->bo", x, w) + b, 0, None),
            lambda x, w, b: [
                [max(0.0, float(v)) for v in row] for row in x @ w + b
            ],  # a list is fine
        ],
        [
            (lambda x, w, b: np.maximum(x @ w, 0), "bias is missing"),
            (lambda x, w, b: x @ w + b, "activation is missing"),
            (lambda x, w, b: np.maximum(x @ w, 0) + b, "before the activation"),
            (lambda x, w, b: np.maximum(x @ w + b, 0).T, "transposed"),
            (lambda x, w, b: np.max(x @ w + b, 0), "np.max reduces"),
            (lambda x, w, b: (x @ w + b) > 0, "0/1 mask"),
            (lambda x, w, b: np.abs(x @ w + b), "abs flips"),
            (lambda x, w, b: w @ x + b, "ValueError"),
        ],
    ),
    Entry(
        nn,
        "sigmoid_derivative",
        [lambda z: 0.25 / np.cosh(z / 2) ** 2, lambda z: sigmoid(z) * sigmoid(-z)],
        [
            (lambda z: z * (1 - z), "to z itself"),
            (sigmoid, "sigmoid itself"),
            (lambda z: 1 - np.tanh(z) ** 2, "derivative of tanh"),
            (lambda z: np.exp(-z) / (1 + np.exp(-z)), "denominator squared"),
            (lambda z: -sigmoid(z) * (1 - sigmoid(z)), "sign is flipped"),
            (lambda z: sigmoid(z) * (1 + sigmoid(z)), "check the sign"),
            (lambda z: sigmoid(z) ** 2, "largest at z = 0"),
        ],
    ),
    Entry(
        nn,
        "softmax_cross_entropy_grad",
        [
            lambda z, y: (softmax(z) - np.eye(z.shape[1])[y]) / len(z),
        ],
        [
            (lambda z, y: softmax(z) - np.eye(z.shape[1])[y], "divide by the batch size"),
            (lambda z, y: (np.eye(z.shape[1])[y] - softmax(z)) / len(z), "sign is flipped"),
            (lambda z, y: softmax(z) / len(z), "labels are missing"),
            (lambda z, y: (z - np.eye(z.shape[1])[y]) / len(z), "not the raw logits"),
            (lambda z, y: (softmax(z, axis=0) - np.eye(z.shape[1])[y]) / len(z), "each row"),
            (lambda z, y: (softmax(z) - y[:, None]) / len(z), "one-hot encoding"),
            (lambda z, y: (softmax(z) - np.eye(z.shape[1])[y]) / z.shape[1], "number of classes"),
        ],
    ),
    Entry(
        nn,
        "dense_backward",
        [backward_right],
        [
            (lambda x, w, b, g: _bw(x, w, b, g, mask=False), "ReLU is missing"),
            (
                lambda x, w, b, g: (lambda o: (o[0].T, o[1], o[2]))(_bw(x, w, b, g)),
                "shape of weights",
            ),
            (lambda x, w, b, g: _bw(x, w, b, g, mean_b=True), "don't average"),
            (lambda x, w, b, g: _bw(x, w, b, g, per_example_b=True), "one value per unit"),
            (
                lambda x, w, b, g: _bw(x, w, b, g, dx_unmasked=True),
                "grad_x must also go through the ReLU",
            ),
            (lambda x, w, b, g: _bw(x, w, b, g, div=True), "divided by the batch size"),
            (lambda x, w, b, g: _bw(x, w, b, g, order=(2, 0, 1)), "wrong order"),
            (
                lambda x, w, b, g: (lambda d: (x.T @ d, d.sum(0), d @ w))(g * (x @ w + b > 0)),
                "needs .T",
            ),
            (
                lambda x, w, b, g: (lambda d: (x.T @ d, d.sum(0), d @ w.T))(g * (x @ w > 0)),
                "bias included",
            ),
        ],
    ),
    Entry(
        nn,
        "train",
        [train_right, train_new_dicts],
        [
            (make_train(sign=+1.0), "climbs the loss"),
            (make_train(store=False), "never changed between steps"),
            (make_train(epochs_used=1), "repeat the pass over the data once per epoch"),
            (make_train(first_batch=True, shuffle=False), "only ever used"),
            (make_train(full_batch=True), "more than batch_size"),
            (make_train(names=["W1", "W2"]), "b1, b2 never changed"),
            (make_train(shuffle=False), "Shuffle the examples"),
            (make_train(rate=False), "learning_rate x its gradient"),
            (make_train(give_back="none"), "return params"),
            (make_train(give_back="initial"), "from before training"),
            (make_train(give_back="loss"), "return the trained params"),
        ],
        skip_hostile={"mutates"},
    ),
    Entry(
        cnn,
        "conv2d",
        [conv2d_right],
        [
            (lambda i, k: conv2d_right(i, k[::-1, ::-1]), "flipped the kernel"),
            (
                lambda i, k: conv2d_right(i, k.T) if k.shape[0] != k.shape[1] or True else None,
                "transposed",
            ),
            (lambda i, k: conv2d_right(i, k) / k.size, "mean of the products"),
            (lambda i, k: conv2d_right(i, k)[:-1, :-1], "off by one"),
            (
                lambda i, k: conv2d_right(
                    np.pad(
                        i,
                        (
                            ((k.shape[0] - 1) // 2, k.shape[0] // 2),
                            ((k.shape[1] - 1) // 2, k.shape[1] // 2),
                        ),
                    ),
                    k,
                ),
                "padding='same'",
            ),
            (lambda i, k: conv2d_right(i, k).T, "swapped"),
        ],
    ),
    Entry(
        cnn,
        "conv_output_size",
        skip_hostile={"mutates"},
        right=[
            lambda n, k, s, p: math.ceil(n / s) if p == "same" else (n - k) // s + 1,
            lambda n, k, s, p: len(range(0, n, s)) if p == "same" else len(range(0, n - k + 1, s)),
        ],
        mistakes=[
            (lambda n, k, s, p: (n - k) // s, "add 1"),
            (lambda n, k, s, p: n - k + 1 if p == "valid" else n, "stride"),
            (lambda n, k, s, p: (n - k) // s + 1, "padding='same'"),
            (lambda n, k, s, p: n // s if p == "same" else (n - k) // s + 1, "rounded up"),
            (
                lambda n, k, s, p: math.ceil((n - k) / s) + 1 if p == "valid" else math.ceil(n / s),
                "round down",
            ),
            (lambda n, k, s, p: (n - k) / s + 1 if p == "valid" else n / s, "whole numbers"),
        ],
    ),
    Entry(
        cnn,
        "conv_params",
        skip_hostile={"mutates"},
        right=[lambda c, f, k: f * (k * k * c + 1)],
        mistakes=[
            (lambda c, f, k: k * k * c * f, "bias"),
            (lambda c, f, k: k * k * f + f, "all input channels"),
            (lambda c, f, k: k * c * f + f, "square"),
            (lambda c, f, k: (k * k + 1) * c * f, "one bias per filter"),
            (lambda c, f, k: k * k * c * f + 1, "not one for the whole layer"),
            (lambda c, f, k: k * k * c + 1, "that is one filter"),
        ],
    ),
    Entry(
        cnn,
        "early_stopping",
        [early_stopping_right],
        [
            (lambda h, p: _stopping(h, p, no_stop=True), "training should stop early"),
            (lambda h, p: _stopping(h, p, zero_based=True), "counted from 1"),
            (lambda h, p: _stopping(h, p, first_increase=True), "first epoch that did not improve"),
            (lambda h, p: _stopping(h, p, early_by_one=True), "not patience - 1"),
            (lambda h, p: _stopping(h, p, strict=False), "strictly lower"),
            (lambda h, p: _stopping(h, p, last=True), "best epoch, not"),
            (lambda h, p: _stopping(h, p, maximize=True), "lowest validation loss"),
        ],
    ),
    Entry(
        gan,
        "discriminator_loss",
        [
            lambda r, f: float(-np.log(r).mean() - np.log1p(-f).mean()),
        ],
        [
            (lambda r, f: np.mean(np.log(r)) + np.mean(np.log(1 - f)), "sign is flipped"),
            (lambda r, f: -np.mean(np.log(1 - r)) - np.mean(np.log(f)), "targets are swapped"),
            (lambda r, f: -np.mean(np.log(r)) - np.mean(np.log(f)), "not D(G(z))"),
            (lambda r, f: -np.mean(np.log(r)), "only the real batch"),
            (
                lambda r, f: -np.mean(np.log(np.concatenate([r, 1 - f]))),
                "average each batch separately",
            ),
            (lambda r, f: -np.sum(np.log(r)) - np.sum(np.log(1 - f)), "rather than summing"),
        ],
    ),
    Entry(
        gan,
        "generator_loss",
        [lambda p: -np.mean(np.log(p))],
        [
            (lambda p: np.mean(np.log(1 - p)), "minimax"),
            (lambda p: np.mean(np.log(p)), "sign is flipped"),
            (lambda p: -np.mean(np.log(1 - p)), "discriminator's term"),
            (lambda p: -np.sum(np.log(p)), "rather than summing"),
            (lambda p: -np.log(np.mean(p)), "log of the average"),
            (lambda p: 1 - np.mean(p), "logarithm"),
        ],
    ),
    Entry(
        gan,
        "equilibrium_loss",
        [math.log(4), 1.39, 1.38, 1.386, np.float32(1.3863), np.array(1.39)],
        [
            (math.log(2), "one of the two terms"),
            (-math.log(4), "value of the game"),
            (0.5, "what the discriminator outputs"),
            (2.0, "base-2"),
            (0.602, "base-10"),
            (4.0, "take the log"),
            (0.0, "perfect discriminator"),
            (1.37, "±0.01"),
            (1.40, "±0.01"),
            ("1.386", "string"),
            ("1.39", "string"),
        ],
        value=True,
    ),
    Entry(
        gan,
        "discriminator_step",
        [step_right],
        [
            (lambda *a: _step(*a, ascent=True), "climbs the loss"),
            (lambda *a: _step(*a, swap=True), "targets are swapped"),
            (lambda *a: _step(*a, fake_one=True), "generator's step"),
            (lambda *a: _step(*a, joint=True), "average each batch on its own"),
            (lambda *a: _step(*a, real_only=True), "only the real batch"),
            (lambda *a: _step(*a, freeze_b=True), "b did not change"),
            (lambda *a: _step(*a, extra=True), "do not multiply by it"),
            (lambda *a: _step(*a, no_rate=True), "scaled by learning_rate"),
        ],
    ),
    Entry(
        vae,
        "reparameterize",
        [lambda m, lv, e: m + np.sqrt(np.exp(lv)) * e],
        [
            (lambda m, lv, e: m + np.exp(lv) * e, "is the variance"),
            (lambda m, lv, e: m + lv * e, "is a logarithm"),
            (lambda m, lv, e: m + np.exp(lv / 2), "noise eps is missing"),
            (lambda m, lv, e: (m + e) * np.exp(lv / 2), "mean is added unscaled"),
            (lambda m, lv, e: m + e / np.exp(lv / 2), "1 / sigma"),
            (lambda m, lv, e: m + np.exp(lv) / 2 * e, "half the variance"),
            (lambda m, lv, e: m * np.exp(lv / 2) * e, "don't multiply"),
            (lambda m, lv, e: m + np.sqrt(lv) * e, "NaN"),
        ],
    ),
    Entry(
        vae,
        "kl_divergence",
        [
            lambda m, lv: np.sum(
                np.log(1 / np.exp(lv / 2)) + (np.exp(lv) + m**2) / 2 - 0.5, axis=-1
            ),
        ],
        [
            (lambda m, lv: 0.5 * np.sum(1 + lv - m**2 - np.exp(lv), axis=-1), "sign is flipped"),
            (lambda m, lv: -np.sum(1 + lv - m**2 - np.exp(lv), axis=-1), "factor of 2"),
            (lambda m, lv: -0.5 * np.mean(1 + lv - m**2 - np.exp(lv), axis=-1), "do not average"),
            (lambda m, lv: -0.5 * np.sum(1 + lv - m**2 - np.exp(lv)), "latent axis only"),
            (
                lambda m, lv: -0.5 * np.sum(1 + lv - m**2 - np.exp(lv / 2), axis=-1),
                "the variance is exp(log_var)",
            ),
            (lambda m, lv: -0.5 * np.sum(lv - m**2 - np.exp(lv), axis=-1), "constant 1"),
        ],
    ),
    Entry(
        vae,
        "negative_elbo",
        [elbo_right],
        [
            (lambda *a: _elbo(*a, pixel_mean=True), "sum it over the pixels"),
            (lambda *a: _elbo(*a, no_kl=True), "KL term is missing"),
            (lambda *a: _elbo(*a, kl_sign=-1), "wrong sign"),
            (lambda *a: _elbo(*a, batch_sum=True), "don't sum"),
            (lambda *a: _elbo(*a, per_example=True), "one value per image"),
            (lambda *a: _elbo(*a, swap=True), "swapped"),
            (lambda *a: _elbo(*a, mse=True), "squared error"),
            (lambda *a: _elbo(*a, elbo=True), "ELBO itself"),
            (lambda *a: _elbo(*a, kl_mean=True), "don't average them"),
            (lambda *a: _elbo(*a, one_term=True), "(1 - x) log(1 - x_hat)"),
        ],
    ),
    Entry(
        transformer,
        "attend",
        [
            lambda q, k, v: softmax(k @ q / np.sqrt(len(q))) @ v,
            lambda q, k, v: sum(w * row for w, row in zip(softmax(k @ q / math.sqrt(q.size)), v)),
        ],
        [
            (lambda q, k, v: softmax(k @ q) @ v, "square root of d before"),
            (lambda q, k, v: (k @ q / np.sqrt(q.size)) @ v, "softmax"),
            (lambda q, k, v: softmax(k @ q / q.size) @ v, "not by d itself"),
            (lambda q, k, v: softmax(k @ q / np.sqrt(q.size)), "weighted sum of the values"),
            (lambda q, k, v: softmax(k @ q * np.sqrt(q.size)) @ v, "not multiplied"),
            (lambda q, k, v: v[np.argmax(k @ q)], "hard attention"),
            (lambda q, k, v: softmax(k @ q / np.sqrt(q.size)) @ k, "not of the keys"),
            (
                lambda q, k, v: (
                    softmax(k @ q / np.sqrt(q.size)) @ v,
                    softmax(k @ q / np.sqrt(q.size)),
                ),
                "return only the output",
            ),
        ],
    ),
    Entry(
        transformer,
        "causal_mask",
        skip_hostile={"mutates"},
        right=[
            lambda n: np.tri(n, dtype=bool),
            lambda n: [[int(j <= i) for j in range(n)] for i in range(n)],
        ],
        mistakes=[
            (lambda n: np.triu(np.ones((n, n))), "future"),
            (lambda n: np.tri(n, k=-1), "diagonal"),
            (lambda n: np.ones((n, n)), "nothing is masked"),
            (lambda n: 1 - np.tri(n), "forbidden entries"),
            (lambda n: np.eye(n), "not only itself"),
            (lambda n: np.tri(n, k=1), "one step into the future"),
            (lambda n: np.where(np.tri(n) > 0, 0.0, -np.inf), "additive mask"),
            (lambda n: [[1] * (i + 1) for i in range(n)], "ragged"),
        ],
    ),
    Entry(
        transformer,
        "temperature_softmax",
        [lambda z, t: softmax(z / t)],
        [
            (lambda z, t: softmax(z * t), "divide the logits"),
            (lambda z, t: softmax(z), "temperature is missing"),
            (lambda z, t: (z / t) / np.sum(z / t), "exponentiate"),
            (lambda z, t: np.exp(z / t), "normalise"),
            (lambda z, t: softmax(z - t), "temperature is missing"),  # a shift changes nothing
            (lambda z, t: softmax(z) / t, "inside the softmax"),
            (lambda z, t: softmax(z) ** (1 / t), "renormalise"),
        ],
    ),
    Entry(
        transformer,
        "top_k_sample",
        [top_k_right],
        [
            (lambda z, k, r: _top_k(z, k, r, greedy=True), "greedy"),
            (lambda z, k, r: _top_k(z, k, r, all_tokens=True), "outside the k most likely"),
            (lambda z, k, r: _top_k(z, k, r, bottom=True), "least likely"),
            (lambda z, k, r: _top_k(z, k, r, positions=True), "positions in the list"),
            (lambda z, k, r: _top_k(z, k, r, uniform=True), "equally often"),
            (lambda z, k, r: _top_k(z, k, r, global_rng=True), "same seed gave different tokens"),
            (lambda z, k, r: _top_k(z, k, r, extra=1), "k + 1 tokens"),
            (
                lambda z, k, r: int(r.choice(np.argsort(z)[-k:], p=softmax(z)[np.argsort(z)[-k:]])),
                "renormalize",
            ),
            (lambda z, k, r: r.choice(np.argsort(z)[-k:], size=1), "single int"),
            (lambda z, k, r: float(softmax(z).max()), "not its probability"),
        ],
        skip_hostile={"mutates"},
    ),
    Entry(
        diffusion,
        "add_noise",
        [add_noise_right, lambda x0, a, e: (np.sqrt(a) * x0 + np.sqrt(1 - a) * e).tolist()],
        [
            (lambda x0, a, e: a * x0 + (1 - a) * e, "are variances"),
            (lambda x0, a, e: np.sqrt(a) * x0 + (1 - a) * e, "the signal is right"),
            (lambda x0, a, e: a * x0 + np.sqrt(1 - a) * e, "the noise is right"),
            (lambda x0, a, e: np.sqrt(1 - a) * x0 + np.sqrt(a) * e, "swapped"),
            (lambda x0, a, e: x0 + np.sqrt(1 - a) * e, "scale x0 too"),
            (lambda x0, a, e: np.sqrt(a) * x0 + e, "full strength"),
            (lambda x0, a, e: np.sqrt(a) * x0 - np.sqrt(1 - a) * e, "do not subtract"),
            (lambda x0, a, e: np.sqrt(a) * (x0 + e), "share one factor"),
            (lambda x0, a, e: np.sqrt(a) * x0 + np.sqrt(1 - a) * e + 0.1, "Smallest failing case"),
        ],
    ),
    Entry(
        diffusion,
        "ddpm_step",
        [ddpm_step_right],
        [
            (lambda *c: _ddpm(*c, no_z=True), "fresh noise z is missing"),
            (lambda *c: _ddpm(*c, no_scale=True), "not rescaled"),
            (lambda *c: _ddpm(*c, times=True), "wrong way"),
            (lambda *c: _ddpm(*c, abar_scale=True), "not alpha_bar"),
            (lambda *c: _ddpm(*c, var_weight=True), "not by the variance"),
            (lambda *c: _ddpm(*c, whole=True), "whole noise"),
            (lambda *c: _ddpm(*c, plus=True), "subtract the predicted noise"),
            (lambda *c: _ddpm(*c, var_z=True), "beta is a variance"),
            (lambda *c: _ddpm(*c, z_inside=True), "after the rescaling"),
        ],
    ),
    Entry(
        diffusion,
        "ddim_step",
        [ddim_step_right, ddim_via_add_noise],
        [
            (lambda *c: _ddim(*c, x0_only=True), "estimate of x0, the first half"),
            (lambda *c: _ddim(*c, no_noise=True), "remains at the earlier level"),
            (lambda *c: _ddim(*c, no_unscale=True), "not rescaled"),
            (lambda *c: _ddim(*c, times=True), "do not multiply"),
            (lambda *c: _ddim(*c, var_remove=True), "not the variance"),
            (lambda *c: _ddim(*c, var_noise=True), "re-noising uses standard deviations"),
            (lambda *c: _ddim(*c, swap=True), "levels are swapped"),
            (lambda *c: _ddim(*c, minus=True), "added, not subtracted"),
        ],
    ),
    Entry(
        language_models,
        "merge",
        [merge_by_replacing, merge_by_scanning],
        [
            (_merge_first_only, "every occurrence"),
            (lambda ids, pair, new_id: list(ids), "nothing was merged"),
            (lambda ids, pair, new_id: _merge_all_but_last(ids, pair, new_id), "at the very end"),
            (lambda ids, pair, new_id: _merge_keeping_second(ids, pair, new_id), "skip two places"),
            (
                lambda ids, pair, new_id: merge_by_scanning(ids[::-1], pair[::-1], new_id)[::-1],
                "left to right",
            ),
        ],
    ),
    Entry(
        language_models,
        "cached_attention",
        [cached_attention_loops],
        [
            (lambda *a: _cached(*a, past_only=True), "new token itself"),
            (lambda *a: _cached(*a, unscaled=True), "square root"),
            (lambda *a: _cached(*a, no_growth=True), "new key and value added"),
            (lambda *a: _cached(*a, new_first=True), "after the cached ones"),
            (lambda q, k, v, pk, pv: (v, *_cached(q, k, v, pk, pv)[1:]), "not only to itself"),
        ],
    ),
    Entry(
        music,
        "midi_to_frequency",
        [
            lambda m: 440.0 * 2.0 ** ((np.asarray(m) - 69) / 12),
            lambda m: (
                [440.0 * math.pow(2, (x - 69) / 12) for x in np.ravel(m)]
                if np.ndim(m) == 1
                else 440.0 * np.exp2((np.asarray(m) - 69) / 12)
            ),
        ],
        [
            (lambda m: 440.0 * 2.0 ** (np.asarray(m) - 69.0), "divide the distance"),
            (lambda m: 440.0 * 2.0 ** ((np.asarray(m) - 60.0) / 12.0), "MIDI number 69"),
            (lambda m: 440.0 * (1.0 + (np.asarray(m) - 69.0) / 12.0), "exponential, not linear"),
            (lambda m: 440.0 * 2.0 ** ((69.0 - np.asarray(m)) / 12.0), "sign is flipped"),
            (lambda m: 220.0 * 2.0 ** ((np.asarray(m) - 69.0) / 12.0), "octave too low"),
            (lambda m: 440.0 * np.exp((np.asarray(m) - 69.0) / 12.0), "not e"),
        ],
    ),
    Entry(
        music,
        "note_seconds",
        [lambda n, u, t: 4 * n * u * 60 / t, lambda n, u, t: n * (u / 0.25) * (60.0 / t)],
        [
            (lambda n, u, t: n * u * 60.0 / t, "4 in a whole note"),
            (lambda n, u, t: n * u * 4 * t / 60.0, "divide by the tempo"),
            (lambda n, u, t: n * u * 4 / t, "not 1 / tempo"),
            (lambda n, u, t: u * 4 * 60.0 / t, "multiply by it"),
            (lambda n, u, t: n / u * 4 * 60.0 / t, "do not divide"),
            (lambda n, u, t: n * u / 4 * 60.0 / t, "not a quarter of it"),
        ],
        skip_hostile={"mutates"},  # numbers only: nothing to change in place
    ),
    Entry(
        music,
        "bar_error",
        [
            lambda n, u, m: 4 * (sum(n) * u - m[0] / m[1]),
            lambda n, u, m: float(np.sum(n) * u * 4 - 4 * m[0] / m[1]),
        ],
        [
            (lambda n, u, m: sum(n) * u - m[0] / m[1], "in quarter notes"),
            (lambda n, u, m: 4.0 * (m[0] / m[1] - sum(n) * u), "sign is flipped"),
            (lambda n, u, m: 4.0 * (sum(n) * u - m[1] / m[0]), "not bottom / top"),
            (lambda n, u, m: float(sum(n) - m[0]), "convert both"),
            (lambda n, u, m: 4.0 * (len(n) * u - m[0] / m[1]), "do not count"),
            (lambda n, u, m: 4.0 * (max(n) * u - m[0] / m[1]), "not the longest note"),
        ],
    ),
]

IDS = [f"{e.module.__name__.rsplit('.', 1)[1]}.{e.name}" for e in CATALOGUE]

KERAS_EXERCISES = {  # the learner writes Keras code: tested in test_exercises_keras.py
    (2, "residual_block"),
    (3, "gan_train_step"),
    (4, "sampling_layer"),
    (5, "multi_head_attention"),
    (6, "answer_loss"),
    (7, "noise_prediction_loss"),
}


@pytest.fixture(autouse=True)
def fresh_lessons():
    for entry in CATALOGUE:
        entry.module.LESSON.reset()


def test_every_exercise_of_every_lesson_is_in_the_catalogue():
    registered = {(n, name) for n, lesson_ in lesson._ALL.items() for name in lesson_.exercises}
    catalogued = {(e.module.LESSON.number, e.name) for e in CATALOGUE} | KERAS_EXERCISES
    assert registered == catalogued
    assert set(range(9)) <= {n for n, _ in registered} <= syllabus.numbers()


@pytest.mark.parametrize("entry", CATALOGUE, ids=IDS)
def test_right_answers_are_accepted(entry):
    for answer in entry.right:
        result = entry.check(answer)
        assert result.verdict is Verdict.CORRECT, result


@pytest.mark.parametrize("entry", CATALOGUE, ids=IDS)
def test_the_lessons_own_solution_is_accepted(entry):
    namespace = {"np": np}
    exec(entry.module.LESSON.exercises[entry.name].solution, namespace)
    answer = namespace.get(entry.name, namespace.get(f"my_{entry.name}"))
    assert entry.check(answer).correct


CASES = [(entry, answer, words) for entry in CATALOGUE for answer, words in entry.mistakes]


@pytest.mark.parametrize("entry", CATALOGUE, ids=IDS)
def test_at_least_five_typical_mistakes_each(entry):
    assert len(entry.mistakes) >= 5


@pytest.mark.parametrize(
    "entry, answer, words", CASES, ids=[f"{IDS[CATALOGUE.index(e)]}-{w[:24]}" for e, _, w in CASES]
)
def test_typical_mistakes_get_their_own_diagnosis(entry, answer, words):
    result = entry.check(answer)
    assert result.verdict in (Verdict.WRONG, Verdict.ERROR), result
    assert words in result.message, result


def _raise(*args):
    raise ValueError("something went wrong")


def _loop_forever(*args):
    while True:
        try:
            time.sleep(0.01)
        except Exception:  # a learner's own `except Exception` must not swallow the time limit
            pass


def _exit(*args):
    raise SystemExit(1)


def _mutate(*args):
    for arg in args:
        if isinstance(arg, np.ndarray):
            arg *= 0.0
            return arg
        if isinstance(arg, list):
            arg.reverse()
            return arg
    return 0.0


class _Evil:
    def __array__(self, *args, **kwargs):
        raise RuntimeError("no")

    def __repr__(self):
        raise RuntimeError("no repr")

    def __float__(self):
        raise RuntimeError("no float")

    def __eq__(self, other):
        raise RuntimeError("no eq")


HOSTILE_FUNCTIONS = {  # name: (answer, words the message must contain, or None)
    "tuple": (lambda *a: (np.zeros(3), np.ones((2, 2))), None),
    "list": (lambda *a: [1.0, 2.0, 3.0], None),
    "generator": (lambda *a: (i for i in range(3)), "generator"),
    "ragged": (lambda *a: [[1.0, 2.0], [3.0]], ("ragged", "2 values", "shape")),
    "string": (lambda *a: "42", "string"),
    "dict": (lambda *a: {"answer": 1}, None),
    "none": (lambda *a: None, "return"),
    "prints": (lambda *a: print("the answer is 42"), "print"),
    "raises": (_raise, "ValueError"),
    "exits": (_exit, "SystemExit"),
    "loops": (_loop_forever, "did not finish"),
    "mutates": (_mutate, "in place"),
    "nan": (lambda *a: np.full(3, np.nan), None),
    "complex": (lambda *a: np.ones(2) * 1j, None),
    "evil": (lambda *a: _Evil(), None),
    "recursion": (
        lambda *a: (lambda f: f(f))(lambda f: f(f)),
        ("RecursionError", "did not finish"),
    ),
    "value": (3.0, "not a function"),
    "arity": (lambda: 1, "argument"),
}

HOSTILE_VALUES = {
    "function": (lambda: math.log(4), "function"),
    "string": ("log 4", "string"),
    "list": ([1.386, 1.386], "shape"),
    "ragged": ([[1.0], [1.0, 2.0]], "ragged"),
    "generator": ((x for x in [1.386]), "generator"),
    "dict": ({"loss": 1.386}, "dict"),
    "nan": (float("nan"), None),
    "complex": (1.386 + 1j, "complex"),
    "evil": (_Evil(), None),
    "bool": (True, None),
}

HOSTILE = [
    (entry, name)
    for entry in CATALOGUE
    for name in (HOSTILE_VALUES if entry.value else HOSTILE_FUNCTIONS)
    if name not in entry.skip_hostile
]


@pytest.mark.parametrize(
    "entry, name", HOSTILE, ids=[f"{IDS[CATALOGUE.index(e)]}-{n}" for e, n in HOSTILE]
)
def test_hostile_answers_never_raise_and_get_a_helpful_sentence(entry, name, monkeypatch):
    monkeypatch.setattr(safe, "TIME_LIMIT_S", 0.3)
    monkeypatch.setattr(loop, "TIME_LIMIT_S", 0.3)
    answer, words = (HOSTILE_VALUES if entry.value else HOSTILE_FUNCTIONS)[name]
    result = entry.check(answer)
    assert result.verdict in (Verdict.WRONG, Verdict.ERROR), result
    assert len(result.message) > 20 and "checker could not read" not in result.message, result
    alternatives = (words,) if isinstance(words, str) else words or ()
    if entry.name == "train":  # a loop that never calls gradients() is told so first
        alternatives += ("never called gradients",)
    if alternatives:
        assert any(w in result.message for w in alternatives), result
    assert repr(result)  # the feedback itself can always be shown


def test_tensors_of_a_backend_are_accepted_as_answers():
    keras = pytest.importorskip("keras")
    ops = keras.ops
    assert nn.check_dense_forward(lambda x, w, b: ops.relu(ops.matmul(x, w) + b)).correct
    assert gan.check_discriminator_loss(
        lambda r, f: -ops.mean(ops.log(r)) - ops.mean(ops.log(1 - f))
    ).correct
    assert gan.check_equilibrium_loss(ops.convert_to_tensor(math.log(4))).correct
    assert transformer.check_top_k_sample(
        lambda z, k, r: ops.convert_to_tensor(top_k_right(z, k, r))
    ).correct
    assert diffusion.check_add_noise(
        lambda x0, a, e: ops.add(ops.multiply(ops.sqrt(a), x0), ops.multiply(ops.sqrt(1 - a), e))
    ).correct


class _TorchLike:
    """Duck-types a PyTorch tensor that requires grad: .numpy() raises until .detach()."""

    def __init__(self, array):
        self.array = np.asarray(array)

    def numpy(self):
        raise RuntimeError("Can't call numpy() on Tensor that requires grad")

    def detach(self):
        return self

    def cpu(self):
        return types_namespace(numpy=lambda: self.array)


def types_namespace(**kwargs):
    import types

    return types.SimpleNamespace(**kwargs)


def test_a_tensor_that_needs_detaching_is_read():
    assert vae.check_reparameterize(lambda m, lv, e: _TorchLike(m + np.exp(lv / 2) * e)).correct


def _solution_fragments(entry) -> list[str]:
    """The solution's lines that carry its content (not `def`, imports or a bare `return`)."""
    fragments = []
    for line in entry.module.LESSON.exercises[entry.name].solution.splitlines():
        line = re.sub(r"#.*", "", line).strip()
        line = re.sub(r"^return\s+", "", line)
        if not line or line.startswith(("def ", "import ", "for ", "if ")) or len(line) < 12:
            continue
        fragments.append(re.sub(r"\s+", "", line))
    return fragments


def _all_answers(entry):
    hostile = HOSTILE_VALUES if entry.value else HOSTILE_FUNCTIONS
    answers = list(entry.right) + [a for a, _ in entry.mistakes]
    return answers + [
        a for n, (a, _) in hostile.items() if n not in ("loops",) + tuple(entry.skip_hostile)
    ]


@pytest.mark.parametrize("entry", CATALOGUE, ids=IDS)
def test_no_default_output_or_hint_contains_the_solution_code(entry):
    fragments = _solution_fragments(entry)
    assert fragments, "the solution has a line to look for"
    texts = [repr(entry.check(answer)) for answer in _all_answers(entry)]
    texts += [
        entry.module.hint(entry.name).text for _ in entry.module.LESSON.exercises[entry.name].hints
    ]
    for text in texts:
        flat = re.sub(r"\s+", "", text)
        for fragment in fragments:
            assert fragment not in flat, (fragment, text)
