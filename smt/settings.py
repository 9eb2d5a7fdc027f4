"""Settings, read from the environment only (CONTRACTS: DATABASE_URL, REDIS_URL, SECRET_KEY, ...).

With nothing set the project runs on a fresh machine: SQLite under var/, tasks in-process, e-mail to the
console and to var/mail/. With DATABASE_URL and REDIS_URL set the same code runs on PostgreSQL and Redis.
"""

from pathlib import Path
from typing import Any

import dj_database_url
import dj_email_url

from smt.dbpool import pooled
from smt.env import envbool, envint, envlist, envstr
from smt.replicas import replica_databases

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(envstr("SMT_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = envbool("DEBUG", default=not envstr("SECRET_KEY"))
SECRET_KEY = envstr("SECRET_KEY") or "dev-only-insecure-key-set-SECRET_KEY-in-production"
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver" if DEBUG else "")
SITE_URL = envstr("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", SITE_URL)
# Proxies in front of the app that append to X-Forwarded-For (smt/clientip.py); every per-IP limit reads the
# client's address through them. 0 = clients connect directly (the header is then ignored).
TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", 0)
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "oauth2_provider",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "usage",
    "portal",
    "thirdparty",
    "api",
    "han",
    "demo",
    "costmodel",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "smt.compression.CompressionMiddleware",  # outermost but one: compresses what every other layer produced
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "smt.middleware.SecurityHeadersMiddleware",
    "smt.middleware.QueueTimeoutMiddleware",  # a request that queued too long is shed before any real work
    "smt.requestcheck.NulCharacterMiddleware",  # a NUL in the address: 400 naming the part
    "smt.dbrouter.ReplicaReadsMiddleware",  # GETs may read interval data from a replica (only with replicas)
    "api.options.OptionsMiddleware",  # OPTIONS on API and Green Button addresses: 200 with Allow
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",  # the language: the cookie, else Accept-Language (no URL prefix)
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal.accounts.language.AccountLanguageMiddleware",  # a signed-in person's saved language comes first
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "portal.accounts.middleware.SessionTimeoutMiddleware",
    "portal.accounts.middleware.FormStatusMiddleware",
    "portal.accounts.middleware.PasswordChangeRequiredMiddleware",
    "portal.accounts.middleware.SecondFactorRequiredMiddleware",
    "portal.accounts.middleware.DeviceCookieMiddleware",
]

ROOT_URLCONF = "smt.urls"
WSGI_APPLICATION = "smt.wsgi.application"

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
                "smt.context_processors.site",
            ],
        },
    },
]

# --- Database: PostgreSQL from DATABASE_URL, else the embedded SQLite default.
DATABASE_URL = envstr("DATABASE_URL")
PREPARE_ONLY_WHEN_ASKED = 2**31 - 1
DATABASES: dict[str, dict[str, Any]]
if DATABASE_URL:
    DATABASES = {
        "default": dict(dj_database_url.parse(DATABASE_URL, conn_max_age=envint("DB_CONN_MAX_AGE", 60)))
    }
    if DATABASES["default"]["ENGINE"].endswith("postgresql"):
        # A database that is down answers in seconds, not after the kernel's TCP timeout (docs/operations.md).
        DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
            "connect_timeout", envint("DB_CONNECT_TIMEOUT", 5)
        )
        # psycopg prepares only what our code asks for (smt/sql.py, prepare=True, the API's hot path): Django's
        # default (None) turns prepared statements off altogether, even those asked for; a threshold no ORM query
        # reaches leaves the ORM's unprepared. Behind PgBouncer this needs transaction mode with
        # max_prepared_statements (PgBouncer >= 1.21; docs/scaling.md).
        DATABASES["default"]["OPTIONS"].setdefault("prepare_threshold", PREPARE_ONLY_WHEN_ASKED)
        # Behind PgBouncer in transaction mode a WITH HOLD cursor (QuerySet.iterator outside a transaction) could
        # land on another server connection: Django's documented switch turns server-side cursors off.
        DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = envbool("DB_TRANSACTION_POOLER", False)
        # Off by default (a connection per process, kept CONN_MAX_AGE seconds); on for threaded servers and
        # workers, which then share a few connections per process (smt/dbpool.py; docs/scaling.md).
        if envbool("DB_POOL", False):
            DATABASES["default"] = pooled(
                DATABASES["default"],
                min_size=envint("DB_POOL_MIN_SIZE", 1),
                max_size=envint("DB_POOL_MAX_SIZE", 4),
                timeout=envint("DB_POOL_TIMEOUT", 5),
            )
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "smt.sqlite3",
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }
# Read replicas for interval data (smt/replicas.py, smt/dbrouter.py; docs/scaling.md "Read replicas").
DATABASES.update(
    replica_databases(
        envlist("DATABASE_REPLICA_URLS"),
        primary=DATABASES["default"],
        connect_timeout=envint("DATABASE_REPLICA_CONNECT_TIMEOUT", 2),
    )
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
DATABASE_ROUTERS = ["smt.dbrouter.ReplicaRouter"]
DATABASE_REPLICA_MAX_LAG_SECONDS = envint("DATABASE_REPLICA_MAX_LAG_SECONDS", 5)
DATABASE_REPLICA_CHECK_SECONDS = envint("DATABASE_REPLICA_CHECK_SECONDS", 1)
DATABASE_REPLICA_RETRY_SECONDS = envint("DATABASE_REPLICA_RETRY_SECONDS", 10)
DATABASE_READ_YOUR_WRITES_SECONDS = envint("DATABASE_READ_YOUR_WRITES_SECONDS", 5)

# --- Cache and Celery: Redis from REDIS_URL, else local memory and tasks run in-process.
REDIS_URL = envstr("REDIS_URL")
if REDIS_URL:
    # Redis, with an in-process fallback while it is down (smt/cache.py; docs/operations.md).
    CACHES = {"default": {"BACKEND": "smt.cache.FailoverRedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False
# Dead workers (docs/operations.md): a task is acknowledged only when it finished, and one whose worker process
# died is handed back to the broker at once. Every acks-late task has a hard time limit (a TDU file at the row
# limit loads in well under a minute); the broker hands an unacknowledged task to another worker after the
# visibility timeout, longer than that limit, so a live task is never run twice. A TDU file's load refreshes its
# claim every INGEST_CLAIM_HEARTBEAT_SECONDS while it runs, so the inbox scan queues a file again within minutes
# of its worker's death (INGEST_STALE_CLAIM_SECONDS without a refresh), long before the visibility timeout; the
# task handed back later finds the file gone. Periodic sweeps (compaction, retention) acknowledge early: beat
# sends them again.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_TIME_LIMIT = envint("CELERY_TASK_TIME_LIMIT", 900)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 60
CELERY_BROKER_VISIBILITY_TIMEOUT = CELERY_TASK_TIME_LIMIT + 300
INGEST_CLAIM_HEARTBEAT_SECONDS = envint("INGEST_CLAIM_HEARTBEAT_SECONDS", 30)
INGEST_STALE_CLAIM_SECONDS = envint("INGEST_STALE_CLAIM_SECONDS", 6 * INGEST_CLAIM_HEARTBEAT_SECONDS)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Enqueueing while the broker is down fails within seconds (the work is in the database; sweeps pick it up).
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_BROKER_VISIBILITY_TIMEOUT,
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
}
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 1,
}
CELERY_TIMEZONE = "America/Chicago"
CELERY_TASK_DEFAULT_QUEUE = envstr("CELERY_QUEUE", "celery")
# Every task to this one queue instead of its own (smt/celery.py): tests' private queues; empty = routed by kind.
CELERY_ONE_QUEUE = envstr("CELERY_ONE_QUEUE", "")
# Exactly one beat sends the schedule, however many are started: a Redis lock (smt/beat.py; docs/scaling.md).
CELERY_BEAT_SCHEDULER = "smt.beat:SingleBeatScheduler"

# --- Auth: our own user model, argon2, NIST SP 800-63B passwords.
AUTH_USER_MODEL = "portal.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# NIST SP 800-63B-4 (portal/accounts/passwords.py): 15 characters as the only factor, 8 with a second factor;
# never blocklisted (Django's and zxcvbn's lists, and the operator's breach filter), repetitive or sequential.
PASSWORD_MIN_LENGTH = envint("PASSWORD_MIN_LENGTH", 15)
PASSWORD_MIN_LENGTH_WITH_MFA = envint("PASSWORD_MIN_LENGTH_WITH_MFA", 8)
PASSWORD_BREACH_FILTER = envstr(
    "PASSWORD_BREACH_FILTER"
)  # from `manage.py password_breach_filter`; "" = none
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "portal.accounts.passwords.NistPasswordValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("username", "email")},
    },
]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
# A form sent with a stale token gets the site's page (or, for a sign-in already done, goes straight on).
CSRF_FAILURE_VIEW = "smt.errors.csrf_failure"
# Named on the password-reset page for people whose e-mail is not arriving (and on the error pages).
SUPPORT_CONTACT = envstr("SUPPORT_CONTACT", "support@smt.example")

# django-allauth: username sign-in, e-mail required and verified, addresses need not be unique.
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email*", "password1*"]  # once, with a "show" toggle (docs/accounts.md)
ACCOUNT_UNIQUE_EMAIL = False
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SITE_URL.startswith("https") else "http"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_ALLOW_UNVERIFIED_EMAIL = True

# Accounts (docs/accounts.md): sign-up with ESI ID + code, e-mail via Celery, limits, sessions.
ACCOUNT_FORMS = {"signup": "portal.accounts.forms.SignupForm"}
ACCOUNT_ADAPTER = "portal.accounts.adapter.AccountAdapter"
ACCOUNT_CHANGE_EMAIL = True  # a new address takes effect only once confirmed
ACCOUNT_EMAIL_NOTIFICATIONS = True  # "your password was changed" and the like
ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS = envint("EMAIL_CONFIRMATION_EXPIRE_DAYS", 3)
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_TIMEOUT = envint("EMAIL_VERIFICATION_CODE_SECONDS", 15 * 60)
ACCOUNT_EMAIL_VERIFICATION_SUPPORTS_RESEND = 3  # "Request new code", up to 3 times
ACCOUNT_EMAIL_VERIFICATION_SUPPORTS_CHANGE = 2  # fix a mistyped address while confirming
ACCOUNT_RATE_LIMITS = {
    "login": envstr("RATE_LIMIT_LOGIN", "30/m/ip"),
    "login_failed": envstr("RATE_LIMIT_LOGIN_FAILED", "10/m/ip,5/5m/key"),
    # sign-up: failures are limited (SIGNUP_FAILURES_PER_IP_PER_HOUR), not every post; this is a flood guard
    "signup": envstr("RATE_LIMIT_SIGNUP", "300/h/ip"),
    "reset_password": envstr("RATE_LIMIT_RESET_PASSWORD", "20/h/ip,5/h/key"),
    "reset_password_from_key": envstr("RATE_LIMIT_RESET_PASSWORD_FROM_KEY", "20/m/ip"),
}
# Wrong registration codes: per client IP, and per client IP on one ESI ID; never per ESI ID alone (anyone
# could then lock a public ESI ID). Failed sign-ups per IP (docs/accounts.md).
REGISTRATION_ATTEMPTS_PER_IP_ESIID_PER_HOUR = envint("REGISTRATION_ATTEMPTS_PER_IP_ESIID_PER_HOUR", 5)
REGISTRATION_ATTEMPTS_PER_IP_PER_HOUR = envint("REGISTRATION_ATTEMPTS_PER_IP_PER_HOUR", 20)
SIGNUP_FAILURES_PER_IP_PER_HOUR = envint("SIGNUP_FAILURES_PER_IP_PER_HOUR", 30)
USERSESSIONS_TRACK_ACTIVITY = True
SESSION_IDLE_TIMEOUT = envint("SESSION_IDLE_TIMEOUT", 2 * 3600)  # seconds without a request; 0 = off
SESSION_ABSOLUTE_TIMEOUT = envint("SESSION_ABSOLUTE_TIMEOUT", 14 * 24 * 3600)  # seconds after sign-in
AUTH_PASSWORD_VALIDATORS += [
    {"NAME": "portal.accounts.validators.ContainsUserAttributeValidator"},
    {"NAME": "portal.accounts.validators.MaximumLengthValidator", "OPTIONS": {"max_length": 1024}},
]

# --- E-mail: EMAIL_URL or the usual EMAIL_*; by default printed and saved under var/mail/.
EMAIL_URL = envstr("EMAIL_URL")
if EMAIL_URL:
    _email = dj_email_url.parse(EMAIL_URL)
    EMAIL_BACKEND = _email["EMAIL_BACKEND"]
    EMAIL_HOST = _email["EMAIL_HOST"]
    EMAIL_PORT = _email["EMAIL_PORT"]
    EMAIL_HOST_USER = _email["EMAIL_HOST_USER"]
    EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"]
    EMAIL_USE_TLS = _email["EMAIL_USE_TLS"]
    EMAIL_USE_SSL = _email["EMAIL_USE_SSL"]
elif envstr("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = envstr("EMAIL_HOST")
    EMAIL_PORT = envint("EMAIL_PORT", 587)
    EMAIL_HOST_USER = envstr("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = envstr("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = "smt.mail.ConsoleAndFileBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "Open Smart Meter Texas <no-reply@smt.example>")

# --- Internationalisation and time: UTC inside, America/Chicago for the market.
# English and Spanish (docs/glossary-es.md): the account's saved language, then the language cookie set by the
# header's switch, then Accept-Language. Addresses carry no language prefix (URLs are a contract). The catalogue
# is locale/es/LC_MESSAGES/django.po, its compiled .mo committed next to it (tools/i18n_check.py keeps them true).
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
# locale_allauth words allauth's own pages and messages in "usted" (its Spanish says "tú"): LOCALE_PATHS win over
# installed apps' catalogues, and the first of them wins, so our main catalogue stays first.
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale_allauth"]
FORMAT_MODULE_PATH = ["smt.formats"]  # Spanish as written in the US: 1,234.5 kWh, not 1.234,5
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True
TIME_ZONE = "America/Chicago"
USE_I18N = True
USE_TZ = True
FORMS_URLFIELD_ASSUME_HTTPS = True  # Django 6 behaviour now: a typed URL without scheme means https

# --- Static files: served by whitenoise, plotly's bundled JS copied in, no CDN anywhere.
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on every request otherwise
STATICFILES_DIRS = [BASE_DIR / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "portal.staticfinders.PlotlyFinder",  # js/plotly.min.js from the plotly package, never a CDN
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"

# --- Market and data settings.
ACCESS_WINDOW_MONTHS = envint("ACCESS_WINDOW_MONTHS", 24)  # under 13 is a system-check error (smt.E004)
INTERVAL_RETENTION_YEARS = envint("INTERVAL_RETENTION_YEARS", 7)
# PostgreSQL: monthly partitions of the interval tables are created this many months ahead (docs/scaling.md).
INTERVAL_PARTITIONS_AHEAD = envint("INTERVAL_PARTITIONS_AHEAD", 3)
# Interval compaction leaves days younger than this as day rows (usage.storage.compact_months).
INTERVAL_SETTLE_DAYS = envint("INTERVAL_SETTLE_DAYS", 45)
SMT_INBOX_DIR = Path(envstr("SMT_INBOX_DIR", str(VAR_DIR / "inbox")))
# Bounded work per TDU file (docs/ingest.md, "Limits"): a file past a limit is refused with a file-level reason.
INGEST_MAX_BYTES = envint("INGEST_MAX_BYTES", 3 * 1024**3)  # expanded (decompressed) bytes
INGEST_MAX_ROWS = envint("INGEST_MAX_ROWS", 30_000_000)  # 28 bytes a reading held: under 1 GB
# a billing file holds the periods that closed that day (about one meter in 21 of a TDU); its rows are parsed
# one by one in Python (about 500 bytes each while loading), so its own, lower, row limit
INGEST_MAX_BILLING_ROWS = envint("INGEST_MAX_BILLING_ROWS", 2_000_000)
INGEST_MAX_GZIP_RATIO = envint("INGEST_MAX_GZIP_RATIO", 40)  # expanded / compressed bytes
INGEST_RATIO_MIN_BYTES = envint("INGEST_RATIO_MIN_BYTES", 64 * 1024**2)  # the ratio counts past this size
INGEST_SHARE_MIN_LINES = envint("INGEST_SHARE_MIN_LINES", 100_000)  # blank/reject shares count past this
INGEST_MAX_BLANK_PERCENT = envint("INGEST_MAX_BLANK_PERCENT", 50)  # of the lines
INGEST_MAX_REJECT_PERCENT = envint("INGEST_MAX_REJECT_PERCENT", 90)  # of the rows
INGEST_REJECT_SAMPLES = envint("INGEST_REJECT_SAMPLES", 1000)  # rejected rows kept per reason per file
INGEST_REVISION_MAX_AHEAD_HOURS = envint("INGEST_REVISION_MAX_AHEAD_HOURS", 24)  # after the load time
REGISTRATION_CODE_KEY = envstr("REGISTRATION_CODE_KEY")
REGISTRATION_CODE_LENGTH = envint("REGISTRATION_CODE_LENGTH", 10)

# --- On-demand meter reads (portal/reads asks, usage/headend talks to meters): the head-end adapter class and the per-premise limits.
HEADEND_ADAPTER = envstr("HEADEND_ADAPTER", "usage.headend.simulator.SimulatedHeadEnd")
HEADEND_SIMULATOR_DELAY_SECONDS = envint("HEADEND_SIMULATOR_DELAY_SECONDS", 4)
HEADEND_SIMULATOR_FAILURE_RATE = float(envstr("HEADEND_SIMULATOR_FAILURE_RATE", "0.1"))
HEADEND_SIMULATOR_HAN_FAILURE_RATE = float(envstr("HEADEND_SIMULATOR_HAN_FAILURE_RATE", "0.2"))
HAN_DEVICES_PER_METER = envint("HAN_DEVICES_PER_METER", 5)
HAN_MESSAGE_MAX_CHARS = envint("HAN_MESSAGE_MAX_CHARS", 80)
HAN_JOIN_WINDOW_SECONDS = envint("HAN_JOIN_WINDOW_SECONDS", 300)
HAN_JOIN_MAX_ATTEMPTS = envint("HAN_JOIN_MAX_ATTEMPTS", 3)
ON_DEMAND_READS_PER_HOUR = envint("ON_DEMAND_READS_PER_HOUR", 2)
ON_DEMAND_READS_PER_DAY = envint("ON_DEMAND_READS_PER_DAY", 24)
ON_DEMAND_READ_TIMEOUT_SECONDS = envint("ON_DEMAND_READ_TIMEOUT_SECONDS", 120)

# --- OAuth 2.0 (django-oauth-toolkit), with our own models so tokens can carry their agreement.
OAUTH2_PROVIDER_APPLICATION_MODEL = "thirdparty.Application"
OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL = "thirdparty.AccessToken"
OAUTH2_PROVIDER_REFRESH_TOKEN_MODEL = "thirdparty.RefreshToken"
OAUTH2_PROVIDER_ID_TOKEN_MODEL = "thirdparty.IDToken"
OAUTH2_PROVIDER_GRANT_MODEL = "thirdparty.Grant"
OAUTH2_PROVIDER_DEVICE_GRANT_MODEL = "thirdparty.DeviceGrant"
OAUTH2_PROVIDER = {
    "PKCE_REQUIRED": True,
    "ACCESS_TOKEN_EXPIRE_SECONDS": envint("OAUTH_ACCESS_TOKEN_SECONDS", 3600),
    "REFRESH_TOKEN_EXPIRE_SECONDS": envint("OAUTH_REFRESH_TOKEN_SECONDS", 90 * 24 * 3600),
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    # http only for loopback redirect URIs (RFC 8252); thirdparty enforces https for every other host.
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https", "http"],
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "SCOPES_BACKEND_CLASS": "thirdparty.scopes.ScopesBackend",
    # Tokens carry their agreement and stop when it ends; exact redirect URIs (thirdparty/oauth.py).
    "OAUTH2_VALIDATOR_CLASS": "thirdparty.oauth.AgreementOAuth2Validator",
}

# Per client IP and per client_id on the OAuth token, revoke and introspect endpoints, counted before the
# client secret is hashed (thirdparty/oauthlimit.py); 0 turns a limit off.
OAUTH_REQUESTS_PER_MINUTE_PER_IP = envint("OAUTH_REQUESTS_PER_MINUTE_PER_IP", 120)
OAUTH_REQUESTS_PER_MINUTE_PER_CLIENT = envint("OAUTH_REQUESTS_PER_MINUTE_PER_CLIENT", 300)

# --- Third parties (thirdparty/): consent agreements and signed webhooks.
AGREEMENT_MAX_MONTHS = envint("AGREEMENT_MAX_MONTHS", 36)
AGREEMENT_EXPIRY_WARNING_DAYS = envint("AGREEMENT_EXPIRY_WARNING_DAYS", 14)
WEBHOOK_TIMEOUT_SECONDS = envint("WEBHOOK_TIMEOUT_SECONDS", 10)
WEBHOOK_MAX_ATTEMPTS = envint("WEBHOOK_MAX_ATTEMPTS", 13)  # 1 min doubling to 6 h: the last try after 26.5 h
WEBHOOK_BACKOFF_BASE_SECONDS = envint("WEBHOOK_BACKOFF_BASE_SECONDS", 60)
WEBHOOK_BACKOFF_CAP_SECONDS = envint("WEBHOOK_BACKOFF_CAP_SECONDS", 6 * 3600)
# An attempt claimed this long ago without an outcome is taken as lost (its worker died) and sent again by the
# sweep; longer than the delivery task's hard time limit (120 s, thirdparty/tasks.py).
WEBHOOK_CLAIM_STALE_SECONDS = envint("WEBHOOK_CLAIM_STALE_SECONDS", 300)
# SSRF guard: webhooks never go to private, loopback or link-local addresses, except in development.
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = envbool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", DEBUG)

# --- REST framework.
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "EXCEPTION_HANDLER": "api.problems.exception_handler",
}
# API rate limits (api/throttling.py): the profile named here is enforced and printed in the API docs;
# `benchmark` lifts the limits for `make bench`.
API_THROTTLE_PROFILE = envstr("API_THROTTLE_PROFILE", "default")
API_EXPORT_DIR = Path(envstr("API_EXPORT_DIR", str(VAR_DIR / "exports")))
SPECTACULAR_SETTINGS = {
    "TITLE": "Open Smart Meter Texas API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.postprocess",
    ],
}

# Overload is shed, not queued: the front proxy stamps X-Request-Start (docs/operations.md).
REQUEST_QUEUE_TIMEOUT_MS = envint("REQUEST_QUEUE_TIMEOUT_MS", 1000)

# --- Security: secure by default outside DEBUG; `check --deploy` clean with production variables.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", 14 * 24 * 3600)
if not DEBUG:
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
# W008: http redirect URIs stay allowed for loopback clients only (RFC 8252); see thirdparty validation.
SILENCED_SYSTEM_CHECKS = ["oauth2_provider.W008"]

# --- Logging: readable lines by default, one JSON object per line with LOG_FORMAT=json.
LOG_FORMAT = envstr("LOG_FORMAT", "text")
LOG_LEVEL = envstr("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    # secrets in URLs (export links' token, OAuth code) never reach a log line (smt/logredact.py)
    "filters": {"redact": {"()": "smt.logredact.RedactSecrets"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["redact"]}
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
