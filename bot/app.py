"""The app factory: settings in, a wired aiohttp application out. Nothing is built at import time."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

from aiohttp import web

from bot import __version__
from bot.cards.render import CardRenderer
from bot.channels import registry
from bot.channels.receive import Receiver
from bot.delivery import Deliverer
from bot.handlers import build_router
from bot.pipeline import Pipeline
from bot.sales.policy import company_policy
from bot.services import Services
from bot.settings import Settings
from core.clock import Clock, SystemClock
from core.stage_rules import StageRules, StageRulesError, load_stage_rules
from scheduler.service import SweepScheduler
from storage.db import Database

SERVICES = web.AppKey("services", Services)
PIPELINE = web.AppKey("pipeline", Pipeline)

log = logging.getLogger(__name__)


def build_services(settings: Settings, *, clock: Clock | None = None) -> Services:
    services = Services(
        settings=settings,
        db=Database(settings.database_url, log_bodies=settings.log_message_bodies),
        clock=clock or SystemClock(),
        router=build_router(),
        renderer=CardRenderer(),
        policy=company_policy(settings),  # a bad KABOT_POLICY_FILE stops the start, naming file and line
    )
    if settings.stage_rules_file:  # like the policy: a mistake stops the start, naming file and line
        services.stage_rules = read_stage_rules(settings.stage_rules_file)
    if settings.redis_url:
        import redis.asyncio as redis

        services.redis = redis.from_url(settings.redis_url)
    registry.configure(services)
    return services


def read_stage_rules(path: str) -> StageRules:
    """KABOT_STAGE_RULES_FILE; a missing or unreadable file is a StageRulesError too."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise StageRulesError(f"读不到文件 cannot read: {err.strerror}", file=path) from None
    except UnicodeDecodeError:
        raise StageRulesError("不是 UTF-8 文本 not UTF-8 text", file=path) from None
    return load_stage_rules(text, file=path)


async def healthz(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    ok = await services.db.ping()
    body: dict[str, object] = {"version": __version__, "database": "ok" if ok else "unreachable"}
    if ok and (quotas := await quota_lines(services)):
        body["quotas"] = quotas
    return web.json_response(body, status=200 if ok else 503, dumps=_readable)


def _readable(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)  # the quota lines are Chinese; keep them readable with curl


async def quota_lines(services: Services) -> dict[str, list[str]]:
    """This month's use of each chat app's monthly quotas (DingTalk's), one line per kind."""
    lines: dict[str, list[str]] = {}
    for name, channel in services.channels.items():
        usage = getattr(channel, "quota_usage", None)
        if usage is not None:
            lines[name] = [u.describe() for u in await usage()]
    return lines


@asynccontextmanager
async def delivering(services: Services) -> AsyncIterator[None]:
    """What every channel needs open to deliver (its API sessions), for as long as the outbox runs."""
    async with AsyncExitStack() as stack:
        for channel in list(services.channels.values()):
            await stack.enter_async_context(channel.delivering())
        yield


@asynccontextmanager
async def background_work(services: Services, pipeline: Pipeline, *, inbound: bool) -> AsyncIterator[None]:
    """Outbox delivery and the sweeps, and (for a worker) processing of stored inbound messages."""
    stop = asyncio.Event()
    sweeps = SweepScheduler(services)
    loops = [asyncio.create_task(Deliverer(services).run_forever(stop))]
    if inbound:
        loops.append(asyncio.create_task(pipeline.work(stop)))
    sweeps.start()
    try:
        yield
    finally:
        sweeps.stop()
        stop.set()
        services.outbox_ready.set()
        pipeline.inbound_ready.set()
        await asyncio.gather(*loops)


def create_app(services: Services, *, background: bool = True, inline: bool = True) -> web.Application:
    """The HTTP app: every channel's callback routes, acknowledged once stored.

    `inline=False` only acknowledges (a worker, `kabot work`, processes and delivers: what `kabot serve` runs by
    default); `background=False` leaves delivery to the caller (tests drive `Deliverer.run_once`).
    """
    app = web.Application(client_max_size=64 * 1024)
    app[SERVICES] = services
    pipeline = Pipeline(services, inline=inline)
    app[PIPELINE] = pipeline
    receiver = Receiver(pipeline, services.redis)
    app.router.add_get("/healthz", healthz)
    for channel in services.channels.values():
        app.router.add_routes(channel.routes(receiver))

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        await services.db.ensure_schema()
        registry.log_report(services.settings)
        async with AsyncExitStack() as stack:
            for channel in list(services.channels.values()):
                await stack.enter_async_context(channel.listening(receiver))
            if inline:
                await stack.enter_async_context(delivering(services))
                recovered = await pipeline.recover()
                if recovered:
                    log.info("recovered %s unprocessed inbound messages", recovered)
                if background:
                    await stack.enter_async_context(background_work(services, pipeline, inbound=False))
            yield
            await pipeline.drain()
        await services.db.close()

    app.cleanup_ctx.append(lifecycle)
    return app


async def run_worker(services: Services, stop: asyncio.Event) -> None:
    """`kabot work`: process what `kabot serve` acknowledged, deliver the outbox, run the sweeps."""
    await services.db.ensure_schema()
    pipeline = Pipeline(services, inline=False)
    receiver = Receiver(pipeline, services.redis)
    async with AsyncExitStack() as stack:
        for channel in list(services.channels.values()):  # a Stream connection needs no `kabot serve`
            await stack.enter_async_context(channel.listening(receiver))
        await stack.enter_async_context(delivering(services))
        await stack.enter_async_context(background_work(services, pipeline, inbound=True))
        await stop.wait()
    await services.db.close()
