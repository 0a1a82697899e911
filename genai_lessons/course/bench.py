"""Training speed of the course's models beside reference architectures: `genai-lessons bench`.

For each backend available (TensorFlow without and with XLA, JAX, PyTorch), it measures the
machine's float32 matmul ceiling, then trains, interleaved, the course's GPT (lessons 5's and
6's configs), DCGAN (lesson 3's, on the 8x8 digits and on the 28x28 ones), VAEs (lesson 4's, on
both), lesson 7's autoencoder and its diffusion model of the autoencoder's codes beside the
reference architectures of `genai_lessons.course.reference` at the same sizes (the latent
diffusion model beside keras.io's pixel-space recipe; the contenders are built in
`genai_lessons.course.bench_models`), and reports medians of several repeats: milliseconds per
unit (a GPT step, an epoch of the 1,437 8x8 training digits or of the 4,000 28x28 ones) in wall
time and in CPU time, their ratios ours/reference, and the GPTs' model FLOPs utilisation (MFU:
the step's FLOPs per second over the matmul ceiling). Ratios of interleaved runs hold on a busy
machine; absolute figures do not, so the load average is printed with them.
Another backend runs in a subprocess (Keras picks its backend once per process).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass

import numpy as np

from genai_lessons.core import settings
from genai_lessons.course import bench_models

BACKENDS = ("tensorflow", "jax", "torch")


@dataclass(frozen=True)
class Plan:
    """How much to measure: `Plan()` for the benchmark, `Plan.quick()` for a smoke run."""

    repeats: int = 5  # interleaved rounds; medians are reported
    gpt_steps: int = 20  # GPT steps per measurement
    images: int = 1437  # training digits per epoch (all of them)
    mnist_images: int = 4000  # 28x28 training digits (or codes) per epoch of the 28x28 models
    matmul_size: int = 1024

    @classmethod
    def quick(cls) -> Plan:
        return cls(repeats=1, gpt_steps=2, images=128, mnist_images=64, matmul_size=512)


def gpt_step_flops(batch: int | None = None, **config) -> float:
    """Model FLOPs of one GPT training step (forward and backward: 3x the forward matmuls);
    the fields not given are those of lesson 5's config and batch."""
    default, default_batch = bench_models.GPTS["GPT (lesson 5)"]
    c, batch = {**default, **config}, batch or default_batch
    width, length = c["width"], c["context"]
    per_token = c["num_layers"] * (24 * width**2 + 4 * length * width) + 2 * width * c["vocab_size"]
    return 3.0 * per_token * batch * length


def matmul_ceiling(size: int = 1024, repeats: int = 5) -> tuple[float, float]:
    """A float32 (size x size) matmul on the active backend: (GFLOP per wall second, the best
    of `repeats`; GFLOP per CPU second of this process, their median). The second barely
    moves when other programs share the machine."""
    import keras

    a = keras.ops.convert_to_tensor(np.random.default_rng(0).random((size, size), "float32"))
    keras.ops.convert_to_numpy(keras.ops.matmul(a, a))  # warm up
    wall, cpu = [], []
    for _ in range(repeats):
        start, clock = time.perf_counter(), time.process_time()
        for _ in range(4):
            product = keras.ops.matmul(a, a)
        keras.ops.convert_to_numpy(product[:1, :1])  # waits for the work on every backend
        wall.append((time.perf_counter() - start) / 4)
        cpu.append((time.process_time() - clock) / 4)
    flops = 2.0 * size**3 / 1e9
    return flops / min(wall), flops / max(float(np.median(cpu)), 1e-9)


class _EpochTimer:
    """Wall and CPU seconds of the epochs of `fit` (without its set-up and tear-down)."""

    def __new__(cls):
        import keras

        class Timer(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                self.start = (time.perf_counter(), time.process_time())

            def on_epoch_end(self, epoch, logs=None):
                self.seconds = (
                    time.perf_counter() - self.start[0],
                    time.process_time() - self.start[1],
                )

        return Timer()


def measure(plan: Plan | None = None, jit: bool = False, only: tuple[str, ...] = ()) -> dict:
    """Benchmark the active backend in this process; `jit` compiles every model with XLA;
    `only` (model names) keeps those rows alone, for measuring a few rows at a time."""
    plan = plan or Plan()
    settings.seed_everything(0)
    import keras

    contenders = bench_models.contenders(plan.gpt_steps, plan.images, jit, plan.mnist_images)
    unknown = set(only) - {name for name, _ in contenders}
    if unknown:
        raise ValueError(f"only must name models of the bench, got unknown {sorted(unknown)}")
    if only:
        contenders = {key: value for key, value in contenders.items() if key[0] in only}
    timer = _EpochTimer()
    for model, fit, _, _ in contenders.values():  # compile and warm up
        model.fit(**fit, epochs=1, shuffle=False, verbose=0)
    times = {key: [] for key in contenders}
    for _ in range(plan.repeats):  # interleaved: each round times every contender once
        for key, (model, fit, units, _) in contenders.items():
            model.fit(**fit, epochs=1, shuffle=False, verbose=0, callbacks=[timer])
            times[key].append(np.asarray(timer.seconds) / units)
    rows = {}
    for (name, side), (model, _, _, unit) in contenders.items():
        wall, cpu = np.median(times[(name, side)], axis=0) * 1000
        row = rows.setdefault(name, {"model": name, "unit": unit})
        row[side] = {"ms": float(wall), "cpu_ms": float(cpu), "params": model.count_params()}
    for row in rows.values():
        if "reference" in row:
            row["ratio"] = row["ours"]["ms"] / row["reference"]["ms"]
            row["cpu_ratio"] = row["ours"]["cpu_ms"] / row["reference"]["cpu_ms"]
    ceiling, per_cpu_second = matmul_ceiling(plan.matmul_size, max(plan.repeats, 2))
    for name, (config, batch) in bench_models.GPTS.items():
        if name not in rows:
            continue
        # MFU: the step's FLOPs per wall second over the matmul's. The CPU variant divides
        # FLOPs per CPU second by the matmul's, which other programs hardly change.
        row, flops = rows[name], gpt_step_flops(batch, **config)
        row["gflop"] = flops / 1e9
        for side in ("ours", "reference"):
            row[side]["mfu"] = flops / (row[side]["ms"] / 1000) / (ceiling * 1e9)
            row[side]["mfu_cpu"] = flops / (row[side]["cpu_ms"] / 1000) / (per_cpu_second * 1e9)
    name = keras.backend.backend() + (
        "+xla" if jit and keras.backend.backend() == "tensorflow" else ""
    )
    return {
        "backend": name,
        "matmul_gflops": ceiling,
        "matmul_gflops_per_cpu_second": per_cpu_second,
        "rows": list(rows.values()),
    }


def _other_backend(backend: str, quick: bool) -> dict | None:
    """Run `measure` on another backend in a subprocess; None when it is not installed."""
    if importlib.util.find_spec({"tensorflow": "tensorflow"}.get(backend, backend)) is None:
        return None
    command = [sys.executable, "-m", "genai_lessons.course.bench", *(["--quick"] if quick else [])]
    env = {**os.environ, "KERAS_BACKEND": backend}
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=1800)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode or not lines:
        return {"backend": backend, "error": (done.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(lines[-1])


def run(quick: bool = False, others: bool = True) -> dict:
    """The whole benchmark: this process's backend (TensorFlow: without and with XLA), then,
    with `others`, every other installed backend in a subprocess. Quick: a smoke run."""
    settings.quiet_logs()
    import keras

    plan = Plan.quick() if quick else Plan()
    load = list(os.getloadavg()) if hasattr(os, "getloadavg") else []
    results = [measure(plan, jit=False)]
    if keras.backend.backend() == "tensorflow" and not quick:
        results.append(measure(plan, jit=True))
    for backend in BACKENDS if others else ():
        if backend != keras.backend.backend():
            result = _other_backend(backend, quick)
            results += [result] if result else []
    after = list(os.getloadavg()) if hasattr(os, "getloadavg") else []
    return {
        "quick": quick,
        "cpu_count": os.cpu_count(),
        "load_average": {"before": load, "after": after},
        "results": results,
    }


def markdown(report: dict) -> str:
    """The report as a Markdown table (one row per backend and model) with its context."""
    load = report["load_average"]
    lines = [
        f"{report['cpu_count']} CPU cores; load average (1, 5, 15 min) before "
        f"{', '.join(f'{x:.1f}' for x in load['before'])}, after {', '.join(f'{x:.1f}' for x in load['after'])}.",
        "",
        "| backend | model | unit | ours ms | reference ms | ours/reference (wall) "
        "| ours/reference (CPU) | MFU ours, reference (by CPU time) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    notes = []
    for result in report["results"]:
        if "error" in result:
            notes.append(f"{result['backend']}: failed ({result['error']})")
            continue
        for row in result["rows"]:
            ours, ref = row["ours"], row.get("reference")
            cells = [f"{ours['ms']:.1f}"] + (
                [f"{ref['ms']:.1f}", f"{row['ratio']:.2f}", f"{row['cpu_ratio']:.2f}"]
                if ref
                else ["-"] * 3
            )
            cells.append(
                f"{ours['mfu']:.0%}, {ref['mfu']:.0%} ({ours['mfu_cpu']:.0%}, {ref['mfu_cpu']:.0%})"
                if "mfu" in ours and ref
                else "-"
            )
            lines.append(
                f"| {result['backend']} | {row['model']} | {row['unit']} | "
                + " | ".join(cells)
                + " |"
            )
        steps = ", ".join(
            f"{row['model']} {row['gflop']:.2f}" for row in result["rows"] if "gflop" in row
        )
        notes.append(
            f"{result['backend']}: matmul ceiling {result['matmul_gflops']:.0f} GFLOP/s "
            f"({result['matmul_gflops_per_cpu_second']:.0f} per CPU second)"
            + (f"; GFLOP per training step: {steps}" if steps else "")
        )
    return "\n".join(lines + [""] + [f"- {note}" for note in notes]) + "\n"


def write(report: dict, folder) -> tuple:
    """Write `bench.json` and `bench.md` into `folder`; return their paths."""
    from pathlib import Path

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    json_path, md_path = folder / "bench.json", folder / "bench.md"
    json_path.write_text(json.dumps(report, indent=2) + "\n")
    md_path.write_text(markdown(report))
    return json_path, md_path


if __name__ == "__main__":  # a subprocess of `run`: one backend, one JSON line
    settings.quiet_logs()
    import keras

    jit = keras.backend.backend() == "jax"  # JAX without jit runs op by op: not its real speed
    print(json.dumps(measure(Plan.quick() if "--quick" in sys.argv else Plan(), jit=jit)))
