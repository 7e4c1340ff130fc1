"""Installing a weights file uploaded on the Models page, with the very code of `manage.py models import`.

The check needs torch (the file must load strictly into the network) and the
web process never loads it, so the upload view runs the command line on the
spooled file in a child process and reads its one JSON line: the same
layout and hash checks, the same naming of a file that is not the official
one, and the style previews rendered at install time.
"""
import json
import logging
import os
import subprocess
import sys

from django.conf import settings

log = logging.getLogger(__name__)

# Reading, hashing and load-checking a file of several hundred MB on a busy CPU.
IMPORT_TIMEOUT_S = 900
FAILED = "Installing the file failed on the server; the error was logged. Try `python manage.py models import`."


def import_upload(name: str, path: str, shown_as: str) -> dict:
    """Run `manage.py models import NAME PATH --json`: {"ok", "message", and when ok "state", "state_label"};
    the spooled file's path is named ``shown_as`` (the uploaded file's name) in the message."""
    command = [sys.executable, str(settings.BASE_DIR / "manage.py"), "models", "import", name, path, "--json"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=IMPORT_TIMEOUT_S,
                              cwd=settings.BASE_DIR, env=os.environ.copy())
    except subprocess.TimeoutExpired:
        log.error("models import %s timed out after %s s", name, IMPORT_TIMEOUT_S)
        return {"ok": False, "message": FAILED}
    lines = done.stdout.strip().splitlines()
    try:
        outcome = json.loads(lines[-1])
    except (IndexError, ValueError):
        outcome = None
    if not isinstance(outcome, dict) or "ok" not in outcome:
        log.error("models import %s exited %s without an answer: %s", name, done.returncode, done.stderr[-4000:])
        return {"ok": False, "message": FAILED}
    if done.stderr.strip():
        log.warning("models import %s: %s", name, done.stderr[-4000:])
    return {**outcome, "message": str(outcome.get("message", "")).replace(path, shown_as)}
