"""Slim a training checkpoint into a release model: the generator's weights, config and provenance only.

    python -m training.release RUN_DIR/checkpoints/step_0001000.pt -o resources/models/demo.pt [--note TEXT]
        [--synthesis-region face|mouth]

A training checkpoint also carries both discriminators and the three optimisers' moments (about five
times the generator's size); the app and `render` need none of them. The written file is an ordinary
checkpoint (`core.checkpoint`), so everything that loads one loads it; it cannot be resumed. The
train state keeps the step, the training config and the dataset's name, and the metadata records
where it came from. ``--synthesis-region`` sets where a ``warp_source`` model may paint
(`core.networks.synthesis_region`), a choice made after training on the validation split; the
metadata records it. Written atomically: a failed run leaves any previous file intact.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

#: What of the training state a release keeps (the rest is the trainer's bookkeeping).
KEPT_TRAIN_STATE = ("step", "train_config", "dataset")


def release_checkpoint(
    source: str | Path, target: str | Path, note: str | None = None, synthesis_region: str | None = None
) -> dict[str, Any]:
    """Write `target` from the training checkpoint `source`; returns a summary (step, sizes in bytes).

    `synthesis_region` (``face`` or ``mouth``) replaces the trained model's, recorded in the metadata."""
    from dataclasses import replace

    from core.checkpoint import load_generator, save_checkpoint
    from core.safety import refuse_overwriting_inputs

    refuse_overwriting_inputs(target, [source], "-o/--output")  # the training checkpoint is kept whole
    generator, checkpoint = load_generator(source)  # proves the weights fit the config before writing
    state = checkpoint.train_state if isinstance(checkpoint.train_state, dict) else {}
    metadata = {**checkpoint.metadata, "released_from": Path(source).name}
    if note:
        metadata["note"] = note
    config = checkpoint.config
    if synthesis_region is not None and synthesis_region != config.synthesis_region:
        config = replace(config, synthesis_region=synthesis_region)  # ModelConfig refuses a bad one
        trained = checkpoint.config.synthesis_region
        metadata["synthesis_region"] = f"{synthesis_region}, set at release (trained with {trained})"
    save_checkpoint(target, config, generator,
                    train_state={k: state[k] for k in KEPT_TRAIN_STATE if k in state}, metadata=metadata)
    return {"step": state.get("step"), "synthesis_region": config.synthesis_region, "source_bytes": Path(source).stat().st_size,
            "bytes": Path(target).stat().st_size, "path": str(target)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.release", description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint", help="a checkpoint written by `main.py train`")
    parser.add_argument("-o", "--output", required=True, help="the release file to write")
    parser.add_argument("--note", help="a line of provenance stored in the metadata")
    parser.add_argument("--synthesis-region", choices=("face", "mouth"),
                        help="where the released model may paint (default: as trained)")
    args = parser.parse_args(argv)
    from core.errors import UserError

    try:
        summary = release_checkpoint(args.checkpoint, args.output, args.note, args.synthesis_region)
    except UserError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"{summary['path']}: step {summary['step']}, {summary['bytes'] / 1e6:.1f} MB "
          f"(from {summary['source_bytes'] / 1e6:.1f} MB)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
