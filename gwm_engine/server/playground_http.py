"""The HTTP side of the engine link's port: the browser playground and who may open the link.

The link server hands every HTTP request to `handle_request` before the WebSocket handshake:
plain GETs get the playground's static files (gwm_engine/server/playground/) and the bundled
sample; `/link` goes on to the handshake if its Origin is allowed.

With a token (--token), every file wants it too. A browser opens `http://HOST:PORT/?token=T`:
that request is answered with a cookie holding the token (HttpOnly, SameSite=Strict, named
after the port, as cookies are shared by every port of a host), which the page's own
requests (/app.js, /sample.png, ...) then carry; app.js reads `?token=` from the page URL for
the link's hello. Requests with neither a right `?token=` nor the cookie get 401.
"""

from __future__ import annotations

import email.utils
import functools
import http
import io
from http.cookies import CookieError, SimpleCookie
from importlib import resources
from urllib.parse import parse_qs, quote, unquote, urlsplit

import numpy as np
from websockets.asyncio.server import ServerConnection
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from gwm_engine.server.auth import token_matches

LINK_PATH = "/link"
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")

# URL path -> (file under gwm_engine/server/playground/, content type)
_PLAYGROUND_FILES = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/index.html": ("index.html", "text/html; charset=utf-8"),
    "/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/msgpack.js": ("msgpack.js", "text/javascript; charset=utf-8"),
    "/reproject.js": ("reproject.js", "text/javascript; charset=utf-8"),
    "/depth_files.js": ("depth_files.js", "text/javascript; charset=utf-8"),
    "/style.css": ("style.css", "text/css; charset=utf-8"),
}
SAMPLE_IMAGE_PATH = "/sample.png"
# The sample's depth as raw little-endian float16 metres: seed_depth with DEPTH_ENCODING_FLOAT16,
# as the bundled file stores it.
SAMPLE_DEPTH_PATH = "/sample_depth.f16"


def handle_request(
    connection: ServerConnection, request: Request, bound_host: str, token: str | None = None, port: int = 0
) -> Response | None:
    """A response for plain HTTP requests; None lets a WebSocket handshake on /link go ahead
    (the link checks the token itself, in hello). `port`: the port served, naming the cookie."""
    path = urlsplit(request.path).path
    if path == LINK_PATH:
        if not origin_allowed(request.headers.get("Origin"), request.headers.get("Host"), bound_host):
            return connection.respond(http.HTTPStatus.FORBIDDEN, "this page's origin may not open the engine link\n")
        return None
    cookie = None
    if token:
        given = query_token(request)
        if given is not None:
            if not token_matches(given, token):
                return connection.respond(http.HTTPStatus.UNAUTHORIZED, "wrong token\n")
            cookie = f"{cookie_name(port)}={quote(given, safe='')}; Path=/; HttpOnly; SameSite=Strict"
        elif not token_matches(cookie_token(request, port), token):
            return connection.respond(
                http.HTTPStatus.UNAUTHORIZED, "this daemon wants its token: open the playground as /?token=<token>\n"
            )
    found = _static_file(path)
    if found is None:
        return connection.respond(http.HTTPStatus.NOT_FOUND, f"not found: {path[:100]}\n")
    body, content_type = found
    headers = Headers(
        [
            ("Date", email.utils.formatdate(usegmt=True)),
            ("Connection", "close"),
            ("Content-Length", str(len(body))),
            ("Content-Type", content_type),
            ("Cache-Control", "no-cache"),
            ("X-Content-Type-Options", "nosniff"),
        ]
    )
    if cookie is not None:
        headers["Set-Cookie"] = cookie
    return Response(http.HTTPStatus.OK.value, http.HTTPStatus.OK.phrase, headers, body)


def cookie_name(port: int) -> str:
    return f"gwm_token_{port}"


def query_token(request: Request) -> str | None:
    """The URL's `?token=`, if any."""
    return parse_qs(urlsplit(request.path).query).get("token", [None])[0]


def cookie_token(request: Request, port: int) -> str | None:
    """The token cookie this port set, if the request carries it."""
    cookies = SimpleCookie()
    try:
        for header in request.headers.get_all("Cookie"):
            cookies.load(header)
    except CookieError:
        return None
    morsel = cookies.get(cookie_name(port))
    return unquote(morsel.value) if morsel is not None else None


def origin_allowed(origin: str | None, host: str | None, bound_host: str) -> bool:
    """Engines send no Origin; browsers always do, and only pages the daemon served may connect.

    Without this check any web site the user visits could drive the local daemon from its
    scripts (cross-site WebSocket hijacking). The Origin must be this server itself (the
    request's Host), and for a loopback daemon a loopback name: a foreign name that merely
    resolves to 127.0.0.1 (DNS rebinding) is refused.
    """
    if origin is None:
        return True
    if host is None or origin != f"http://{host}":
        return False
    if bound_host in LOOPBACK_NAMES:
        return urlsplit(origin).hostname in LOOPBACK_NAMES
    return True


def _static_file(path: str) -> tuple[bytes, str] | None:
    if path in _PLAYGROUND_FILES:
        name, content_type = _PLAYGROUND_FILES[path]
        return _playground_file(name), content_type
    if path == SAMPLE_IMAGE_PATH:
        return _asset("sample.png"), "image/png"
    if path == SAMPLE_DEPTH_PATH:
        return _sample_depth_f16(), "application/octet-stream"
    return None


@functools.cache
def _playground_file(name: str) -> bytes:
    return resources.files("gwm_engine.server").joinpath("playground", name).read_bytes()


@functools.cache
def _asset(name: str) -> bytes:
    return resources.files("gwm_engine").joinpath("assets", name).read_bytes()


@functools.cache
def _sample_depth_f16() -> bytes:
    depth = np.load(io.BytesIO(_asset("sample_depth.npy")), allow_pickle=False)
    return np.ascontiguousarray(depth, dtype="<f2").tobytes()
