"""One settings module, read from the environment.

With nothing set, the portal runs on embedded defaults: SQLite, the in-memory
channel layer, Celery executing in-process and console SMS/email. Setting
DATABASE_URL and REDIS_URL moves it onto PostgreSQL and Redis.
DJANGO_ENV=production refuses to start without a real secret key and hosts, or
with DEBUG on.
"""

import datetime as dt
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from redis.exceptions import ConnectionError as RedisConnectionError

from core.env import (
    env_bool,
    env_choice,
    env_float,
    env_int,
    env_list,
    env_rate,
    env_str,
    env_url,
    redis_url_for_test_worker,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DJANGO_ENV = env_choice("DJANGO_ENV", ("development", "production", "test"), "development")
PRODUCTION = DJANGO_ENV == "production"

_DEV_SECRET = "dev-only-insecure-secret-key-change-me-0123456789-abcdefghijklmnop"
SECRET_KEY = env_str("SECRET_KEY", "" if PRODUCTION else _DEV_SECRET)
DEBUG = env_bool("DEBUG", default=not PRODUCTION)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver", "[::1]"])

if PRODUCTION:
    if not SECRET_KEY or SECRET_KEY == _DEV_SECRET:
        raise ImproperlyConfigured("SECRET_KEY must be set in production (DJANGO_ENV=production)")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must be set in production (comma-separated host names)")
    if DEBUG:
        raise ImproperlyConfigured("DEBUG must be off in production")

CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "merchants",
    "dispatch",
    "scheduling",
    "tracking",
    "notifications",
    "care",
    "demo",
    "portal",
]

MIDDLEWARE = [
    # Outermost: every response gets the request id, an access log line and its metrics.
    "portal.observability.RequestObservationMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "portal.headers.PagePolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "portal.middleware.DatabaseUnavailableMiddleware",
]

# --- Audit log: django-auditlog records changes; core.audit names who made them -------------------
# Before our apps, so the LogEntry admin that portal/admin.py puts in place of auditlog's registers last.
INSTALLED_APPS.insert(INSTALLED_APPS.index("merchants"), "auditlog")
MIDDLEWARE.insert(MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
                  "core.audit.AuditActorMiddleware")
AUDITLOG_CID_GETTER = "core.audit.audit_cid"  # one id per request, task or command
AUDITLOG_MASK_CALLABLE = "core.audit.mask_value"  # masked fields keep nothing of their value
AUDITLOG_DISABLE_ON_RAW_SAVE = True  # loading fixtures is not an action

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
ASGI_APPLICATION = "portal.asgi.application"

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
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
DATABASE_URL = env_url("DATABASE_URL", schemes=("postgres", "postgresql", "sqlite"))
if DATABASE_URL:
    DATABASES = {"default": environ.Env.db_url_config(DATABASE_URL)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
        }
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers wait for each other instead of failing with "database is locked";
    # IMMEDIATE transactions take the write lock up front so capacity updates serialise.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
else:
    # A bounded pool per process instead of one persistent connection per thread: under daphne every
    # request thread kept its own connection and a few dozen clients exhausted the server's slots.
    # A request that waits longer than DB_POOL_TIMEOUT_SECONDS for a connection answers 503 (portal.middleware).
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env_int("DB_POOL_MIN_SIZE", 1, minimum=0),
        "max_size": env_int("DB_POOL_MAX_SIZE", 8, minimum=1),
        "timeout": env_float("DB_POOL_TIMEOUT_SECONDS", 10.0, minimum=0.1),
    }
    if DATABASES["default"]["OPTIONS"]["pool"]["min_size"] > DATABASES["default"]["OPTIONS"]["pool"]["max_size"]:
        raise ImproperlyConfigured("DB_POOL_MIN_SIZE must not exceed DB_POOL_MAX_SIZE")
    DATABASES["default"].setdefault("TEST", {})["NAME"] = env_str("TEST_DATABASE_NAME", "") or None
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: channel layer, cache, Celery ------------------------------------
REDIS_URL = env_url("REDIS_URL", schemes=("redis", "rediss"))
# Only the test suite run on several cores sets PYTEST_XDIST_WORKER: each of its processes takes its own database.
REDIS_URL = redis_url_for_test_worker(REDIS_URL, env_str("PYTEST_XDIST_WORKER"))
# How long connecting to Redis may take before the caller treats it as down (health, cache, enqueueing).
REDIS_CONNECT_TIMEOUT_SECONDS = env_float("REDIS_CONNECT_TIMEOUT_SECONDS", 0.5, minimum=0.05)
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # A consumer waits for messages with a blocking pop of channels-redis' `brpop_timeout` (5 s);
                # redis-py 8 also reads with a 5 s socket timeout, so an idle socket died every 5 s. Reads
                # get three times the pop's wait: never hit while Redis answers, still ends a dead peer.
                # After Redis restarts, every pooled connection is dead; redis-py tries a command once by
                # default, so the first socket on each process was closed "try again later" with Redis back
                # up. Retried once on a fresh connection, it goes through; an outage still fails fast.
                "hosts": [{"address": REDIS_URL, "socket_timeout": 15,
                           "socket_connect_timeout": REDIS_CONNECT_TIMEOUT_SECONDS,
                           "retry_on_error": [RedisConnectionError]}],
            },
        }
    }
    CACHES = {
        "default": {
            # Redis errors read as cache misses: an outage costs freshness, never a booking or a page.
            "BACKEND": "portal.cache.OutageTolerantRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": REDIS_CONNECT_TIMEOUT_SECONDS, "socket_timeout": 2},
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    # kombu's Redis transport, with the one change that keeps a worker alive when Redis drops mid-task.
    CELERY_BROKER_TRANSPORT = "portal.broker:Transport"
    CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
# A task is acknowledged when it ends, so a worker killed mid-task leaves it to be delivered again:
# at once when only a pool process dies, after the visibility timeout when the whole worker does.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT_SECONDS", 300, minimum=10)
# Must exceed the longest task and countdown, or Redis hands a running task to a second worker.
CELERY_VISIBILITY_TIMEOUT_SECONDS = env_int("CELERY_VISIBILITY_TIMEOUT_SECONDS", 3600, minimum=30)
if CELERY_VISIBILITY_TIMEOUT_SECONDS <= CELERY_TASK_TIME_LIMIT and not CELERY_TASK_ALWAYS_EAGER:
    raise ImproperlyConfigured(
        f"CELERY_VISIBILITY_TIMEOUT_SECONDS must exceed the task time limit ({CELERY_TASK_TIME_LIMIT} s)")
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT_SECONDS,
    "socket_connect_timeout": REDIS_CONNECT_TIMEOUT_SECONDS,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None  # a worker waits for the broker to come back, it does not exit
# A late-acknowledged task still running when the broker drops cannot be acknowledged on the dead
# channel (kombu raised AttributeError and the worker exited; see also portal.broker). Cancelled
# instead, the task is delivered again (a re-plan takes its own claim back).
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# Enqueueing during a broker outage gives up quickly; the work waits in a database row (see dispatch.replans).
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    "scheduling-purge-expired-holds": {"task": "scheduling.tasks.holds_purge_expired", "schedule": 300.0},
    "scheduling-materialize-windows": {"task": "scheduling.tasks.windows_materialize_upcoming", "schedule": 3600.0},
    "scheduling-purge-idempotency-keys": {"task": "scheduling.tasks.idempotency_keys_purge", "schedule": 3600.0},
    "dispatch-replans-sweep": {"task": "dispatch.tasks.replans_sweep", "schedule": 15.0},
    # Sends what quiet hours held, what a provider error deferred, and what a broker outage never enqueued.
    "notifications-send-due": {"task": "notifications.tasks.messages_send_due", "schedule": 60.0},
    # Hands the day-before reminders that fell due to the senders above, each once.
    "notifications-send-reminders": {"task": "notifications.tasks.reminders_send_due", "schedule": 60.0},
    # Playbooks: cut-offs, dwell spikes, silent GPS and failed messages open exceptions; cleared ones close; due
    # timers escalate.
    "care-playbooks-sweep": {"task": "care.tasks.playbooks_sweep", "schedule": 60.0},
    # Stores the KPIs of the days that are over, so the KPI page reads a few rows per day (care.kpi_days).
    "care-kpi-days-refresh": {"task": "care.tasks.kpi_days_refresh", "schedule": 900.0},
}

# --- Internationalisation -------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
# Files only a view that checks who asks may serve (proof of delivery: photos of doorsteps, signatures).
# Outside MEDIA_ROOT, so nothing that serves media (DEBUG's static route, a web server in front) reaches them;
# shared by every web process, as MEDIA_ROOT is.
PRIVATE_ROOT = Path(env_str("PRIVATE_ROOT", str(BASE_DIR / "private")))
if PRIVATE_ROOT.resolve().is_relative_to(MEDIA_ROOT.resolve()) or MEDIA_ROOT.resolve().is_relative_to(
        PRIVATE_ROOT.resolve()):
    raise ImproperlyConfigured("PRIVATE_ROOT and MEDIA_ROOT must not contain one another: private files would "
                               "be served as media")
STORAGES["proofs"] = {"BACKEND": "core.private_storage.PrivateFileSystemStorage"}

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

# --- API ------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "core.openapi.ApiAutoSchema",
    "EXCEPTION_HANDLER": "core.errors.api_exception_handler",
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Delivery portal API",
    "DESCRIPTION": "Checkout windows, bookings, tracking events and driver/carrier feeds.\n\n"
                   "To put the delivery-window picker in a checkout, read the [embedding guide](/docs/embed/).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- Outside services -----------------------------------------------------
SMS_BACKEND = env_choice("SMS_BACKEND", ("console", "twilio", "memory"), "console")
TWILIO_ACCOUNT_SID = env_str("TWILIO_ACCOUNT_SID")
TWILIO_AUTH_TOKEN = env_str("TWILIO_AUTH_TOKEN")
TWILIO_FROM_NUMBER = env_str("TWILIO_FROM_NUMBER")
# Twilio signs the URL it called. Behind a proxy that ends TLS, Django sees http://… while Twilio signed
# https://…: production trusts X-Forwarded-Proto (SECURE_PROXY_SSL_HEADER below), and this base, when set,
# replaces whatever scheme and host the request arrived with.
TWILIO_WEBHOOK_BASE_URL = env_url("TWILIO_WEBHOOK_BASE_URL", schemes=("http", "https")).rstrip("/")
# A Messaging Service picks the sender from its pool; it wins over TWILIO_FROM_NUMBER when both are set.
TWILIO_MESSAGING_SERVICE_SID = env_str("TWILIO_MESSAGING_SERVICE_SID")
# The E.164 number of the WhatsApp sender approved on the Twilio account; empty keeps every merchant on SMS.
TWILIO_WHATSAPP_FROM = env_str("TWILIO_WHATSAPP_FROM")
if TWILIO_WHATSAPP_FROM and not (TWILIO_WHATSAPP_FROM[:1] == "+" and TWILIO_WHATSAPP_FROM[1:].isdigit()
                                 and 8 <= len(TWILIO_WHATSAPP_FROM) <= 16):
    # The "whatsapp:" prefix is added per message; a number carrying it already would be sent as "whatsapp:whatsapp:…".
    raise ImproperlyConfigured("TWILIO_WHATSAPP_FROM must be an E.164 number such as +33700000000")
TWILIO_TIMEOUT_SECONDS = env_float("TWILIO_TIMEOUT_SECONDS", 10.0, minimum=1.0)
if SMS_BACKEND == "twilio" and not (TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN):
    raise ImproperlyConfigured("SMS_BACKEND=twilio needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN")
if SMS_BACKEND == "twilio" and not (TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID):
    raise ImproperlyConfigured("SMS_BACKEND=twilio needs TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID")
# A message whose provider keeps failing in a way that may pass is tried this often, then marked failed.
MESSAGE_MAX_ATTEMPTS = env_int("MESSAGE_MAX_ATTEMPTS", 5, minimum=1)
# Merchants' webhook URLs may point at loopback or private networks only in development (and tests that
# run receivers on this machine); in production such a URL is refused at call time.
WEBHOOK_PRIVATE_ADDRESSES_ALLOWED = env_bool("WEBHOOK_PRIVATE_ADDRESSES_ALLOWED", DEBUG)
# Warn the customer once the live ETA passes the window's end by more than this (a merchant may override it).
RUNNING_LATE_MINUTES = env_int("RUNNING_LATE_MINUTES", 10, minimum=1)
# ... judged only from this long before the window opens: earlier, the estimate is too far off to alarm anyone.
RUNNING_LATE_LOOKAHEAD_MINUTES = env_int("RUNNING_LATE_LOOKAHEAD_MINUTES", 60, minimum=0)
# "Arriving soon" goes when the van is this many stops away, or its ETA this close, whichever comes first.
ARRIVING_SOON_STOPS = env_int("ARRIVING_SOON_STOPS", 3, minimum=0)
ARRIVING_SOON_MINUTES = env_int("ARRIVING_SOON_MINUTES", 20, minimum=1)
# ... but a few stops away counts only when the van is due within this long.
ARRIVING_SOON_HORIZON_MINUTES = env_int("ARRIVING_SOON_HORIZON_MINUTES", 90, minimum=1)

EMAIL_URL = env_url("EMAIL_URL", schemes=("smtp", "smtps", "submission", "consolemail", "filemail", "memorymail"))
if EMAIL_URL:
    vars().update(environ.Env.email_url_config(EMAIL_URL))
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "deliveries@example.com")

OSRM_URL = env_url("OSRM_URL", schemes=("http", "https"))
ROAD_FACTOR = env_float("ROAD_FACTOR", 1.3, minimum=1.0)
# The currency of the vehicles' cost per km and per hour (ISO 4217), shown with the cost per stop.
FLEET_CURRENCY = env_str("FLEET_CURRENCY", "EUR").upper()
if not (len(FLEET_CURRENCY) == 3 and FLEET_CURRENCY.isalpha()):
    raise ImproperlyConfigured(f"FLEET_CURRENCY must be a three-letter ISO 4217 code such as EUR, not {FLEET_CURRENCY!r}")
# The KPI page stores the figures of the days that are over; the last few are stored again at each refresh, so a
# carrier's event or a reschedule that arrives late still counts.
KPI_SETTLE_DAYS = env_int("KPI_SETTLE_DAYS", 7, minimum=0)
MAP_TILE_URL = env_str("MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
MAP_TILE_ATTRIBUTION = env_str("MAP_TILE_ATTRIBUTION", "© OpenStreetMap contributors")

# --- Product rules --------------------------------------------------------
HOLD_TTL_SECONDS = env_int("HOLD_TTL_SECONDS", 600, minimum=30)
IDEMPOTENCY_KEY_TTL_HOURS = env_int("IDEMPOTENCY_KEY_TTL_HOURS", 48, minimum=24)
RESCHEDULE_CLOSES_MINUTES = env_int("RESCHEDULE_CLOSES_MINUTES", 120, minimum=0)
PLANNER_TIME_LIMIT_SECONDS = env_float("PLANNER_TIME_LIMIT_SECONDS", 5.0, minimum=0.1)
REPLAN_DEBOUNCE_SECONDS = env_int("REPLAN_DEBOUNCE_SECONDS", 20, minimum=0)
# A re-plan handed to the broker this long ago and still not started (its message lost with a Redis
# restart, or a queue far behind) is handed over again by the sweep.
REPLAN_REENQUEUE_SECONDS = env_int("REPLAN_REENQUEUE_SECONDS", 300, minimum=10)
GEOFENCE_RADIUS_M = env_int("GEOFENCE_RADIUS_M", 75, minimum=10)
TRACKING_TOKEN_DAYS = env_int("TRACKING_TOKEN_DAYS", 30, minimum=1)

# --- Security -------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# --- Content security policy and browser permissions ------------------------
# Every response carries one strict policy (django-csp): scripts and style blocks come from our origin or
# carry the page's nonce; inline handlers, javascript: URLs and style attributes never apply (the pages
# that preview an email in a srcdoc frame allow style attributes, see portal.templatetags.page_policy);
# no page may be framed, as X-Frame-Options says too, but the embeddable picker, whose frame-ancestors
# are the merchant's registered origins (scheduling.views.embed_windows). "same-origin" referrers (above)
# keep the Origin header on our own form posts, which Django's CSRF check needs, and keep token-bearing
# URLs (/t/<token>/) from any other site, the tile server included.
from csp.constants import NONCE, NONE, SELF  # noqa: E402

from core.origins import map_tile_origin  # noqa: E402

MAP_TILE_ORIGIN = map_tile_origin(MAP_TILE_URL)  # where the maps' tiles come from, allowed as images
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        # blob: is the brand settings' preview of a logo not yet uploaded; a brand's logo on another site
        # is allowed page by page, by the template that shows it (portal.templatetags.page_policy).
        "img-src": [SELF, "data:", "blob:", *([MAP_TILE_ORIGIN] if MAP_TILE_ORIGIN else [])],
        # 'self' covers the tracking page's ws:/wss: socket to this host (CSP Level 3).
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
# Features no page uses stay off, for our pages and anything they frame (no page asks for the location).
PERMISSIONS_POLICY = {
    "accelerometer": [], "autoplay": [], "camera": [], "display-capture": [], "geolocation": [],
    "gyroscope": [], "magnetometer": [], "microphone": [], "midi": [], "payment": [], "usb": [],
    "serial": [], "hid": [], "xr-spatial-tracking": [], "browsing-topics": [],
}
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # The probes (/healthz, /healthz/live, /healthz/ready) and the metrics scrape come over plain HTTP
    # from inside the network (load balancers, the orchestrator, Prometheus).
    SECURE_REDIRECT_EXEMPT = [r"^healthz(/live|/ready)?$", r"^metrics$"]

# --- Rate limits, hold caps and sign-in lock-out ----------------------------
# Budgets per client address or per credential, counted in the shared cache (core.throttle); past one,
# 429 with Retry-After. Each reads THROTTLE_RATE_<SCOPE> as "<requests>/<period>" (120/min, 10/30s).
# A budget lets a real user through many times over and stops a script's few hundred requests.
_THROTTLE_DEFAULTS = {
    # One address: a customer opens their tracking page, and posts its two forms, a few times an hour;
    # an office or a mobile operator's shared address carries dozens of customers.
    "tracking_page": "60/min",
    # The tracking page polls status.json every 20 s only while its socket is down: 3 a minute a tab.
    "tracking_status": "120/min",
    # Find my parcel: a customer types an order number and a postcode or email, and may mistype it twice;
    # a script trying references gets ten a minute.
    "parcel_lookup": "10/min",
    # The tracking page's .ics: fetched once when added to a calendar, now and then by a subscribed one.
    "tracking_calendar": "30/min",
    # The reschedule link: a page and a post per change, each computing the fleet's offers.
    "reschedule": "30/min",
    # The picker's iframe loads once per checkout page view; /embed/check/ only when the picker fails.
    "embed": "120/min",
    # A person types a password a few times a minute; a wrong one also counts towards AXES_FAILURE_LIMIT.
    "login": "30/min",
    # Twilio's status reports arrive in bursts after a batch of reminders (three or so per SMS), from few
    # addresses, and a refused one is never sent again: room for a 2,000-SMS batch a minute.
    "inbound_webhooks": "6000/min",
    # API, per secret key: a merchant's servers (the e2e rush books 300 at once; a big import paces itself).
    "api_secret_key": "3000/min",
    # Per publishable key: all of a shop's shoppers together; and one shopper's address behind it: a window
    # query per address or day looked at, a hold per window chosen.
    "api_publishable_key": "3000/min",
    "api_browser": "120/min",
    # A driver's phone sends a batch of pings every few seconds to a minute, and its queue after a tunnel.
    "api_driver": "120/min",
    # A carrier's system posts the events of all its parcels.
    "api_carrier": "1200/min",
    # A weather or traffic feed sets or moves a few zones' slowdowns a minute; each one re-plans days.
    "api_feed": "120/min",
    # Without a key: the schema and the ping.
    "api_anonymous": "120/min",
}
THROTTLE_RATES = {scope: env_rate(f"THROTTLE_RATE_{scope.upper()}", rate) for scope, rate in _THROTTLE_DEFAULTS.items()}
# Off only to measure raw capacity (the benchmarks); the hold caps below stay on regardless.
THROTTLE_ENABLED = env_bool("THROTTLE_ENABLED", True)
# Reverse proxies in front that append the client's address to X-Forwarded-For (1 behind one load balancer).
# 0 trusts REMOTE_ADDR alone: a forwarded header that no proxy of ours wrote proves nothing.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)
REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = ["portal.throttles.ApiThrottle"]
# Holds with a publishable key on one zone's windows of one day, at once: the key may hold this share of the
# day's places (at least HOLD_LIMIT_PER_KEY_MIN), one client address fewer. A merchant's server (secret key)
# is not capped.
HOLD_LIMIT_PER_KEY_PERCENT = env_int("HOLD_LIMIT_PER_KEY_PERCENT", 20, minimum=1)
HOLD_LIMIT_PER_KEY_MIN = env_int("HOLD_LIMIT_PER_KEY_MIN", 10, minimum=1)
HOLD_LIMIT_PER_CLIENT = env_int("HOLD_LIMIT_PER_CLIENT", 5, minimum=1)
# django-axes: a user name that fails AXES_FAILURE_LIMIT times from one address is locked for the cool-off,
# right password or not. By name and address together, so nobody can lock a colleague out from elsewhere,
# and an office behind one address is not locked for one person's typos; spraying names from one address
# meets the "login" budget above.
INSTALLED_APPS += ["axes"]
MIDDLEWARE += ["axes.middleware.AxesMiddleware"]
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "core.client_address.client_ip"
AXES_LOCKOUT_CALLABLE = "core.throttle.login_locked_out"

# --- Logs, metrics, error reports -------------------------------------------
# One JSON object a line (LOG_FORMAT=json, production's default) or a readable line (text, development's);
# each carries the request id, merchant, delivery and task it belongs to (core.log_context).
LOG_FORMAT = env_choice("LOG_FORMAT", ("json", "text"), "json" if PRODUCTION else "text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "core.log_context.LogContextFilter"}},
    "formatters": {
        "json": {"()": "portal.log_format.JsonLineFormatter"},
        "text": {"()": "portal.log_format.TextLineFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["context"]}},
    "root": {"handlers": ["console"], "level": env_choice("LOG_LEVEL", ("debug", "info", "warning", "error"), "info").upper()},
    "loggers": {"django.channels.server": {"level": "WARNING"}, "celery.app.trace": {"level": "WARNING"},
                # portal.requests writes one line per request (route, status, duration); Django's own
                # line per 4xx would repeat it with the raw path, which carries tracking tokens.
                "django.request": {"level": "ERROR"},
                # Twilio's client logs each call's URL, query and headers at INFO, ten lines a message.
                "twilio.http_client": {"level": "WARNING"}},
}
# The worker logs through the settings above, not Celery's own plain-text set-up. What the console SMS and
# email backends print is the message itself (development's stand-in for a phone or a mailbox), not a log
# line: it stays on standard output as printed instead of becoming log records.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_WORKER_REDIRECT_STDOUTS = False

# /metrics answers only a bearer of this token; unset, it answers no one.
METRICS_TOKEN = env_str("METRICS_TOKEN")
if METRICS_TOKEN and len(METRICS_TOKEN) < 16:
    raise ImproperlyConfigured("METRICS_TOKEN must be at least 16 characters (or unset to turn /metrics off)")

# Errors and failed tasks go to Sentry when SENTRY_DSN is set; nothing is sent otherwise.
SENTRY_DSN = env_url("SENTRY_DSN", schemes=("http", "https"))
if SENTRY_DSN:
    import sentry_sdk

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=env_str("SENTRY_ENVIRONMENT", DJANGO_ENV),
        traces_sample_rate=env_float("SENTRY_TRACES_SAMPLE_RATE", 0.0, minimum=0.0),
        send_default_pii=False,  # no user, cookies or request bodies: names, phones and addresses stay here
    )
