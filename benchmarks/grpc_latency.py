"""Action -> frame latency and multi-session throughput over gRPC, against the real daemon, beside
the in-process world step of the same model and seed, from one run.

    .venv/bin/python benchmarks/grpc_latency.py [--models default,classical] [--ahead off] [--frames 100] [--seconds 5]

For each model (default: the bundled learned model, and the classical filler beside it), and each
`--ahead` mode of generation ahead of the player (`serve --ahead`; default: the daemon's default):
  - in-process step: `WorldSession.step` called directly (as benchmarks/world_step.py does), in a
    child process on the daemon's cores; p50 of the step's own `total`, on one torch thread as
    the daemon's steps run (the ratio's baseline), and on torch's default threads beside it;
  - one session over gRPC, lockstep Play (send an action, wait for its decoded frame, send the
    next) at 256x256, 640x360 and 1280x720: client round trip p50/p99, fps, the server's own
    time `server_total` (action arrived -> frame encoded) and its ratio to the in-process step,
    the encoding's time and stages (raw RGB8 + float32 depth + mask; and JPEG + float16 at 640x360);
  - total frames per second of 1, 4 and 8 concurrent sessions at 256x256 (one connection each),
    with the daemon's default batching (auto: it decides at start; the line says what it chose).
Then PASS/MISS lines against the targets (issue 24), for each model.

Cores: with 3 or more, the daemon (and the in-process step) get all but the last core and the
clients (this process) the last one, so client work never takes the daemon's cores. With 2 they
share both: the daemon's step uses two threads, and a lockstep client mostly sleeps waiting for
its frame. `--client-cores` overrides.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import queue
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass

import numpy as np

from gwm_engine.cli import SAMPLE_DEPTH, SAMPLE_IMAGE, demo_actions
from gwm_engine.client import LocalDaemon, Session, WorldClient
from gwm_engine.media import load_depth
from gwm_engine.server.config import ServerConfig
from gwm_engine.settings import AHEAD_MODES

SIZES = ((256, 256), (640, 360), (1280, 720))
SESSIONS = (1, 4, 8)
STAGES = ("server_encode_rgb", "server_encode_depth", "server_encode_mask", "server_encode_message")


@dataclass
class Latency:
    p50_ms: float
    p99_ms: float
    fps: float
    server_ms: float  # median server_total
    encode_ms: dict[str, float]  # median server_encode and its stages


def play_lockstep(session: Session, actions, until: float | None = None):
    """Yield (frame, round trip ms) for each action, sending the next only after its frame came."""
    answered: queue.Queue[int] = queue.Queue()

    def paced():
        for action in actions:
            if until is not None and time.perf_counter() > until:
                return
            yield action
            answered.get(timeout=120)

    for frame in session.play(paced()):
        rtt_ms = (time.time_ns() // 1000 - frame.client_time_us) / 1000.0
        answered.put(frame.seq)
        yield frame, rtt_ms


def measure_latency(client: WorldClient, seed: bytes, depth, width: int, height: int, frames: int, **encoding) -> Latency:
    with client.create_session(seed, depth=depth, width=width, height=height, **encoding) as session:
        for _ in play_lockstep(session, demo_actions(10)):  # warm-up
            pass
        rtts, timings = [], []
        start = time.perf_counter()
        for frame, rtt in play_lockstep(session, demo_actions(frames)):
            rtts.append(rtt)
            timings.append(frame.timings)
        elapsed = time.perf_counter() - start
    median = lambda key: statistics.median(t[key] for t in timings)  # noqa: E731
    return Latency(
        float(np.percentile(rtts, 50)),
        float(np.percentile(rtts, 99)),
        len(rtts) / elapsed,
        median("server_total"),
        {key: median(key) for key in ("server_encode", *STAGES)},
    )


def measure_throughput(address: str, seed: bytes, depth, sessions: int, seconds: float, size: int = 256) -> list[float]:
    """Per-session fps of `sessions` concurrent lockstep players, each on its own connection."""
    clients = [WorldClient(address) for _ in range(sessions)]
    players = [c.create_session(seed, depth=depth, width=size, height=size) for c in clients]
    ready = threading.Barrier(sessions + 1)
    counts = [0] * sessions

    def run(i: int) -> None:
        for _ in play_lockstep(players[i], demo_actions(5)):  # warm-up
            pass
        ready.wait()
        until = time.perf_counter() + seconds
        for _ in play_lockstep(players[i], itertools.cycle(demo_actions(120)), until):
            counts[i] += 1

    threads = [threading.Thread(target=run, args=(i,)) for i in range(sessions)]
    for t in threads:
        t.start()
    ready.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    for player, client in zip(players, clients):
        player.close()
        client.close()
    return [c / elapsed for c in counts]


def in_process_steps(weights: str | None, image: str, depth_path: str | None, frames: int, ahead: str,
                     torch_threads: int) -> dict[str, float]:
    """p50 of the step's `total` per size, stepping a session directly (no daemon); torch on
    `torch_threads` threads (0: its default)."""
    import torch

    from gwm_engine.media import decode_image
    from gwm_engine.model import load_model
    from gwm_engine.world import SessionConfig, WorldSession

    if torch_threads:
        torch.set_num_threads(torch_threads)
    model = load_model(weights)
    rgb = decode_image(open(image, "rb").read())
    depth = load_depth(depth_path) if depth_path else None
    out = {}
    for w, h in SIZES:
        session = WorldSession.create(rgb, depth, SessionConfig(w, h, ahead=ahead), model)
        for action in demo_actions(10):  # warm-up, as the daemon runs get
            session.step(action)
        out[f"{w}x{h}"] = statistics.median(session.step(a).timings["total"] for a in demo_actions(frames))
    return out


def split_cores(client_cores: str | None) -> tuple[set[int], set[int]]:
    """(daemon cores, client cores); the same set twice where there are too few to split."""
    cores = sorted(os.sched_getaffinity(0))
    if client_cores:
        clients = {int(c) for c in client_cores.split(",")}
        return (set(cores) - clients) or set(cores), clients
    if len(cores) >= 3:
        return set(cores[:-1]), {cores[-1]}
    return set(cores), set(cores)


def pin_process(cores: set[int]) -> None:
    """Every thread of this process (gRPC's included) onto `cores`; threads made later inherit it."""
    for tid in os.listdir("/proc/self/task"):
        try:
            os.sched_setaffinity(int(tid), cores)
        except OSError:  # a thread that ended meanwhile
            pass


def wait_for_calibration(daemon: LocalDaemon, timeout_s: float = 300.0) -> None:
    """The daemon decides on batching in the background as it starts; measure after that."""
    deadline = time.monotonic() + timeout_s
    while "cross-session batching" not in daemon.log() and time.monotonic() < deadline:
        time.sleep(0.2)


def run_model(weights: str | None, ahead: str, args: argparse.Namespace, seed: bytes, depth, depth_path: str | None,
              daemon_cores: set[int], client_cores: set[int]) -> dict:
    pin_process(daemon_cores)  # the children below inherit the daemon's cores
    child = [sys.executable, __file__, "--in-process", "--image", args.image, "--frames", str(args.frames), "--ahead", ahead]
    child += ["--depth", depth_path] if depth_path else []
    child += ["--weights", weights] if weights else []
    steps, pooled = (json.loads(subprocess.run(child + ["--torch-threads", str(threads)], check=True, capture_output=True,
                                               text=True).stdout.splitlines()[-1]) for threads in (1, 0))
    daemon_args = ["--ahead", ahead] + (["--weights", weights] if weights else [])
    with LocalDaemon(daemon_args) as daemon:
        pin_process(client_cores)
        wait_for_calibration(daemon)
        with WorldClient(daemon.address) as client:
            info = client.info()
            latency = {f"{w}x{h}": measure_latency(client, seed, depth, w, h, args.frames) for w, h in SIZES}
            compressed = measure_latency(
                client, seed, depth, 640, 360, args.frames, rgb_encoding="jpeg", depth_encoding="float16"
            )
        fps = {n: measure_throughput(daemon.address, seed, depth, n, args.seconds) for n in SESSIONS}
    pin_process(daemon_cores | client_cores)
    return {"info": info, "steps": steps, "pooled": pooled, "latency": latency, "compressed": compressed, "fps": fps}


def report(name: str, r: dict) -> list[tuple[bool, str]]:
    info, steps, latency, fps = r["info"], r["steps"], r["latency"], r["fps"]
    batching = f"batching on ({info['batch_wait_ms']:g} ms wait)" if info["batch_wait_ms"] else "batching off"
    print(f"\n## {name}: {info['model_name']} {info['model_version']} on {', '.join(info['backends'])}; daemon chose {batching}")
    print("one session, lockstep Play, action -> decoded frame (raw RGB8 + float32 depth + mask)")
    print("(step ms: in process on one torch thread, as the daemon steps; pooled: on torch's default threads)")
    print(f"{'size':>9} {'p50 ms':>7} {'p99 ms':>7} {'fps':>6} {'step ms':>8} {'pooled':>7} {'server ms':>9} {'ratio':>6} "
          f"{'encode ms':>9}  rgb / depth / mask / message")
    rows = [(size, r_, steps[size]) for size, r_ in latency.items()]
    for size, x, step in rows:
        e = x.encode_ms
        print(f"{size:>9} {x.p50_ms:7.1f} {x.p99_ms:7.1f} {x.fps:6.1f} {step:8.1f} {r['pooled'][size]:7.1f} {x.server_ms:9.1f} "
              f"{x.server_ms / step:6.2f} {e['server_encode']:9.2f}  " + " / ".join(f"{e[s]:.2f}" for s in STAGES))
    c = r["compressed"]
    print(f"{'640x360 JPEG + float16':>9}: p50 {c.p50_ms:.1f} ms, {c.fps:.1f} fps, server {c.server_ms:.1f} ms, encode "
          f"{c.encode_ms['server_encode']:.2f} ms (" + " / ".join(f"{c.encode_ms[s]:.2f}" for s in STAGES) + ")")
    print("\nconcurrent sessions at 256x256, lockstep, one connection each")
    print(f"{'sessions':>8} {'total fps':>10} {'per session':>12} {'vs 1':>6}")
    for n in SESSIONS:
        print(f"{n:>8} {sum(fps[n]):10.1f} {min(fps[n]):5.1f}-{max(fps[n]):<6.1f} {sum(fps[n]) / sum(fps[1]):6.2f}")
    checks = [
        (x.server_ms <= 1.15 * step, f"{name} {size}: server_total {x.server_ms:.1f} ms = {x.server_ms / step:.2f} x the "
         f"in-process step {step:.1f} ms (target <= 1.15)") for size, x, step in rows
    ]
    small, mid = latency["256x256"], latency["640x360"]
    checks += [
        (small.fps >= 30, f"{name} 256x256: {small.fps:.1f} fps end to end (target >= 30)"),
        (mid.fps >= 15, f"{name} 640x360: {mid.fps:.1f} fps end to end (target >= 15)"),
        (small.p99_ms <= 50, f"{name} 256x256: p99 {small.p99_ms:.1f} ms (target <= 50)"),
    ]
    checks += [(sum(fps[n]) >= sum(fps[1]), f"{name} {n} sessions: {sum(fps[n]):.1f} fps in total, {sum(fps[1]):.1f} with 1 "
                f"(target >= 1 session's)") for n in SESSIONS[1:]]
    return checks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--image", default=str(SAMPLE_IMAGE), help="seed image (default: the bundled sample)")
    parser.add_argument("--depth", default=None, help="seed depth .npy (default: the sample's, with the sample image)")
    parser.add_argument("--models", default="default,classical", help="comma-separated: default (the bundled model), "
                        "classical, or weights files")
    parser.add_argument("--ahead", default=ServerConfig.ahead, help="comma-separated modes of generation ahead "
                        f"({', '.join(AHEAD_MODES)}), each run with each model (default: the daemon's, %(default)s)")
    parser.add_argument("--frames", type=int, default=100, help="frames per latency run and per in-process size")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each throughput run")
    parser.add_argument("--client-cores", default=None, help="comma-separated cores for the clients; the daemon gets "
                        "the rest (default: the last core where there are 3 or more, else no pinning)")
    parser.add_argument("--in-process", action="store_true", help=argparse.SUPPRESS)  # the child measuring the step
    parser.add_argument("--weights", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--torch-threads", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    depth_path = args.depth or (str(SAMPLE_DEPTH) if args.image == str(SAMPLE_IMAGE) else None)
    if args.in_process:
        print(json.dumps(in_process_steps(args.weights, args.image, depth_path, args.frames, args.ahead, args.torch_threads)))
        return
    seed = open(args.image, "rb").read()
    depth = load_depth(depth_path) if depth_path else None
    daemon_cores, client_cores = split_cores(args.client_cores)
    split = "shared, not pinned" if daemon_cores == client_cores else (
        f"daemon on {sorted(daemon_cores)}, clients on {sorted(client_cores)}"
    )
    print(f"cores: {split}; load average at start {os.getloadavg()[0]:.2f}")
    started = time.perf_counter()
    checks = []
    for name in args.models.split(","):
        for ahead in args.ahead.split(","):
            label = name if ahead == "off" else f"{name}, ahead {ahead}"
            checks += report(label, run_model(None if name == "default" else name, ahead, args, seed, depth, depth_path,
                                              daemon_cores, client_cores))
    print(f"\nload average at end {os.getloadavg()[0]:.2f}; {time.perf_counter() - started:.0f} s")
    for ok, line in checks:
        print(f"{'PASS' if ok else 'MISS'}  {line}")


if __name__ == "__main__":
    main()
