"""Django's Redis cache backend, keeping its redis-py client instead of building one per call.

Django's RedisCacheClient makes a new `redis.Redis` object for every cache operation (over a
shared connection pool). A page makes four or five such calls before its request to Gcore can
leave (session, permissions, the lists' version, the cached page); building the client was a
quarter of each call's time. One client per pool is what redis-py expects: it is thread-safe.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.core.cache.backends import redis as django_redis


class RedisCacheClient(django_redis.RedisCacheClient):
    # Django's own (private, so left out of django-stubs): the redis-py class, and the pool getter.
    _client: Callable[..., Any]
    if TYPE_CHECKING:

        def _get_connection_pool(self, write: bool) -> Any: ...

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[Any, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)
        client = self._clients.get(pool)
        if client is None:
            client = self._clients[pool] = self._client(connection_pool=pool)
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient
