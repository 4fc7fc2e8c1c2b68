"""Protections for a service on a shared network: the bearer token for writes, a request body limit, a time
limit on every read, and JSON errors (never a traceback) with one status code per kg error class."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kg.api.deps import SettingsDep
from kg.api.runner import TooManyQueries
from kg.errors import (
    ExtractionError,
    InputError,
    KgError,
    NotFound,
    QueryError,
    QueryRefused,
    QueryTimeout,
    ShapeViolation,
    StoreError,
    StoreUnavailable,
)

log = logging.getLogger(__name__)

#: The one table from kg's errors to HTTP status codes; the most specific class in an error's MRO wins.
STATUS: dict[type[KgError], int] = {
    InputError: 400,
    QueryError: 400,
    QueryRefused: 403,
    NotFound: 404,
    ShapeViolation: 422,
    ExtractionError: 422,
    StoreError: 502,
    StoreUnavailable: 503,
    QueryTimeout: 503,
    TooManyQueries: 429,
    KgError: 500,
}

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": "Bad request: malformed input, query or parameter"},
    404: {"description": "Not found"},
}


def status_for(exc: KgError) -> int:
    """The HTTP status of a kg error."""
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]  # type: ignore[index]
    return 500


def error_body(error: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": error, "message": message, **extra}


async def send_error(
    send: Send, status: int, error: str, message: str, headers: tuple[tuple[bytes, bytes], ...] = ()
) -> None:
    """Answer a JSON error straight from an ASGI middleware, which runs outside FastAPI's exception handlers."""
    body = json.dumps(error_body(error, message)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def install_error_handlers(app: FastAPI) -> None:
    """Every error leaves the service as JSON ``{"error", "message"}``."""

    @app.exception_handler(KgError)
    async def kg_error(request: Request, exc: KgError) -> JSONResponse:
        extra: dict[str, Any] = {}
        if isinstance(exc, ShapeViolation):
            extra["violations"] = [
                {"message": v.message, "focus": v.focus, "path": v.path} for v in exc.report.violations
            ]
        headers = {"Retry-After": "5"} if isinstance(exc, QueryTimeout) else None
        return JSONResponse(
            error_body(type(exc).__name__, str(exc), **extra), status_code=status_for(exc), headers=headers
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        name = {
            401: "Unauthorized",
            403: "Forbidden",
            404: "NotFound",
            405: "MethodNotAllowed",
            406: "NotAcceptable",
            413: "PayloadTooLarge",
            415: "UnsupportedMediaType",
            429: "TooManyRequests",
        }.get(exc.status_code, "HTTPError")
        return JSONResponse(
            error_body(name, str(exc.detail)), status_code=exc.status_code, headers=getattr(exc, "headers", None)
        )

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err.get('loc', ()))}: {err.get('msg', 'invalid')}" for err in exc.errors()
        )
        return JSONResponse(error_body("BadRequest", problems or "invalid request"), status_code=400)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return JSONResponse(
            error_body("InternalError", "an unexpected error happened; it has been logged"), status_code=500
        )


def require_token(request: Request, settings: SettingsDep) -> None:
    """Let a write through only with ``Authorization: Bearer <KG_API_TOKEN>``, compared in constant time.

    No token configured: 403 (writes are disabled).  No or malformed header: 401.  Wrong token: 403.
    """
    if not settings.api_token:
        raise HTTPException(403, "writes are disabled: the server has no KG_API_TOKEN configured")
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise HTTPException(401, "this needs an 'Authorization: Bearer <token>' header", {"WWW-Authenticate": "Bearer"})
    if not hmac.compare_digest(token.strip().encode(), settings.api_token.encode()):
        raise HTTPException(403, "the bearer token is not valid")


class BodyTooLarge(StarletteHTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is over the limit of {limit} bytes (KG_MAX_BODY_BYTES)")


class BodyLimit:
    """ASGI middleware refusing bodies over ``limit`` bytes with 413: by ``Content-Length`` before reading,
    and by counting while reading (a chunked body declares no length)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for key, value in scope.get("headers", []):
            if key == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > self.limit:
                    detail = BodyTooLarge(self.limit).detail
                    await send_error(send, 413, "PayloadTooLarge", detail, ((b"connection", b"close"),))
                    return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge(self.limit)
            return message

        await self.app(scope, limited, send)


class ReadTimeLimit:
    """ASGI middleware answering 503 when a read (``GET``/``HEAD``, other than ``/sparql``, which has its own
    killable limit, and ``/health``) has not started its answer within ``seconds`` (``KG_READ_TIMEOUT``).

    The handler runs in a task of its own and is left to finish in the background: a store read already
    running in a thread cannot be interrupted (pyoxigraph has no cancellation; a remote store has its own
    HTTP timeout), but the client gets its answer on time and anything the handler sends later is dropped.
    """

    EXEMPT = ("/sparql", "/health")

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope.get("method") not in ("GET", "HEAD")
            or scope.get("path", "") in self.EXEMPT
        ):
            await self.app(scope, receive, send)
            return
        started = False
        timed_out = False

        async def guarded(message: Message) -> None:
            nonlocal started
            if timed_out:
                return
            started = True
            await send(message)

        task = asyncio.ensure_future(self.app(scope, receive, guarded))
        done, _ = await asyncio.wait({task}, timeout=self.seconds)
        if done or started:
            await task
            return
        timed_out = True
        task.add_done_callback(_log_late_failure)
        log.warning("%s %s passed the time limit of %g s", scope.get("method"), scope.get("path"), self.seconds)
        message = (
            f"the request ran longer than the time limit of {self.seconds:g} s (KG_READ_TIMEOUT); "
            "narrow it or try again"
        )
        await send_error(send, 503, "QueryTimeout", message, ((b"retry-after", b"5"),))


def _log_late_failure(task: asyncio.Future[None]) -> None:
    with contextlib.suppress(asyncio.CancelledError):
        if task.exception() is not None:
            log.warning("a read answered after its time limit failed: %s", task.exception())
