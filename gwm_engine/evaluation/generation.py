"""Generation per scene kind: what a filler paints into the holes generation meets, on held-out
views, at the networks' working size.

Each held-out seed view (every scene family, plus the stylised kind, as the seed-depth table's)
gets the holes generation meets cut into it (`training.data.generation_mask`: a turn's new
territory, the background behind near edges), and each filler paints them from what is left,
through the model interface (`generate`, `complete`, `quick_fill`). Scored on hole pixels only:

- PSNR and SSIM of the colour (pooled over every hole pixel of a kind);
- texture: the high-frequency energy of the fill over the truth's on the holes' inner pixels
  (1: as detailed as the truth; a blur scores near 0, which PSNR would rather reward);
- depth AbsRel where the truth is at most DEPTH_CAP_M away.

The views are rendered at the working side (128), where the networks run: at a frame's size the
fill is also upsampled, and its texture would be the upsampling's as much as the network's.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from gwm_engine.evaluation.metrics import depth_errors, high_frequency, inner, ssim_map
from gwm_engine.evaluation.seed_depth import DEPTH_CAP_M, KINDS, STYLISED, STYLISED_FIRST_SEED
from gwm_engine.scenes.families import ALL_FAMILIES
from gwm_engine.training.data import SeedViewConfig, SeedViews, generation_mask, held_out_seed_views

SIZE = 128
Fill = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]
Examples = dict[str, tuple[SeedViews, torch.Tensor]]  # kind -> its views and their masks (N, 1, S, S)


def generation_examples(scenes: int, first_seed: int = 0) -> Examples:
    """`scenes` held-out views of every kind (scene seeds first_seed..; the stylised kind's from
    first_seed + STYLISED_FIRST_SEED), each with its holes, all drawn from fixed seeds."""
    plain = SeedViewConfig(size=SIZE, views_per_scene=1, stylised=0.0)
    drawn = SeedViewConfig(size=SIZE, views_per_scene=1, stylised=1.0)
    views = {family: held_out_seed_views(scenes, first_seed, plain, (family,)) for family in ALL_FAMILIES}
    parts = [held_out_seed_views(1, first_seed + STYLISED_FIRST_SEED + i, drawn, (ALL_FAMILIES[i % len(ALL_FAMILIES)],))
             for i in range(scenes)]
    views[STYLISED] = SeedViews(**{k: np.concatenate([getattr(p, k) for p in parts]) for k in SeedViews.__dataclass_fields__})
    out = {}
    for i, (kind, v) in enumerate(views.items()):
        rng = np.random.default_rng([i, first_seed, 11])
        depth = torch.from_numpy(v.depth.astype(np.float32))[:, None]
        out[kind] = (v, torch.stack([generation_mask(d, rng) for d in depth]))
    return out


def score_fills(fills: dict[str, Fill], examples: Examples) -> dict[str, dict[str, dict[str, float]]]:
    """Per filler, per kind and "all": psnr, ssim, texture and depth_absrel on hole pixels."""
    sums: dict[str, dict[str, dict[str, float]]] = {name: {} for name in fills}
    for kind, (v, mask) in examples.items():
        rgb = torch.from_numpy(v.rgb).permute(0, 3, 1, 2).float() / 255
        depth = torch.from_numpy(v.depth.astype(np.float32))[:, None]
        hole = mask[:, 0].numpy() < 0.5
        truth_hf = [high_frequency(x) for x in v.rgb]
        for name, fill in fills.items():
            out_rgb, out_depth = fill(rgb * mask, depth * mask, mask)
            painted = (out_rgb * (1 - mask) + rgb * mask).permute(0, 2, 3, 1).mul(255).add(0.5).clamp(0, 255).byte().numpy()
            acc = {"se": 0.0, "ssim": 0.0, "n": 0.0, "hf": 0.0, "hf_true": 0.0, "rel": 0.0, "n_depth": 0.0}
            for i in range(len(painted)):
                h = hole[i]
                acc["se"] += float(((painted[i].astype(np.float64) - v.rgb[i]) ** 2)[h].sum() / 3)
                acc["ssim"] += float(ssim_map(painted[i], v.rgb[i])[h].sum())
                acc["n"] += float(h.sum())
                fill_px = inner(h)
                acc["hf"] += float(high_frequency(painted[i])[fill_px].sum())
                acc["hf_true"] += float(truth_hf[i][fill_px].sum())
                near = h & (v.depth[i] <= DEPTH_CAP_M)
                rel, _ = depth_errors(out_depth[i, 0].numpy()[near], v.depth[i].astype(np.float32)[near])
                acc["rel"] += float(rel.sum())
                acc["n_depth"] += float(rel.size)
            sums[name][kind] = acc
    table: dict[str, dict[str, dict[str, float]]] = {}
    for name, kinds in sums.items():
        kinds["all"] = {k: sum(acc[k] for acc in kinds.values()) for k in next(iter(kinds.values()))}
        table[name] = {kind: _figures(acc) for kind, acc in kinds.items()}
    return table


def _figures(acc: dict[str, float]) -> dict[str, float]:
    mse = acc["se"] / max(acc["n"], 1.0)
    return {"psnr": float(10 * np.log10(255.0**2 / mse)) if mse > 0 else float("inf"),
            "ssim": acc["ssim"] / max(acc["n"], 1.0),
            "texture": acc["hf"] / max(acc["hf_true"], 1e-9),
            "depth_absrel": acc["rel"] / max(acc["n_depth"], 1.0)}


def format_generation_table(table: dict[str, dict[str, dict[str, float]]], scenes: int) -> str:
    """Markdown: one row per kind, each filler's hole PSNR, SSIM and texture side by side; then
    the targets, judged on the generator against pull-push."""
    names = list(table)
    heads = [f"{n} {h}" for n in names for h in ("PSNR", "SSIM", "texture", "depth AbsRel")]
    lines = [
        f"generation on held-out views: {scenes} per kind, {SIZE}x{SIZE} (the working size), holes of a turn and a step "
        "(training.data.generation_mask), scored on hole pixels",
        "",
        "| kind | " + " | ".join(heads) + " |",
        "| --- |" + " ---: |" * len(heads),
    ]
    for kind in (*KINDS, "all"):
        row = [table[n][kind] for n in names]
        cells = [f"{r['psnr']:.2f} | {r['ssim']:.3f} | {r['texture']:.3f} | {r['depth_absrel']:.3f}" for r in row]
        lines.append(f"| {'**all**' if kind == 'all' else kind} | " + " | ".join(cells) + " |")
    if "generator" in table and "pull-push" in table:
        g, c = table["generator"]["all"], table["pull-push"]["all"]
        checks = [
            (f"generation hole PSNR, generator - pull-push: {g['psnr'] - c['psnr']:+.2f} dB (target >= +2)", g["psnr"] - c["psnr"] >= 2),
            (f"generation hole SSIM, generator / pull-push: {g['ssim'] / c['ssim']:.3f} (target > 1)", g["ssim"] > c["ssim"]),
            (f"generation texture, generator: {g['texture']:.3f} (target >= 0.6; pull-push {c['texture']:.3f})", g["texture"] >= 0.6),
        ]
        lines += [""] + [f"{'PASS' if ok else 'MISS'}  {text}" for text, ok in checks]
    return "\n".join(lines)
