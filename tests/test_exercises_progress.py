"""Exercise progress: saved between sessions in a small JSON file (here under tmp_path, never in
the repository), read back by a fresh lesson as after a kernel restart, listed for every lesson
of the course; and notebook 00 run top to bottom leaves the learner's own exercise unattempted."""

import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from genai_lessons import exercises
from genai_lessons.core import syllabus
from genai_lessons.exercises import Verdict, lesson, saved, start
from genai_lessons.exercises.lesson import Lesson

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def progress_file(tmp_path, monkeypatch):
    path = tmp_path / "data" / "progress.json"
    monkeypatch.setenv(saved.PROGRESS_ENV, str(path))
    return path


def _lesson(number=90):
    """A lesson as a module would make it at import; a second call is the same lesson after a
    kernel restart."""
    made = Lesson(number, "test lesson")
    made.add("double", "double", ["twice", "times 2"], "def double(x):\n    return 2 * x")
    return made


def _check(made, answer):
    @made.checker("double")
    def check_double(function):
        return exercises.check_function("double", function, [(np.arange(3.0),)], lambda x: 2 * x)

    return check_double(answer)


@pytest.fixture(autouse=True)
def forget_test_lessons():
    yield
    for number in (90, 91):
        lesson._ALL.pop(number, None)


def test_progress_survives_a_restart(progress_file):
    first = _lesson()
    assert not _check(first, lambda x: x + 1)
    first.hint("double")
    assert _check(first, lambda x: x * 2)
    first.solution("double")
    data = json.loads(progress_file.read_text())
    assert data["lessons"]["90"]["double"] == {
        "attempts": 2,
        "verdict": "correct",
        "hints_seen": 1,
        "solution_seen": True,
    }
    restarted = _lesson()  # the module imported again in a fresh kernel
    record = restarted.records["double"]
    assert (record.attempts, record.verdict, record.hints_seen, record.solution_seen) == (
        2,
        Verdict.CORRECT,
        1,
        True,
    )
    assert "done (2 checks, 1 hint, solution seen)" in restarted.progress().text
    assert restarted.hint("double").text.startswith("Hint 2 of 2")  # the ladder goes on


def test_two_kernels_see_each_others_progress(progress_file):
    notebook_00, notebook_90 = _lesson(), _lesson()  # the same lesson imported in two kernels
    assert _check(notebook_90, lambda x: 2 * x)
    notebook_90.hint("double")
    assert "done (1 check, 1 hint)" in notebook_00.progress().text
    notebook_00.hint("double")  # the ladder goes on from the other kernel's step
    assert notebook_00.records["double"].hints_seen == 2


def test_lessons_share_the_file_and_a_reset_forgets_only_its_own(progress_file):
    one, two = _lesson(90), _lesson(91)
    _check(one, lambda x: 2 * x)
    _check(two, lambda x: 3 * x)
    two.reset()
    data = json.loads(progress_file.read_text())["lessons"]
    assert data["90"]["double"]["verdict"] == "correct" and data["91"] == {}


def test_an_unattempted_check_saves_nothing_and_keeps_an_earlier_verdict(progress_file):
    made = _lesson()

    def stub(x):
        raise NotImplementedError

    assert _check(made, stub).verdict is Verdict.NOT_ATTEMPTED
    assert not progress_file.exists()
    _check(made, lambda x: 2 * x)
    _check(made, stub)
    assert made.records["double"].verdict is Verdict.CORRECT


def test_an_unreadable_or_unwritable_file_only_means_no_saving(
    progress_file, tmp_path, monkeypatch
):
    progress_file.parent.mkdir(parents=True)
    progress_file.write_text("{not json")
    made = _lesson()
    assert made.records["double"].attempts == 0
    assert _check(made, lambda x: 2 * x)  # rewrites the file
    assert json.loads(progress_file.read_text())["version"] == saved.VERSION
    blocked = tmp_path / "a file"
    blocked.write_text("")
    assert saved.save(90, {}) is True
    saved_to = blocked / "progress.json"  # its folder is a file: cannot be written
    monkeypatch.setenv(saved.PROGRESS_ENV, str(saved_to))
    assert saved.save(90, {}) is False
    assert _check(_lesson(), lambda x: 2 * x)  # the check still answers


def test_saving_is_off_outside_a_kernel_unless_asked_for(monkeypatch):
    monkeypatch.delenv(saved.PROGRESS_ENV, raising=False)
    assert saved.progress_file() is None  # pytest is no notebook kernel: no file behind tests
    monkeypatch.setenv(saved.PROGRESS_ENV, "off")
    assert saved.progress_file() is None
    assert "this session only" in exercises.progress().text


def test_the_default_file_is_in_the_users_data_folder(monkeypatch, tmp_path):
    monkeypatch.delenv(saved.PROGRESS_ENV, raising=False)
    monkeypatch.setattr(saved, "_in_notebook", lambda: True)
    monkeypatch.setattr(Path, "home", staticmethod(lambda: tmp_path))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("APPDATA", str(tmp_path / "appdata"))
    path = saved.progress_file()
    assert path.name == "progress.json" and path.parent.name == "genai-lessons"
    assert tmp_path in path.parents and ROOT not in path.parents


def test_course_progress_lists_every_lesson_in_order(progress_file):
    text = exercises.progress().text
    headers = [line for line in text.splitlines() if line.startswith("Lesson ")]
    assert [int(h.split()[1]) for h in headers] == [i.number for i in syllabus.LESSONS]
    assert "saved between sessions" in text


def test_the_demo_is_not_the_learners_exercise(progress_file):
    start.LESSON.reset()
    assert start.demo.check_mirror(lambda image: image[:, ::-1]).correct
    assert not start.demo.check_mirror(lambda image: image[::-1])
    start.demo.hint("mirror")
    record = start.LESSON.records["scale_pixels"]
    assert record.attempts == 0 and record.hints_seen == 0
    assert "scale_pixels" in start.progress().text and "mirror" not in exercises.progress().text
    lessons = json.loads(progress_file.read_text())["lessons"] if progress_file.exists() else {}
    assert not lessons.get("0")


def test_run_all_of_notebook_00_leaves_the_learners_exercise_unattempted(
    progress_file, monkeypatch
):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.setenv("GENAI_LESSONS_QUICK", "1")
    notebook = nbformat.read(ROOT / "notebooks" / "00_start_here.ipynb", as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(ROOT / "notebooks")}},
    )
    client.execute()
    texts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            texts.append(output.get("text", "") + output.get("data", {}).get("text/plain", ""))
    everything = "\n".join(texts)
    assert "scale_pixels" in everything
    # The progress table's row: not attempted, with no checks, hints or solution seen.
    assert re.search(r"^\s*📝 scale_pixels\s+not attempted$", everything, re.M), everything
    assert "saved between sessions" in everything
    saved_lessons = (
        json.loads(progress_file.read_text())["lessons"] if progress_file.exists() else {}
    )
    assert not saved_lessons.get("0"), saved_lessons
    assert sys.executable  # the kernel is this environment's (python3 of the venv)
