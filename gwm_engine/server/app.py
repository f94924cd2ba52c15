"""`gwm-engine serve`: the daemon's command-line arguments and entry point."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from typing import TYPE_CHECKING

from gwm_engine.server.config import ServerConfig
from gwm_engine.settings import add_arguments

if TYPE_CHECKING:  # imported when serving: --help needs no torch
    from gwm_engine.model import WorldModel

_DEFAULTS = ServerConfig()


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default=_DEFAULTS.host, help="address to bind, e.g. 0.0.0.0 for every interface "
                        "(default %(default)s: loopback only)")
    parser.add_argument("--port", type=int, default=_DEFAULTS.port, help="gRPC port to bind, 0..65535; 0 picks a free one "
                        "(default %(default)s)")
    parser.add_argument(
        "--link-port",
        type=int,
        default=_DEFAULTS.link_port,
        help="port of the engine link (WebSocket + msgpack) and the browser playground, on the same host; "
        "0..65535, 0 picks a free one (default %(default)s)",
    )
    parser.add_argument(
        "--token",
        default=None,
        help="shared secret every client must send: gRPC as metadata 'authorization: Bearer <token>' or "
        "'x-gwm-token: <token>', the engine link as hello's 'token' field or the URL's ?token= (the playground "
        "asks for it); non-empty (default: the GWM_TOKEN environment variable, else none). Use one whenever "
        "you bind beyond loopback",
    )
    parser.add_argument("--max-sessions", type=int, default=_DEFAULTS.max_sessions,
                        help="sessions held at once, at least 1; more are refused (default %(default)s)")
    parser.add_argument(
        "--idle-timeout", type=float, default=_DEFAULTS.idle_timeout_s,
        help="seconds before an unused session is closed, above 0 (default %(default)s)"
    )
    parser.add_argument(
        "--batch-wait-ms",
        type=float,
        default=_DEFAULTS.batch_wait_ms,
        help="with batching on (--batching), how long a step waits for other sessions' steps to batch with, "
        "0..50 ms; 0 turns batching off (default %(default)s)",
    )
    parser.add_argument(
        "--max-fps",
        type=float,
        default=_DEFAULTS.max_fps,
        help="most frames a second per play stream, to try a client's reprojection as on a slow machine; "
        "0..1000; 0: no cap (default %(default)s)",
    )
    add_arguments(parser, ServerConfig)  # --weights, --backend, --device: the fields declared with settings


def run_serve(args: argparse.Namespace) -> int:
    from gwm_engine.model import runs_on
    from gwm_engine.protocol.ready_line import format_ready_line
    from gwm_engine.server.daemon import serve
    from gwm_engine.server.malloc_tuning import keep_freed_memory
    from gwm_engine.server.transport import Endpoint

    keep_freed_memory()  # before the model's threads exist: they would make arenas of their own
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = ServerConfig(
        host=args.host,
        port=args.port,
        link_port=args.link_port,
        token=args.token if args.token is not None else os.environ.get("GWM_TOKEN") or None,
        max_sessions=args.max_sessions,
        idle_timeout_s=args.idle_timeout,
        batching=args.batching,
        batch_wait_ms=args.batch_wait_ms,
        max_fps=args.max_fps,
        weights=args.weights,
        backend=args.backend,
        device=args.device,
        depth_model=args.depth_model,
        depth_kind=args.depth_kind,
        generate=args.generate,
        ahead=args.ahead,
        inpaint_model=args.inpaint_model,
    )
    try:
        config.validate()
    except ValueError as e:
        print(f"gwm-engine serve: error: {e}", file=sys.stderr)
        return 2
    if config.token is None and config.host not in ("127.0.0.1", "localhost", "::1"):
        logging.getLogger(__name__).warning("binding %s without --token: anyone who can reach it can use it", config.host)
    if config.inpaint_model is not None:
        logging.getLogger(__name__).info("--inpaint-model: seed-time generation is on (as --generate)")
    model = _load_on_one_torch_thread(config)

    def ready(endpoints: list[Endpoint]) -> None:
        at = {e.name: e.address for e in endpoints}
        auth = "token required" if config.token else "no token"
        # One write: whoever waits for the last line can read them all.
        print(
            f"gwm-engine engine link on {at['link']}, playground at {at['playground']}\n"
            f"gwm-engine serving gwm.v1 on {at['grpc']} (model {model.name} {model.version}, {runs_on(model)}, {auth})\n"
            f"{format_ready_line(at)}",
            flush=True,
        )

    try:
        asyncio.run(serve(config, model, ready))
    except OSError as e:
        print(f"gwm-engine serve: error: {e}", file=sys.stderr)
        return 1
    return 0


def _load_on_one_torch_thread(config: ServerConfig) -> WorldModel:
    """The model, loaded with torch on this thread alone: a thread that runs torch ops on more
    keeps OpenMP helpers for good, which would spin beside the steps' threads (server/batcher.py,
    step_threads)."""
    import torch

    from gwm_engine.model import load_model

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return load_model(config.weights, config.backend, config.device, config.depth_model, config.depth_kind,
                          config.inpaint_model)
    finally:
        torch.set_num_threads(threads)
