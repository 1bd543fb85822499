"""Test settings: the real settings with a fast hasher and isolated cache.

Tests run against the in-process sandbox (no GCORE_API_TOKEN) unless a test points the client
elsewhere. DATABASE_URL and CACHE_URL from the environment still apply, so `.ci/run` can run the
same suite on PostgreSQL and Redis.
"""

import os

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")
os.environ["GCORE_API_TOKEN"] = ""
os.environ.setdefault("GCORE_RETRY_BACKOFF", "0.01")
# A recognisable sandbox token: tests/security/evidence.py fails the run if it reaches a response or a log.
os.environ["GCORE_SANDBOX_TOKEN"] = "gcore-canary-token-9f3KqZ7wLx2"
# The same watch covers the SPP key: no SPP_API_TOKEN means the in-process SPP sandbox.
os.environ["SPP_API_TOKEN"] = ""
os.environ["SPP_SANDBOX_TOKEN"] = "spp-canary-key-Qm4Rt8Zx1Vb7"
# Both sandboxes in-process, whatever the shell has (empty is unset): a test that wants a sandbox
# server points at one itself.
os.environ["GCORE_SANDBOX"] = os.environ["GCORE_SANDBOX_URL"] = ""
os.environ["SPP_SANDBOX"] = os.environ["SPP_SANDBOX_URL"] = os.environ["SPP_API_URL"] = ""

from dashboard.settings import *  # noqa: F403 - the test settings are the project's, with overrides

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405 - from dashboard.settings
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]

# Tasks run at once, in the enqueuing process (on commit, as enqueued): the logic of bulk changes,
# drift builds and schedules is tested here; tests/workers/ run real db_worker processes instead.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

# Browser tests use a live server with DEBUG off: serve static files from the finders, no collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# The suite's staff accounts sign in with a password alone (force_login, or the login form in the
# browser, load and two-server tests): the MFA tests switch MFA_REQUIRED on where they test it.
MFA_REQUIRED = False

# Outermost, so it sees every final response (test client and live server): token leaks and CSP.
MIDDLEWARE = ["tests.security.evidence.EvidenceMiddleware", *MIDDLEWARE]  # noqa: F405 - from dashboard.settings

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405 - from dashboard.settings
    # A file, not SQLite's shared in-memory database: there a reader locks a table and a writer in
    # another thread (a bulk change's runner while its page polls) fails at once with "database
    # table is locked"; a file gets the WAL journal and the waiting timeout that `make run` has.
    import tempfile

    DATABASES["default"]["TEST"] = {  # noqa: F405 - from dashboard.settings
        "NAME": os.path.join(tempfile.gettempdir(), f"gcore-dashboard-test-{os.getpid()}.sqlite3")
    }
