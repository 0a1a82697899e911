"""Exercise progress that survives a kernel restart: a small JSON file in the user's data folder
(never in the repository), read when a lesson's exercises are imported and written after each
check, hint or solution.

Where: `$GENAI_LESSONS_PROGRESS` when set (a file path; `off` switches saving off); otherwise
`genai-lessons/progress.json` in the user's data folder (`%APPDATA%` on Windows,
`~/Library/Application Support` on macOS, `$XDG_DATA_HOME` or `~/.local/share` elsewhere).
Without the variable, progress is saved only inside a notebook kernel, so that scripts and test
runs leave no file behind. Nothing here ever raises: a folder that cannot be written only means
that progress lasts as long as the kernel.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

PROGRESS_ENV = "GENAI_LESSONS_PROGRESS"
VERSION = 1


def _data_folder() -> Path:
    home = Path.home()
    if sys.platform.startswith("win"):
        return Path(os.environ.get("APPDATA") or home / "AppData" / "Roaming")
    if sys.platform == "darwin":
        return home / "Library" / "Application Support"
    return Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share")


def _in_notebook() -> bool:
    ipython = sys.modules.get("IPython")
    try:
        return ipython is not None and ipython.get_ipython() is not None
    except Exception:
        return False


def progress_file() -> Path | None:
    """The file progress is saved in, or None when saving is off."""
    chosen = os.environ.get(PROGRESS_ENV, "").strip()
    if chosen.lower() == "off":
        return None
    if chosen:
        return Path(chosen).expanduser()
    if not _in_notebook():
        return None
    return _data_folder() / "genai-lessons" / "progress.json"


def load() -> dict[str, dict[str, dict]]:
    """Every lesson's saved records: {lesson number as text: {exercise: record fields}}."""
    path = progress_file()
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        lessons = data.get("lessons", {}) if data.get("version") == VERSION else {}
        return {str(k): dict(v) for k, v in lessons.items() if isinstance(v, dict)}
    except Exception:  # no file yet, or one we cannot read: start afresh
        return {}


def save(number: int, records: dict[str, dict]) -> bool:
    """Replace lesson `number`'s saved records; True when written."""
    path = progress_file()
    if path is None:
        return False
    lessons = load()
    lessons[str(number)] = records
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=path.parent, suffix=".tmp", delete=False
        ) as handle:
            json.dump({"version": VERSION, "lessons": lessons}, handle, indent=1, sort_keys=True)
        os.replace(handle.name, path)
        return True
    except Exception:
        try:
            os.unlink(handle.name)
        except Exception:
            pass
        return False
