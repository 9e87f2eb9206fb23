"""Errors in OpenAI's shape (``{"error": {"message", "type", "param", "code"}}``) with OpenAI's status codes, so that
the ``openai`` package and other clients raise their usual exceptions (``NotFoundError``, ``AuthenticationError``,
``RateLimitError``, ``BadRequestError``)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from rag.core.errors import BackendError, ConfigError, IndexCorruptError, IndexMissingError, RagError

TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
         404: "invalid_request_error", 413: "invalid_request_error", 429: "rate_limit_error", 502: "api_error",
         503: "api_error", 500: "server_error"}


class APIError(Exception):
    """An error answered in OpenAI's shape with ``status``."""

    def __init__(self, status: int, message: str, *, code: str | None = None, param: str | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.message, self.code, self.param, self.headers = status, message, code, param, headers


def body(status: int, message: str, code: str | None = None, param: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": TYPES.get(status, "api_error"), "param": param, "code": code}}


def response(status: int, message: str, code: str | None = None, param: str | None = None,
             headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body(status, message, code, param), status_code=status, headers=headers)


def from_rag_error(exc: RagError) -> APIError:
    """The HTTP status of a domain error: bad input 400, no usable index 503, a failing LLM backend 502."""
    if isinstance(exc, ConfigError):
        return APIError(400, str(exc), code="invalid_value")
    if isinstance(exc, (IndexMissingError, IndexCorruptError)):
        return APIError(503, str(exc), code="index_unavailable")
    if isinstance(exc, BackendError):
        return APIError(502, str(exc), code="backend_error")
    return APIError(500, str(exc), code="server_error")


def install(app: FastAPI) -> None:
    """Answer every error of the API in OpenAI's shape; never a traceback."""

    @app.exception_handler(APIError)
    async def api_error(request: Request, exc: APIError) -> JSONResponse:
        return response(exc.status, exc.message, exc.code, exc.param, exc.headers)

    @app.exception_handler(RagError)
    async def rag_error(request: Request, exc: RagError) -> JSONResponse:
        err = from_rag_error(exc)
        return response(err.status, err.message, err.code)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        message = f"{where}: {first.get('msg', 'invalid request')}" if where else first.get("msg", "invalid request")
        return response(400, message, "invalid_request", where or None)
