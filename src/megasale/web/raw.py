"""The hottest route's plumbing at the ASGI level: headers, body and response in one pass each.

On ``POST /v1/orders``, Litestar's conveniences cost about as much CPU as our own order logic:
``request.headers`` builds a header mapping from the scope on every access, ``data:
JSONBody[T]`` decodes the body into plain objects and then converts those into ``T`` through
the handler's signature model, and a ``Response`` becomes an ``ASGIResponse`` before it is
sent. Measured with ``bench/bench_app.py``, these helpers do the same work in a fraction of
the calls; routing, exception handling and the problem+json mapping stay Litestar's. A bad
body is reported exactly as Litestar reports it (a ``ValidationException`` naming the field,
which :mod:`megasale.web.problems` turns into ``/problems/malformed-request``), and an
oversized one as ``RequestEntityTooLarge`` (413). Decoding is strict: ``"quantity": "2"`` is
refused, not coerced.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, TypeVar

import msgspec
from litestar.exceptions import ClientException, ValidationException
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.types import HTTPResponseBodyEvent, HTTPResponseStartEvent, Receive, Scope, Send

from megasale.web.caller import HttpRequest

__all__ = ["RawResponse", "decode_body", "headers_of", "read_body"]

T = TypeVar("T")

_AT = re.compile(r" - at `\$\.?(.*)`$")


def headers_of(request: HttpRequest, names: Iterable[bytes]) -> dict[bytes, str]:
    """The values of the headers ``names`` (lower-case bytes) that the request carries.

    A header sent twice keeps its first value, as ``request.headers.get`` does.
    """
    wanted = set(names)
    found: dict[bytes, str] = {}
    for name, value in request.scope["headers"]:
        if name in wanted and name not in found:
            found[name] = value.decode("latin-1")
    return found


async def read_body(request: HttpRequest, limit: int, content_length: str | None) -> bytes:
    """The whole request body; 413 as soon as it is known to be longer than ``limit`` bytes."""
    if content_length is not None:
        try:
            announced = int(content_length)
        except ValueError:
            raise ClientException(f"Invalid content-length: {content_length!r}") from None
        if announced > limit:
            raise RequestEntityTooLarge
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await request.receive()
        if message["type"] != "http.request":  # the client went away
            raise ClientException("the client disconnected before sending the whole body")
        body = message.get("body", b"")
        if body:
            size += len(body)
            if size > limit:
                raise RequestEntityTooLarge
            chunks.append(body)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def decode_body(body: bytes, decoder: msgspec.json.Decoder[T], *, where: str) -> T:
    """``body`` decoded by ``decoder``; a ``ValidationException`` naming the field if it is bad.

    ``where`` (method and path) goes into the exception's detail, as Litestar words it.
    """
    try:
        return decoder.decode(body)
    except msgspec.ValidationError as exc:
        text = str(exc)
        found = _AT.search(text)
        message: dict[str, Any] = {"message": text[: found.start()] if found else text}
        if found and found.group(1):
            message["key"] = found.group(1)
        message["source"] = "body"
        raise ValidationException(
            detail=f"Validation failed for {where}", extra=[message]
        ) from None
    except msgspec.DecodeError as exc:
        raise ValidationException(
            detail=f"Validation failed for {where}",
            extra=[{"message": f"the body is not valid JSON: {exc}", "source": "body"}],
        ) from None


class RawResponse:
    """A complete response as one ASGI app: status, content type and the body bytes as they are."""

    __slots__ = ("_body", "_headers", "_status")

    def __init__(self, status: int, body: bytes, media_type: bytes) -> None:
        self._status = status
        self._body = body
        self._headers = [
            (b"content-type", media_type),
            (b"content-length", str(len(body)).encode("ascii")),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        start: HTTPResponseStartEvent = {
            "type": "http.response.start",
            "status": self._status,
            "headers": self._headers,
        }
        await send(start)
        body: HTTPResponseBodyEvent = {
            "type": "http.response.body",
            "body": self._body,
            "more_body": False,
        }
        await send(body)
