"""Signed HTTP requests as Slack sends them, a client to post them, and a local server runner."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from slack_sdk.signature import SignatureVerifier

from tests.fakes.slack_payloads import as_json, event_callback

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
STALE_SECONDS = 6 * 60  # bolt rejects timestamps older than 5 minutes


@dataclass(frozen=True)
class SlackRequest:
    """A raw body plus the headers Slack would send with it."""

    body: str
    headers: dict[str, str]

    def forged(self) -> SlackRequest:
        """Same request with a signature made with the wrong secret."""
        return self.resigned("not-the-signing-secret")

    def resigned(self, signing_secret: str, *, timestamp: int | None = None) -> SlackRequest:
        """Same body and headers, signed again (other secret and/or timestamp)."""
        content_type = self.headers["Content-Type"]
        signed = sign(
            self.body, signing_secret=signing_secret, content_type=content_type, timestamp=timestamp
        )
        return replace(self, headers={**self.headers, **signed.headers})

    def stale(self, signing_secret: str) -> SlackRequest:
        """Correctly signed, but with a timestamp outside bolt's 5-minute window."""
        return self.resigned(signing_secret, timestamp=stale_timestamp())

    def with_body(self, body: str) -> SlackRequest:
        """Different body, old signature (tampered request)."""
        return replace(self, body=body)


def sign(
    body: str,
    *,
    signing_secret: str,
    content_type: str,
    timestamp: int | None = None,
    retry_num: int | None = None,
    retry_reason: str | None = None,
) -> SlackRequest:
    """Sign `body` with `SignatureVerifier.generate_signature` (v0 scheme)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(signing_secret).generate_signature(timestamp=ts, body=body)
    if signature is None:
        raise ValueError("slack_sdk could not sign this body")
    headers = {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature,
        "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
    }
    if retry_num is not None:
        headers["X-Slack-Retry-Num"] = str(retry_num)
        headers["X-Slack-Retry-Reason"] = retry_reason or "http_timeout"
    return SlackRequest(body=body, headers=headers)


def stale_timestamp() -> int:
    """A timestamp bolt must reject (older than its 5-minute window)."""
    return int(time.time()) - STALE_SECONDS


def event_request(
    event_or_body: dict[str, Any],
    *,
    signing_secret: str,
    timestamp: int | None = None,
    retry_num: int | None = None,
    retry_reason: str | None = None,
) -> SlackRequest:
    """Events API request; a bare event is wrapped with `event_callback()`."""
    body = event_or_body if "event" in event_or_body else event_callback(event_or_body)
    return sign(
        as_json(body),
        signing_secret=signing_secret,
        content_type=JSON,
        timestamp=timestamp,
        retry_num=retry_num,
        retry_reason=retry_reason,
    )


def url_verification_request(challenge: str, *, signing_secret: str) -> SlackRequest:
    """The `url_verification` handshake Slack sends when the Request URL is saved."""
    body = {"token": "XXYYZZverificationtoken", "challenge": challenge, "type": "url_verification"}
    return sign(as_json(body), signing_secret=signing_secret, content_type=JSON)


def slash_command_request(
    fields: dict[str, str], *, signing_secret: str, timestamp: int | None = None
) -> SlackRequest:
    """Slash command: form-encoded fields."""
    return sign(
        urlencode(fields), signing_secret=signing_secret, content_type=FORM, timestamp=timestamp
    )


def interactivity_request(
    payload: dict[str, Any], *, signing_secret: str, timestamp: int | None = None
) -> SlackRequest:
    """Interactivity: one form field `payload=` holding the JSON payload."""
    return sign(
        urlencode({"payload": as_json(payload)}),
        signing_secret=signing_secret,
        content_type=FORM,
        timestamp=timestamp,
    )


@dataclass(frozen=True)
class SlackHTTPResponse:
    """What the app answered to Slack."""

    status: int
    body: str
    content_type: str


async def post(url: str, request: SlackRequest) -> SlackHTTPResponse:
    """POST `request` to `url` exactly as Slack would (raw body, given headers)."""
    async with aiohttp.ClientSession() as session:
        async with session.post(
            url, data=request.body.encode("utf-8"), headers=request.headers
        ) as resp:
            return SlackHTTPResponse(resp.status, await resp.text(), resp.content_type)


@asynccontextmanager
async def serve(app: web.Application, *, path: str = "/slack/events") -> AsyncIterator[str]:
    """Run an aiohttp app on 127.0.0.1:ephemeral; yield the full URL of `path`."""
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        yield f"http://127.0.0.1:{port}{path}"
    finally:
        await runner.cleanup()
