"""The one-command GPU job (issue 19, item 4): render training data, train the `large` preset,
continue it on its own fills as run 4 did (docs/MODEL_CARD.md), train a generator on top of it
(`training/generator.py`, on seed views it renders), export it to ONNX, score it against the
shipped weights with `gwm-engine eval` and print GPU figures, all inside one wall-clock budget.

    python benchmarks/gpu_job.py                  # an H200 with 16 cores: everything under runs/gpu-job
    python benchmarks/gpu_job.py --help           # every size, step and budget; each is also an
                                                  # environment variable (BUDGET_S=300, DEVICE=cpu, ...)

Each stage is its own `gwm-engine` command (the figures: this file's `figures` subcommand) under
its own timeout: its share of the budget still left, so time a stage does not use passes on to
the next. Training steps are sized from the it/s of a short warm-up, which is the run's own first
steps (continued with --resume; its length stays inside the learning-rate warm-up, so the
schedule is the one a single run of the final length follows). Stage logs go to OUT/logs/. At the
end it prints the figures table (also OUT/figures.md) and, when the new weights (OUT/weights.pt)
beat the shipped ones on eval, the command that copies them into gwm_engine/assets/.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field, fields
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORES = os.cpu_count() or 1
# Shares of the budget; each stage gets its share of what is left when it starts.
SHARES = {"data": 0.08, "train": 0.30, "own-fill": 0.15, "generator": 0.17, "export": 0.07, "eval": 0.15, "figures": 0.08}
TRAIN_LR_WARMUP = 100  # TrainConfig.warmup: a warm-up run up to this many steps resumes onto the same schedule
STOP_S = 10  # after SIGTERM, how long a stage has to exit before SIGKILL


@dataclass
class JobConfig:
    """Defaults for an H200 with 16 cores; each field is an option (--budget-s) and an
    environment variable (BUDGET_S), the option winning."""

    # Its variable is not OUT: the device machine's $OUT is the folder its files come back from.
    out: str = field(default="runs/gpu-job", metadata={"help": "folder for everything the job writes", "env": "GPU_JOB_OUT"})
    device: str = field(default="cuda", metadata={"help": "cuda or cpu (cpu: the toy-scale check)"})
    backend: str = field(default="torch", metadata={"help": "where eval and the figures run the networks: torch, onnx or "
                                                    "tensorrt (onnx on cuda needs onnxruntime-gpu)"})
    budget_s: float = field(default=540.0, metadata={"help": "wall-clock budget of the whole job, seconds"})
    trajectories: int = field(default=256, metadata={"help": "training trajectories to render"})
    size: str = field(default="256x256", metadata={"help": "training frame size, WxH"})
    workers: int = field(default=CORES, metadata={"help": "rendering processes"})
    per_shard: int = field(default=4, metadata={"help": "trajectories per shard: a shard is written whole, so small ones "
                                                "keep what the data stage's timeout stops"})
    loader_workers: int = field(default=max(0, CORES - 2), metadata={"help": "data loader processes while training"})
    own_fill_workers: int = field(default=max(0, CORES - 2),
                                  metadata={"help": "data loader processes of the own-fill continuation (each runs a "
                                            "CPU copy of the completion network; 0: the live one on the device)"})
    preset: str = field(default="large", metadata={"help": "network sizes (gwm_engine.model.learned.PRESETS)"})
    batch: int = field(default=16, metadata={"help": "frames per training step"})
    lr: float = field(default=1e-3, metadata={"help": "peak learning rate of the first training run"})
    precision: str = field(default="bf16", metadata={"help": "bf16 or fp32; bf16 falls back to fp32 if its warm-up fails"})
    warmup_steps: int = field(default=30, metadata={"help": f"steps that measure it/s (at most {TRAIN_LR_WARMUP})"})
    max_steps: int = field(default=0, metadata={"help": "cap on each training run's steps (0: what the budget allows)"})
    own_fill: float = field(default=0.8, metadata={"help": "share of replays fusing the network's own fills (run 4: 0.8)"})
    own_fill_lr: float = field(default=2e-4, metadata={"help": "peak learning rate of the continuation (run 4: 2e-4)"})
    generator_scenes: int = field(default=1440, metadata={"help": "scenes whose seed views the generator trains on"})
    generator_widths: str = field(default="48,96,256,512", metadata={"help": "the generator's U-Net widths (each at least "
                                  "the completion network's: it starts as that one widened)"})
    generator_lr: float = field(default=3e-4, metadata={"help": "peak learning rate of the generator"})
    generator_adversarial: float = field(default=0.1, metadata={"help": "the generator's discriminator weight"})
    eval_trajectories: int = field(default=2, metadata={"help": "eval: held-out trajectories per scene family"})
    eval_steps: int = field(default=24, metadata={"help": "eval: steps per trajectory"})
    eval_size: str = field(default="256x256", metadata={"help": "eval: frame size, WxH"})
    eval_seed_scenes: int = field(default=4, metadata={"help": "eval: seed views per scene kind (0: none)"})
    eval_generation_scenes: int = field(default=4, metadata={"help": "eval: generation views per scene kind (0: none)"})
    frame_sizes: str = field(default="640x360,1280x720", metadata={"help": "per-eye sizes of the frame-time figures"})
    frame_steps: int = field(default=40, metadata={"help": "timed world steps per size (after 5 untimed)"})
    gen_size: str = field(default="256x256", metadata={"help": "frame size of the throughput figures"})
    gen_batch: int = field(default=16, metadata={"help": "frames per call of the throughput figures"})
    gen_repeat: int = field(default=20, metadata={"help": "timed calls of each throughput figure"})


def parse_size(text: str) -> tuple[int, int]:
    w, h = (int(v) for v in text.lower().split("x"))
    return w, h


def job_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description="the one-command GPU job: training data, the large preset trained and "
                                 "continued on its own fills, a generator trained on top, ONNX export, eval against the "
                                 "shipped weights and GPU figures, within a wall-clock budget")
    ap.add_argument("command", nargs="?", default="run", choices=("run", "figures"),
                    help="run: the whole job; figures: only the GPU figures of --weights (what the job's last stage runs)")
    ap.add_argument("--weights", default=None, help="figures: the weights file to time")
    ap.add_argument("--figures-out", default=None, help="figures: JSON file to write them to")
    for f in fields(JobConfig):
        env = f.metadata.get("env", f.name.upper())
        default = type(f.default)(os.environ[env]) if env in os.environ else f.default
        ap.add_argument(f"--{f.name.replace('_', '-')}", type=type(f.default), default=default,
                        help=f"{f.metadata['help']} (env {env}; default {default})")
    return ap


# -- running the stages ---------------------------------------------------------------------


@dataclass
class Stage:
    name: str
    rc: int
    wall_s: float
    timed_out: bool
    log: Path


class Job:
    def __init__(self, cfg: JobConfig):
        self.cfg = cfg
        self.out = Path(cfg.out).resolve()  # the stages run in the repository's root
        self.logs = self.out / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.start = time.monotonic()
        self.deadline = self.start + cfg.budget_s
        self.problems: list[str] = []  # what went wrong or was cut short, printed at the end

    def seconds_for(self, stage: str) -> float:
        """This stage's share of the budget still left (at least a second, so it can report)."""
        later = list(SHARES)[list(SHARES).index(stage):]
        left = self.deadline - time.monotonic()
        return max(1.0, left * SHARES[stage] / sum(SHARES[s] for s in later))

    def run(self, name: str, args: list[str], timeout: float, env: dict[str, str] | None = None,
            command: list[str] | None = None) -> Stage:
        """`gwm-engine ARGS` (or `command`), killed with its process group at `timeout` seconds."""
        return Running(self, name, args, env, command).wait(timeout)


class Running:
    """A stage started in its own process group (so its loader and render workers end with it),
    waited for later: the two evals run side by side."""

    def __init__(self, job: Job, name: str, args: list[str], env: dict[str, str] | None = None,
                 command: list[str] | None = None):
        self.job, self.name, self.t0 = job, name, time.monotonic()
        self.log = job.logs / f"{name}.log"
        cmd = command or [sys.executable, "-m", "gwm_engine.cli", *args]
        self.f = open(self.log, "w")
        self.f.write("$ " + shlex.join(cmd) + "\n")
        self.f.flush()
        # The lent machine runs the checkout uninstalled: the figures stage (this file, from
        # benchmarks/) finds the package through PYTHONPATH, not the working directory.
        path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
        self.p = subprocess.Popen(cmd, stdout=self.f, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True,
                                  env={**os.environ, "PYTHONPATH": path, **(env or {})})

    def wait(self, timeout: float) -> Stage:
        """Its result; killed at `timeout` seconds after it started."""
        timed_out = False
        try:
            rc = self.p.wait(timeout=max(1.0, self.t0 + timeout - time.monotonic()))
        except subprocess.TimeoutExpired:
            timed_out = True
            os.killpg(self.p.pid, signal.SIGTERM)
            try:
                rc = self.p.wait(timeout=STOP_S)
            except subprocess.TimeoutExpired:
                os.killpg(self.p.pid, signal.SIGKILL)
                rc = self.p.wait()
        self.f.close()
        stage = Stage(self.name, rc, time.monotonic() - self.t0, timed_out, self.log)
        state = "timed out" if timed_out else ("ok" if rc == 0 else f"failed (exit {rc})")
        print(f"[{time.monotonic() - self.job.start:6.0f} s] {self.name}: {state} in {stage.wall_s:.0f} s of {timeout:.0f} s "
              f"(log {self.log})", flush=True)
        if rc != 0 and not timed_out:
            print("    " + "\n    ".join(self.log.read_text(errors="replace").strip().splitlines()[-5:]), flush=True)
        return stage


# -- training sized from a warm-up ----------------------------------------------------------


@dataclass
class Training:
    weights: Path
    steps: int
    it_s: float
    wall_s: float
    precision: str


def tqdm_rate(log: Path) -> float | None:
    """The last it/s tqdm printed for the training bar (its moving average, so the loader's
    start-up and the first steps' kernel tuning weigh less than in steps / wall time)."""
    text = log.read_text(errors="replace")
    found = re.findall(r"([\d.]+)(step/s|s/step)", text)
    if not found:
        return None
    value, unit = found[-1]
    v = float(value)
    return v if unit == "step/s" else (1 / v if v > 0 else None)


def checkpoint_step(run_dir: Path) -> tuple[int, float]:
    import torch

    state = torch.load(run_dir / "last.pt", map_location="cpu", weights_only=False)
    return int(state["step"]), float(state["wall_s"])


def train_sized(job: Job, name: str, args: list[str], run_dir: Path) -> Training | None:
    """A training run that fills this stage's share of the budget: a warm-up of
    cfg.warmup_steps measures it/s, then the same run resumes to the steps the rest allows."""
    cfg = job.cfg
    seconds = job.seconds_for(name)
    deadline = time.monotonic() + seconds
    warm = max(1, min(cfg.warmup_steps, TRAIN_LR_WARMUP))
    precision = cfg.precision
    while True:
        shutil.rmtree(run_dir, ignore_errors=True)
        base = [*args, "--out", str(run_dir), "--precision", precision]
        stage = job.run(f"{name}-warmup-{precision}", [*base, "--steps", str(warm)], deadline - time.monotonic())
        if stage.rc == 0 or stage.timed_out or precision == "fp32":
            break
        job.problems.append(f"{name}: the {precision} warm-up failed (see {stage.log}); trained in fp32 instead")
        precision = "fp32"
    if stage.rc != 0:
        job.problems.append(f"{name}: the warm-up did not finish (see {stage.log})")
        return None
    step, loop_s = checkpoint_step(run_dir)
    it_s = max(tqdm_rate(stage.log) or 0.0, step / max(loop_s, 1e-6))
    it_s = min(it_s, 3 * step / max(loop_s, 1e-6))  # a moving average of a few steps can flatter
    start_s = stage.wall_s - step / it_s  # process start, loaders, first batch: paid again on resume
    left = deadline - time.monotonic() - start_s
    steps = warm + int(0.9 * it_s * max(0.0, left))
    if cfg.max_steps:
        steps = min(steps, cfg.max_steps)
    if steps > warm:
        stage = job.run(f"{name}-main", [*base, "--steps", str(steps), "--resume"], deadline - time.monotonic())
        if stage.timed_out:
            planned = steps
            steps, _ = checkpoint_step(run_dir)
            job.problems.append(f"{name}: planned {planned} steps, stopped at the checkpoint of step {steps}")
            # Killed before it wrote weights.pt: the warm-up's is still there. Write the last
            # checkpoint's instead (a resume to its own step trains nothing).
            finished = steps == warm or job.run(f"{name}-finish", [*base, "--steps", str(steps), "--resume"],
                                                max(60.0, 3 * start_s)).rc == 0
        else:
            finished = stage.rc == 0
        if not finished:
            job.problems.append(f"{name}: training failed (see {stage.log})")
            return None
        it_s = tqdm_rate(stage.log) or it_s
    else:
        steps = warm
    return Training(run_dir / "weights.pt", steps, it_s, time.monotonic() - (deadline - seconds), precision)


def train_generator_sized(job: Job, init: Path, precision: str) -> Training | None:
    """A generator on top of `init` (training/generator.py), filling the stage's share of the
    budget: a warm-up renders the seed views and times cfg.warmup_steps steps, then a fresh run
    of the steps the rest allows (its schedule and discriminator start sized to its length)."""
    cfg = job.cfg
    seconds = job.seconds_for("generator")
    deadline = time.monotonic() + seconds
    run_dir = job.out / "generator"
    shutil.rmtree(run_dir, ignore_errors=True)
    base = [sys.executable, "-m", "gwm_engine.training.generator", "--data", str(job.out / "views"), "--init", str(init),
            "--widths", cfg.generator_widths, "--device", cfg.device, "--batch", str(cfg.batch), "--lr", str(cfg.generator_lr),
            "--adversarial", str(cfg.generator_adversarial), "--validation-scenes", "0", *(["--bf16"] if precision == "bf16" else [])]
    warm = max(2, cfg.warmup_steps)
    stage = job.run("generator-warmup", [], deadline - time.monotonic(), command=[
        *base, "--scenes", str(cfg.generator_scenes), "--workers", str(cfg.workers), "--out", str(run_dir / "warmup"),
        "--steps", str(warm)])
    if stage.rc != 0:
        job.problems.append(f"generator: the warm-up did not finish (see {stage.log})")
        return None
    rows = [json.loads(line) for line in (run_dir / "warmup" / "log.jsonl").read_text().splitlines()]
    s_step = max(1e-6, (rows[-1]["s"] - rows[0]["s"]) / (len(rows) - 1))  # the first step pays for kernel tuning
    start_s = max(0.0, stage.wall_s - rows[-1]["s"])  # process start and loading the views: paid again
    steps = int(0.9 * max(0.0, deadline - time.monotonic() - start_s) / s_step)
    if cfg.max_steps:
        steps = min(steps, cfg.max_steps)
    if steps <= warm:
        return Training(run_dir / "warmup" / "weights.pt", warm, 1 / s_step, stage.wall_s, precision)
    main = run_dir / "main"
    stage = job.run("generator-main", [], deadline - time.monotonic(), command=[
        *base, "--out", str(main), "--steps", str(steps), "--validate-every", str(max(1, steps // 5))])
    kept = sorted(main.glob("step-*.pt"), key=lambda p: int(p.stem.split("-")[1]))
    if stage.rc != 0 and not kept:
        job.problems.append(f"generator: training failed (see {stage.log})")
        return None
    if stage.rc != 0:  # stopped by its timeout: its last checkpoint
        job.problems.append(f"generator: planned {steps} steps, stopped; kept {kept[-1].name}")
        steps = int(kept[-1].stem.split("-")[1])
    weights = main / "weights.pt" if stage.rc == 0 else kept[-1]
    return Training(weights, steps, 1 / s_step, time.monotonic() - (deadline - seconds), precision)


# -- eval: the new weights against the shipped ones -----------------------------------------

EVAL_COLUMNS = {"hole PSNR": "hole_psnr", "hole SSIM": "hole_ssim", "seed AbsRel": "seed_absrel", "revisit dB": "revisit_psnr"}
REVISIT_TARGET_DB = 35.0  # eval's revisit target (gwm_engine.evaluation.quality.format_report)


def learned_row(report: str) -> dict[str, float] | None:
    """The learned model's figures from a `gwm-engine eval` report."""
    lines = report.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("| model |"):
            heads = [c.strip() for c in line.strip("|").split("|")]
            for row in lines[i + 2:]:
                cells = [c.strip() for c in row.strip("|").split("|")]
                if cells[0].startswith("learned"):
                    return {key: float("nan") if cells[heads.index(h)] == "-" else float(cells[heads.index(h)])
                            for h, key in EVAL_COLUMNS.items()}
    return None


def evaluate(job: Job, weights: Path) -> tuple[dict[str, float], dict[str, float]] | None:
    """Both models on the same held-out trajectories, side by side, half the cores each."""
    cfg = job.cfg
    timeout = job.seconds_for("eval")
    common = ["eval", "--backend", cfg.backend, "--device", cfg.device, "--trajectories", str(cfg.eval_trajectories),
              "--steps", str(cfg.eval_steps), "--size", cfg.eval_size, "--seed-scenes", str(cfg.eval_seed_scenes),
              "--generation-scenes", str(cfg.eval_generation_scenes)]
    threads = {"OMP_NUM_THREADS": str(max(1, CORES // 2))}
    running = {which: Running(job, f"eval-{which}", [*common, *extra], threads)
               for which, extra in (("new", ["--weights", str(weights)]), ("shipped", []))}
    rows = {}
    for which, p in running.items():
        stage = p.wait(timeout)
        row = learned_row(stage.log.read_text()) if stage.rc == 0 else None
        if row is None:
            job.problems.append(f"eval of the {which} weights gave no figures (see {stage.log})")
            return None
        rows[which] = row
    return rows["new"], rows["shipped"]


def beats(new: dict[str, float], shipped: dict[str, float]) -> list[tuple[str, bool]]:
    """What shipping needs: more hole PSNR, no less hole SSIM, no worse seed depth, revisits kept."""
    return [
        (f"hole PSNR {new['hole_psnr']:.2f} vs {shipped['hole_psnr']:.2f} dB", new["hole_psnr"] > shipped["hole_psnr"]),
        (f"hole SSIM {new['hole_ssim']:.3f} vs {shipped['hole_ssim']:.3f}", new["hole_ssim"] >= shipped["hole_ssim"]),
        (f"seed AbsRel {new['seed_absrel']:.3f} vs {shipped['seed_absrel']:.3f}",
         not new["seed_absrel"] > shipped["seed_absrel"]),  # nan (no seed views) passes
        (f"revisit {new['revisit_psnr']:.2f} dB (target >= {REVISIT_TARGET_DB:g})", new["revisit_psnr"] >= REVISIT_TARGET_DB),
    ]


# -- GPU figures (the `figures` subcommand, run as the last stage) --------------------------


def measure_figures(cfg: JobConfig, weights: str, out: Path) -> None:
    """The per-frame network's and the generator's throughput (pull-push + network) in frames per
    second, then the frame time of a walking world at each per-eye size, mono and stereo, into
    `out` (JSON), rewritten after each figure so a stage stopped by its timeout keeps what it measured."""
    import numpy as np
    import torch

    from gwm_engine.geometry import CameraAction, Intrinsics
    from gwm_engine.media import to_rgb8
    from gwm_engine.model import load_model, runs_on
    from gwm_engine.scenes import make_scene
    from gwm_engine.world import SessionConfig, WorldSession

    cuda = cfg.device == "cuda" and torch.cuda.is_available()
    model = load_model(weights, cfg.backend, cfg.device)
    found = {"device": torch.cuda.get_device_name() if cuda else f"CPU, {CORES} cores", "runs_on": runs_on(model),
             "frames": []}
    scene = make_scene("street", seed=1)

    def session(w: int, h: int, stereo: bool) -> WorldSession:
        rgb, depth = scene.render(scene.spawn_pose(), Intrinsics.from_fov(w, h, 60.0))
        return WorldSession.create(to_rgb8(rgb), np.asarray(depth), SessionConfig(w, h, stereo=stereo), model)

    def walk(i: int) -> CameraAction:  # forward with a sway: new territory every step
        return CameraAction(move=(0.0, 0.0, 0.03), turn=(1.2 * np.sin(i / 15), 0.0, 0.0))

    gw, gh = parse_size(cfg.gen_size)
    view = session(gw, gh, False).begin_step(CameraAction(turn=(20.0, 0.0, 0.0))).views[0]  # a turn: a wide hole
    rgb, depth, mask = (x[None].expand(cfg.gen_batch, *x.shape).contiguous()
                        for x in (view.rgb, view.depth, view.mask.float()))
    found["throughput"] = []
    for network, fill in (("per-frame network", model.complete), ("generator", model.generate)):
        for _ in range(3):
            fill(rgb, depth, mask)  # allocator and kernel warm-up
        if cuda:
            torch.cuda.synchronize()
        t = time.perf_counter()
        for _ in range(cfg.gen_repeat):
            fill(rgb, depth, mask)
        if cuda:
            torch.cuda.synchronize()
        per_call = (time.perf_counter() - t) / cfg.gen_repeat
        found["throughput"].append({"network": network, "size": f"{gw}x{gh}", "batch": cfg.gen_batch,
                                    "ms_per_call": per_call * 1e3, "frames_per_s": cfg.gen_batch / per_call,
                                    "hole_share": float(1 - view.mask.float().mean())})
        out.write_text(json.dumps(found, indent=1))
    for w, h in (parse_size(s) for s in cfg.frame_sizes.split(",")):
        for stereo in (False, True):
            s = session(w, h, stereo)
            ms = [s.step(walk(i)).timings["total"] for i in range(5 + cfg.frame_steps)][5:]
            found["frames"].append({"size": f"{w}x{h}", "stereo": stereo, "p50_ms": float(np.percentile(ms, 50)),
                                    "p99_ms": float(np.percentile(ms, 99))})
            out.write_text(json.dumps(found, indent=1))


# -- the job ---------------------------------------------------------------------------------


def run_job(cfg: JobConfig) -> int:
    job = Job(cfg)
    out = job.out
    print(f"GPU job: budget {cfg.budget_s:.0f} s, device {cfg.device}, {CORES} cores, output in {out}", flush=True)
    shards = out / "shards"
    rows: list[tuple[str, str]] = []

    stage = job.run("data", ["data", "--out", str(shards), "--trajectories", str(cfg.trajectories), "--size", cfg.size,
                             "--workers", str(cfg.workers), "--per-shard", str(cfg.per_shard)], job.seconds_for("data"))
    n_shards = len(list(shards.glob("shard-*[0-9].npz")))
    rows.append(("training data", f"{n_shards} shards of {cfg.per_shard} trajectories, {cfg.size}, {stage.wall_s:.0f} s"
                 + ("" if stage.rc == 0 else " (stopped by its timeout)")))
    final: Path | None = None
    if n_shards:
        common = ["train", "--preset", cfg.preset, "--device", cfg.device, "--data", str(shards), "--batch", str(cfg.batch)]
        first = train_sized(job, "train", [*common, "--lr", str(cfg.lr), "--workers", str(cfg.loader_workers)],
                            out / "train")
        if first:
            rows.append((f"train {cfg.preset} ({first.precision})",
                         f"{first.steps} steps x {cfg.batch}, {first.it_s:.2f} it/s, {first.wall_s:.0f} s"))
            final = first.weights
            w = str(first.weights)
            cont = train_sized(job, "own-fill", [*common, "--lr", str(cfg.own_fill_lr), "--workers", str(cfg.own_fill_workers),
                                                 "--networks", "completion", "--init", w, "--frozen-from", w,
                                                 "--own-fill", str(cfg.own_fill), "--seed", "12"], out / "own-fill")
            if cont:
                rows.append((f"own-fill continuation ({cont.precision}, {cfg.own_fill:g})",
                             f"{cont.steps} steps x {cfg.batch}, {cont.it_s:.2f} it/s, {cont.wall_s:.0f} s"))
                final = cont.weights
            gen = train_generator_sized(job, final, first.precision)
            if gen:
                views = len(list((out / "views").glob("views-*[0-9].npz")))
                rows.append((f"generator {cfg.generator_widths} ({gen.precision})",
                             f"{gen.steps} steps x {cfg.batch} on {views} shards of seed views, {gen.it_s:.2f} it/s, "
                             f"{gen.wall_s:.0f} s"))
                final = gen.weights
    else:
        job.problems.append("no training data was rendered: nothing to train")

    verdict: list[tuple[str, bool]] = []
    exported = figures_ok = False
    if final:
        final = Path(shutil.copy(final, out / "weights.pt"))  # one place for what the job made, whichever stage ended it
        onnx = out / "onnx"
        stage = job.run("export", ["export", "--format", "onnx", "--weights", str(final), "--out", str(onnx)],
                        job.seconds_for("export"))
        exported = stage.rc == 0
        files = sorted(p.name for p in onnx.glob("*.onnx"))
        rows.append(("onnx export", f"{', '.join(files)} + manifest.json" if exported else f"failed (see {stage.log})"))
        scored = evaluate(job, final)
        if scored:
            new, shipped = scored
            verdict = beats(new, shipped)
            rows += [(f"eval {k}, new vs shipped", text) for k, (text, _) in zip(EVAL_COLUMNS, verdict)]
        fig_json = out / "figures.json"
        fig_json.unlink(missing_ok=True)  # a previous run's
        stage = job.run("figures", [], job.seconds_for("figures"), command=[
            sys.executable, str(Path(__file__).resolve()), "figures", "--weights", str(final), "--figures-out", str(fig_json),
            *(a for f in fields(JobConfig) for a in (f"--{f.name.replace('_', '-')}", str(getattr(cfg, f.name))))])
        figures_ok = stage.rc == 0
        if not figures_ok:
            job.problems.append(f"the GPU figures are incomplete (see {stage.log})")
        if fig_json.exists():
            fig = json.loads(fig_json.read_text())
            rows.insert(0, ("device", f"{fig['device']}; networks: {fig['runs_on']}"))
            for r in fig["frames"]:
                what = f"frame time {r['size']} per eye, {'stereo (both eyes)' if r['stereo'] else 'mono'}"
                rows.append((what, f"p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms"))
            for g in fig.get("throughput", []):
                rows.append((f"{g['network']} throughput ({g['size']}, batch {g['batch']}, {100 * g['hole_share']:.0f}% holes)",
                             f"{g['frames_per_s']:.1f} frames/s ({g['ms_per_call']:.1f} ms a call)"))

    total = time.monotonic() - job.start
    rows.append(("job wall time", f"{total:.0f} s of a {cfg.budget_s:.0f} s budget"))
    table = "\n".join(["| figure | value |", "| --- | --- |", *(f"| {k} | {v} |" for k, v in rows)])
    (out / "figures.md").write_text(table + "\n")
    print("\n" + table + "\n")
    for p in job.problems:
        print(f"problem: {p}")
    if verdict and all(ok for _, ok in verdict):
        target = ROOT / "gwm_engine" / "assets" / f"gwm-{cfg.preset}.pt"
        print(f"the new weights beat the shipped ones on eval ({cfg.eval_trajectories} trajectories per family: confirm "
              f"with `gwm-engine eval --weights {final}` at its defaults, on any machine). To ship them:\n"
              f"    cp {shlex.quote(str(final.resolve()))} {shlex.quote(str(target))}")
    elif verdict:
        print("the new weights do not beat the shipped ones on eval (" +
              "; ".join(text for text, ok in verdict if not ok) + "): keep the shipped weights")
    return 0 if final and exported and verdict and figures_ok else 1


def main() -> int:
    args = job_parser().parse_args()
    cfg = JobConfig(**{f.name: getattr(args, f.name) for f in fields(JobConfig)})
    if args.command == "figures":
        if not args.weights or not args.figures_out:
            print("gpu_job.py figures: give --weights and --figures-out", file=sys.stderr)
            return 2
        measure_figures(cfg, args.weights, Path(args.figures_out))
        return 0
    return run_job(cfg)


if __name__ == "__main__":
    sys.exit(main())
