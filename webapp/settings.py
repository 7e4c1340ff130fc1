"""Atelier settings: one file, every knob read from the environment.

The embedded default (no variables set) runs on one machine with SQLite,
media on local disk and a Redis that `manage.py studio` starts itself.
Production sets DATABASE_URL, REDIS_URL, SECRET_KEY, ALLOWED_HOSTS and
ATELIER_HTTPS=1.
"""
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url

from inference.paths import data_dir, models_dir

from .env import env_bool, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = data_dir()
MODELS_DIR = models_dir()


def _secret_key() -> str:
    key = env_str("SECRET_KEY")
    if key:
        return key
    # The embedded default keeps a generated key on disk so sessions survive restarts.
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "axes",
    "webapp.accounts",
    "webapp.studio",
    "webapp.gallery",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "webapp.studio.visitors.VisitorCookieMiddleware",
    "webapp.headers.SecurityHeadersMiddleware",
    # Answers django-ratelimit's refusals with RATELIMIT_VIEW (429).
    "django_ratelimit.middleware.RatelimitMiddleware",
    # Last, as django-axes asks: it answers a locked-out login with 429.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "webapp.urls"
ASGI_APPLICATION = "webapp.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'db.sqlite3'}"), conn_max_age=0
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file-backed test database, so the Celery worker and Daphne that the
    # tests start as separate processes see the same rows.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
    # WAL lets the worker write while the web process reads.
    DATABASES["default"]["OPTIONS"] = {"init_command": "PRAGMA journal_mode=WAL;", "timeout": 20}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes counts failed logins (the site's and the admin's) per address.
AUTHENTICATION_BACKENDS = ["webapp.accounts.backends.LoginThrottleBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_IPWARE_PROXY_COUNT = env_int("PROXY_COUNT", 0, minimum=0)
# django-ratelimit: sign-ups per address, uploads per person ("count/period": s, m, h, d).
SIGNUP_RATE = env_str("SIGNUP_RATE", "5/h")
UPLOAD_RATE = env_str("UPLOAD_RATE", "60/h")
RATELIMIT_VIEW = "webapp.accounts.views.too_many_requests"
# Anonymous visitors' unclaimed jobs and files are deleted after this long (manage.py cleanup_visitors).
VISITOR_MAX_AGE_S = env_int("VISITOR_MAX_AGE_DAYS", 7, minimum=1) * 86400
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns at every start without it
STATICFILES_DIRS = [BASE_DIR / "static"]
# Without a collectstatic step WhiteNoise serves straight from the finders.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    # Media is never served by URL: views stream it after an ownership or share check.
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Uploads. MB means 1,000,000 bytes everywhere: the page, the refusals, the caps.
MAX_UPLOAD_MB = env_int("MAX_UPLOAD_MB", 25, minimum=1)
MAX_UPLOAD_MEGAPIXELS = env_float("MAX_UPLOAD_MEGAPIXELS", 40.0, minimum=0.01)
MAX_UPLOAD_FILES = env_int("MAX_UPLOAD_FILES", 20, minimum=1)
# A whole request's bytes, files included (webapp/request_limit.py answers 413 above it).
MAX_REQUEST_MB = env_int("MAX_REQUEST_MB", 200, minimum=1)
# A weights file uploaded on the Models page (staff only): its own cap, for that one endpoint, in place of
# MAX_UPLOAD_MB and MAX_REQUEST_MB (weights run to hundreds of MB: VGG-16 is 553 MB).
MAX_MODEL_UPLOAD_MB = env_int("MAX_MODEL_UPLOAD_MB", 2000, minimum=1)
# Upscale refuses, before queueing, a photo whose result would be larger than this.
UPSCALE_MAX_OUTPUT_MEGAPIXELS = env_float("UPSCALE_MAX_OUTPUT_MEGAPIXELS", 64.0, minimum=0.01)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# Uploads spooled to disk go here, not /tmp, so what a killed Daphne left is found and removed
# (`manage.py studio` empties it at start; the sweeper removes files older than a day).
FILE_UPLOAD_TEMP_DIR = DATA_DIR / "upload-tmp"
FILE_UPLOAD_TEMP_DIR.mkdir(parents=True, exist_ok=True)
# The first handler stops a file at MAX_UPLOAD_MB while it is parsed (webapp/studio/uploads.py).
FILE_UPLOAD_HANDLERS = [
    "webapp.studio.uploads.CappedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# Security: production sets ATELIER_HTTPS=1 behind its TLS proxy.
HTTPS = env_bool("ATELIER_HTTPS", False)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if HTTPS else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Pages run only their own scripts and styles (webapp/headers.py); images may be data: or blob: URLs.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"

# Redis carries the Celery broker, the channel layer and the caches (rate-limit counters).
REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
                "KEY_PREFIX": "atelier"},
    # Rate-limit counters: a Redis outage lets requests through rather than failing them.
    "ratelimit": {"BACKEND": "webapp.ratelimit_cache.RateLimitCache", "LOCATION": REDIS_URL,
                  "KEY_PREFIX": "atelier"},
}
RATELIMIT_USE_CACHE = "ratelimit"
RATELIMIT_FAIL_OPEN = True

# Both channel layers' Redis: no socket timeout (webapp/channel_layer.py says why), and RESP2.
# redis-py 8 speaks RESP3 by default, and its RESP3 parser builds a debug line from every
# pub/sub message it reads, str() of the whole answer's picture, whether or not anything
# logs it: a tenth of Daphne's Python under 16 Sketch clients (README, Benchmarks).
_LAYER_HOST = {"address": REDIS_URL, "socket_connect_timeout": 5, "socket_timeout": None, "protocol": 2}
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "webapp.channel_layer.StudioChannelLayer",
        "CONFIG": {
            # Commands beyond the pool wait for a connection (webapp/channel_layer.py).
            "pool_size": env_int("CHANNEL_LAYER_POOL", 100, minimum=2),
            "hosts": [_LAYER_HOST],
            "capacity": 200,
            "expiry": 30,
        },
    },
    # The live sockets' answers (webapp/studio/live_consumers.py): Redis pub/sub, one PUBLISH an answer.
    "live": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": [_LAYER_HOST]},
    },
}

CELERY_BROKER_URL = REDIS_URL
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker whose broker went away keeps trying to reconnect instead of exiting.
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# A submission while the broker is down gives up in about a second: the row is kept
# and the sweeper queues it once the broker is back (webapp/studio/sweeper.py).
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
# Jobs: the database is the source of truth, the queue only delivers (docs/reliability.md).
# A running task renews its lease every JOB_HEARTBEAT_S; a job whose lease is older than
# JOB_LEASE_S has no live task and is re-queued by the sweeper, which every batch worker
# runs every JOB_SWEEP_INTERVAL_S: a dead worker's job is queued again within
# JOB_LEASE_S + JOB_SWEEP_INTERVAL_S (75 s by default). A queued job still waiting
# JOB_REQUEUE_AFTER_S after its message was sent gets another one, in case the queue lost it.
JOB_HEARTBEAT_S = env_float("JOB_HEARTBEAT_S", 10.0, minimum=0.1)
JOB_LEASE_S = env_float("JOB_LEASE_S", 60.0, minimum=1.0)
JOB_SWEEP_INTERVAL_S = env_float("JOB_SWEEP_INTERVAL_S", 15.0, minimum=0.5)
JOB_REQUEUE_AFTER_S = env_float("JOB_REQUEUE_AFTER_S", 300.0, minimum=1.0)
if JOB_HEARTBEAT_S * 2 > JOB_LEASE_S:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("JOB_LEASE_S must be at least twice JOB_HEARTBEAT_S.")
# Kombu hands an unacknowledged message out again after this many seconds; with the
# sweeper above this is only a second line of defence, and a long job is never run twice
# because `Job.mark_running` refuses a job whose lease is alive.
CELERY_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", 3600, minimum=2)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    # kombu sweeps for such messages every interval × throttle seconds (100 s by
    # default); sweep often enough that the timeout above is what counts.
    "unacked_restore_interval": max(1, min(10, CELERY_VISIBILITY_TIMEOUT // 2)),
    "unacked_restore_throttle": 1,
    "socket_timeout": 30,
    "socket_connect_timeout": 5,
}
CELERY_TASK_IGNORE_RESULT = True
# Live frames travel as msgpack (their images as bytes, not base64 inside JSON); the rest as JSON.
CELERY_ACCEPT_CONTENT = ["json", "msgpack"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Generous: a 12-megapixel Stylize render takes minutes on a CPU (bench/stylize_forward.py).
CELERY_TASK_SOFT_TIME_LIMIT = env_int("JOB_SOFT_TIME_LIMIT", 1800, minimum=1)
CELERY_TASK_TIME_LIMIT = env_int("JOB_TIME_LIMIT", 1860, minimum=1)
CELERY_TASK_DEFAULT_QUEUE = "batch"
CELERY_TASK_ROUTES = {"studio.*": {"queue": "batch"}, "live.*": {"queue": "live"}}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_WORKER_SEND_TASK_EVENTS = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.channels.server": {"level": "WARNING"}},
}

# Live tools (Sketch): micro-batching on the live worker, limits on the socket.
LIVE_MAX_BATCH = env_int("LIVE_MAX_BATCH", 16, minimum=1)
LIVE_MAX_WAIT_MS = env_float("LIVE_MAX_WAIT_MS", 4.0, minimum=0.0)
LIVE_MAX_FPS = env_float("LIVE_MAX_FPS", 60.0, minimum=1.0)
LIVE_FRAME_TIMEOUT_S = env_float("LIVE_FRAME_TIMEOUT_S", 10.0, minimum=0.5)
# A batch never holds more frames than the worker has threads: as many as the largest batch.
LIVE_WORKER_THREADS = env_int("LIVE_WORKER_THREADS", LIVE_MAX_BATCH, minimum=1)
# Bytes sent to a socket whose client stopped reading, beyond the server's own buffer,
# before it is dropped (webapp/socket_guards.py).
SOCKET_SEND_BUFFER_KB = env_int("SOCKET_SEND_BUFFER_KB", 1024, minimum=16)
# The kernel's send buffer of each WebSocket (Linux doubles it): a few live answers.
SOCKET_KERNEL_BUFFER_KB = env_int("SOCKET_KERNEL_BUFFER_KB", 64, minimum=8)
# Live worker processes `manage.py studio` starts (each has LIVE_WORKER_THREADS threads) and
# torch intra-op threads in each; 0 lets the studio choose (webapp/processes.py: live_layout):
# on a GPU machine one worker per 2 cores, on a CPU one single-threaded worker per core; each
# gets its share of the cores.
# A live worker started by hand with LIVE_TORCH_THREADS 0 keeps torch's default (one per core).
LIVE_TORCH_THREADS = env_int("LIVE_TORCH_THREADS", 0, minimum=0)
LIVE_WORKERS = env_int("LIVE_WORKERS", 0, minimum=0)
# Daphne processes `manage.py studio` starts, all on one port; 0 lets it choose (webapp/processes.py:
# web_processes): one on a CPU-only machine, one per 4 cores on a GPU machine.
WEB_PROCESSES = env_int("WEB_PROCESSES", 0, minimum=0)
# Sketch models a live worker loads and warms up as it starts, so the first frame
# after a model is chosen does not wait for it: names, or "default" for the
# installed default and bundled Sketch models, or "" for none.
LIVE_WARM_MODELS = env_list("LIVE_WARM_MODELS", ["default"])
# Precision of the live forward pass on a GPU: "float16" or "bfloat16".
LIVE_GPU_DTYPE = env_str("LIVE_GPU_DTYPE", "float16")
if LIVE_GPU_DTYPE not in ("float16", "bfloat16"):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("LIVE_GPU_DTYPE must be float16 or bfloat16.")
# Stylize previews are rendered with the photo's longer side at most this many pixels.
STYLE_PREVIEW_SIDE = env_int("STYLE_PREVIEW_SIDE", 256, minimum=64)
# Colorize's live hint previews likewise (the network itself always sees 256 x 256).
COLORIZE_PREVIEW_SIDE = env_int("COLORIZE_PREVIEW_SIDE", 384, minimum=64)
