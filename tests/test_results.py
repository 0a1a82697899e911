import json

import pytest

from genai_lessons.core import results


def test_record_prints_and_writes_json_when_asked(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(results.RESULTS_ENV, str(tmp_path))
    monkeypatch.setenv("GENAI_LESSONS_QUICK", "1")
    values = results.record("01_neural_networks", test_accuracy=0.975, epochs=3)
    assert values == {"test_accuracy": 0.975, "epochs": 3.0}
    saved = json.loads((tmp_path / "01_neural_networks.json").read_text())
    assert saved == {"lesson": "01_neural_networks", "mode": "quick", "figures": values}
    assert "test_accuracy" in capsys.readouterr().out


def test_record_writes_nothing_without_the_variable(tmp_path, monkeypatch):
    monkeypatch.delenv(results.RESULTS_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    results.record("02_deep_learning", accuracy=0.99)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "figures, match",
    [({}, "at least one"), ({"acc": "high"}, "acc"), ({"loss": float("nan")}, "finite")],
)
def test_bad_figures_are_rejected(figures, match):
    with pytest.raises(ValueError, match=match):
        results.record("03_gans", **figures)
