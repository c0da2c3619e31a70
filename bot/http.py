"""Operations endpoints on the shared HTTP app: /healthz, /readyz and Prometheus /metrics."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

from aiohttp import web

from bot.adapter import Adapter
from bot.engine import Engine
from bot.metrics import CONTENT_TYPE

log = logging.getLogger(__name__)


@runtime_checkable
class ReportsReadiness(Protocol):
    """An adapter that can tell whether its platform connection is up (optional)."""

    @property
    def ready(self) -> bool:
        """True once connected (Discord: every shard ready; Slack: Socket Mode or HTTP up)."""
        ...


def platform_readiness(adapters: Sequence[Adapter]) -> dict[str, bool]:
    """Each adapter's readiness; adapters that do not report it count as ready."""
    return {
        adapter.platform: bool(adapter.ready) if isinstance(adapter, ReportsReadiness) else True
        for adapter in adapters
    }


class OpsEndpoints:
    """Health (process up), readiness (database and platforms) and metrics of one runtime."""

    def __init__(
        self, engine: Engine, *, adapters: Sequence[Adapter], started: Callable[[], bool]
    ) -> None:
        self.engine = engine
        self.adapters = adapters
        self.started = started

    def install(self, app: web.Application) -> None:
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/readyz", self.readyz)
        app.router.add_get("/metrics", self.metrics)

    async def healthz(self, _request: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "replica": self.engine.replica})

    async def readyz(self, _request: web.Request) -> web.Response:
        platforms = platform_readiness(self.adapters)
        body: dict[str, object] = {"replica": self.engine.replica, "platforms": platforms}
        try:
            await self.engine.database.check()
        except Exception as exc:
            body.update(status="database unavailable", error=str(exc))
            return web.json_response(body, status=503)
        if not self.started():
            body["status"] = "starting"
            return web.json_response(body, status=503)
        waiting = sorted(name for name, ready in platforms.items() if not ready)
        if waiting:
            body["status"] = "waiting for " + ", ".join(waiting)
            return web.json_response(body, status=503)
        body["status"] = "ready"
        return web.json_response(body)

    async def metrics(self, _request: web.Request) -> web.Response:
        try:
            await self.engine.metrics.refresh(self.engine)
        except Exception:
            log.exception("could not read gauges from the database; serving the counters")
        response = web.Response(body=self.engine.metrics.render())
        response.headers["Content-Type"] = CONTENT_TYPE
        return response
