"""Which network is loaded (or loading, or missing) and on which device, for the badge and banners."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from PySide6.QtCore import QObject, Signal

Status = Literal["none", "loading", "ready", "error"]
_KINDS = {"demo": "bundled demo model", "random": "untrained network (random weights)", "file": "checkpoint"}


@dataclass(frozen=True)
class ModelInfo:
    """Facts about a loaded network, computed in the worker that loaded it."""

    kind: str  # "demo", "file" or "random"
    name: str  # file name, or "untrained network"
    path: Path | None
    resolution: int
    device: str  # human description, e.g. "cpu (2 threads)"
    parameters: int
    random_weights: bool
    trained_steps: int | None = None

    @property
    def is_demo(self) -> bool:
        return self.kind == "demo"


class ModelState(QObject):
    """Announces `changed` whenever the status, the loaded model or the message changes."""

    changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.status: Status = "none"
        self.info: ModelInfo | None = None
        self.message = ""  # why there is no model, or the loading error
        self.loading_what = ""

    @property
    def ready(self) -> bool:
        return self.status == "ready" and self.info is not None

    def set_loading(self, what: str) -> None:
        self.status, self.loading_what, self.message = "loading", what, ""
        self.changed.emit()

    def set_ready(self, info: ModelInfo) -> None:
        self.status, self.info, self.message, self.loading_what = "ready", info, "", ""
        self.changed.emit()

    def set_none(self, message: str) -> None:
        self.status, self.info, self.message, self.loading_what = "none", None, message, ""
        self.changed.emit()

    def set_error(self, message: str) -> None:
        self.status, self.info, self.message, self.loading_what = "error", None, message, ""
        self.changed.emit()

    # -- what the badge says -----------------------------------------------------------------------------
    @property
    def badge(self) -> tuple[str, str, str]:
        """(text, level, tooltip); level is "ok", "demo", "warning" or "danger"."""
        if self.status == "loading":
            return ("Loading model…", "demo", f"Loading {self.loading_what}…")
        if self.status == "error":
            return ("Model failed to load", "danger", self.message)
        if self.status == "none" or self.info is None:
            return ("No model", "danger", self.message or NO_MODEL_HELP)
        info = self.info
        if info.random_weights:
            return (
                "UNTRAINED · random weights",
                "danger",
                "An untrained network with random weights is loaded, for testing the app only: "
                "its output is noise, not a face. Choose a trained checkpoint.",
            )
        if info.is_demo:
            return (
                f"Demo quality · {info.resolution} px",
                "demo",
                "The bundled demo model: a small network trained for minutes on a CPU, so faces come out soft "
                "and approximate. Load a trained checkpoint or train one on your own footage (the Train "
                "workspace) for production work.",
            )
        return (f"{info.name} · {info.resolution} px", "ok",
                f"Checkpoint {info.path}\n{info.resolution} px, {info.parameters / 1e6:.1f} M parameters")

    @property
    def quality_lines(self) -> tuple[str, str]:
        """The viewer's caption of the model in artist terms, long and short ("" when nothing needs saying)."""
        info = self.info
        if self.status != "ready" or info is None or info.random_weights or not info.is_demo:
            return ("", "")
        return (f"Demo quality · {info.resolution} px model: load or train one for sharper faces",
                f"Demo quality · {info.resolution} px")

    def details(self) -> tuple[str, str]:
        """(title, text): the loaded model in technical terms, for the details dialog."""
        info = self.info
        if info is None:
            return ("No model", self.message or NO_MODEL_HELP)
        lines = [
            f"File: {info.path or info.name}",
            f"Kind: {_KINDS.get(info.kind, info.kind)}",
            f"Resolution: {info.resolution} px (the network's face crop; the result is rendered from it)",
            f"Parameters: {info.parameters / 1e6:.2f} M",
            f"Trained steps: {info.trained_steps:,}" if info.trained_steps else "Trained steps: not recorded",
            f"Device: {info.device}",
        ]
        if info.is_demo:
            lines.append("\nThe demo model was trained for minutes on a CPU on a few clips: it shows what the app does, "
                         "not what a fully trained model can do. Model ▸ Choose checkpoint… loads a better one; the "
                         "Train workspace trains one on your footage.")
        return ("Model details", "\n".join(lines))


NO_MODEL_HELP = (
    "No trained model is loaded, so nothing can be rendered. Choose a checkpoint with "
    "Model ▸ Choose checkpoint…, or train one with `python main.py train` (see README). "
    "This build has no bundled demo model."
)
