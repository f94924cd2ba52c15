"""`gwm-engine` command line: demo, scene, serve, data, train, eval, export."""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass
from pathlib import Path

from gwm_engine.errors import InvalidInput
from gwm_engine.evaluation.config import QualityConfig
from gwm_engine.protocol.limits import MIN_SIDE
from gwm_engine.settings import (
    add_arguments,
    backend_setting,
    check,
    depth_kind_setting,
    depth_model_setting,
    device_setting,
    fov_setting,
    from_args,
    inpaint_model_setting,
    setting,
    size_setting,
    weights_setting,
)
from gwm_engine.training.config import PER_SHARD, TrainConfig

# The scene families (gwm_engine.scenes.ALL_FAMILIES, which imports torch: `--help` must not);
# tests/test_cli.py checks the two agree.
SCENE_FAMILIES = ("indoor", "outdoor", "street", "tabletop", "figures", "vehicles", "shelves", "city", "landscape")
VIDEO_SUFFIXES = (".mp4", ".mkv", ".mov", ".avi")  # what ffmpeg writes with libx264
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
EVAL_TARGETS = (
    "PASS/MISS: each line compares a figure with its target, the quality goals set for the learned model (the "
    "project's issue #4; docs/MODEL_CARD.md tracks them): MISS means the figure falls short of its goal, not that "
    "eval failed."
)

ASSETS = Path(__file__).parent / "assets"
SAMPLE_IMAGE = ASSETS / "sample.png"
SAMPLE_DEPTH = ASSETS / "sample_depth.npy"


@dataclass
class DemoConfig:
    image: str | None = setting(None, "seed image (PNG/JPEG), at least 16x16 pixels; it is centre-cropped to the output's aspect "
                                "(--size), then resized; default: the bundled sample")
    depth: str | None = setting(None, "seed depth: .npy metres or 16-bit PNG millimetres; estimated when absent")
    steps: int = setting(120, "frames to walk", low=1)
    size: tuple[int, int] = size_setting((256, 256))
    fov: float = fov_setting()
    fps: int = setting(24, "video frame rate", low=1, high=240)
    weights: str | None = weights_setting()
    depth_model: str | None = depth_model_setting()
    depth_kind: str = depth_kind_setting()
    inpaint_model: str | None = inpaint_model_setting()
    out: str = setting("walk.mp4", f"video to write: {', '.join(VIDEO_SUFFIXES)}; its folder is made")
    backend: str = backend_setting()
    device: str = device_setting()


@dataclass
class SceneConfig:
    family: str = setting("indoor", "scene family: indoor (rooms), outdoor (terrain, trees, sky) or street (buildings, "
                          "road), which players can walk; or a seed view: tabletop (close-ups), figures (people, "
                          "animals), vehicles, shelves, city (blocks at real scale), landscape (mountains, lakes)",
                          choices=SCENE_FAMILIES)
    seed: int = setting(0, "scene seed: each gives another scene of the family", low=0)
    size: tuple[int, int] = size_setting((512, 384))
    fov: float = fov_setting()
    out: str = setting("scene.png", f"image to write ({', '.join(IMAGE_SUFFIXES)}); depth goes beside it as _depth.npy "
                       "and _depth.png; its folder is made")


@dataclass
class DataCommandConfig:
    out: str = setting(help="shard directory (existing shards are kept)")
    trajectories: int = setting(2400, "trajectories to render", low=1)
    size: tuple[int, int] = size_setting((256, 256))
    workers: int = setting(1, "rendering processes", low=1)
    seed: int = setting(0, "first scene seed", low=0)
    per_shard: int = setting(PER_SHARD, "trajectories per shard file (each is written whole: smaller ones finish sooner)", low=1)


@dataclass
class ExportConfig:
    out: str = setting(help="directory for the .onnx files and manifest.json (made if missing; not a file)")
    format: str = setting("onnx", "onnx (what onnxruntime, trtexec and Triton read)", choices=("onnx",))
    weights: str | None = weights_setting()


def demo_actions(steps: int):
    """Walk forward looking left and right, then retrace the path backwards by absolute poses
    (as VR head tracking would), ending where it started."""
    import numpy as np

    from gwm_engine.geometry import CameraAction, apply_action

    out_leg = (steps + 1) // 2
    actions, poses = [], [np.eye(4)]
    for i in range(out_leg):
        sway = 2.0 * math.cos(2 * math.pi * i / max(out_leg, 1))
        actions.append(CameraAction(move=(0.0, 0.0, 0.05), turn=(sway, 0.0, 0.0)))
        poses.append(apply_action(poses[-1], actions[-1]))
    back = poses[-2::-1][: steps - out_leg]
    return actions + [CameraAction(pose=p) for p in back]


def output_file(text: str, suffixes: tuple[str, ...]) -> Path:
    """--out as a file path with one of `suffixes`, its folder made; InvalidInput otherwise."""
    out = Path(text)
    if out.suffix.lower() not in suffixes:
        what = f"has the extension {out.suffix!r}" if out.suffix else "has no file extension"
        raise InvalidInput(f"--out {text} {what}; use one of {', '.join(suffixes)}")
    if out.is_dir():
        raise InvalidInput(f"--out {text} is a folder; give a file name in it")
    return output_folder(out.parent, f"--out {text}") / out.name


def output_folder(folder: Path, what: str) -> Path:
    """`folder`, made if missing; InvalidInput naming `what` when it cannot be."""
    if folder.exists() and not folder.is_dir():
        raise InvalidInput(f"{what}: {folder} is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InvalidInput(f"{what}: cannot make the folder {folder} ({e.strerror or e})") from None
    return folder


def cmd_demo(args: argparse.Namespace) -> int:
    import imageio.v2 as imageio
    import numpy as np
    from tqdm import tqdm

    from gwm_engine.media import colorize_depth, load_depth, load_image
    from gwm_engine.model import load_model, runs_on
    from gwm_engine.world import SessionConfig, WorldSession

    check(from_args(DemoConfig, args))
    out = output_file(args.out, VIDEO_SUFFIXES)
    image_path = args.image or SAMPLE_IMAGE
    # The sample's exact depth, unless a depth model was given to be seen at work on it.
    depth_path = args.depth or (SAMPLE_DEPTH if args.image is None and args.depth_model is None else None)
    image = load_image(image_path)
    if min(image.shape[:2]) < MIN_SIDE:
        raise InvalidInput(f"seed image {image_path} is {image.shape[1]}x{image.shape[0]} pixels; it needs at least "
                           f"{MIN_SIDE} on each side to grow a world from")
    depth = load_depth(depth_path) if depth_path else None
    w, h = args.size
    model = load_model(args.weights, args.backend, args.device, args.depth_model, args.depth_kind, args.inpaint_model)
    # The inpainting network only runs in seed-time generation, so it turns that on.
    generate = args.inpaint_model is not None
    session = WorldSession.create(image, depth, SessionConfig(w, h, args.fov, generate=generate), model)
    frame = session.step()
    # Depth colours are fixed from the first frame so brightness changes mean distance changes.
    near, far = float(np.percentile(frame.depth, 2)), float(np.percentile(frame.depth, 98))
    writer = imageio.get_writer(out, fps=args.fps, codec="libx264", quality=8, macro_block_size=1, ffmpeg_log_level="error")
    ms = []
    try:
        for action in tqdm(demo_actions(args.steps), desc="walking", unit="frame"):
            frame = session.step(action)
            ms.append(frame.timings["total"])
            pair = np.concatenate([frame.rgb, colorize_depth(frame.depth, near, far)], axis=1)
            writer.append_data(np.pad(pair, ((0, pair.shape[0] % 2), (0, 0), (0, 0)), mode="edge"))
    finally:
        writer.close()
    ms_sorted = sorted(ms)
    print(
        f"wrote {out} ({len(ms)} frames, {w}x{h} RGB | depth); model {session.model.name} ({runs_on(session.model)}); "
        f"step p50 {ms_sorted[len(ms) // 2]:.1f} ms; {len(session.cache)} points in the world"
        + ("; seed-time generation on (--inpaint-model)" if generate else "")
    )
    return 0


def cmd_scene(args: argparse.Namespace) -> int:
    import numpy as np
    from PIL import Image

    from gwm_engine.geometry import Intrinsics
    from gwm_engine.media import colorize_depth, to_rgb8
    from gwm_engine.scenes import make_scene

    check(from_args(SceneConfig, args))
    out = output_file(args.out, IMAGE_SUFFIXES)
    w, h = args.size
    scene = make_scene(args.family, seed=args.seed)
    rgb, depth = scene.render(scene.spawn_pose(), Intrinsics.from_fov(w, h, args.fov))
    rgb8 = to_rgb8(rgb)
    depth = np.asarray(depth, dtype=np.float32)
    Image.fromarray(rgb8).save(out)
    np.save(out.with_name(out.stem + "_depth.npy"), depth)
    Image.fromarray(colorize_depth(depth)).save(out.with_name(out.stem + "_depth.png"))
    print(f"wrote {out}, {out.stem}_depth.npy (metres) and {out.stem}_depth.png (preview)")
    return 0


def cmd_data(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from gwm_engine.training.data import DataConfig, write_shards

    check(from_args(DataCommandConfig, args))
    with tqdm(total=-(-args.trajectories // args.per_shard), desc="rendering shards", unit="shard") as bar:
        paths = write_shards(Path(args.out), args.trajectories, args.per_shard, workers=args.workers,
                             config=DataConfig(height=args.size[1], width=args.size[0]), base_seed=args.seed,
                             progress=bar.update)
    print(f"{len(paths)} shards of rendered trajectories in {args.out}")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    cfg = from_args(TrainConfig, args).validate()
    from gwm_engine.training.train import train

    print(f"weights written to {train(cfg)}")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    cfg = from_args(QualityConfig, args).validate()
    from gwm_engine.evaluation.quality import format_report, run_quality

    print(format_report(run_quality(cfg)))
    print(EVAL_TARGETS)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from gwm_engine.model import load_model
    from gwm_engine.runtime.export import ATOL, RTOL, ParityError, export_all

    out = output_folder(Path(args.out), f"--out {args.out}")
    # Exported from torch on the CPU: the files are the same whatever runs them later.
    model = load_model(args.weights, "torch", "cpu")
    networks = model.networks()
    if not networks:
        raise InvalidInput(f"model {model.name} has no networks to export")
    info = model.describe()
    meta = {"model": info.name, "version": info.version, **info.settings}
    try:
        with tqdm(total=2 * len(networks), desc="exporting", unit="step") as bar:
            manifest = export_all(networks, out, meta, progress=lambda step: (bar.set_postfix_str(step), bar.update()))
    except ParityError as e:
        print(f"gwm-engine export: error: {e}", file=sys.stderr)
        return 1
    for net in manifest["networks"]:
        diffs = ", ".join(f"{name} {d:.2g}" for name, d in net["parity_max_abs_diff"].items())
        print(f"{out / net['file']}: onnx.checker ok; max |onnxruntime - torch|: {diffs}")
    print(f"wrote {out / 'manifest.json'} ({info.name} {info.version}, opset {manifest['opset']}; "
          f"parity tolerance {ATOL:g} + {RTOL:g} x |torch|)")
    return 0


class _Parser(argparse.ArgumentParser):
    """Usage mistakes in one line, as the commands' own errors are."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="gwm-engine", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    commands = [
        ("demo", "walk through a world grown from one image and write a video", DemoConfig, cmd_demo),
        ("scene", "render a ground-truth procedural scene (RGB + metric depth)", SceneConfig, cmd_scene),
        ("data", "render training trajectories into shard files", DataCommandConfig, cmd_data),
        ("train", "train the learned networks (torchrun for many processes)", TrainConfig, cmd_train),
        ("eval", "quality on held-out rendered trajectories: learned vs classical vs none", QualityConfig, cmd_eval),
        ("export", "export the networks for onnxruntime, TensorRT (trtexec) or Triton", ExportConfig, cmd_export),
    ]
    epilogs = {
        "demo": "Seed images are centre-cropped to the output's aspect ratio (--size), then resized.",
        "eval": EVAL_TARGETS,
    }
    for name, text, config, func in commands:
        command = sub.add_parser(name, help=text, description=text, epilog=epilogs.get(name))
        add_arguments(command, config)
        command.set_defaults(func=func)

    from gwm_engine.server.app import add_serve_arguments, run_serve

    serve = sub.add_parser("serve", help="run the daemon: gRPC, the engine link and the browser playground")
    add_serve_arguments(serve)
    serve.set_defaults(func=run_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except InvalidInput as e:
        print(f"gwm-engine {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
