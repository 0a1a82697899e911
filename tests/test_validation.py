import numpy as np
import pytest

from genai_lessons.validation import check_choice, check_int


def test_check_int_accepts_integers_at_or_above_the_minimum():
    assert check_int("width", 3) == 3
    assert check_int("seed", 0, minimum=0) == 0
    assert check_int("units", np.int64(7)) == 7 and type(check_int("units", np.int64(7))) is int


@pytest.mark.parametrize("value", [0, -2, 1.5, "3", True, None])
def test_check_int_names_the_argument_and_the_value(value):
    with pytest.raises(ValueError, match=rf"width must be an integer >= 1, got {value!r}"):
        check_int("width", value)


def test_check_choice_returns_a_valid_value_and_lists_the_options():
    assert check_choice("activation", "relu", ("relu", "tanh")) == "relu"
    with pytest.raises(ValueError, match="activation must be one of relu, tanh; got 'gelu'"):
        check_choice("activation", "gelu", ("relu", "tanh"))
