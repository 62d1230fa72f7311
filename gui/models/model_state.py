"""Which network is loaded (or loading, or missing) and on which device, for the badge and banners."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from PySide6.QtCore import QObject, Signal

Status = Literal["none", "loading", "ready", "error"]


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
                "Demo model",
                "demo",
                "The bundled demo model, trained on a few minutes of material on a CPU: expect soft, "
                "approximate faces. Train a real model (Training panel, or `main.py train` on "
                "VoxCeleb) for production work.",
            )
        return (info.name, "ok", f"Checkpoint {info.path}\n{info.resolution} px, {info.parameters / 1e6:.1f} M parameters")


NO_MODEL_HELP = (
    "No trained model is loaded, so nothing can be rendered. Choose a checkpoint with "
    "Model ▸ Choose checkpoint…, or train one with `python main.py train` (see README). "
    "This build has no bundled demo model."
)
