"""The multi-server test's fixtures: a PostgreSQL database of its own, a Redis index, subprocesses
ended at teardown (skipped without PostgreSQL and Redis, except under CI=true)."""

from tests.multiserver.test_two_servers import postgres_url, processes, redis_url  # noqa: F401 - fixtures
