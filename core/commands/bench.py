"""`main.py bench`: generator speed, FLOPs and efficiency at a resolution, device and thread count."""

from __future__ import annotations

import argparse
import dataclasses
import logging

from core.cli import CommandResult, format_table

HELP = "measure the generator's per-frame time, batch throughput, GFLOPs and efficiency"
log = logging.getLogger("reenact.bench")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--size", type=int, default=256, help="resolution in pixels (default 256)")
    parser.add_argument("--device", default="auto", help="auto|cpu|cuda|mps (default auto)")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads (default: torch's)")
    parser.add_argument("--batch", type=int, default=8, help="batch size for export throughput (default 8)")
    parser.add_argument("--repeats", type=int, default=20, help="timed frames at batch 1 (default 20)")
    parser.add_argument("--checkpoint", default=None, help="benchmark this checkpoint's model instead of the default config")
    parser.add_argument("--config", default=None, help="YAML/JSON file with a `model` section")
    parser.add_argument(
        "--dtype", default="float32", choices=["float32", "bfloat16", "float16"], help="weights and activations"
    )
    pipeline = parser.add_argument_group("end-to-end pipeline (instead of the network alone)")
    pipeline.add_argument("--pipeline", action="store_true", help="measure scrubbing, export and memory")
    pipeline.add_argument("--source", help="source photo for --pipeline")
    pipeline.add_argument("--driving", help="driving video or performance for --pipeline")
    pipeline.add_argument("--loop", type=int, default=1, help="play the driving sequence N times (memory flatness)")
    pipeline.add_argument("--random-weights", action="store_true", help="allow an untrained network (no checkpoint)")
    pipeline.add_argument("--skip-export", action="store_true", help="scrubbing only")
    pipeline.add_argument(
        "--quality", action="store_true",
        help="picture figures of paste-back renders: detail ratio, folds, samples beyond the photo",
    )
    pipeline.add_argument(
        "--ssim-shot", default=None, metavar="START:END",
        help="SSIM of self-reenactment within frames START..END-1 of the driving video, at its native size",
    )


def run(args: argparse.Namespace) -> CommandResult:
    if args.pipeline:
        return run_pipeline(args)
    import torch

    from core.benchmark import run_benchmark
    from core.config import ModelConfig, load_mapping
    from core.device import pick_device, set_threads
    from core.errors import ConfigError

    if not 3 <= args.repeats <= 10_000 or not 1 <= args.batch <= 256:
        raise ConfigError("--repeats must be 3 to 10000 and --batch 1 to 256")
    device = pick_device(args.device)
    set_threads(args.threads)
    generator = None
    if args.checkpoint:
        from core.checkpoint import load_generator

        generator, checkpoint = load_generator(args.checkpoint)
        config = checkpoint.config
    elif args.config:
        config = ModelConfig.from_dict(load_mapping(args.config).get("model", {}))
    else:
        config = ModelConfig()
    if generator is None and args.size != config.resolution:
        config = dataclasses.replace(config, resolution=args.size)
    dtype = getattr(torch, args.dtype)
    if dtype != torch.float32 and device.type == "cpu":
        log.warning("reduced precision on the CPU is usually slower than float32")
    result = run_benchmark(
        config, device, batch=args.batch, repeats=args.repeats, dtype=dtype, generator=generator, log=log.info
    )
    data = dataclasses.asdict(result)
    rows = [
        {"measure": "resolution", "value": f"{result.resolution} px"},
        {"measure": "device / threads", "value": f"{result.device} / {result.threads}"},
        {"measure": "parameters", "value": f"{result.parameters / 1e6:.2f} M"},
        {"measure": "prepare_source", "value": f"{result.ms_prepare_source:.1f} ms (once per source)"},
        {"measure": "render, batch 1", "value": f"{result.ms_per_frame:.1f} ms/frame median, p90 {result.ms_per_frame_p90:.1f}"},
        {"measure": f"render, batch {result.batch}", "value": f"{result.frames_per_s_batch:.1f} frames/s"},
        {"measure": "GFLOPs per frame", "value": f"{result.gflops_per_frame:.2f}"},
        {"measure": "dense conv", "value": f"{result.dense_gflops_per_s:.1f} GFLOP/s"},
        {"measure": "efficiency", "value": f"{result.efficiency:.2f} (achieved / dense)"},
    ]
    return CommandResult(data=data, text=format_table(rows))


def run_pipeline(args: argparse.Namespace) -> CommandResult:
    """Scrub latency, export frames/s (crop and paste-back) and peak memory on real inputs."""
    import torch

    from core.commands.render import build_reenactor, load_driving
    from core.config import RenderOptions
    from core.errors import ConfigError
    from core.pipeline_benchmark import looped, measure_export, measure_scrub, peak_rss_mb

    if not args.source or not args.driving:
        raise ConfigError("--pipeline needs --source PHOTO and --driving VIDEO_OR_PERFORMANCE")
    if not 1 <= args.loop <= 1000:
        raise ConfigError("--loop must be 1 to 1000")
    args.backend = "dlib"
    reenactor = build_reenactor(args)
    reenactor.set_source(args.source)
    reenactor.set_driving(looped(load_driving(args.driving, reenactor), args.loop))
    data: dict[str, object] = {
        "resolution": reenactor.resolution,
        "device": str(reenactor.device),
        "threads": torch.get_num_threads(),
        "frames": reenactor.driving.frame_count,
        "random_weights": reenactor.random_weights,
    }
    log.info("scrubbing: uncached and cached frames")
    data.update(measure_scrub(reenactor, RenderOptions()))
    data.update({f"{k}_paste_back": v for k, v in measure_scrub(reenactor, RenderOptions(paste_back=True)).items()})
    if not args.skip_export:
        log.info("exporting the crop")
        crop = measure_export(reenactor, RenderOptions(), args.batch, log.info)
        log.info("exporting with paste-back into the full photo")
        pasted = measure_export(reenactor, RenderOptions(paste_back=True), args.batch, log.info)
        data["export_crop_frames_per_s"] = crop["frames_per_s"]
        data["export_paste_back_frames_per_s"] = pasted["frames_per_s"]
    if args.quality:
        from core.render_benchmark import measure_quality

        log.info("picture quality of paste-back renders")
        quality = measure_quality(reenactor, RenderOptions(paste_back=True), range(reenactor.driving.frame_count))
        data.update({f"quality_{k}": v for k, v in quality.items()})
    if args.ssim_shot:
        data.update(_shot_ssim(reenactor, args))
    data["peak_rss_mb"] = peak_rss_mb()
    rows = [{"measure": k, "value": f"{v:.3f}" if isinstance(v, float) else str(v)} for k, v in data.items()]
    return CommandResult(data=data, text=format_table(rows))


def _shot_ssim(reenactor, args: argparse.Namespace) -> dict[str, object]:
    """Self-reenactment SSIM inside one shot of the driving video (`--ssim-shot START:END`): a few of its
    frames are each driven by the shot's other frames; full resolution beside the model's resolution."""
    import numpy as np

    from core.config import RenderOptions
    from core.errors import ConfigError
    from core.render_benchmark import measure_heldout_ssim
    from core.video import open_reader

    try:
        start, end = (int(v) for v in args.ssim_shot.split(":"))
    except ValueError as err:
        raise ConfigError(f"--ssim-shot must be START:END (frame numbers), got {args.ssim_shot!r}") from err
    driving = reenactor.driving
    if not 0 <= start < end <= driving.frame_count or driving.video_path is None:
        raise ConfigError(f"--ssim-shot {start}:{end} must lie inside the driving video's 0..{driving.frame_count}")
    with open_reader(driving.video_path) as reader:
        frames = np.stack([reader.read(i) for i in range(start, end)])
    landmarks = driving.raw[start:end]
    sources = range(0, end - start, max(1, (end - start) // 3))
    pairs = [(s, d) for s in sources for d in range(0, end - start, 3) if d != s]
    log.info("self-reenactment SSIM on frames %d..%d: %d pairs", start, end - 1, len(pairs))
    full = measure_heldout_ssim(reenactor, frames, landmarks, pairs, RenderOptions())
    model = measure_heldout_ssim(reenactor, frames, landmarks, pairs, RenderOptions(full_resolution=False))
    return {
        "shot_pairs": full["pairs"],
        "shot_ssim_full_resolution": full["ssim"],
        "shot_ssim_model_resolution": model["ssim"],
        "shot_ssim_source_unchanged": full["ssim_identity"],
        "shot_ssim_full_resolution_at_model_scale": full["ssim_at_model_scale"],
        "shot_ssim_model_resolution_at_model_scale": model["ssim_at_model_scale"],
    }
