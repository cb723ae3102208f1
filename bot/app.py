"""The app factory: settings in, a wired aiohttp application out. Nothing is built at import time."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

from bot import __version__
from bot.cards.render import CardRenderer
from bot.delivery import Deliverer
from bot.handlers import build_router
from bot.pipeline import Pipeline
from bot.services import Services
from bot.settings import Settings
from core.clock import Clock, SystemClock
from core.stage_rules import StageRules
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
    if settings.stage_rules_file:
        import tomllib

        with open(settings.stage_rules_file, "rb") as f:
            services.stage_rules = StageRules.from_mapping(tomllib.load(f))
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


def wire_wecom(app: web.Application, services: Services, pipeline: Pipeline) -> None:
    """The WeCom callback routes, and the channel with the HTTP session its API client uses."""
    from bot.channels.wecom.channel import WeComChannel, build_api
    from bot.channels.wecom.routes import add_callback_routes

    settings = services.settings
    add_callback_routes(app, services, pipeline)

    async def http_session(app: web.Application) -> AsyncIterator[None]:
        async with aiohttp.ClientSession() as http:
            services.channels["wecom"] = WeComChannel(
                build_api(settings, http, services.clock, services.redis), services.renderer, services.db,
                services.clock, source=settings.company_name,
                team_webhooks={team: key.get_secret_value() for team, key in settings.wecom_team_webhooks.items()},
            )
            yield
            services.channels.pop("wecom", None)

    app.cleanup_ctx.append(http_session)


def create_app(services: Services, *, background: bool = True) -> web.Application:
    """`background=False` leaves the outbox loop to the caller (tests drive `Deliverer.run_once`)."""
    app = web.Application(client_max_size=64 * 1024)
    app[SERVICES] = services
    pipeline = Pipeline(services)
    app[PIPELINE] = pipeline
    app.router.add_get("/healthz", healthz)
    if services.settings.wecom_enabled:
        wire_wecom(app, services, pipeline)  # before the lifecycle, so its session outlives the outbox loop

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
