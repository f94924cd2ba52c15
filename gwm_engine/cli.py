"""`gwm-engine` command line: demo, scene, serve, data, train, eval, export."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from gwm_engine.errors import InvalidInput
from gwm_engine.runtime import add_backend_arguments

ASSETS = Path(__file__).parent / "assets"
SAMPLE_IMAGE = ASSETS / "sample.png"
SAMPLE_DEPTH = ASSETS / "sample_depth.npy"


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(x) for x in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like 256x256, got {text!r}") from None
    return w, h


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


def cmd_demo(args: argparse.Namespace) -> int:
    import imageio.v2 as imageio
    import numpy as np
    from tqdm import tqdm

    from gwm_engine.media import colorize_depth, load_depth, load_image
    from gwm_engine.model import load_model, runs_on
    from gwm_engine.world import SessionConfig, WorldSession

    if args.steps < 1:
        raise InvalidInput("--steps must be at least 1")
    image_path = args.image or SAMPLE_IMAGE
    depth_path = args.depth or (SAMPLE_DEPTH if args.image is None else None)
    image = load_image(image_path)
    depth = load_depth(depth_path) if depth_path else None
    w, h = args.size
    session = WorldSession.create(image, depth, SessionConfig(w, h, args.fov), load_model(args.weights, args.backend, args.device))
    frame = session.step()
    # Depth colours are fixed from the first frame so brightness changes mean distance changes.
    near, far = float(np.percentile(frame.depth, 2)), float(np.percentile(frame.depth, 98))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
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
    )
    return 0


def cmd_scene(args: argparse.Namespace) -> int:
    import numpy as np
    from PIL import Image

    from gwm_engine.geometry import Intrinsics
    from gwm_engine.media import colorize_depth, to_rgb8
    from gwm_engine.scenes import FAMILIES, make_scene

    if args.family not in FAMILIES:
        raise InvalidInput(f"unknown family {args.family!r}; choose from {', '.join(FAMILIES)}")
    w, h = args.size
    scene = make_scene(args.family, seed=args.seed)
    rgb, depth = scene.render(scene.spawn_pose(), Intrinsics.from_fov(w, h, args.fov))
    rgb8 = to_rgb8(rgb)
    depth = np.asarray(depth, dtype=np.float32)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(rgb8).save(out)
    np.save(out.with_name(out.stem + "_depth.npy"), depth)
    Image.fromarray(colorize_depth(depth)).save(out.with_name(out.stem + "_depth.png"))
    print(f"wrote {out}, {out.stem}_depth.npy (metres) and {out.stem}_depth.png (preview)")
    return 0


def cmd_data(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from gwm_engine.training.data import PER_SHARD, write_shards

    if args.trajectories < 1 or args.workers < 1:
        raise InvalidInput("--trajectories and --workers must be at least 1")
    with tqdm(total=-(-args.trajectories // PER_SHARD), desc="rendering shards", unit="shard") as bar:
        paths = write_shards(Path(args.out), args.trajectories, workers=args.workers, base_seed=args.seed, progress=bar.update)
    print(f"{len(paths)} shards of rendered trajectories in {args.out}")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from gwm_engine.model.learned import PRESETS
    from gwm_engine.training.train import NETWORKS, TrainConfig, train

    if args.preset not in PRESETS:
        raise InvalidInput(f"unknown preset {args.preset!r}; choose from {', '.join(PRESETS)}")
    if args.steps < 1 or args.batch < 1:
        raise InvalidInput("--steps and --batch must be at least 1")
    if args.data and not Path(args.data).is_dir():
        raise InvalidInput(f"--data {args.data} is not a directory of shards (write them with `gwm-engine data`)")
    if args.networks not in NETWORKS:
        raise InvalidInput(f"unknown --networks {args.networks!r}; choose from {', '.join(NETWORKS)}")
    if args.frozen_from and args.networks == "both":
        raise InvalidInput("--frozen-from keeps one network fixed: use it with --networks depth or --networks completion")
    if not 0 <= args.own_fill <= 1:
        raise InvalidInput("--own-fill is a share of replays: between 0 and 1")
    cfg = TrainConfig(out=Path(args.out), preset=args.preset, steps=args.steps, batch=args.batch, lr=args.lr,
                      seed=args.seed, data=Path(args.data) if args.data else None, workers=args.workers,
                      resume=args.resume, device=args.device, frozen_from=Path(args.frozen_from) if args.frozen_from else None,
                      init=Path(args.init) if args.init else None, networks=args.networks, own_fill=args.own_fill)
    print(f"weights written to {train(cfg)}")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from gwm_engine.evaluation.quality import QualityConfig, format_report, run_quality

    cfg = QualityConfig(trajectories=args.trajectories, steps=args.steps, size=args.size, weights=args.weights,
                        backend=args.backend, device=args.device)
    print(format_report(run_quality(cfg)))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from gwm_engine.model import load_model
    from gwm_engine.runtime.export import ATOL, RTOL, ParityError, export_all

    # Exported from torch on the CPU: the files are the same whatever runs them later.
    model = load_model(args.weights, "torch", "cpu")
    networks = model.networks()
    if not networks:
        raise InvalidInput(f"model {model.name} has no networks to export")
    info = model.describe()
    meta = {"model": info.name, "version": info.version, **info.settings}
    out = Path(args.out)
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gwm-engine", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="walk through a world grown from one image and write a video")
    demo.add_argument("--image", help="seed image (PNG/JPEG); default: the bundled sample")
    demo.add_argument("--depth", help="seed depth: .npy metres or 16-bit PNG millimetres; estimated when absent")
    demo.add_argument("--steps", type=int, default=120)
    demo.add_argument("--size", type=_size, default=(256, 256), help="WxH, default 256x256")
    demo.add_argument("--fov", type=float, default=60.0, help="vertical field of view, degrees")
    demo.add_argument("--fps", type=int, default=24)
    demo.add_argument("--weights", help="model weights; default: the bundled model")
    demo.add_argument("--out", default="walk.mp4")
    add_backend_arguments(demo)
    demo.set_defaults(func=cmd_demo)

    scene = sub.add_parser("scene", help="render a ground-truth procedural scene (RGB + metric depth)")
    scene.add_argument("--family", default="indoor")
    scene.add_argument("--seed", type=int, default=0)
    scene.add_argument("--size", type=_size, default=(512, 384))
    scene.add_argument("--fov", type=float, default=60.0)
    scene.add_argument("--out", default="scene.png")
    scene.set_defaults(func=cmd_scene)

    data = sub.add_parser("data", help="render training trajectories into shard files")
    data.add_argument("--out", required=True, help="shard directory (existing shards are kept)")
    data.add_argument("--trajectories", type=int, default=2400)
    data.add_argument("--workers", type=int, default=1, help="rendering processes")
    data.add_argument("--seed", type=int, default=0)
    data.set_defaults(func=cmd_data)

    train = sub.add_parser("train", help="train the learned networks (torchrun for many processes)")
    train.add_argument("--out", default="runs/small", help="run directory: log, checkpoints, weights.pt")
    train.add_argument("--preset", default="small", help="small (CPU default) or large (GPU)")
    train.add_argument("--steps", type=int, default=4000)
    train.add_argument("--batch", type=int, default=8, help="per process")
    train.add_argument("--lr", type=float, default=2e-3)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--data", help="shard directory from `gwm-engine data`; default: render on the fly")
    train.add_argument("--workers", type=int, default=1, help="data loader processes per training process")
    train.add_argument("--resume", action="store_true", help="continue from OUT/last.pt")
    train.add_argument("--networks", default="both", help="which to train: both, depth or completion")
    train.add_argument("--frozen-from", help="with --networks depth|completion: the weights the other network keeps")
    train.add_argument("--init", help="weights the trained networks start from (fine-tuning); default: fresh")
    train.add_argument("--own-fill", type=float, default=0.0,
                       help="share of replays that fuse the completion network's own fills (the rest: truth or pull-push)")
    train.add_argument("--device", default="cpu", help="cpu or cuda")
    train.set_defaults(func=cmd_train)

    ev = sub.add_parser("eval", help="quality on held-out rendered trajectories: learned vs classical vs none")
    ev.add_argument("--trajectories", type=int, default=12, help="per scene family")
    ev.add_argument("--steps", type=int, default=24)
    ev.add_argument("--size", type=_size, default=(256, 256), help="WxH, default 256x256")
    ev.add_argument("--weights", help="model weights; default: the bundled model")
    add_backend_arguments(ev)
    ev.set_defaults(func=cmd_eval)

    export = sub.add_parser("export", help="export the networks for onnxruntime, TensorRT (trtexec) or Triton")
    export.add_argument("--format", choices=["onnx"], default="onnx", help="onnx (what onnxruntime, trtexec and Triton read)")
    export.add_argument("--out", required=True, help="directory for the .onnx files and manifest.json")
    export.add_argument("--weights", help="model weights; default: the bundled model")
    export.set_defaults(func=cmd_export)

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
