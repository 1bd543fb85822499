"""Settings of the app servers under load: the real ones (production mode, DEBUG off), with five
changes that only make sense on a loopback test bench.

* Plain HTTP on 127.0.0.1, no TLS-terminating proxy in front: no HTTPS redirect, no Secure cookies
  (run.py also sets SECURE_SSL_REDIRECT=false, SECURE_PROXY_SSL_HEADER=false, TRUSTED_PROXY_COUNT=0).
* Static files from the finders: no collectstatic into the work tree for a test.
* A cache key prefix per run, so that runs sharing one Redis never read each other's entries.
* SQLite (the default database of a run) set up for 16 concurrent threads, as Django's docs advise:
  WAL, IMMEDIATE transactions, a 20 s lock timeout. With Django's defaults a write that waits over
  5 s for the lock (a busy machine) fails the session save, which Django answers 400
  ("SessionInterrupted"). LOAD_SQLITE_DEFAULTS=1 keeps the defaults. PostgreSQL is what production runs.
* A cheap password hasher (as tests/settings.py): 50 logins with PBKDF2 cost ~0.6 s of CPU each,
  15 s of a 2-core machine that would measure the hasher, not the dashboard. `run.py --real-hasher`
  keeps PBKDF2.
"""

import os

os.environ.setdefault("DEBUG", "false")

from dashboard.settings import *  # noqa: F403 - the load test's settings are the project's, with overrides

SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_SSL_REDIRECT = False
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405 - from dashboard.settings
WHITENOISE_USE_FINDERS = True

# Each run's cache keys apart from any other run's on the same Redis (django-environ cannot set it).
CACHES["default"]["KEY_PREFIX"] = os.environ.get("LOAD_CACHE_PREFIX", "")  # noqa: F405 - from dashboard.settings

if DATABASES["default"]["ENGINE"].endswith("sqlite3") and os.environ.get("LOAD_SQLITE_DEFAULTS") != "1":  # noqa: F405 - from dashboard.settings
    DATABASES["default"].setdefault("OPTIONS", {}).update(  # noqa: F405 - from dashboard.settings
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )

if os.environ.get("LOAD_REAL_HASHER") != "1":
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
