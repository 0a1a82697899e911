"""Root pytest configuration, loaded before any test or notebook is collected.

Notebook kernels inherit this process's environment, so setting the variables here puts every
notebook that nbval executes in quick mode (unless the caller chose otherwise, e.g.
`GENAI_LESSONS_QUICK=0 pytest notebooks` to check full mode).
"""

import os

os.environ.setdefault("GENAI_LESSONS_QUICK", "1")
os.environ.setdefault("MPLBACKEND", "Agg")  # no windows from unit tests
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # no TensorFlow C++ log lines
os.environ.setdefault("KERAS_BACKEND", "tensorflow")


def pytest_report_header(config):
    """Say which Keras backend the run uses (CI runs the suite on several)."""
    return f"KERAS_BACKEND={os.environ['KERAS_BACKEND']} (set it before pytest to test another backend)"
