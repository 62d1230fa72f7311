"""Read any photo a user may drop in as an upright HxWx3 uint8 RGB array, or fail with a clear message.

Everything downstream (detection, alignment, the network) expects 8-bit RGB, upright as the user sees
the photo in a viewer. So EXIF orientation is applied; grayscale, palette, 16-bit, float and CMYK
images are converted; transparency is composited on **white** (a cut-out portrait then looks as on a
page, and a face never turns black); animated files give their first frame. Unreadable, empty,
truncated and absurdly large files raise `InputError` with a one-line message.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from core.errors import InputError

if TYPE_CHECKING:
    from PIL import Image as PILImage

#: Largest image accepted, in pixels (about 100 MP). Bigger files are almost always a mistake or a
#: decompression bomb; decoding one would take gigabytes of memory.
MAX_PIXELS = 100_000_000

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm")


def read_image(path: str | Path, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """The photo at `path` as an upright HxWx3 uint8 RGB array (EXIF orientation applied).

    Raises `InputError` when the file is missing, empty, not an image, damaged, or larger than
    `max_pixels`.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    path = Path(path)
    name = path.name
    if not path.exists():
        raise InputError(f"{path} does not exist: check the file name")
    if path.is_dir():
        raise InputError(f"{path} is a folder, not an image: pick an image file")
    from core.safety import refuse_special_file

    refuse_special_file(path)  # a pipe or device: reading it could block forever
    if path.stat().st_size == 0:
        raise InputError(f"{name} is empty (0 bytes): the file was not copied or saved completely")
    try:
        with warnings.catch_warnings():
            # Pillow warns from 89 MP and refuses from 179 MP; the size check below sets our own limit.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(path)
            with image:
                width, height = image.size
                if width * height > max_pixels:
                    raise InputError(_too_large(name, width, height, max_pixels))
                image.seek(0)  # first frame of an animation
                image.load()
                image = ImageOps.exif_transpose(image)
                return _pil_to_rgb(image)
    except Image.DecompressionBombError as err:
        raise InputError(
            f"{name} is far larger than the {max_pixels / 1e6:.0f} MP this app opens (it may be a "
            "decompression bomb): downscale it first"
        ) from err
    except UnidentifiedImageError as err:
        raise InputError(
            f"{name} is not an image this app can read: use JPEG, PNG, BMP, TIFF or WebP"
        ) from err
    except (OSError, SyntaxError, ValueError) as err:
        # Pillow reports truncated or damaged data as OSError (and a few plugins as SyntaxError).
        reason = " ".join(str(err).split()) or type(err).__name__
        raise InputError(f"{name} is damaged or truncated ({reason}): re-export or re-download it") from err


def as_rgb(array: np.ndarray) -> np.ndarray:
    """An already-loaded image (HxW, HxWx1/3/4; uint8, uint16 or float in [0, 1]) as HxWx3 uint8 RGB.

    Four channels are taken as RGBA and composited on white, like `read_image` does.
    """
    array = np.asarray(array)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[..., 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise InputError(f"an image must be HxW, HxWx3 or HxWx4, got shape {array.shape}")
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise InputError("the image is empty (0 pixels)")
    array = _to_uint8(array)
    if array.ndim == 2:
        return np.repeat(array[..., None], 3, axis=2)
    if array.shape[2] == 4:
        return _composite_on_white(array[..., :3], array[..., 3])
    return np.ascontiguousarray(array)


def _too_large(name: str, width: int, height: int, max_pixels: int) -> str:
    return (
        f"{name} is {width}x{height} ({width * height / 1e6:.0f} MP), more than the "
        f"{max_pixels / 1e6:.0f} MP this app opens: downscale it first"
    )


def _pil_to_rgb(image: PILImage.Image) -> np.ndarray:
    """Any Pillow mode -> HxWx3 uint8 RGB."""
    mode = image.mode
    if mode == "RGB":
        return np.asarray(image, dtype=np.uint8).copy()
    if mode == "CMYK":
        return np.asarray(_cmyk_to_rgb(image), dtype=np.uint8).copy()
    if mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        return as_rgb(np.asarray(image))
    if "transparency" in image.info or mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = np.asarray(image.convert("RGBA"), dtype=np.uint8)
        return _composite_on_white(rgba[..., :3], rgba[..., 3])
    return np.asarray(image.convert("RGB"), dtype=np.uint8).copy()


def _cmyk_to_rgb(image: PILImage.Image) -> PILImage.Image:
    """CMYK -> RGB through the embedded ICC profile when there is one, else Pillow's plain formula."""
    profile = image.info.get("icc_profile")
    if profile:
        import io

        from PIL import ImageCms

        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
            return ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"), outputMode="RGB")
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a broken profile: the plain conversion below is still a usable picture
    return image.convert("RGB")


def _to_uint8(array: np.ndarray) -> np.ndarray:
    """Scale 16-bit, 32-bit and float data to uint8 (16-bit by /257, float [0, 1] by *255)."""
    if array.dtype == np.uint8:
        return array
    if array.dtype == np.bool_:
        return array.astype(np.uint8) * 255
    if np.issubdtype(array.dtype, np.floating):
        finite = np.nan_to_num(array.astype(np.float32), nan=0.0, posinf=1.0, neginf=0.0)
        scale = 255.0 if finite.max(initial=0.0) <= 1.0 else 1.0
        return np.clip(finite * scale + 0.5, 0, 255).astype(np.uint8)
    if np.issubdtype(array.dtype, np.integer):
        top = int(array.max(initial=0))
        if top <= 255 and array.min(initial=0) >= 0:
            return array.astype(np.uint8)
        if top <= 65535:
            return (array.astype(np.uint32) // 257).astype(np.uint8)
        scaled = array.astype(np.float64) * (255.0 / top)
        return np.clip(scaled + 0.5, 0, 255).astype(np.uint8)
    raise InputError(f"unsupported image data type {array.dtype}")


def _composite_on_white(rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Blend `rgb` over a white background by `alpha` (0 transparent, 255 opaque)."""
    a = alpha.astype(np.float32)[..., None] / 255.0
    out = rgb.astype(np.float32) * a + 255.0 * (1.0 - a)
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)
