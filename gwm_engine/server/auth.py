"""Optional shared-secret authentication: the one token check both transports make, and gRPC's
interceptor (every call except health checks)."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable

import grpc

# Health checks stay open so probes (load balancers, supervisors) need no secret; they reveal
# only whether the daemon is serving.
UNAUTHENTICATED_SERVICES = ("/grpc.health.v1.Health/",)


def token_matches(given: str | None, expected: str) -> bool:
    """Whether a client's token is the daemon's, in constant time: the answer's timing must not
    leak how much of a guess matched."""
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def token_from_metadata(metadata: tuple[tuple[str, str | bytes], ...]) -> str | None:
    """The token of `authorization: Bearer <token>` or `x-gwm-token: <token>`, if any."""
    for key, value in metadata:
        if isinstance(value, bytes):
            continue
        if key == "x-gwm-token":
            return value
        if key == "authorization" and value[:7].lower() == "bearer ":
            return value[7:].strip()
    return None


class TokenInterceptor(grpc.aio.ServerInterceptor):
    def __init__(self, token: str):
        self._token = token

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(details)
        if handler is None or details.method.startswith(UNAUTHENTICATED_SERVICES):
            return handler
        given = token_from_metadata(details.invocation_metadata or ())
        if token_matches(given, self._token):
            return handler
        return _refusal(handler, "missing token" if given is None else "wrong token")


def _refusal(handler: grpc.RpcMethodHandler, why: str) -> grpc.RpcMethodHandler:
    """A handler of the same shape as `handler` that answers UNAUTHENTICATED."""
    message = f"{why}: send metadata 'authorization: Bearer <token>' or 'x-gwm-token: <token>'"

    async def refuse(request_or_iterator, context: grpc.aio.ServicerContext):
        await context.abort(grpc.StatusCode.UNAUTHENTICATED, message)

    kinds = {
        (False, False): grpc.unary_unary_rpc_method_handler,
        (False, True): grpc.unary_stream_rpc_method_handler,
        (True, False): grpc.stream_unary_rpc_method_handler,
        (True, True): grpc.stream_stream_rpc_method_handler,
    }
    make = kinds[(handler.request_streaming, handler.response_streaming)]
    return make(refuse, request_deserializer=handler.request_deserializer, response_serializer=handler.response_serializer)
