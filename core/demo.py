"""The demo scene: the public-domain astronaut portrait driven by the built-in performance.

Everything comes from `resources/` (the portrait is NASA's astronaut photo as bundled with
scikit-image, public domain), so the scene needs no file from the user and works in the frozen app.
"""

from __future__ import annotations

import numpy as np

from core.errors import InputError

DEMO_PORTRAIT = ("demo", "astronaut.png")


def demo_portrait() -> np.ndarray:
    """The astronaut portrait as (512, 512, 3) uint8 RGB."""
    from core.faces.image_io import read_image
    from resources import resource_path

    path = resource_path(*DEMO_PORTRAIT)
    if not path.is_file():
        raise InputError(f"the demo portrait is missing from this build ({path}): open your own portrait")
    return read_image(path)
