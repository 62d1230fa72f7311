"""The demo scene: the public-domain astronaut portrait driven by the built-in performance."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.errors import InputError

if TYPE_CHECKING:
    import numpy as np

#: Where a build may ship the demo portrait (issue 10 bundles it); otherwise scikit-image's copy.
DEMO_PORTRAIT = ("demo", "astronaut.png")


def demo_portrait() -> np.ndarray:
    """The astronaut portrait (NASA, public domain) as (512, 512, 3) uint8 RGB."""
    from resources import resource_path

    bundled = resource_path(*DEMO_PORTRAIT)
    if bundled.is_file():
        from core.faces.image_io import read_image

        return read_image(bundled)
    try:
        from skimage.data import astronaut
    except ImportError as err:
        raise InputError(
            "the demo portrait is not in this build (resources/demo/astronaut.png, or scikit-image): "
            "open your own portrait with File ▸ Open portrait…"
        ) from err
    return astronaut()


def demo_available() -> bool:
    """True when the demo scene can open: a bundled demo checkpoint exists."""
    from resources import default_checkpoint

    return default_checkpoint() is not None
