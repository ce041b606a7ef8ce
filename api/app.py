"""The FastAPI application: `uvicorn api.app:app`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from fastapi import Depends, FastAPI, Request
from prometheus_client import start_http_server
from starlette.types import ASGIApp
from temporalio.client import Client

from config.codec import EncryptionCodec
from config.observability import RequestMetrics, configure_logging
from config.settings import Settings, get_settings
from config.temporal import connect
from db import models as m
from db import repositories as repo
from db.session import make_engine, make_sessionmaker, ping
from domain.errors import DomainError
from domain.types import Role

from . import errors, faults
from .deps import Clock, text_rule
from .http_security import RequestBodyLimit, SecurityHeaders
from .ratelimit import RateLimiter
from .responses.health import HealthOut
from .routes import (
    accounts,
    applications,
    audit,
    auth,
    awards,
    codec,
    committee,
    cycles,
    decisions,
    documents,
    enterprises,
    experts,
    exports,
    feedback,
    holidays,
    notices,
    operations,
    portal,
    printouts,
    review,
    undertakings,
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
        await repo.audit_by(
            s,
            repo.SYSTEM,
            "USER_CREATED",
            "user",
            cfg.bootstrap_office_username,
            at=datetime.now(UTC),
            reason="bootstrap from configuration",
            details={"role": Role.OFFICE},
        )


class AwardAPI(FastAPI):
    """The API, with the security headers (api/http_security.py) outside every other layer, so that
    even Starlette's own answers (a 500, a 413 before routing) carry them."""

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeaders(RequestMetrics(super().build_middleware_stack()))


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
        if cfg.log_format == "json":
            configure_logging()
        metrics = (
            start_http_server(cfg.api_metrics_port, cfg.metrics_host)[0] if cfg.api_metrics_port else None
        )
        configure_hashing(time_cost=cfg.password_hash_time_cost, memory_kib=cfg.password_hash_memory_kib)
        engine = make_engine(
            cfg.database_url,
            pool_size=cfg.db_pool_size,
            max_overflow=cfg.db_max_overflow,
            pool_timeout=cfg.db_pool_timeout_seconds,
            connect_args={"timeout": cfg.db_connect_timeout_seconds},
        )
        faults.watch(engine)  # a lost database is a 503 that says what became of the request
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
            if metrics is not None:
                metrics.shutdown()
                metrics.server_close()

    app = AwardAPI(
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
    faults.install(app)
    auth.install(app)
    for r in (
        auth,
        accounts,
        enterprises,
        experts,
        cycles,
        holidays,
        committee,
        decisions,
        documents,
        applications,
        review,
        feedback,
        notices,
        audit,
        awards,
        operations,
        codec,
        undertakings,
        printouts,
        exports,
        portal,
    ):
        app.include_router(r.router)

    def body_limit(method: str, path: str) -> tuple[int, DomainError]:
        if method == "POST" and path == "/documents":  # the file, and its multipart framing
            limit = cfg.max_document_bytes
            return limit + documents.MULTIPART_ALLOWANCE, errors.document_too_large(limit)
        return cfg.max_request_bytes, errors.request_too_large(cfg.max_request_bytes)

    # P6: a body larger than its limit is refused with 413 while it streams in, never read whole
    app.add_middleware(RequestBodyLimit, limit_of=body_limit)

    @app.get("/health", tags=["health"])
    async def health(request: Request) -> HealthOut:
        state = {"status": "ok"}
        try:
            async with request.app.state.sessions() as s:
                await ping(s)
            state["database"] = "ok"
        except Exception as e:  # report, do not fail the probe with a 500
            state["database"], state["status"] = f"error: {type(e).__name__}", "degraded"
        try:
            client: Client = request.app.state.temporal
            await asyncio.wait_for(client.service_client.check_health(), 3)
            state["temporal"] = "ok"
        except Exception as e:
            state["temporal"], state["status"] = f"error: {type(e).__name__}", "degraded"
        return HealthOut.model_validate(state)

    return app


app = create_app()
