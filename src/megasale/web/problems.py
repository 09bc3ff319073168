"""Errors as ``application/problem+json`` (RFC 9457), one place for every route.

The problem ``type`` is ``/problems/<code>``, where the code is the error's stable slug.
"""

from __future__ import annotations

import logging
from typing import Any, TypeAlias

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.types import ExceptionHandlersMap

from megasale.domain.errors import (
    IdempotencyKeyInFlight,
    IdempotencyKeyReused,
    InvalidInput,
    InvalidTransition,
    MegasaleError,
    NotAllowed,
    NotFound,
    PickupExpired,
    PickupRefused,
    PlacementRejected,
    ReplayedWebhook,
    SkuNotInPromotion,
    TooManyAttempts,
    TrustRefused,
    WebhookRefused,
)
from megasale.services.ports import StoredResponse

__all__ = [
    "PROBLEM_JSON",
    "Unauthenticated",
    "exception_handlers",
    "problem_body",
    "render_error",
    "status_of",
]

PROBLEM_JSON = "application/problem+json"
_log = logging.getLogger("megasale.web")
HttpRequest: TypeAlias = Request[Any, Any, Any]


class Unauthenticated(MegasaleError):
    code = "unauthenticated"
    title = "Sign-in required"


class Problem(msgspec.Struct, omit_defaults=True):
    type: str
    title: str
    status: int
    detail: str
    field: str | None = None
    errors: list[dict[str, Any]] | None = None


_STATUS: list[tuple[type[MegasaleError], int]] = [
    (Unauthenticated, 401),
    (NotAllowed, 403),
    (NotFound, 404),
    (IdempotencyKeyReused, 422),
    (IdempotencyKeyInFlight, 409),
    (SkuNotInPromotion, 422),
    (PlacementRejected, 409),
    (InvalidTransition, 409),
    (TrustRefused, 409),
    (InvalidInput, 422),
    (TooManyAttempts, 429),
    (ReplayedWebhook, 409),
    (WebhookRefused, 401),
    (PickupExpired, 410),
    (PickupRefused, 409),
]

_encode = msgspec.json.Encoder().encode


def status_of(error: MegasaleError) -> int:
    for cls, status in _STATUS:
        if isinstance(error, cls):
            return status
    return 400


def problem_body(error: MegasaleError) -> bytes:
    return _encode(
        Problem(
            type=f"/problems/{error.code}",
            title=error.title,
            status=status_of(error),
            detail=error.detail,
            field=error.field if isinstance(error, InvalidInput) else None,
        )
    )


def render_error(error: MegasaleError) -> StoredResponse:
    return StoredResponse(status_of(error), problem_body(error))


def _problem(status: int, body: bytes, headers: dict[str, str] | None = None) -> Response[bytes]:
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _on_megasale_error(_: HttpRequest, exc: Exception) -> Response[bytes]:
    assert isinstance(exc, MegasaleError)
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthenticated) else None
    if isinstance(exc, TooManyAttempts):
        headers = {"Retry-After": str(exc.retry_after_s)}
    return _problem(status_of(exc), problem_body(exc), headers)


def _on_validation(_: HttpRequest, exc: Exception) -> Response[bytes]:
    assert isinstance(exc, ValidationException)
    errors = exc.extra if isinstance(exc.extra, list) else []
    where = ", ".join(
        f"{e.get('key') or e.get('source') or 'body'}: {e.get('message')}"
        for e in errors
        if isinstance(e, dict)
    )
    detail = f"the request is malformed: {where}" if where else str(exc.detail)
    body = _encode(
        Problem(
            type="/problems/malformed-request",
            title="Malformed request",
            status=400,
            detail=detail,
            errors=[e for e in errors if isinstance(e, dict)] or None,
        )
    )
    return _problem(400, body)


def _on_http(_: HttpRequest, exc: Exception) -> Response[bytes]:
    assert isinstance(exc, HTTPException)
    status = exc.status_code
    slug = {
        404: "no-such-route",
        405: "method-not-allowed",
        413: "body-too-large",
        415: "unsupported-media-type",
    }.get(status, "http-error")
    detail = str(exc.detail)
    if status == 413:
        detail = "the request body is larger than this server accepts"
    body = _encode(Problem(type=f"/problems/{slug}", title=detail, status=status, detail=detail))
    return _problem(status, body, getattr(exc, "headers", None))


def _on_unexpected(request: HttpRequest, exc: Exception) -> Response[bytes]:
    _log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    body = _encode(
        Problem(
            type="/problems/internal",
            title="Internal error",
            status=503,
            detail="the server could not complete the request; retry it (orders with the same "
            "Idempotency-Key, which keeps them exactly once)",
        )
    )
    return _problem(503, body, {"Retry-After": "1"})


exception_handlers: ExceptionHandlersMap = {
    MegasaleError: _on_megasale_error,
    ValidationException: _on_validation,
    HTTPException: _on_http,
    Exception: _on_unexpected,
}
