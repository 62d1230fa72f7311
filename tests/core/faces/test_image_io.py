"""Photos of every kind open upright as 8-bit RGB; broken or absurd files get a clear message."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.errors import InputError
from core.faces.image_io import as_rgb, read_image


def gradient(h: int = 40, w: int = 60) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w]
    return np.stack([x * 255 // (w - 1), y * 255 // (h - 1), np.full_like(x, 90)], -1).astype(np.uint8)


def test_rgb_jpeg_reads_as_rgb_uint8(tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    Image.fromarray(gradient()).save(path, quality=95)
    image = read_image(path)
    assert image.shape == (40, 60, 3) and image.dtype == np.uint8
    assert np.abs(image.astype(int) - gradient()).mean() < 3


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    """A phone photo stored sideways with orientation 6 (rotate 90 clockwise to view) comes out upright."""
    upright = gradient()
    stored = np.rot90(upright, k=1)  # what the camera wrote: the upright picture turned left
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / "phone.png"
    Image.fromarray(np.ascontiguousarray(stored)).save(path, exif=exif)
    assert np.array_equal(read_image(path), upright)


def test_grayscale_palette_and_sixteen_bit_become_rgb(tmp_path: Path) -> None:
    gray = (np.arange(40 * 60) % 256).reshape(40, 60).astype(np.uint8)
    Image.fromarray(gray).save(tmp_path / "gray.png")
    assert np.array_equal(read_image(tmp_path / "gray.png"), np.repeat(gray[..., None], 3, 2))

    Image.fromarray(gradient()).convert("P", palette=Image.Palette.ADAPTIVE).save(tmp_path / "pal.gif")
    palette = read_image(tmp_path / "pal.gif")
    assert palette.shape == (40, 60, 3) and np.abs(palette.astype(int) - gradient()).mean() < 12

    deep = (gray.astype(np.uint16) * 257).astype(np.uint16)
    Image.fromarray(deep).save(tmp_path / "deep.png")
    assert Image.open(tmp_path / "deep.png").mode.startswith("I")
    assert np.array_equal(read_image(tmp_path / "deep.png"), np.repeat(gray[..., None], 3, 2))


def test_transparency_is_composited_on_white(tmp_path: Path) -> None:
    rgba = np.zeros((10, 10, 4), np.uint8)
    rgba[..., 0] = 200
    rgba[:, 5:, 3] = 255  # right half opaque red, left half fully transparent
    Image.fromarray(rgba, "RGBA").save(tmp_path / "cutout.png")
    image = read_image(tmp_path / "cutout.png")
    assert (image[:, :5] == 255).all()
    assert (image[:, 5:] == [200, 0, 0]).all()


def test_cmyk_jpeg_is_converted(tmp_path: Path) -> None:
    Image.fromarray(gradient()).convert("CMYK").save(tmp_path / "print.jpg", quality=95)
    assert Image.open(tmp_path / "print.jpg").mode == "CMYK"
    image = read_image(tmp_path / "print.jpg")
    assert image.shape == (40, 60, 3) and np.abs(image.astype(int) - gradient()).mean() < 8


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "empty"),
        (b"this is not a picture at all", "not an image"),
        (None, "does not exist"),
    ],
)
def test_bad_files_give_a_clear_message(tmp_path: Path, content: bytes | None, expected: str) -> None:
    path = tmp_path / "portrait.jpg"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError, match=expected) as info:
        read_image(path)
    assert "\n" not in str(info.value)


def test_truncated_jpeg_is_reported_as_damaged(tmp_path: Path, obama_path: Path) -> None:
    data = obama_path.read_bytes()
    path = tmp_path / "cut.jpg"
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(InputError, match="damaged or truncated"):
        read_image(path)


def test_huge_images_are_refused_before_decoding(tmp_path: Path) -> None:
    path = tmp_path / "huge.png"
    Image.new("L", (3000, 2000)).save(path)
    with pytest.raises(InputError, match=r"3000x2000 \(6 MP\), more than the 5 MP"):
        read_image(path, max_pixels=5_000_000)
    assert read_image(path, max_pixels=6_000_000).shape == (2000, 3000, 3)


def test_loaded_arrays_are_normalised() -> None:
    assert as_rgb(np.full((4, 4), 7, np.uint8)).shape == (4, 4, 3)
    assert as_rgb(np.full((4, 4, 3), 1.0, np.float32)).max() == 255
    assert as_rgb(np.full((4, 4, 3), 65535, np.uint16)).max() == 255
    rgba = np.zeros((2, 2, 4), np.uint8)
    assert (as_rgb(rgba) == 255).all()  # fully transparent -> white
    with pytest.raises(InputError):
        as_rgb(np.zeros((4, 4, 5), np.uint8))


def test_decompression_bombs_are_refused_with_the_default_limit(tmp_path: Path) -> None:
    """A 13 kB PNG that would decode to 108 MP (and one of 200 MP) is refused without decoding."""
    for size, expected in (((12000, 9000), "108 MP"), ((20000, 10000), "decompression bomb")):
        path = tmp_path / f"bomb{size[0]}.png"
        Image.new("1", size).save(path)
        assert path.stat().st_size < 100_000
        with pytest.raises(InputError, match=expected):
            read_image(path)
