"""Settings for the Gcore reseller dashboard: every value comes from the environment (twelve-factor).

The defaults are safe for `make run` on a laptop only; production sets DEBUG=false, SECRET_KEY,
ALLOWED_HOSTS, CSRF_TRUSTED_ORIGINS, DATABASE_URL, CACHE_URL and GCORE_API_TOKEN (or, for a training
install, GCORE_SANDBOX=true and GCORE_SANDBOX_URL); .env.example lists them.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

import environ
from django.core.exceptions import ImproperlyConfigured

from dashboard.configuration import gcore_sandbox_default, spp_sandbox_default, upstream_problems

BASE_DIR = Path(__file__).resolve().parent.parent

# django-environ has no type information: each setting read through it is annotated, so mypy (with
# django-stubs) knows the type of `settings.NAME` wherever it is used.
env = environ.Env()
if (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env")


def env_flag(name: str, *, default: bool) -> bool:
    """A true/false variable where empty means unset (`GCORE_SANDBOX=` as copied from .env.example)."""
    return env.bool(name) if env.str(name, default="").strip() else default


DEBUG: bool = env.bool("DEBUG", default=True)

SECRET_KEY: str = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. With DEBUG off the dashboard needs a long random SECRET_KEY in the "
            "environment (or .env); generate one with: "
            'python -c "import secrets; print(secrets.token_urlsafe(50))"'
        )
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"  # noqa: S105 - DEBUG only (refused above otherwise), never a real secret

ALLOWED_HOSTS: list[str] = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "dashboard.apps.DashboardConfig",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "axes",  # failed-login tracking and lockouts, shared by all app servers through the database
    "csp",
    # Sign-in with a second factor (TOTP, recovery codes, passkeys) and re-authentication.
    "allauth",
    "allauth.account",
    "allauth.mfa",
    # Work that outlives a request: Django's Tasks API (the django-tasks backport until Django 6)
    # with its queue in this database; `manage.py db_worker` runs it (README, "Background work").
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # allauth's login stages, and the re-authentication that suspends a risky POST and resumes it.
    "allauth.account.middleware.AccountMiddleware",
    "dashboard.middleware.SessionRenewalMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "dashboard.security.RefusalLogMiddleware",
    "dashboard.middleware.LoginRequiredMiddleware",
    # A session signed in without the account's second factor ends; with MFA_REQUIRED, a staff
    # member without a second factor sets one up before anything else.
    "dashboard.mfa.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "dashboard.middleware.UpstreamErrorMiddleware",
    # Last, as django-axes asks: it turns a lockout flagged during authentication into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "dashboard.urls"
WSGI_APPLICATION = "dashboard.wsgi.application"

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
                "dashboard.context_processors.gcore",
                "dashboard.context_processors.attention",
            ],
            # django-template-partials as builtins: no {% load partials %}; Django 6 has these tags in core.
            "builtins": ["template_partials.templatetags.partials"],
        },
    }
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite serves the demo with several threads: WAL lets readers and a writer overlap, and
    # IMMEDIATE transactions with a longer timeout queue writers instead of failing "database is
    # locked" (which a session save would turn into a 400). Django's SQLite notes advise this.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # The same backend, keeping its redis-py client between calls (dashboard/cache_backend.py).
    CACHES["default"]["BACKEND"] = "dashboard.cache_backend.RedisCache"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# django-axes' backend first: it refuses a locked-out username/address before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend, with each user's permission set kept in the shared cache (dashboard/permissions.py).
    "dashboard.permissions.CachedPermissionsBackend",
]

# Brute-force protection (django-axes): after LOGIN_FAILURE_LIMIT failed logins for one username from
# one address, that pair is locked for LOGIN_LOCKOUT_MINUTES. Attempts live in the database, so every
# app server sees the same count; administrators see and delete (unlock) them in the admin.
AXES_FAILURE_LIMIT: int = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# axes' own default, stated here because the lockout page (dashboard.security) answers with it.
AXES_HTTP_RESPONSE_CODE = 429
AXES_LOCKOUT_CALLABLE = "dashboard.security.lockout_response"
AXES_CLIENT_IP_CALLABLE = "dashboard.security.client_ip"
# Each failed attempt keeps its request's form data (admin: Access attempts): never a password or a
# code. "password" is masked by axes itself; these are the password change's fields and the factor's.
AXES_SENSITIVE_PARAMETERS = [
    *("username", "ip_address"),  # axes' own default
    *("old_password", "new_password1", "new_password2", "code"),
]
# Addresses in the log come from X-Forwarded-For only behind this many trusted proxies (0: REMOTE_ADDR).
TRUSTED_PROXY_COUNT: int = env.int("TRUSTED_PROXY_COUNT", default=0 if DEBUG else 1)

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "client-list"
LOGOUT_REDIRECT_URL = "login"

# Sign-in (django-allauth): staff accounts by username, made by administrators; no signup, no
# e-mail verification, no password reset by e-mail. django-axes alone counts failures (passwords and
# second-factor codes alike, per username and address, dashboard/mfa.py): allauth's own limits are
# off, as its per-address login limit would stop a whole office behind one proxy address.
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*"]
ACCOUNT_SIGNUP_ENABLED = False
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_SESSION_REMEMBER = True  # the session lasts as SESSION_COOKIE_AGE says, not until the browser closes
ACCOUNT_RATE_LIMITS = False
ACCOUNT_REAUTHENTICATION_METHODS = ("password", "mfa")
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_ADAPTER = "dashboard.mfa.AccountAdapter"
# The second factor: an authenticator app (TOTP) with recovery codes, or a passkey / security key
# (WebAuthn) as a second factor. MFA_REQUIRED: a staff member without one sets it up at their next
# login and reaches no other page before (on by default in production, off for `make run`'s demo).
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_ALLOW_UNVERIFIED_EMAIL = True
MFA_TOTP_ISSUER = "Gcore reseller dashboard"
# A code is also taken for the 30-second step before and after the current one (RFC 6238's advice
# for a code typed near the end of its step, or a phone's clock a little off); each code works once.
MFA_TOTP_TOLERANCE = 1
MFA_FORMS = {
    "authenticate": "dashboard.mfa.AuthenticateForm",
    "reauthenticate": "dashboard.mfa.ReauthenticateForm",
}
MFA_REQUIRED: bool = env.bool("MFA_REQUIRED", default=not DEBUG)
# Risky actions (removing a user, revoking a token, pausing or deleting a service, bulk changes,
# moving a client, an SPP balance) need the identity confirmed within this many minutes.
REAUTH_MINUTES: int = env.int("REAUTH_MINUTES", default=10)
if REAUTH_MINUTES < 1:
    # 0 would ask again for the very action just confirmed, for ever.
    raise ImproperlyConfigured("REAUTH_MINUTES must be 1 or more (minutes a confirmation stays fresh)")
ACCOUNT_REAUTHENTICATION_TIMEOUT = REAUTH_MINUTES * 60

# Sessions end after a working day without activity: SessionRenewalMiddleware renews an active
# session (at most once a minute, rather than a database write on every request). They are read
# from the shared cache (Redis) and written through to the database, so a page costs no session
# query; a logout deletes both.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_AGE: int = env.int("SESSION_COOKIE_AGE", default=9 * 60 * 60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# htmx sends the token from the page (hx-headers on <body>), so no script needs to read the cookie.
CSRF_COOKIE_HTTPONLY = True

LANGUAGE_CODE = "en-us"
TIME_ZONE: str = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Browser hardening; the production-only parts switch on with DEBUG off.
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Content Security Policy (django-csp): scripts and styles only from our own static files; no inline
# code, no eval, no style attributes. Pico's CSS draws its icons with data: SVGs, hence img-src data:.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Error reports (debug pages, error e-mails) blank any value that contains the Gcore token.
DEFAULT_EXCEPTION_REPORTER_FILTER = "dashboard.security.SecretsReporterFilter"
if not DEBUG:
    SECURE_SSL_REDIRECT: bool = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS: int = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS: bool = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD: bool = env.bool("SECURE_HSTS_PRELOAD", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # Behind a TLS-terminating load balancer that sets X-Forwarded-Proto.
    if env.bool("SECURE_PROXY_SSL_HEADER", default=True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Gcore API: the real one with a token; without, a sandbox with demo data, which production only
# uses when asked (GCORE_SANDBOX=true, a training install); dashboard/configuration.py has the rules.
GCORE_API_URL: str = env.str("GCORE_API_URL", default="https://api.gcore.com")
GCORE_API_TOKEN: str = env.str("GCORE_API_TOKEN", default="")
GCORE_SANDBOX: bool = env_flag(
    "GCORE_SANDBOX", default=gcore_sandbox_default(debug=DEBUG, token=GCORE_API_TOKEN)
)
# A sandbox server (`manage.py gcore_sandbox`) that every process shares; unset: each process's own,
# in-process sandbox (development only).
GCORE_SANDBOX_URL: str = env.str("GCORE_SANDBOX_URL", default="").rstrip("/")
# The key the sandbox accepts (no secret; the test suite sets a recognisable one to catch leaks).
GCORE_SANDBOX_TOKEN: str = env.str("GCORE_SANDBOX_TOKEN", default="sandbox")
GCORE_CONNECT_TIMEOUT: float = env.float("GCORE_CONNECT_TIMEOUT", default=5.0)
GCORE_READ_TIMEOUT: float = env.float("GCORE_READ_TIMEOUT", default=10.0)
GCORE_MAX_RETRIES: int = env.int("GCORE_MAX_RETRIES", default=2)
GCORE_RETRY_BACKOFF: float = env.float("GCORE_RETRY_BACKOFF", default=0.5)
GCORE_RETRY_AFTER_CAP: float = env.float("GCORE_RETRY_AFTER_CAP", default=5.0)
GCORE_POOL_SIZE: int = env.int("GCORE_POOL_SIZE", default=20)
# Seconds a Gcore read is reused (shared by all app servers through CACHE_URL); 0 turns caching off.
GCORE_CACHE_SECONDS: int = env.int("GCORE_CACHE_SECONDS", default=30)

# Gcore's activity log, indexed for the timelines: how far back a first indexing reads, how long
# entries are kept, and the id of the dashboard's own API token as the log names it (read from the
# token's head, `<id>$<secret>`, when unset; docs/gcore-api-notes.md §13).
GCORE_ACTIVITY_DAYS: int = env.int("GCORE_ACTIVITY_DAYS", default=90)
GCORE_ACTIVITY_RETENTION_DAYS: int = env.int("GCORE_ACTIVITY_RETENTION_DAYS", default=365)
GCORE_API_TOKEN_ID: int | None = env.int("GCORE_API_TOKEN_ID", default=None)

# SPP (Service Provider Pro), the billing link. Nothing set: the built-in SPP sandbox while DEBUG is
# on; with DEBUG off, the billing features are off (administrators are told where to set these),
# unless SPP_SANDBOX=true asks for a training install. A URL without a key, or the reverse, is refused.
SPP_API_URL: str = env.str("SPP_API_URL", default="").rstrip("/")
SPP_API_TOKEN: str = env.str("SPP_API_TOKEN", default="")
SPP_API_VERSION: str = env.str("SPP_API_VERSION", default="2024-03-05")
SPP_SANDBOX: bool = env_flag(
    "SPP_SANDBOX", default=spp_sandbox_default(debug=DEBUG, url=SPP_API_URL, token=SPP_API_TOKEN)
)
# A sandbox server (`manage.py spp_sandbox`) that every process shares; unset: in-process (development only).
SPP_SANDBOX_URL: str = env.str("SPP_SANDBOX_URL", default="").rstrip("/")
SPP_SANDBOX_TOKEN: str = env.str("SPP_SANDBOX_TOKEN", default="sandbox")
SPP_CONNECT_TIMEOUT: float = env.float("SPP_CONNECT_TIMEOUT", default=5.0)
SPP_READ_TIMEOUT: float = env.float("SPP_READ_TIMEOUT", default=10.0)
# SPP's client status numbers are undocumented: names a reseller gives them, "1=Contact,2=Lead,3=Client".
SPP_STATUS_NAMES = {
    int(number): name.strip()
    for number, _, name in (item.partition("=") for item in env.list("SPP_STATUS_NAMES", default=[]))
    if number.strip().isdigit() and name.strip()
}
# Needs attention (issue 22): the rules' thresholds, the scans' shared upstream budget and pace.
ATTENTION_DELETION_DAYS: int = env.int("ATTENTION_DELETION_DAYS", default=14)
ATTENTION_TRIAL_DAYS: int = env.int("ATTENTION_TRIAL_DAYS", default=30)
ATTENTION_TOKEN_DAYS: int = env.int("ATTENTION_TOKEN_DAYS", default=14)
ATTENTION_MAX_REQUESTS_PER_MINUTE: int = env.int("ATTENTION_MAX_REQUESTS_PER_MINUTE", default=120)
# How often each rule's scan runs (seconds), and the period within which the rules that need one
# request per client (API tokens) cover the whole client base: each run reads at least
# ATTENTION_SLICE clients, more when the base is too large for that.
ATTENTION_EVERY: int = env.int("ATTENTION_EVERY", default=300)
ATTENTION_FULL_PASS: int = env.int("ATTENTION_FULL_PASS", default=86400)
ATTENTION_SLICE: int = env.int("ATTENTION_SLICE", default=100)
# Changes across many clients: how many clients one change may cover, and how many run at once.
BULK_MAX_CLIENTS: int = env.int("BULK_MAX_CLIENTS", default=500)
BULK_CONCURRENCY: int = env.int("BULK_CONCURRENCY", default=4)
# A change is shared by up to BULK_WORKERS workers, each sending BULK_CONCURRENCY clients at once;
# each touches the change and its clients every BULK_HEARTBEAT_SECONDS, and one untouched for
# BULK_STALE_SECONDS lost its worker (its unsent clients go to another, its in-flight ones are re-read).
BULK_WORKERS: int = env.int("BULK_WORKERS", default=2)
BULK_HEARTBEAT_SECONDS: float = env.float("BULK_HEARTBEAT_SECONDS", default=5.0)
BULK_STALE_SECONDS: float = env.float("BULK_STALE_SECONDS", default=60.0)
# Building the drift list: SPP and Gcore pages read at once.
BILLING_DRIFT_CONCURRENCY: int = env.int("BILLING_DRIFT_CONCURRENCY", default=4)
# Decided once, at start-up: "api", "sandbox" (SPP_SANDBOX) or "off" (no key, DEBUG off).
SPP_MODE: Literal["api", "sandbox", "off"] = "api" if SPP_API_TOKEN else "sandbox" if SPP_SANDBOX else "off"
# Production on sandbox data, asked for: every page says so plainly.
TRAINING_INSTALL: bool = not DEBUG and (GCORE_SANDBOX or SPP_SANDBOX)
# A production install never answers from demo data by itself, and a half-configured one never starts.
_upstream_problems = upstream_problems(
    debug=DEBUG,
    gcore_token=GCORE_API_TOKEN,
    gcore_sandbox=GCORE_SANDBOX,
    gcore_sandbox_url=GCORE_SANDBOX_URL,
    spp_url=SPP_API_URL,
    spp_token=SPP_API_TOKEN,
    spp_sandbox=SPP_SANDBOX,
    spp_sandbox_url=SPP_SANDBOX_URL,
)
if _upstream_problems:
    raise ImproperlyConfigured("\n".join(str(problem) for problem in _upstream_problems))

# Background work (Django's Tasks API, database queue; dashboard/tasks.py). A site that outgrows the
# database queue names another backend for the same API here (README, "Background work").
TASKS: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": env.str("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend")}
}
# Recurring work, in seconds: the drift list's rebuild, the sweep that resumes a bulk change whose
# workers died, and the pruning of old task results (successful after TASK_RESULTS_KEEP_DAYS, failed
# ones kept longer, TASK_FAILURES_KEEP_DAYS, for their error).
DRIFT_EVERY: int = env.int("DRIFT_EVERY", default=24 * 60 * 60)
BULK_SWEEP_EVERY: int = env.int("BULK_SWEEP_EVERY", default=60)
TASK_PRUNE_EVERY: int = env.int("TASK_PRUNE_EVERY", default=24 * 60 * 60)
# Gcore's activity log read into the timelines' index (what is new since the last pass).
GCORE_ACTIVITY_EVERY: int = env.int("GCORE_ACTIVITY_EVERY", default=5 * 60)
TASK_RESULTS_KEEP_DAYS: int = env.int("TASK_RESULTS_KEEP_DAYS", default=14)
TASK_FAILURES_KEEP_DAYS: int = env.int("TASK_FAILURES_KEEP_DAYS", default=90)
# How often each worker looks for recurring work that is due.
SCHEDULE_TICK_SECONDS: float = env.float("SCHEDULE_TICK_SECONDS", default=5.0)

# The overview's counts: how long they are reused and how many count queries run at once.
OVERVIEW_CACHE_SECONDS: int = env.int("OVERVIEW_CACHE_SECONDS", default=60)
OVERVIEW_CONCURRENCY: int = env.int("OVERVIEW_CONCURRENCY", default=8)
# Clients per upstream page while streaming a CSV export (memory grows with it; at most 1000).
EXPORT_PAGE_SIZE: int = env.int("EXPORT_PAGE_SIZE", default=500)
# Seconds the saved views' live counts are reused.
SAVED_VIEW_COUNT_CACHE_SECONDS: int = env.int("SAVED_VIEW_COUNT_CACHE_SECONDS", default=60)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # httpx logs every request line at INFO; the Gcore client logs its own, with timing.
    # django-axes says "deleted 0 attempts" at INFO on every login; dashboard.security logs each login,
    # failure, lockout and refusal with the username and address instead.
    "loggers": {
        "django.server": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}
