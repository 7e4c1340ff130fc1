"""Settings come from typed environment variables; a bad value fails at start, naming the variable."""
import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from webapp.env import env_bool, env_float, env_int, env_list

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_typed_helpers_parse_good_values(monkeypatch):
    monkeypatch.setenv("X_BOOL", "yes")
    monkeypatch.setenv("X_INT", "42")
    monkeypatch.setenv("X_FLOAT", "2.5")
    monkeypatch.setenv("X_LIST", "a.example, b.example,")
    assert env_bool("X_BOOL", False) is True
    assert env_int("X_INT", 0) == 42
    assert env_float("X_FLOAT", 0.0) == 2.5
    assert env_list("X_LIST", []) == ["a.example", "b.example"]
    assert env_int("X_UNSET", 7) == 7


@pytest.mark.parametrize("reader,value", [(env_bool, "maybe"), (env_int, "ten"), (env_float, "1,5")])
def test_malformed_values_name_the_variable(monkeypatch, reader, value):
    monkeypatch.setenv("X_BAD", value)
    with pytest.raises(ImproperlyConfigured, match="X_BAD"):
        reader("X_BAD", None)


def manage(*args, **env):
    full_env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    full_env.update(env)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=full_env,
                          capture_output=True, text=True, timeout=120)


def test_a_bad_value_stops_the_start_with_a_clear_message(tmp_path):
    result = manage("check", MAX_UPLOAD_MB="lots", ATELIER_DATA_DIR=str(tmp_path))
    assert result.returncode != 0 and "MAX_UPLOAD_MB must be an integer" in result.stderr


def test_check_deploy_passes_with_production_settings(tmp_path):
    result = manage("check", "--deploy", "--fail-level", "WARNING", ATELIER_DATA_DIR=str(tmp_path),
                    SECRET_KEY="x" * 60 + "production-secret-key-for-the-check", DEBUG="0", ATELIER_HTTPS="1",
                    ALLOWED_HOSTS="atelier.example")
    assert result.returncode == 0, result.stdout + result.stderr
