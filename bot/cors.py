"""CORS for the widget's origins, with a refused preflight answered in the one JSON error shape
(Starlette's middleware answers it in plain text)."""

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import JSONResponse, Response

from bot.errors import error_body

REFUSED_PREFIX = "Disallowed CORS "  # Starlette's text: "Disallowed CORS origin, method"


class JsonCORSMiddleware(CORSMiddleware):
    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code != 400:
            return response
        refused = bytes(response.body).decode("utf-8", "replace").removeprefix(REFUSED_PREFIX)
        message = f"跨域预检被拒绝,不允许的是:{refused} / CORS preflight refused: {refused} not allowed for this site"
        headers = {k: v for k, v in response.headers.items() if k not in ("content-type", "content-length")}
        return JSONResponse(error_body("cors_refused", message), status_code=400, headers=headers)
