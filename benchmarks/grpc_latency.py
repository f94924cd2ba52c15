"""Action -> frame latency and multi-session throughput over gRPC, against the real daemon.

    .venv/bin/python benchmarks/grpc_latency.py [--image seed.png --depth seed.npy] [--seconds 6]

Starts the daemon as a subprocess (twice: cross-session batching on, then off) and drives it
through the SDK the way an engine does: a Play stream in lockstep (send an action, wait for
its frame, send the next). It reports
  - latency: client round trip from sending an action to holding its decoded frame, p50/p99,
    and the resulting frames per second, for one session at 256x256 and 640x360;
  - transport share: (round trip - server_total) / round trip, where server_total is the
    server's own time from the action's arrival to the encoded frame (from Frame.timings);
  - throughput: total and per-session fps with 1, 4 and 8 concurrent sessions (one
    connection each) at 256x256, with and without batching, and their ratio.
"""

from __future__ import annotations

import argparse
import itertools
import queue
import statistics
import threading
import time
from dataclasses import dataclass

import numpy as np

from gwm_engine.cli import SAMPLE_DEPTH, SAMPLE_IMAGE, demo_actions
from gwm_engine.client import LocalDaemon, Session, WorldClient
from gwm_engine.media import load_depth


@dataclass
class Latency:
    p50_ms: float
    p99_ms: float
    fps: float
    server_ms: float  # median server_total
    transport_share: float  # median of (round trip - server_total) / round trip


def play_lockstep(session: Session, actions, until: float | None = None):
    """Yield (frame, round trip ms) for each action, sending the next only after its frame came."""
    answered: queue.Queue[int] = queue.Queue()

    def paced():
        for action in actions:
            if until is not None and time.perf_counter() > until:
                return
            yield action
            answered.get(timeout=60)

    for frame in session.play(paced()):
        rtt_ms = (time.time_ns() // 1000 - frame.client_time_us) / 1000.0
        answered.put(frame.seq)
        yield frame, rtt_ms


def measure_latency(client: WorldClient, seed: bytes, depth, width: int, height: int, frames: int) -> Latency:
    with client.create_session(seed, depth=depth, width=width, height=height) as session:
        for _ in play_lockstep(session, demo_actions(10)):  # warm-up
            pass
        rtts, servers, shares = [], [], []
        start = time.perf_counter()
        for frame, rtt in play_lockstep(session, demo_actions(frames)):
            rtts.append(rtt)
            servers.append(frame.timings["server_total"])
            shares.append(max(0.0, rtt - frame.timings["server_total"]) / rtt)
        elapsed = time.perf_counter() - start
    return Latency(
        float(np.percentile(rtts, 50)),
        float(np.percentile(rtts, 99)),
        len(rtts) / elapsed,
        statistics.median(servers),
        statistics.median(shares),
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--image", default=str(SAMPLE_IMAGE), help="seed image (default: the bundled sample)")
    parser.add_argument("--depth", default=None, help="seed depth .npy (default: the sample's, with the sample image)")
    parser.add_argument("--frames", type=int, default=200, help="frames per latency run")
    parser.add_argument("--seconds", type=float, default=6.0, help="length of each throughput run")
    parser.add_argument("--batch-wait-ms", type=float, default=2.0)
    args = parser.parse_args()
    seed = open(args.image, "rb").read()
    depth_path = args.depth or (SAMPLE_DEPTH if args.image == str(SAMPLE_IMAGE) else None)
    depth = load_depth(depth_path) if depth_path else None

    latency: dict[str, Latency] = {}
    fps: dict[tuple[str, int], list[float]] = {}
    for mode, wait_ms in (("batched", args.batch_wait_ms), ("unbatched", 0.0)):
        with LocalDaemon(["--batch-wait-ms", str(wait_ms)]) as daemon, WorldClient(daemon.address) as client:
            info = client.info()
            if mode == "batched":
                for w, h in ((256, 256), (640, 360)):
                    latency[f"{w}x{h}"] = measure_latency(client, seed, depth, w, h, args.frames)
            for n in (1, 4, 8):
                fps[(mode, n)] = measure_throughput(daemon.address, seed, depth, n, args.seconds)

    print(f"model {info['model_name']} {info['model_version']}; one daemon, clients in this process; lockstep Play streams")
    print("\none session, action -> decoded frame (raw RGB8 + float32 depth + mask)")
    print(f"{'size':>9} {'p50 ms':>8} {'p99 ms':>8} {'fps':>7} {'server ms':>10} {'transport':>10}")
    for size, r in latency.items():
        print(f"{size:>9} {r.p50_ms:8.1f} {r.p99_ms:8.1f} {r.fps:7.1f} {r.server_ms:10.1f} {r.transport_share:9.1%}")
    print(f"\nconcurrent sessions at 256x256, batching wait {args.batch_wait_ms} ms vs off")
    print(f"{'sessions':>8} {'batched fps':>12} {'per session':>12} {'unbatched fps':>14} {'per session':>12} {'ratio':>6}")
    for n in (1, 4, 8):
        on, off = fps[("batched", n)], fps[("unbatched", n)]
        print(f"{n:>8} {sum(on):12.1f} {min(on):5.1f}-{max(on):<6.1f} {sum(off):14.1f} {min(off):5.1f}-{max(off):<6.1f} {sum(on) / sum(off):6.2f}")


if __name__ == "__main__":
    main()
