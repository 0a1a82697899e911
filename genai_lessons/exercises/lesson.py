"""Progressive help and progress for a lesson's exercises.

Each lesson module registers its exercises with a `Lesson`: a name (the function the learner
writes), a title, a ladder of hints and a solution. The lesson then wraps every check: it
records the attempt, and adds a nudge to a wrong answer's diagnosis that points to more help.
Help comes in steps and only on request:

    ex.hint("dense_backward")      # the next hint of the ladder, one step more each time
    ex.solution("dense_backward")  # a full solution, only when asked for
    ex.progress()                  # done / attempted / not attempted, for the whole lesson

Nothing here ever raises: an unknown name gets a list of the known ones.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from dataclasses import dataclass, field

from genai_lessons.core import syllabus
from genai_lessons.exercises import safe, saved
from genai_lessons.exercises.result import Result, Verdict


@dataclass(frozen=True)
class Exercise:
    name: str  # the function (or variable) the learner writes; the key for hint() and solution()
    title: str  # shown at the start of each feedback line
    hints: tuple[str, ...]  # from a gentle pointer to an almost complete recipe, never the code
    solution: str  # one correct answer, as code


@dataclass
class _Record:
    attempts: int = 0  # checks of an attempted answer (right or wrong)
    verdict: Verdict | None = None  # of the latest check
    hints_seen: int = 0
    solution_seen: bool = False


def _restore(fields, n_hints: int) -> _Record:
    """A record read back from the saved progress (a fresh one when absent or unreadable)."""
    try:
        verdict = fields.get("verdict")
        return _Record(
            attempts=max(0, int(fields.get("attempts", 0))),
            verdict=Verdict(verdict) if verdict else None,
            hints_seen=min(max(0, int(fields.get("hints_seen", 0))), n_hints),
            solution_seen=bool(fields.get("solution_seen", False)),
        )
    except Exception:
        return _Record()


class Help:
    """Text shown on request (a hint, a solution, a progress table): its repr is the text."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text

    def __str__(self) -> str:
        return self.text


_ALL: dict[int, Lesson] = {}


@dataclass
class Lesson:
    number: int
    title: str
    exercises: dict[str, Exercise] = field(default_factory=dict)
    records: dict[str, _Record] = field(default_factory=dict)
    listed: bool = True  # in the course's progress table, its records saved between sessions
    handle: str = "ex"  # how the notebook names the lesson's module, for the help pointers

    def __post_init__(self):
        self._saved = saved.load().get(str(self.number), {}) if self.listed else {}
        self._unsaved = False  # a save of this kernel failed: its memory is the only record
        if self.listed:
            _ALL[self.number] = self

    def add(
        self, name: str, title: str, hints: tuple[str, ...] | list[str], solution: str
    ) -> Exercise:
        exercise = Exercise(name, title, tuple(hints), solution.strip("\n"))
        self.exercises[name] = exercise
        self.records[name] = _restore(self._saved.get(name), len(exercise.hints))
        return exercise

    def reset(self) -> None:
        """Forget all attempts, also the saved ones (tests use it; so can a learner who wants
        to start a lesson afresh)."""
        self.records = {name: _Record() for name in self.exercises}
        self._save()

    def _refresh(self) -> None:
        """Read this lesson's records back from the saved progress, which another kernel (the
        lesson's own notebook, while this is notebook 00) may have written since; not when
        saving is off or one of this kernel's saves failed (the memory is newer then)."""
        if self.listed and not self._unsaved and saved.progress_file() is not None:
            stored = saved.load().get(str(self.number), {})
            self.records = {
                name: _restore(stored.get(name), len(exercise.hints))
                for name, exercise in self.exercises.items()
            }

    def _save(self) -> None:
        if self.listed and saved.progress_file() is not None:
            self._unsaved |= not saved.save(
                self.number,
                {
                    name: {
                        "attempts": r.attempts,
                        "verdict": r.verdict.value if r.verdict else None,
                        "hints_seen": r.hints_seen,
                        "solution_seen": r.solution_seen,
                    }
                    for name, r in self.records.items()
                    if r != _Record()
                },
            )

    def checker(self, name: str):
        """Decorator for a check function of exercise `name`: titles, records and nudges its
        Result, and turns any exception into a Result."""

        def decorate(check):
            signature = inspect.signature(check)

            @functools.wraps(check)
            def wrapped(*args, **kwargs):
                try:
                    signature.bind(*args, **kwargs)
                except TypeError:
                    return self._misused(name, check, signature, args, kwargs)
                with safe.collect_prints() as printed:
                    try:
                        result = check(*args, **kwargs)
                    except Exception as error:  # a bug of ours must not stop the notebook
                        result = Result(
                            self.exercises[name].title,
                            Verdict.ERROR,
                            f"the checker could not read this answer ({type(error).__name__}).",
                        )
                result = self.record(name, result)
                if printed and result.verdict is not Verdict.NOT_ATTEMPTED:
                    result = dataclasses.replace(result, printed="".join(printed))
                return result

            return wrapped

        return decorate

    def _misused(self, name, check, signature, args, kwargs) -> Result:
        """A checker called with missing or extra arguments: how to call it; not an attempt."""
        wanted = len(signature.parameters)
        given = len(args) + len(kwargs)
        what = "your value" if "answer" in signature.parameters else "your function"
        how = "" if what == "your value" else ", by its name and without parentheses"
        return Result(
            self.exercises[name].title,
            Verdict.NOT_ATTEMPTED,
            f"{self.handle}.{check.__name__} takes {wanted} argument(s), {what}, but was given {given}. "
            f"Call it as {self.handle}.{check.__name__}({name}){how}. (This call does not count as an "
            "attempt.)",
        )

    def record(self, name: str, result: Result) -> Result:
        self._refresh()
        exercise, record = self.exercises[name], self.records[name]
        if result.verdict is not Verdict.NOT_ATTEMPTED:
            record.attempts += 1
            record.verdict = result.verdict
            self._save()
        elif not record.attempts:
            record.verdict = result.verdict
        return Result(exercise.title, result.verdict, result.message, self._nudge(name, result))

    def _nudge(self, name: str, result: Result) -> str:
        record, hints = self.records[name], len(self.exercises[name].hints)
        if result.verdict is Verdict.NOT_ATTEMPTED:
            return ""
        if result.verdict is Verdict.CORRECT:
            done = sum(r.verdict is Verdict.CORRECT for r in self.records.values())
            return (
                f"Lesson {self.number}: {done} of {len(self.exercises)} exercises done "
                f"({self.handle}.progress() lists them)."
            )
        if record.attempts == 1 and record.hints_seen == 0:
            return f'Try again; for a hint run {self.handle}.hint("{name}").'
        if record.hints_seen < hints:
            more = f'{self.handle}.hint("{name}") gives hint {record.hints_seen + 1} of {hints}'
        else:
            more = "you have seen every hint"
        return (
            f'Attempt {record.attempts}: {more}; {self.handle}.solution("{name}") shows a solution.'
        )

    def _find(self, name) -> str | None:
        """The exercise meant by `name`: its name (any case, `my_` prefix allowed), its title,
        or the learner's function itself."""
        if callable(name):
            name = getattr(name, "__name__", "")
        if isinstance(name, str):
            key = name.strip().strip("'\"").strip().lower()
            for known in self.exercises:
                if key in (
                    known.lower(),
                    f"my_{known.lower()}",
                    self.exercises[known].title.lower(),
                ):
                    return known
        return None

    def _unknown(self, name) -> Help:
        name = getattr(name, "__name__", name)
        names = ", ".join(f'"{n}"' for n in self.exercises)
        return Help(
            f"Lesson {self.number} has no exercise called {name!r}; its exercises are: {names}."
        )

    def hint(self, name) -> Help:
        """The next hint for exercise `name` (its function's name, or the function itself)."""
        key = self._find(name)
        if key is None:
            return self._unknown(name)
        self._refresh()
        hints, record = self.exercises[key].hints, self.records[key]
        step = min(record.hints_seen, len(hints) - 1)
        record.hints_seen = min(record.hints_seen + 1, len(hints))
        self._save()
        text = f"Hint {step + 1} of {len(hints)} for {key}: {hints[step]}"
        if step + 1 < len(hints):
            text += f'\n(run {self.handle}.hint("{key}") again for the next one)'
        else:
            text += f'\n(that was the last hint; {self.handle}.solution("{key}") shows a solution)'
        return Help(text)

    def solution(self, name) -> Help:
        """A full solution of exercise `name`: only ever shown when asked for."""
        key = self._find(name)
        if key is None:
            return self._unknown(name)
        self._refresh()
        self.records[key].solution_seen = True
        self._save()
        return Help(
            f"A solution of {key} (one of several ways to write it):\n\n"
            f"{self.exercises[key].solution}"
        )

    def progress(self) -> Help:
        """Done / attempted / not attempted for each exercise of the lesson."""
        self._refresh()
        lines = [f"Lesson {self.number} ({self.title}): "]
        counts = {"done": 0, "attempted": 0, "not attempted": 0}
        rows = []
        for name in self.exercises:
            record = self.records[name]
            if record.verdict is Verdict.CORRECT:
                state, icon = "done", "✅"
            elif record.attempts:
                state, icon = "attempted", "❌"
            else:
                state, icon = "not attempted", "📝"
            counts[state] += 1
            notes = []
            if record.attempts:
                notes.append(f"{record.attempts} check{'s' if record.attempts > 1 else ''}")
            if record.hints_seen:
                notes.append(f"{record.hints_seen} hint{'s' if record.hints_seen > 1 else ''}")
            if record.solution_seen:
                notes.append("solution seen")
            detail = f" ({', '.join(notes)})" if notes else ""
            rows.append(f"  {icon} {name:<28} {state}{detail}")
        lines[0] += ", ".join(f"{n} {state}" for state, n in counts.items())
        return Help("\n".join(lines + rows))


def progress() -> Help:
    """The progress of every lesson of the course (`core.syllabus`), in order; a lesson whose
    exercises have not been imported, or that has none, says so."""
    texts = []
    for info in syllabus.LESSONS:
        if info.number in _ALL:
            texts.append(_ALL[info.number].progress().text)
        else:
            texts.append(f"Lesson {info.number} ({info.topic}): no exercises")
    texts += [_ALL[n].progress().text for n in sorted(set(_ALL) - syllabus.numbers())]
    kept = (
        "Progress is saved between sessions (exercises.saved.progress_file() shows where)."
        if saved.progress_file()
        else "Progress is kept for this session only: it is lost when the kernel restarts."
    )
    return Help("\n".join([*texts, kept]))
