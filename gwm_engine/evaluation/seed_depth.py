"""Seed depth per scene kind: the first thing a world is built from, scored on held-out views.

One seed view (scenes.views.seed_view: any camera height, pitch and focal length) of scene
seeds 0..n-1 of every family (never trained on: training draws seeds from HELD_OUT_SEEDS up,
validation from VALIDATION_SEEDS), plus a "stylised" kind: views of every family drawn as
concept art (scenes/style.py). Each model estimates depth through its run-time path
(`estimate_depth`), and is scored where the truth is at most DEPTH_CAP_M away and not sky:

- median-aligned: the estimate scaled so its median matches the truth's (structure only);
- metric: as estimated (structure and scale).

AbsRel is |est - true| / true, δ<1.25 the share of pixels within 25 % of the truth; both are
averaged per view, then over the views of a kind (each view counts the same).

Given a texture library (scenes/texture_library.py), a "textured" row scores the same held-out
scenes of every family with real images on their surfaces: how far a network carries beyond
the renderer's own patterns. It stays out of "all", which the targets are set on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from gwm_engine.model import WorldModel
from gwm_engine.scenes.families import ALL_FAMILIES
from gwm_engine.training.data import SeedViewConfig, SeedViews, held_out_seed_views

DEPTH_CAP_M = 80.0  # as the trajectory benchmark: no one image can be held to a 500 m sky
METRICS = ("aligned_absrel", "aligned_delta1", "metric_absrel", "metric_delta1")
STYLISED = "stylised"
KINDS = (*ALL_FAMILIES, STYLISED)
STYLISED_FIRST_SEED = 100  # the stylised views' scenes: held out, apart from the plain views'
TEXTURED = "textured"


@dataclass(frozen=True)
class SeedDepthEvalConfig:
    scenes: int = 8  # held-out scenes per kind
    size: int = 256  # square views, resized to each model's working size as at run time
    textures: str | None = None  # a texture library: adds the TEXTURED row


def eval_views(cfg: SeedDepthEvalConfig) -> dict[str, SeedViews]:
    """The held-out views of every kind, rendered once for every model."""
    plain = SeedViewConfig(size=cfg.size, views_per_scene=1, stylised=0.0)
    views = {family: held_out_seed_views(cfg.scenes, 0, plain, (family,)) for family in ALL_FAMILIES}
    drawn = SeedViewConfig(size=cfg.size, views_per_scene=1, stylised=1.0)
    parts = [held_out_seed_views(1, STYLISED_FIRST_SEED + i, drawn, (ALL_FAMILIES[i % len(ALL_FAMILIES)],))
             for i in range(cfg.scenes)]
    views[STYLISED] = SeedViews(**{k: np.concatenate([getattr(p, k) for p in parts]) for k in SeedViews.__dataclass_fields__})
    if cfg.textures:
        textured = SeedViewConfig(size=cfg.size, views_per_scene=1, stylised=0.0, textures=cfg.textures)
        views[TEXTURED] = held_out_seed_views(cfg.scenes, 0, textured)
    return views


def view_scores(est: np.ndarray, truth: np.ndarray, sky: np.ndarray) -> dict[str, float] | None:
    """The four METRICS of one estimate (H, W) against the truth; None if under 1 % of the
    view is scoreable."""
    keep = (truth <= DEPTH_CAP_M) & ~sky
    if keep.mean() < 0.01:
        return None
    e, t = est[keep].astype(np.float64), truth[keep].astype(np.float64)
    out = {}
    for name, x in (("aligned", e * np.median(t) / np.median(e)), ("metric", e)):
        out[f"{name}_absrel"] = float(np.mean(np.abs(x - t) / t))
        out[f"{name}_delta1"] = float(np.mean(np.maximum(x / t, t / x) < 1.25))
    return out


def score_model(model: WorldModel, views: dict[str, SeedViews]) -> dict[str, dict[str, float]]:
    """Per kind, then "all" (every view of every kind but TEXTURED): the mean of each metric over views."""
    per_kind: dict[str, list[dict[str, float]]] = {}
    for kind, v in views.items():
        rows = []
        for i in range(len(v.fov_deg)):
            rgb = torch.from_numpy(v.rgb[i]).permute(2, 0, 1)[None].float() / 255
            est = model.estimate_depth(rgb, float(v.fov_deg[i]))[0, 0].numpy()
            row = view_scores(est, v.depth[i].astype(np.float32), v.sky[i])
            if row is not None:
                rows.append(row)
        per_kind[kind] = rows
    table = {kind: {m: float(np.mean([r[m] for r in rows])) for m in METRICS} for kind, rows in per_kind.items() if rows}
    every = [r for kind, rows in per_kind.items() if kind != TEXTURED for r in rows]
    table["all"] = {m: float(np.mean([r[m] for r in every])) for m in METRICS}
    return table


def format_table(tables: dict[str, dict[str, dict[str, float]]], cfg: SeedDepthEvalConfig) -> str:
    """Markdown: one row per kind, each model's four figures side by side."""
    names = list(tables)
    heads = [f"{n} {h}" for n in names for h in ("aligned AbsRel", "aligned d<1.25", "metric AbsRel", "metric d<1.25")]
    lines = [
        f"seed depth on held-out seed views: {cfg.scenes} per kind, {cfg.size}x{cfg.size}, scene seeds 0..{cfg.scenes - 1} "
        f"(stylised: {STYLISED_FIRST_SEED}..), scored where the truth is <= {DEPTH_CAP_M:.0f} m and not sky",
        "",
        "| kind | " + " | ".join(heads) + " |",
        "| --- |" + " ---: |" * len(heads),
    ]
    labels = {"all": "**all**", TEXTURED: "textured (real images; not in all)"}
    for kind in (*KINDS, "all", TEXTURED):
        if kind not in tables[names[0]]:
            continue
        cells = [f"{tables[n][kind][m]:.3f}" for n in names for m in METRICS]
        lines.append(f"| {labels.get(kind, kind)} | " + " | ".join(cells) + " |")
    first = tables[names[0]]
    worst = max((k for k in first if k not in ("all", TEXTURED)), key=lambda k: first[k]["aligned_absrel"])
    checks = [
        (f"seed depth, {names[0]}, median-aligned AbsRel on every kind: worst {worst} "
         f"{first[worst]['aligned_absrel']:.3f} (target <= 0.15)",
         first[worst]["aligned_absrel"] <= 0.15),
        (f"seed depth, {names[0]}, median-aligned AbsRel over all kinds: {first['all']['aligned_absrel']:.3f} (target <= 0.12)",
         first["all"]["aligned_absrel"] <= 0.12),
    ]
    lines += [""] + [f"{'PASS' if ok else 'MISS'}  {text}" for text, ok in checks]
    return "\n".join(lines)
