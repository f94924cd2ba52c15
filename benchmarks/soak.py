"""Soak: does the daemon's memory stay flat under steady use?

    .venv/bin/python benchmarks/soak.py [--minutes 10] [--size 256]

Starts the daemon as a subprocess and keeps two sessions busy for the whole run: one played
over a gRPC Play stream (the SDK), one over an engine-link play stream, each walking a loop
(turn, step forward, later back) in lockstep, and saving its world and exporting its geometry
(the chunked calls) every 30 s. The daemon's RSS is sampled every 5 s and printed at the start
(after both sessions exist), the middle and the end. Target (issue 23): growth over the second
half at most 2 %; the script says PASS or FAIL and exits 1 on FAIL.
"""

from __future__ import annotations

import argparse
import itertools
import threading
import time
from collections.abc import Iterator

from gwm_engine.cli import SAMPLE_IMAGE
from gwm_engine.client import CameraAction, LocalDaemon, WorldClient
from gwm_engine.client.link_client import LinkClient
from gwm_engine.protocol.version import PROTOCOL_VERSION

SAVE_EVERY_S = 30.0
SAMPLE_EVERY_S = 5.0
MAX_GROWTH = 0.02


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def walk() -> Iterator[tuple[float, float]]:
    """(yaw degrees, forward metres) of a loop that comes back where it started."""
    for i in itertools.count():
        phase = i % 80
        yield (4.5, 0.0) if phase % 2 else (0.0, 0.02 if phase < 40 else -0.02)


def grpc_player(address: str, seed: bytes, size: int, stop: threading.Event, counts: dict[str, int]) -> None:
    with WorldClient(address) as client, client.create_session(seed, width=size, height=size) as session:
        counts["grpc_ready"] = 1
        next_save = time.monotonic() + SAVE_EVERY_S
        moves = walk()
        while not stop.is_set():
            actions = (CameraAction(move=(0.0, 0.0, fwd), turn=(yaw, 0.0, 0.0)) for yaw, fwd in itertools.islice(moves, 20))
            for _ in session.play(actions):
                counts["grpc_frames"] += 1
            if time.monotonic() > next_save:
                session.save()
                session.export_geometry()
                counts["grpc_saves"] += 1
                next_save = time.monotonic() + SAVE_EVERY_S


def link_player(url: str, seed: bytes, size: int, stop: threading.Event, counts: dict[str, int]) -> None:
    with LinkClient(url) as link:
        created = link.call(
            "create_session", protocol_version=PROTOCOL_VERSION, seed_image=seed, width=size, height=size, fov_deg=60.0
        )
        session_id = created.session.session_id
        counts["link_ready"] = 1
        next_save = time.monotonic() + SAVE_EVERY_S
        moves = walk()
        while not stop.is_set():
            actions = [{"turn_yaw_deg": yaw, "move_forward_m": fwd} for yaw, fwd in itertools.islice(moves, 20)]
            for _ in link.play(session_id, actions):
                counts["link_frames"] += 1
            if time.monotonic() > next_save:
                link.download("save_world_chunks", session_id=session_id)
                link.download("export_geometry_chunks", session_id=session_id)
                counts["link_saves"] += 1
                next_save = time.monotonic() + SAVE_EVERY_S
        link.call("close_session", session_id=session_id)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the run (default %(default)s)")
    parser.add_argument("--size", type=int, default=256, help="frame width and height (default %(default)s)")
    args = parser.parse_args()
    seed = SAMPLE_IMAGE.read_bytes()
    counts = dict.fromkeys(("grpc_ready", "link_ready", "grpc_frames", "link_frames", "grpc_saves", "link_saves"), 0)
    stop = threading.Event()
    with LocalDaemon() as daemon:
        pid = daemon.process.pid
        players = [
            threading.Thread(target=grpc_player, args=(daemon.address, seed, args.size, stop, counts), daemon=True),
            threading.Thread(target=link_player, args=(daemon.link_url, seed, args.size, stop, counts), daemon=True),
        ]
        for player in players:
            player.start()
        while not (counts["grpc_ready"] and counts["link_ready"]):
            if not all(p.is_alive() for p in players):
                raise RuntimeError("a player failed to start; see the traceback above")
            time.sleep(0.1)
        started = time.monotonic()
        duration_s = args.minutes * 60
        samples: list[tuple[float, float]] = []
        while (elapsed := time.monotonic() - started) < duration_s:
            samples.append((elapsed, rss_mb(pid)))
            if not all(p.is_alive() for p in players):
                raise RuntimeError("a player stopped; see the traceback above")
            time.sleep(min(SAMPLE_EVERY_S, max(0.0, duration_s - elapsed)))
        samples.append((time.monotonic() - started, rss_mb(pid)))
        stop.set()
        for player in players:
            player.join(timeout=120)
        errors = [line for line in daemon.log().splitlines() if " ERROR " in line or "Traceback" in line]
    start, end = samples[0][1], samples[-1][1]
    middle = min(samples, key=lambda s: abs(s[0] - duration_s / 2))[1]
    growth = (end - middle) / middle
    print(f"soak: {args.minutes:g} min, 2 sessions at {args.size}x{args.size} (gRPC and link), saves every {SAVE_EVERY_S:.0f} s")
    print(f"frames: gRPC {counts['grpc_frames']}, link {counts['link_frames']}", end="; ")
    print(f"saves and exports: gRPC {counts['grpc_saves']}, link {counts['link_saves']}")
    print(f"RSS MB: start {start:.0f}, middle {middle:.0f}, end {end:.0f}, peak {max(s[1] for s in samples):.0f}")
    print(f"growth over the second half: {growth * 100:+.2f} % (target <= {MAX_GROWTH * 100:.0f} %)")
    print(f"daemon log lines at ERROR or with a traceback: {len(errors)}")
    ok = growth <= MAX_GROWTH and not errors
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
