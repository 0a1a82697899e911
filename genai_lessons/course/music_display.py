"""Hearing and seeing tunes: note events synthesised into audio, and drawn as a piano roll.

Note events are rows of (onset, duration, MIDI pitch), onsets and durations in quarter notes
(`genai_lessons.measures.tunes.note_events`). The voice is additive: a few harmonics of each
note's frequency, the higher ones fading faster, under an envelope with a short attack and an
exponential decay, which sounds like a plucked string. Everything is NumPy.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from genai_lessons.core.validation import check_int, check_number

A4_MIDI, A4_HZ = 69, 440.0


def midi_to_hz(midi) -> np.ndarray:
    """Equal temperament: each semitone multiplies the frequency by 2 ** (1/12); A4 (69) is 440 Hz."""
    return A4_HZ * 2.0 ** ((np.asarray(midi, dtype=float) - A4_MIDI) / 12.0)


def _check_events(events) -> np.ndarray:
    events = np.asarray(events, dtype=float)
    if events.ndim != 2 or events.shape[1] != 3 or not np.all(np.isfinite(events)):
        raise ValueError(
            f"events must be an (n, 3) array of finite (onset, duration, midi), got shape {events.shape}"
        )
    if events.size and (events[:, 0].min() < 0 or events[:, 1].min() < 0):
        raise ValueError("events must have onsets and durations >= 0")
    return events


def pluck(frequency: float, seconds: float, sample_rate: int, harmonics: int = 6) -> np.ndarray:
    """One note: `harmonics` partials of `frequency`, partial k at amplitude 1/k fading as
    exp(-3 k t), under a 5 ms attack and a 30 ms release at the end, peak at most 1."""
    n = max(int(round(seconds * sample_rate)), 1)
    t = np.arange(n) / sample_rate
    k = np.arange(1, harmonics + 1)[:, None]
    k = k[(k[:, 0] * frequency) < sample_rate / 2]  # partials above Nyquist would alias
    wave = (np.sin(2 * np.pi * k * frequency * t) * np.exp(-3.0 * k * t) / k).sum(axis=0)
    envelope = np.minimum(1.0, t / 0.005) * np.minimum(1.0, (seconds - t) / 0.03).clip(0, 1)
    return wave * envelope / max(np.abs(1.0 / k).sum(), 1e-9)


def synthesize(
    events, tempo: float = 120.0, sample_rate: int = 8000, max_seconds: float | None = None
) -> np.ndarray:
    """The events as audio: float32 samples in [-1, 1] at `sample_rate`.

    Args:
        events: (n, 3) rows of (onset, duration, MIDI pitch) in quarter notes.
        tempo: quarter notes per minute.
        sample_rate: samples per second.
        max_seconds: cut the audio (and the notes starting later) at this length.
    """
    events = _check_events(events)
    tempo = check_number("tempo", tempo, minimum=1.0)
    sample_rate = check_int("sample_rate", sample_rate, minimum=1000)
    seconds_per_quarter = 60.0 / tempo
    end = float((events[:, 0] + events[:, 1]).max()) * seconds_per_quarter if len(events) else 0.0
    if max_seconds is not None:
        end = min(end, check_number("max_seconds", max_seconds, minimum=0.0))
    audio = np.zeros(int(round(end * sample_rate)) + 1)
    for onset, duration, midi in events:
        start = int(round(onset * seconds_per_quarter * sample_rate))
        if start >= audio.size:
            continue
        note = pluck(float(midi_to_hz(midi)), duration * seconds_per_quarter, sample_rate)
        stop = min(start + note.size, audio.size)
        audio[start:stop] += note[: stop - start]
    peak = np.abs(audio).max()
    return (audio / peak * 0.9 if peak > 0 else audio).astype(np.float32)


def piano_roll(events, ax=None, title: str | None = None, color: str = "C0", max_quarters=None):
    """Draw the events as bars: time (quarter notes) across, pitch (MIDI) up. Returns the figure."""
    events = _check_events(events)
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 2.4))
    if max_quarters is not None:
        events = events[events[:, 0] < max_quarters]
    ax.barh(
        events[:, 2],
        events[:, 1],
        left=events[:, 0],
        height=0.8,
        color=color,
        edgecolor="k",
        lw=0.3,
    )
    if len(events):
        low, high = events[:, 2].min(), events[:, 2].max()
        ax.set_ylim(low - 1.5, high + 1.5)
    ax.set_xlabel("time (quarter notes)")
    ax.set_ylabel("MIDI pitch")
    if title:
        ax.set_title(title)
    return ax.figure
