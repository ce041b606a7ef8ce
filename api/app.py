"""The FastAPI application: `uvicorn api.app:app`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from fastapi import Depends, FastAPI, Request
from sqlalchemy import text
from temporalio.client import Client

from config.codec import EncryptionCodec
from config.settings import Settings, get_settings
from config.temporal import connect
from db import models as m
from db import repositories as repo
from db.session import make_engine, make_sessionmaker
from domain.types import Role

from . import errors
from .deps import Clock, text_rule
from .ratelimit import RateLimiter
from .routes import (
    accounts,
    applications,
    audit,
    auth,
    awards,
    codec,
    committee,
    cycles,
    documents,
    enterprises,
    experts,
    notices,
    operations,
    review,
)
from .security import configure_hashing, dummy_hash, hash_password_async

log = logging.getLogger(__name__)


async def bootstrap_office(app: FastAPI) -> None:
    """Create the first office account from configuration if it does not exist yet."""
    cfg: Settings = app.state.settings
    if not cfg.bootstrap_office_username or not cfg.bootstrap_office_password:
        return
    async with app.state.sessions.begin() as s:
        if await repo.user_by_name(s, cfg.bootstrap_office_username):
            return
        s.add(
            m.User(
                username=cfg.bootstrap_office_username,
                display_name="区评审办管理员",
                password_hash=await hash_password_async(cfg.bootstrap_office_password),
                role=Role.OFFICE,
                active=True,
            )
        )
        await repo.audit(
            s,
            at=datetime.now(UTC),
            actor="system",
            actor_role="system",
            action="USER_CREATED",
            entity_type="user",
            entity_id=cfg.bootstrap_office_username,
            reason="bootstrap from configuration",
            details={"role": Role.OFFICE},
        )


async def wall_clock() -> datetime:
    return datetime.now(UTC)


def create_app(
    settings: Settings | None = None, temporal_client: Client | None = None, *, clock: Clock | None = None
) -> FastAPI:
    """The API. `clock` tells the time for the checks the API makes itself (the call's deadline,
    the notice's window); tests on the time-skipping server pass the server's clock."""
    cfg = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        cfg.check()
        configure_hashing(time_cost=cfg.password_hash_time_cost, memory_kib=cfg.password_hash_memory_kib)
        engine = make_engine(cfg.database_url, pool_size=cfg.db_pool_size, max_overflow=cfg.db_max_overflow)
        app.state.settings = cfg
        app.state.clock = clock or wall_clock
        app.state.sessions = make_sessionmaker(engine)
        app.state.codec = EncryptionCodec(cfg.payload_key_ring())  # the codec server (api/routes/codec.py)
        app.state.temporal = temporal_client or await connect(
            cfg.temporal_address, cfg.temporal_namespace, cfg.payload_key_ring()
        )
        await bootstrap_office(app)
        await asyncio.to_thread(dummy_hash)  # made once, off the event loop (api.security)
        try:
            yield
        finally:
            await engine.dispose()

    app = FastAPI(
        title="鹿城区政府质量奖评审系统 API",
        description="Lucheng District Government Quality Award: call, applications, qualification review.",
        version="0.1.0",
        lifespan=lifespan,
        # P6: no path, query, header or form value with a control character reaches a route
        dependencies=[Depends(text_rule)],
    )
    app.state.rate_limiter = RateLimiter()  # tests replace its clock
    app.add_middleware(codec.CodecCORS, origins=cfg.codec_cors_origins)
    errors.install(app)
    auth.install(app)
    for r in (
        auth,
        accounts,
        enterprises,
        experts,
        cycles,
        committee,
        documents,
        applications,
        review,
        notices,
        audit,
        awards,
        operations,
        codec,
    ):
        app.include_router(r.router)

    @app.get("/health", tags=["health"])
    async def health(request: Request) -> dict[str, Any]:
        state: dict[str, Any] = {"status": "ok"}
        try:
            async with request.app.state.sessions() as s:
                await s.execute(text("select 1"))
            state["database"] = "ok"
        except Exception as e:  # report, do not fail the probe with a 500
            state["database"], state["status"] = f"error: {type(e).__name__}", "degraded"
        try:
            client: Client = request.app.state.temporal
            await asyncio.wait_for(client.service_client.check_health(), 3)
            state["temporal"] = "ok"
        except Exception as e:
            state["temporal"], state["status"] = f"error: {type(e).__name__}", "degraded"
        return state

    return app


app = create_app()
