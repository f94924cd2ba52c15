"""Daemon settings, with defaults that work for one local engine on a laptop."""

from __future__ import annotations

from dataclasses import dataclass

from gwm_engine.errors import InvalidInput
from gwm_engine.protocol.limits import MAX_MESSAGE_BYTES
from gwm_engine.runtime import check_names
from gwm_engine.settings import (
    AHEAD_MODES,
    ahead_setting,
    backend_setting,
    depth_kind_setting,
    depth_model_setting,
    device_setting,
    inpaint_model_setting,
    setting,
    weights_setting,
)


@dataclass
class ServerConfig:
    host: str = "127.0.0.1"  # loopback only unless asked: the daemon serves local engines
    port: int = 50051  # 0 picks a free port (printed on startup)
    link_port: int = 50052  # the engine link (WebSocket + msgpack) and the playground, on `host`; 0 picks a free one
    token: str | None = None  # shared secret required in metadata when set
    max_sessions: int = 16
    idle_timeout_s: float = 600.0  # sessions without requests or an open Play stream are closed
    # Cross-session batching: "auto" measures at start whether it raises throughput with the
    # served model on this machine (server/batcher.py, calibrate_batching) and turns it on only then.
    batching: str = setting("auto", "cross-session batching: several sessions' steps in one model pass; auto: on "
                            "only where a short measurement at start finds it faster with this model here",
                            choices=("auto", "on", "off"))
    batch_wait_ms: float = 2.0  # with batching on, how long a step waits for other sessions' steps; 0: off
    max_batch: int = 8  # most sessions stepped in one batched pass
    workers: int = 4  # threads running model and encoding work off the event loop
    # Most frames a second per Play stream; 0: as fast as the model goes. A cap makes a fast
    # machine behave like a slow one, to try display-rate reprojection in a client.
    max_fps: float = 0.0
    weights: str | None = weights_setting()  # passed to gwm_engine.model.load_model
    backend: str = backend_setting()
    device: str = device_setting()
    depth_model: str | None = depth_model_setting()  # a pretrained ONNX depth network for seed depth
    depth_kind: str = depth_kind_setting()
    generate: bool = setting(False, "at session creation, generate the surround and what hides behind depth edges "
                             "(world/generate.py): creation takes longer, look-arounds need less per-frame fill")
    ahead: str = ahead_setting()
    inpaint_model: str | None = inpaint_model_setting()  # a pretrained ONNX inpainting network; implies generate
    max_message_bytes: int = MAX_MESSAGE_BYTES
    # Keepalive pings find engines that vanished without closing their stream (crash, cable),
    # so their Play streams end and their sessions can idle out.
    keepalive_time_s: float = 20.0
    keepalive_timeout_s: float = 10.0
    drain_s: float = 1.0  # after SIGTERM: NOT_SERVING but still answering, so health checkers see it
    shutdown_grace_s: float = 5.0  # then in-flight calls get this long to finish

    def __post_init__(self) -> None:
        # The inpainting network runs only in generation: at seed time at least (and ahead, with --ahead).
        self.generate = self.generate or self.inpaint_model is not None

    def validate(self) -> ServerConfig:
        """Raise InvalidInput for settings the daemon cannot run with; returns self."""
        if not 0 <= self.port <= 65535:
            raise InvalidInput(f"port must be in 0..65535, got {self.port}")
        if not 0 <= self.link_port <= 65535:
            raise InvalidInput(f"link_port must be in 0..65535, got {self.link_port}")
        if self.token == "":
            raise InvalidInput("token must not be empty (leave it unset to disable authentication)")
        if min(self.max_sessions, self.max_batch, self.workers) < 1:
            raise InvalidInput("max_sessions, max_batch and workers must be at least 1")
        if self.batching not in ("auto", "on", "off"):
            raise InvalidInput(f"batching must be auto, on or off, got {self.batching!r}")
        if not 0 <= self.batch_wait_ms <= 50:
            raise InvalidInput(f"batch_wait_ms must be in 0..50, got {self.batch_wait_ms}")
        if not 0 <= self.max_fps <= 1000:
            raise InvalidInput(f"max_fps must be in 0..1000 (0: no cap), got {self.max_fps}")
        if self.idle_timeout_s <= 0:
            raise InvalidInput(f"idle_timeout_s must be positive, got {self.idle_timeout_s}")
        if self.drain_s < 0 or self.shutdown_grace_s < 0:
            raise InvalidInput("drain_s and shutdown_grace_s must not be negative")
        check_names(self.backend, self.device)
        if self.ahead not in AHEAD_MODES:
            raise InvalidInput(f"ahead must be one of {', '.join(AHEAD_MODES)}, got {self.ahead!r}")
        return self
