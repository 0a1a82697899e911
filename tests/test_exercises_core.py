import numpy as np

from genai_lessons.exercises import Verdict, check_function, check_value, start


def reference(x, w):
    return x @ w


CASES = [(np.ones((2, 3)), np.arange(6.0).reshape(3, 2))]


def test_a_right_function_is_accepted():
    result = check_function("matmul", lambda x, w: np.dot(x, w), CASES, reference)
    assert result.correct and bool(result) and "✅" in repr(result)


def test_a_known_mistake_gets_its_own_hint():
    result = check_function(
        "matmul",
        lambda x, w: x @ w + 1,
        CASES,
        reference,
        mistakes=[(lambda x, w: x @ w + 1, "drop the +1")],
    )
    assert result.verdict is Verdict.WRONG and result.message == "drop the +1"


def test_a_wrong_shape_is_named():
    result = check_function("matmul", lambda x, w: w, CASES, reference)
    assert (
        result.verdict is Verdict.WRONG
        and "(2, 2)" in result.message
        and "(3, 2)" in result.message
    )


def test_placeholders_count_as_not_attempted():
    def stub(x, w):
        raise NotImplementedError

    def placeholder(x, w):
        """Docstring only."""
        pass

    for answer in (stub, placeholder, None):
        assert check_function("matmul", answer, CASES, reference).verdict is Verdict.NOT_ATTEMPTED
    forgot = check_function("matmul", lambda x, w: None, CASES, reference)
    assert forgot.verdict is Verdict.WRONG and "forget `return`" in forgot.message
    assert check_value("value", ..., 3.0).verdict is Verdict.NOT_ATTEMPTED


def test_a_crashing_answer_is_reported_not_raised():
    result = check_function("matmul", lambda x, w: x @ w.T, CASES, reference)
    assert result.verdict is Verdict.ERROR and "ValueError" in result.message


def test_the_learner_cannot_corrupt_the_test_inputs():
    def in_place(x, w):
        x *= 0
        return x @ w

    assert not check_function("matmul", in_place, CASES, reference).correct
    assert CASES[0][0].sum() == 6  # the checker passed copies


def test_check_value_compares_with_tolerance():
    assert check_value("pi", 3.14159265, np.pi).correct
    assert not check_value("pi", 3.0, np.pi, mistakes=[(3.0, "more digits")]).correct
    assert check_value("pi", 3.0, np.pi, mistakes=[(3.0, "more digits")]).message == "more digits"


def test_warm_up_exercise_accepts_a_right_answer_and_explains_wrong_ones():
    assert start.check_scale_pixels(lambda p: np.asarray(p, dtype=float) * (1 / 16)).correct
    assert "16, not 255" in start.check_scale_pixels(lambda p: p / 255).message
    assert "[-1, 1]" in start.check_scale_pixels(lambda p: p / 8 - 1).message
    assert "largest possible" in start.check_scale_pixels(lambda p: p / p.max()).message


def test_a_time_limit_never_fires_inside_a_finalizer(monkeypatch):
    """The alarm that stops a learner's endless loop must not land in a `__del__` or a weakref
    callback, where Python cannot raise it: it would print 'Exception ignored' noise and let
    the loop run on. Finalizers here take half of the time, so alarms land in them often."""
    import sys
    import time

    from genai_lessons.exercises import safe

    ignored = []
    monkeypatch.setattr(sys, "unraisablehook", ignored.append)

    class SlowToDie:
        def __del__(self):
            start = time.perf_counter()
            while time.perf_counter() - start < 0.002:
                pass

    def endless():
        while True:
            SlowToDie()
            start = time.perf_counter()
            while time.perf_counter() - start < 0.002:
                pass

    started = time.perf_counter()
    call = safe.call(endless, (), time_limit=0.5)
    assert call.timed_out
    assert time.perf_counter() - started < 3.0  # the next alarm, 50 ms later, lands in the loop
    assert ignored == []
