"""The headless runner and the `genai-lessons` command, on tiny notebooks the tests write."""

import json

import nbformat
import pytest

from genai_lessons.course import cli, runner


def write_notebook(folder, name, *sources):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell("# A tiny notebook")]
    notebook.cells += [nbformat.v4.new_code_cell(source) for source in sources]
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path = folder / name
    nbformat.write(notebook, path)
    return path


REPORTING = (
    "from genai_lessons.core import results, settings\n"
    "accuracy = settings.pick(quick=0.5, full=0.9)\n"
    'results.record("01_tiny", accuracy=accuracy, cells=2)'
)


def test_a_passing_notebook_reports_time_memory_and_figures(tmp_path):
    path = write_notebook(tmp_path, "01_tiny.ipynb", "x = 21 * 2\nprint(x)", REPORTING)
    run = runner.run_notebook(path, quick=True, inplace=True)
    assert run.passed and run.cells == 2 and run.failed_cell is None
    assert run.figures == {"accuracy": 0.5, "cells": 2.0}  # quick mode reached the kernel
    assert run.seconds > 0 and run.peak_memory_mib is not None and 10 < run.peak_memory_mib < 2048
    executed = nbformat.read(path, as_version=4)
    assert executed.cells[1].outputs[0]["text"] == "42\n"  # --inplace wrote the outputs back
    assert len(executed.cells) == 3  # the memory probe is not left in the notebook


def test_a_headless_run_leaves_the_learners_exercise_progress_alone(tmp_path):
    path = write_notebook(
        tmp_path, "00_start.ipynb", "import os\nprint(os.environ['GENAI_LESSONS_PROGRESS'])"
    )
    assert runner.run_notebook(path, quick=True, inplace=True).passed
    assert nbformat.read(path, as_version=4).cells[1].outputs[0]["text"] == "off\n"


def test_full_mode_reaches_the_kernel(tmp_path):
    path = write_notebook(tmp_path, "01_tiny.ipynb", REPORTING)
    assert runner.run_notebook(path, quick=False).figures["accuracy"] == 0.9


def test_a_failing_cell_is_named_and_the_notebook_left_untouched(tmp_path):
    path = write_notebook(tmp_path, "02_broken.ipynb", "a = 1", "b = a / 0", "c = 3")
    before = path.read_text()
    run = runner.run_notebook(path, quick=True, inplace=True)
    assert run.status == "failed" and run.failed_cell == 2 and run.cells == 2
    assert "ZeroDivisionError" in run.error
    assert path.read_text() == before


def test_a_cell_running_too_long_is_a_timeout(tmp_path):
    path = write_notebook(tmp_path, "03_slow.ipynb", "import time\ntime.sleep(30)")
    run = runner.run_notebook(path, quick=True, cell_timeout=2)
    assert run.status == "timeout" and run.failed_cell == 1 and run.seconds < 25


def test_lessons_are_selected_by_number_or_name(tmp_path):
    for name in ("00_start.ipynb", "01_neural_networks.ipynb", "03_gans.ipynb"):
        write_notebook(tmp_path, name, "pass")
    names = lambda paths: [p.name for p in paths]  # noqa: E731
    assert names(runner.select_notebooks(tmp_path)) == [
        "00_start.ipynb",
        "01_neural_networks.ipynb",
        "03_gans.ipynb",
    ]
    assert names(runner.select_notebooks(tmp_path, ["3", "neural"])) == [
        "01_neural_networks.ipynb",
        "03_gans.ipynb",
    ]
    with pytest.raises(ValueError, match="'vae'.*03_gans"):
        runner.select_notebooks(tmp_path, ["vae"])
    with pytest.raises(ValueError, match="no notebooks"):
        runner.select_notebooks(tmp_path / "empty")


def test_run_command_goes_on_after_a_failure_and_writes_results(tmp_path, capsys):
    write_notebook(tmp_path, "01_tiny.ipynb", REPORTING)
    write_notebook(tmp_path, "02_broken.ipynb", "raise RuntimeError('boom')")
    write_notebook(tmp_path, "03_fine.ipynb", "print('still runs')")
    status = cli.main(
        ["run", "--quick", "--notebooks", str(tmp_path), "--results", str(tmp_path / "out")]
    )
    out = capsys.readouterr().out
    assert status == 1
    assert "2 passed, 1 failed" in out and "RuntimeError: boom" in out
    saved = json.loads((tmp_path / "out" / "results.json").read_text())
    assert [n["status"] for n in saved["notebooks"]] == ["passed", "failed", "passed"]
    assert saved["notebooks"][0]["figures"] == {"accuracy": 0.5, "cells": 2.0}
    table = (tmp_path / "out" / "results.md").read_text()
    assert "| 01_tiny.ipynb | passed |" in table and "accuracy 0.5" in table


def test_run_command_rejects_an_unknown_lesson(tmp_path, capsys):
    write_notebook(tmp_path, "01_tiny.ipynb", "pass")
    assert cli.main(["run", "transformers", "--notebooks", str(tmp_path)]) == 2
    assert "matches no notebook" in capsys.readouterr().err


def test_peak_memory_is_the_kernels_own_whatever_the_launching_process_holds(tmp_path):
    """Linux carries `ru_maxrss` over from the parent across fork and exec; VmHWM is the kernel's
    own. A launcher holding 1 GiB must not make a small notebook look like a 1 GiB one."""
    import numpy as np

    path = write_notebook(
        tmp_path, "01_small.ipynb", "block = b'x' * (96 * 2**20)  # 96 MiB, touched"
    )
    ballast = np.ones(2**30 // 8)  # 1 GiB held (and written, so resident) by this process
    try:
        run = runner.run_notebook(path, quick=True)
    finally:
        del ballast
    assert run.passed
    assert 96 < run.peak_memory_mib < 600, (
        run.peak_memory_mib
    )  # the block counts, the launcher does not


def test_bad_runner_arguments_are_named(tmp_path):
    path = write_notebook(tmp_path, "01_tiny.ipynb", "pass")
    with pytest.raises(ValueError, match="cell_timeout must be a finite number > 0, got 0"):
        runner.run_notebook(path, quick=True, cell_timeout=0)
    with pytest.raises(ValueError, match="path must be an existing .ipynb file"):
        runner.run_notebook(tmp_path / "missing.ipynb", quick=True)
    with pytest.raises(TypeError, match="lessons must be a list"):
        runner.select_notebooks(tmp_path, "gans")  # a string would be read letter by letter


TRAINING = (
    "import time\n"
    "from genai_lessons.core import settings\n"
    "settings.setup(report=False)\n"
    "import keras, numpy as np\n"
    "class Slow(keras.callbacks.Callback):\n"
    "    def on_epoch_end(self, epoch, logs=None):\n"
    "        time.sleep(0.5)  # inside the epoch, as far as the clock can tell\n"
    "model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])\n"
    "model.compile(optimizer='sgd', loss='mse')\n"
    "model.fit(np.zeros((4, 2)), np.zeros((4, 1)), epochs=2, verbose=0, callbacks=[Slow()])\n"
    "time.sleep(1.0)  # outside any fit\n"
)


def test_the_share_of_time_spent_training_is_reported(tmp_path):
    path = write_notebook(tmp_path, "01_tiny.ipynb", TRAINING)
    run = runner.run_notebook(path, quick=True)
    assert run.passed, run.error
    assert 1.0 <= run.training_seconds < run.seconds - 1.0  # both epochs' sleeps, not the last
    assert run.training_share == pytest.approx(run.training_seconds / run.seconds)
    json_path, md_path = runner.write_results([run], tmp_path / "results", "quick")
    saved = json.loads(json_path.read_text())["notebooks"][0]
    assert saved["training_seconds"] == run.training_seconds
    assert f"({run.training_share:.0%})" in md_path.read_text()
