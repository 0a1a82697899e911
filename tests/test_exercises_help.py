"""Progressive help: a wrong answer gets a diagnosis and a nudge, hints come one step at a time
on request, the solution only when asked for, and progress() tells where a learner stands."""

import numpy as np
import pytest

from genai_lessons import exercises
from genai_lessons.exercises import Verdict, cnn, nn, start, stopping
from genai_lessons.exercises.lesson import Help


@pytest.fixture(autouse=True)
def fresh():
    for module in (nn, start, cnn):
        module.LESSON.reset()


def not_yet(pixels):
    raise NotImplementedError


def test_first_wrong_attempt_gets_a_diagnosis_and_a_nudge_towards_a_hint_only():
    result = start.check_scale_pixels(lambda p: p / 255)
    assert "not 255" in result.message
    assert 'ex.hint("scale_pixels")' in result.nudge and "solution" not in result.nudge
    assert result.nudge in repr(result)


def test_later_attempts_point_to_the_next_hint_and_to_the_solution():
    start.check_scale_pixels(lambda p: p / 255)
    start.hint("scale_pixels")
    second = start.check_scale_pixels(lambda p: p / 15)
    assert "Attempt 2" in second.nudge and "hint 2 of 3" in second.nudge
    assert 'ex.solution("scale_pixels")' in second.nudge


def test_the_hint_ladder_goes_one_step_at_a_time_and_stops_at_the_last():
    texts = [start.hint("scale_pixels").text for _ in range(4)]
    assert [t.split(" for ")[0] for t in texts] == [
        "Hint 1 of 3",
        "Hint 2 of 3",
        "Hint 3 of 3",
        "Hint 3 of 3",
    ]
    assert len(set(texts[:3])) == 3 and texts[3] == texts[2]
    assert "last hint" in texts[2] and "again for the next one" in texts[0]
    assert "return" not in texts[2]  # hints describe, the solution shows code


def test_the_solution_is_shown_only_on_request_and_is_recorded():
    result = start.check_scale_pixels(lambda p: p / 255)
    code = start.LESSON.exercises["scale_pixels"].solution
    assert code not in repr(result)
    shown = start.solution("scale_pixels")
    assert isinstance(shown, Help) and code in repr(shown)
    assert "solution seen" in start.progress().text


def test_help_accepts_the_learners_function_and_explains_unknown_names():
    def scale_pixels(pixels):
        return pixels

    assert "Hint 1 of 3" in start.hint(scale_pixels).text
    assert "Hint 2 of 3" in start.hint(" 'Scale_Pixels' ").text

    def my_scale_pixels(pixels):
        return pixels

    assert "Hint 3 of 3" in start.hint(my_scale_pixels).text
    unknown = nn.hint("dense_fwd")
    assert "no exercise called 'dense_fwd'" in unknown.text and '"dense_forward"' in unknown.text
    assert "no exercise" in nn.solution(42).text


def test_progress_lists_done_attempted_and_not_attempted():
    nn.check_dense_forward(lambda x, w, b: np.maximum(x @ w + b, 0))
    nn.check_sigmoid_derivative(lambda z: z)
    nn.check_softmax_cross_entropy_grad(
        lambda logits, labels: (_ for _ in ()).throw(NotImplementedError())
    )
    table = nn.progress().text
    assert table.startswith("Lesson 1 (neural networks): 1 done, 1 attempted, 3 not attempted")
    lines = {line.split()[1]: line for line in table.splitlines()[1:]}
    assert "done (1 check)" in lines["dense_forward"]
    assert "attempted (1 check)" in lines["sigmoid_derivative"]
    assert lines["softmax_cross_entropy_grad"].rstrip().endswith("not attempted")
    assert set(lines) == set(nn.LESSON.exercises)


def test_a_correct_answer_reports_the_lessons_count():
    result = nn.check_dense_forward(lambda x, w, b: np.maximum(x @ w + b, 0))
    assert result.correct and "Lesson 1: 1 of 5 exercises done" in result.nudge


def test_unattempted_exercises_get_a_reminder_and_do_not_count_as_attempts():
    result = start.check_scale_pixels(not_yet)
    assert result.verdict is Verdict.NOT_ATTEMPTED and result.nudge == ""
    assert "optional" in result.message
    assert "0 done, 0 attempted, 1 not attempted" in start.progress().text


def test_the_course_wide_progress_covers_every_lesson():
    text = exercises.progress().text
    for number in range(6):
        assert f"Lesson {number} (" in text


def test_the_early_stopping_reference_is_what_keras_does():
    """Replay each history through keras.callbacks.EarlyStopping itself."""
    keras = pytest.importorskip("keras")

    class Model:
        stop_training = False

        def get_weights(self):
            return []

        def set_weights(self, weights):
            pass

    for history, patience in stopping.CASES:
        callback = keras.callbacks.EarlyStopping(
            monitor="val_loss", patience=patience, restore_best_weights=True
        )
        model = Model()
        callback.set_model(model)
        callback.on_train_begin()
        epochs = 0
        for epoch, loss in enumerate(history):
            epochs += 1
            callback.on_epoch_end(epoch, {"val_loss": loss})
            if model.stop_training:
                break
        assert stopping.reference(history, patience) == (epochs, callback.best_epoch + 1)
