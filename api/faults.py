"""Honest answers under faults (issue 8 point 7, P7).

When PostgreSQL cannot be reached, the answer is a 503 with a stable code and `Retry-After`, never a
500 or a 4xx; and it says what became of the request:

- `DATABASE_UNAVAILABLE`: no connection could be made, or it was lost before anything of this
  request was committed: nothing was stored, the request can simply be sent again.
- `COMMIT_OUTCOME_UNKNOWN`: the connection was lost while PostgreSQL was committing (or after an
  earlier transaction of the same request had committed): the change may or may not be stored.
  Sending the request again with the same `Idempotency-Key` is safe (it acts once); without one,
  read the record first.
- `DATABASE_BUSY`: the database refused for a passing reason (serialization failure, deadlock, too
  many connections, statement timeout) or no pool connection was free in time: nothing was stored.

How the API knows: `watch(engine)` hooks the API's engine. Every failure to connect (refused, timed
out, the server starting or stopping, which asyncpg raises as plain `OSError`s that SQLAlchemy does
not wrap) becomes `DatabaseUnreachable`. A failure while the connection runs COMMIT that is not an
answer from the server (the connection lost mid-exchange: 08xxx / 57P0x or a socket error) becomes
`CommitOutcomeUnknown`: PostgreSQL may have made the transaction durable before the answer was lost
(a server that answered with an error, e.g. a serialization failure, has rolled back — that is
`DATABASE_BUSY`). `TrackCommits` counts the commits of each request, so that a connection lost
after one of them is not reported as "nothing stored".
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import Receive, Scope, Send
from temporalio.service import RPCError, RPCStatusCode

from config.asgi import HttpMiddleware
from domain.errors import DomainError

from .errors import Unavailable, data_rejected, is_data_error, sqlstate, unavailable
from .workflow_calls import unreachable

log = logging.getLogger(__name__)

DATABASE_RETRY_AFTER = 5  # seconds: long enough for a restart or a fail-over to be noticed
BUSY_RETRY_AFTER = 2

# SQLSTATE of a lost or refused connection (08xxx) and of a server going away (57P01 admin shutdown,
# 57P02 crash shutdown, 57P03 cannot connect now): the server is not there to answer.
_CONNECTION_LOST = ("08", "57P01", "57P02", "57P03")
_COMMITTING = "award.committing"
# 40 serialization failure / deadlock, 53 insufficient resources (too many connections, disk full),
# 55P03 lock not available, 57 operator intervention (57014 statement timeout, …): the server
# answered and rolled back; retry.
_BUSY = ("40", "53", "55P03", "57")


class DatabaseUnreachable(Exception):
    """No connection to PostgreSQL could be made (refused, timed out, the server not accepting)."""


class CommitOutcomeUnknown(Exception):
    """The connection was lost while PostgreSQL was committing: the transaction may be durable."""


@dataclass
class RequestCommits:
    """How many transactions this request has sent COMMIT for (set per request by TrackCommits)."""

    count: int = 0


_commits: ContextVar[RequestCommits | None] = ContextVar("award_request_commits", default=None)


class TrackCommits(HttpMiddleware):
    """Pure ASGI middleware: a fresh commit counter for each HTTP request."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        token = _commits.set(RequestCommits())
        try:
            await self.app(scope, receive, send)
        finally:
            _commits.reset(token)


def committed_before() -> bool:
    """Whether the current request has already sent COMMIT for a transaction."""
    commits = _commits.get()
    return commits is not None and commits.count > 0


def _sqlstate(e: BaseException | None) -> str:
    for err in (e, getattr(e, "__cause__", None)):
        code = getattr(err, "sqlstate", None)
        if isinstance(code, str) and code:
            return code
    return ""


def connection_lost(e: BaseException) -> bool:
    """A database error that means the connection is gone (not an answer of the server about the
    statement): SQLAlchemy saw a disconnect, or the SQLSTATE says so."""
    if isinstance(e, sa_exc.DBAPIError):
        return bool(e.connection_invalidated) or _sqlstate(e.orig).startswith(_CONNECTION_LOST)
    return isinstance(e, OSError | TimeoutError)


def watch(engine: AsyncEngine) -> None:
    """Install the hooks described in the module's docstring on the API's engine."""
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "do_connect")
    def _connect(dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
        try:
            return dialect.connect(*cargs, **cparams)
        except Exception as e:
            log.warning("cannot connect to PostgreSQL: %s: %s", type(e).__name__, e)
            raise DatabaseUnreachable(f"{type(e).__name__}: {e}") from e

    @event.listens_for(sync_engine, "begin")
    def _begin(conn: Any) -> None:
        conn.info.pop(_COMMITTING, None)

    @event.listens_for(sync_engine, "commit")
    def _commit(conn: Any) -> None:
        conn.info[_COMMITTING] = True
        if (commits := _commits.get()) is not None:
            commits.count += 1

    @event.listens_for(sync_engine.pool, "checkin")
    def _checkin(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info.pop(_COMMITTING, None)

    @event.listens_for(sync_engine, "handle_error")
    def _error(ctx: ExceptionContext) -> BaseException | None:
        original = ctx.original_exception
        if ctx.is_pre_ping or ctx.connection is None or not isinstance(original, Exception):
            return None  # a cancellation (a BaseException) stays what it is
        committing = False
        if ctx.statement is None:  # COMMIT or ROLLBACK, not a statement of ours
            try:
                committing = bool(ctx.connection.info.pop(_COMMITTING, False))
            except sa_exc.SQLAlchemyError:  # the connection is already gone
                committing = False
        # Lost in the middle of the exchange: asyncpg's ConnectionDoesNotExistError (08003), the
        # server going away (57P0x), a socket error. Not "connection is closed" (InterfaceError, no
        # SQLSTATE): that connection was gone before COMMIT was sent, so nothing was committed.
        cause = original.__cause__
        lost = _sqlstate(original).startswith(_CONNECTION_LOST) or any(
            isinstance(e, OSError | TimeoutError) for e in (original, cause)
        )
        if committing and lost:
            log.error(
                "connection lost during COMMIT (%s): the transaction may or may not be stored", original
            )
            return CommitOutcomeUnknown(f"{type(original).__name__}: {original}")
        if ctx.sqlalchemy_exception is None and isinstance(original, OSError | TimeoutError):
            return DatabaseUnreachable(f"{type(original).__name__}: {original}")  # not wrapped by the driver
        return None


def database_unavailable() -> Unavailable:
    if committed_before():
        return outcome_unknown()
    return Unavailable(
        "DATABASE_UNAVAILABLE",
        f"数据库暂时无法连接，本次请求未保存任何内容，请{DATABASE_RETRY_AFTER}秒后重试",
        f"The database cannot be reached; nothing of this request was stored. Try again in "
        f"{DATABASE_RETRY_AFTER} seconds",
        status=503,
        headers={"Retry-After": str(DATABASE_RETRY_AFTER)},
    )


def outcome_unknown() -> Unavailable:
    return Unavailable(
        "COMMIT_OUTCOME_UNKNOWN",
        "保存过程中数据库连接中断，无法确定本次请求的更改是否已保存。使用相同的 Idempotency-Key 重试是安全的"
        "（只会办理一次）；未使用该标头时，请先查看记录再决定是否重试",
        "The connection to the database was lost while this request was saving its changes, so they "
        "may or may not be stored. Retrying with the same Idempotency-Key is safe (it acts once); "
        "without one, check the record before retrying",
        status=503,
        details={"retry_with_same_idempotency_key": True},
        headers={"Retry-After": str(DATABASE_RETRY_AFTER)},
    )


def database_busy() -> Unavailable:
    if committed_before():
        return outcome_unknown()
    return Unavailable(
        "DATABASE_BUSY",
        "数据库暂时繁忙，该项更改未保存，请稍后重试",
        "The database is busy and did not store the change; try again shortly",
        status=503,
        headers={"Retry-After": str(BUSY_RETRY_AFTER)},
    )


def internal_error() -> DomainError:
    return DomainError(
        "INTERNAL_ERROR",
        "服务器内部错误，请稍后重试或联系区评审办",
        "Internal server error; try again later or contact the award office",
        status=500,
    )


def respond(_: Request, e: DomainError) -> JSONResponse:
    return JSONResponse(e.to_dict(), status_code=e.status, headers=getattr(e, "headers", None))


def install(app: FastAPI) -> None:
    """The handlers of the faults above, and a JSON 500 for anything unforeseen, instead of
    Starlette's plain-text one."""
    app.add_middleware(TrackCommits)

    @app.exception_handler(DatabaseUnreachable)
    async def _unreachable(request: Request, _: DatabaseUnreachable) -> JSONResponse:
        return respond(request, database_unavailable())

    @app.exception_handler(CommitOutcomeUnknown)
    async def _unknown(request: Request, _: CommitOutcomeUnknown) -> JSONResponse:
        return respond(request, outcome_unknown())

    @app.exception_handler(sa_exc.DBAPIError)
    async def _database(request: Request, e: sa_exc.DBAPIError) -> JSONResponse:
        # The request's transaction is already rolled back: the error left the session dependency
        # (`async with s.begin()`) or the route's own `sessions.begin()` block on its way here.
        code = sqlstate(e)
        if is_data_error(e):  # a value the database cannot hold: the input was not acceptable
            log.info("database refused a value: SQLSTATE %s", code or "?")
            return respond(request, data_rejected())
        if connection_lost(e):
            log.warning("database connection lost: SQLSTATE %s", code or "-")
            return respond(request, database_unavailable())
        if code.startswith(_BUSY):
            log.warning("database busy: SQLSTATE %s", code)
            return respond(request, database_busy())
        log.error("database error: SQLSTATE %s", code or "?", exc_info=e)
        return respond(request, internal_error())

    @app.exception_handler(sa_exc.TimeoutError)
    async def _pool_timeout(request: Request, _: sa_exc.TimeoutError) -> JSONResponse:
        log.warning("no database connection free in time (pool exhausted)")
        return respond(request, database_busy())

    @app.exception_handler(RPCError)
    async def _temporal(request: Request, e: RPCError) -> JSONResponse:
        # the routes map Temporal's answers themselves (api/workflow_calls.py); this is the net
        # under a call that did not go through them
        if e.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED):
            return respond(request, unavailable())
        log.error("unexpected Temporal error: %r", e)
        return respond(request, internal_error())

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, e: Exception) -> JSONResponse:
        if unreachable(e):
            return respond(request, unavailable())
        log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=e)
        return respond(request, internal_error())
