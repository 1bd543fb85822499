"""What every endpoint module shares: the request a handler gets, and a route of the table."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from .responses import SandboxResponse


@dataclass(frozen=True)
class ApiRequest:
    """What a handler needs from the HTTP request."""

    params: dict[str, str]  # query parameters; the last of a repeated name wins, as in Django
    body: bytes
    url: str  # absolute request URL, for the pagination links
    now: datetime  # the sandbox clock's time of this request: what a write stamps on what it changes
    content_type: str = ""  # the Content-Type header (the multipart upload reads its boundary)


Handler = Callable[..., SandboxResponse]


@dataclass(frozen=True)
class Route:
    pattern: re.Pattern[str]
    methods: dict[str, Handler]
