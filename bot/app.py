"""The app factory: settings in, a wired aiohttp application out. Nothing is built at import time."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from bot import __version__
from bot.cards.render import CardRenderer
from bot.delivery import Deliverer
from bot.handlers import build_router
from bot.pipeline import Pipeline
from bot.services import Services
from bot.settings import Settings
from core.clock import Clock, SystemClock
from storage.db import Database

SERVICES = web.AppKey("services", Services)
PIPELINE = web.AppKey("pipeline", Pipeline)

log = logging.getLogger(__name__)


def build_services(settings: Settings, *, clock: Clock | None = None) -> Services:
    services = Services(
        settings=settings,
        db=Database(settings.database_url),
        clock=clock or SystemClock(),
        router=build_router(),
        renderer=CardRenderer(),
    )
    if settings.redis_url:
        import redis.asyncio as redis

        services.redis = redis.from_url(settings.redis_url)
    return services


async def healthz(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    ok = await services.db.ping()
    return web.json_response(
        {"version": __version__, "database": "ok" if ok else "unreachable"}, status=200 if ok else 503
    )


def create_app(services: Services, *, background: bool = True) -> web.Application:
    """`background=False` leaves the outbox loop to the caller (tests drive `Deliverer.run_once`)."""
    app = web.Application(client_max_size=64 * 1024)
    app[SERVICES] = services
    pipeline = Pipeline(services)
    app[PIPELINE] = pipeline
    app.router.add_get("/healthz", healthz)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        await services.db.ensure_schema()
        recovered = await pipeline.recover()
        if recovered:
            log.info("recovered %s unprocessed inbound messages", recovered)
        stop = asyncio.Event()
        loop_task = asyncio.create_task(Deliverer(services).run_forever(stop)) if background else None
        yield
        stop.set()
        services.outbox_ready.set()
        if loop_task:
            await loop_task
        await pipeline.drain()
        await services.db.close()

    app.cleanup_ctx.append(lifecycle)
    return app
