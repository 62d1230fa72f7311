"""The demo scene: the public-domain astronaut portrait driven by the built-in performance."""

from __future__ import annotations

from core.demo import DEMO_PORTRAIT, demo_portrait

__all__ = ["DEMO_PORTRAIT", "demo_available", "demo_portrait"]


def demo_available() -> bool:
    """True when the demo scene can open: a bundled demo checkpoint exists."""
    from resources import default_checkpoint

    return default_checkpoint() is not None
