import hashlib

from genai_lessons.core import downloads
from genai_lessons.course import cli, doctor
from genai_lessons.datasets import image_sets


def by_name(checks):
    return {check.name: check for check in checks}


def test_offline_doctor_reports_environment_and_bundled_fallback(tmp_path):
    import keras

    checks = by_name(doctor.run_checks(online=False, cache_dir=tmp_path))
    name = keras.backend.backend()
    assert checks["python"].ok and checks["keras"].ok and checks[name].ok and checks["backend"].ok
    assert checks["backend"].detail.startswith(name)
    assert checks["device"].detail.startswith(("CPU", "GPU"))
    assert "bundled" in checks["dataset mnist"].detail


def test_a_verified_cached_dataset_is_reported_as_cached(tmp_path, monkeypatch):
    cached = tmp_path / "genai_lessons" / "mnist.npz"
    cached.parent.mkdir()
    cached.write_bytes(b"pretend this is MNIST")
    good = downloads.Remote(
        "mnist.npz",
        "https://example.invalid/mnist.npz",
        hashlib.sha256(cached.read_bytes()).hexdigest(),
    )
    monkeypatch.setitem(image_sets.REMOTE_FILES, "mnist", (good,))
    assert (
        by_name(doctor.run_checks(online=False, cache_dir=tmp_path))["dataset mnist"].detail
        == "cached"
    )
    cached.write_bytes(b"truncated")  # a corrupt cache is not "cached"
    assert (
        by_name(doctor.run_checks(online=False, cache_dir=tmp_path))["dataset mnist"].detail
        != "cached"
    )


def test_verdict_lists_each_problem_with_advice():
    checks = [
        doctor.Check("python", True, "3.12"),
        doctor.Check("memory", False, "0.5 GiB available", "close programs"),
    ]
    text = doctor.format_checks(checks)
    assert "1 problem(s)" in text and "memory: close programs" in text
    assert "ready" in doctor.format_checks(checks[:1])


def test_unreachable_address_is_not_reachable():
    assert doctor.reachable("http://127.0.0.1:9/", timeout=1) is False


def test_doctor_command_exit_status_follows_the_verdict(capsys, monkeypatch):
    monkeypatch.setattr(doctor, "run_checks", lambda online: [doctor.Check("python", True, "3.12")])
    assert cli.main(["doctor"]) == 0
    monkeypatch.setattr(
        doctor, "run_checks", lambda online: [doctor.Check("memory", False, "low", "close")]
    )
    assert cli.main(["doctor", "--offline"]) == 1
    assert "problem" in capsys.readouterr().out


def test_doctor_names_keras_backend_when_the_backend_is_unsupported(tmp_path, monkeypatch):
    from genai_lessons.core import backend

    monkeypatch.setattr(backend, "name", lambda: "openvino")
    checks = by_name(doctor.run_checks(online=False, cache_dir=tmp_path))
    assert not checks["backend"].ok and "KERAS_BACKEND='openvino'" in checks["backend"].detail
    assert "tensorflow, jax, torch" in checks["backend"].advice


def test_doctor_accepts_each_tested_backend_at_its_minimum_version(tmp_path, monkeypatch):
    from genai_lessons.core import settings

    for name in ("tensorflow", "jax", "torch"):
        version = ".".join(map(str, doctor.MIN_VERSIONS[name])) + ".0"
        report = {
            "python": "3.12.0",
            "keras": "3.13.0",
            "backend": name,
            name: version,
            "device": "CPU (2 cores)",
            "mode": "quick",
        }
        monkeypatch.setattr(settings, "environment_report", lambda report=report: report)
        checks = by_name(doctor.run_checks(online=False, cache_dir=tmp_path))
        assert checks["backend"].ok and checks[name].ok and checks["keras"].ok, name
        old = dict(report, **{name: "0.1.0", "keras": "3.0.0"})
        monkeypatch.setattr(settings, "environment_report", lambda report=old: report)
        checks = by_name(doctor.run_checks(online=False, cache_dir=tmp_path))
        assert not checks[name].ok and f"{name}>=" in checks[name].advice
        assert not checks["keras"].ok
