"""Slack Web API failures as the core's TransientError (retry) or PermanentError (give up)."""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from typing import Any, TypeVar

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.adapter import AdapterError, PermanentError, TransientError

T = TypeVar("T")

TRANSIENT_CODES = frozenset(
    {
        "ratelimited",
        "rate_limited",
        "internal_error",
        "fatal_error",
        "service_unavailable",
        "request_timeout",
        "team_added_to_org",
    }
)
# Codes worth telling the moderators about once (permissions, configuration).
RENAMED = {"cant_delete_message": "cannot_delete"}
# Codes about one member or one message: nothing a moderator needs to fix.
QUIET_CODES = frozenset(
    {
        "user_not_found",
        "user_not_in_channel",
        "users_not_found",
        "cannot_dm_bot",
        "user_disabled",
        "account_inactive",
        "message_not_found",
        "thread_not_found",
        "is_archived",
        "already_reacted",
        "expired_url",
        "used_url",
    }
)


def retry_after(headers: Mapping[str, Any] | None) -> float | None:
    """Seconds from a `Retry-After` header (None when absent or unreadable)."""
    if not headers:
        return None
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if isinstance(value, list):
        value = value[0] if value else None
    try:
        return max(float(value), 0.0) if value is not None else None
    except (TypeError, ValueError):
        return None


def from_status(
    status: int, code: str, *, headers: Mapping[str, Any] | None, what: str
) -> AdapterError:
    """The adapter error for an HTTP status and Slack error code."""
    if status == 429 or code in ("ratelimited", "rate_limited"):
        wait = retry_after(headers)
        return TransientError(f"{what}: rate limited by Slack", retry_after=wait or 1.0)
    if status >= 500 or code in TRANSIENT_CODES:
        return TransientError(f"{what}: Slack answered {status} {code}".strip())
    name = RENAMED.get(code, code or f"http_{status}")
    quiet = code in QUIET_CODES
    return PermanentError(
        f"{what}: Slack refused ({code or status})", code=name, tell_moderators=not quiet
    )


def from_api_error(error: SlackApiError, *, what: str) -> AdapterError:
    """Map a `SlackApiError` raised by AsyncWebClient."""
    response = error.response
    status = int(getattr(response, "status_code", 200) or 200)
    data = getattr(response, "data", None)
    code = str(data.get("error", "")) if isinstance(data, Mapping) else ""
    return from_status(status, code, headers=getattr(response, "headers", None), what=what)


async def calling(what: str, call: Awaitable[T]) -> T:
    """Await a Slack call, turning every failure into TransientError or PermanentError."""
    try:
        return await call
    except SlackApiError as exc:
        raise from_api_error(exc, what=what) from exc
    except (aiohttp.ClientError, TimeoutError, SlackClientError) as exc:
        raise TransientError(f"{what}: cannot reach Slack ({type(exc).__name__})") from exc
