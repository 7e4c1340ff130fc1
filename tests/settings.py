"""Settings for the test suite.

Everything is real: the embedded Redis (or REDIS_URL's), SQLite in a file (or
DATABASE_URL's PostgreSQL), and a private data directory so a test run never
touches a developer's models, media or database.
"""
import atexit
import os
import shutil
import tempfile
from pathlib import Path

_data = Path(tempfile.mkdtemp(prefix="atelier-test-"))
os.environ["ATELIER_DATA_DIR"] = str(_data)
os.environ["ATELIER_MODELS_DIR"] = str(_data / "models")
# Short, so the test that kills a worker sees its job handed out again quickly.
os.environ.setdefault("CELERY_VISIBILITY_TIMEOUT", "10")
# Short leases and sweeps, so tests of dead workers and lost queues see jobs queued again in seconds.
os.environ.setdefault("JOB_HEARTBEAT_S", "0.5")
os.environ.setdefault("JOB_LEASE_S", "3")
os.environ.setdefault("JOB_SWEEP_INTERVAL_S", "1")
os.environ.setdefault("JOB_REQUEUE_AFTER_S", "5")
# The whole suite signs up and uploads from 127.0.0.1; the rate-limit tests set their own rates.
os.environ.setdefault("SIGNUP_RATE", "10000/h")
os.environ.setdefault("UPLOAD_RATE", "10000/h")
atexit.register(shutil.rmtree, _data, ignore_errors=True)

if not os.environ.get("REDIS_URL"):
    from webapp.embedded_redis import EmbeddedRedis

    _redis = EmbeddedRedis(_data / "redis")
    os.environ["REDIS_URL"] = _redis.start()
    atexit.register(_redis.stop)

from webapp.settings import *  # noqa: E402,F401,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests
