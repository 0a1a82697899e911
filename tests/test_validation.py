import numpy as np
import pytest

from genai_lessons.core.validation import check_choice, check_int


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


# --------------------------------------------------------------------------- the shared checks

import dataclasses  # noqa: E402
import math  # noqa: E402

from genai_lessons.core import validation as V  # noqa: E402


@pytest.mark.parametrize(
    "value, kwargs, ok",
    [
        (0.5, {"minimum": 0, "maximum": 1}, True),
        (0, {"minimum": 0, "inclusive": False}, False),
        (1.0, {"minimum": 0, "maximum": 1, "inclusive": (True, False)}, False),
        (np.float32(2), {}, True),
        (math.nan, {}, False),
        (math.inf, {}, False),
        (-math.inf, {"maximum": 0}, False),
        (True, {}, False),
        ("1", {}, False),
        (None, {}, False),
        (1e308, {"minimum": 0}, True),
    ],
)
def test_check_number_accepts_finite_reals_inside_the_bounds(value, kwargs, ok):
    if ok:
        assert V.check_number("rate", value, **kwargs) == float(value)
    else:
        with pytest.raises(ValueError, match=r"rate must be a finite number.*got"):
            V.check_number("rate", value, **kwargs)


def test_a_wrong_type_is_both_a_type_error_and_a_value_error():
    with pytest.raises(TypeError):
        V.check_number("rate", "0.1")
    with pytest.raises(ValueError):
        V.check_number("rate", "0.1")
    assert issubclass(V.ArgumentTypeError, TypeError) and issubclass(
        V.ArgumentTypeError, ValueError
    )


@dataclasses.dataclass(frozen=True)
class _Config:
    sizes: tuple = (1, 2)
    rate: float = 0.1

    def __post_init__(self):
        V.check_number("rate", self.rate, 0, inclusive=False)


def test_build_config_defaults_replaces_converts_lists_and_validates():
    assert V.build_config(_Config) == _Config()
    assert V.build_config(_Config, _Config(rate=0.5), {"sizes": [3]}) == _Config(
        sizes=(3,), rate=0.5
    )
    with pytest.raises(ValueError, match="rate"):
        V.build_config(_Config, None, {"rate": -1})
    with pytest.raises(TypeError, match="_Config has no field colour"):
        V.build_config(_Config, None, {"colour": 1})
    with pytest.raises(TypeError, match="config must be a _Config, got dict"):
        V.build_config(_Config, {"rate": 0.1})
