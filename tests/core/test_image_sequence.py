"""A folder of numbered frames drives like a video: same frames, same reader, proxy and hashing; gaps,
mixed sizes and mixed series are handled with a message a user can act on."""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from core.errors import ConfigError, InputError
from core.progress import run_to_end
from core.video import (
    CorruptFrameError,
    ImageSequenceReader,
    ProxyReader,
    VideoReader,
    VideoWriter,
    build_proxy,
    check_video_input,
    content_hash,
    is_image_sequence,
    open_reader,
    probe,
)

FRAMES = 30


@pytest.fixture(scope="module")
def megamind_frames(megamind_path: Path) -> list[np.ndarray]:
    """Megamind frames 0..29 as decoded by the video reader."""
    with VideoReader(megamind_path) as reader:
        return [np.array(f) for _, f in reader.iter_frames(0, FRAMES)]


def write_sequence(folder: Path, frames: list[np.ndarray], name: str = "frame_{}.png", numbers=None) -> Path:
    """Frames saved as images (unpadded numbers by default, so name order is not frame order)."""
    folder.mkdir(parents=True, exist_ok=True)
    for number, frame in zip(numbers or range(1, len(frames) + 1), frames, strict=True):
        cv2.imwrite(str(folder / name.format(number)), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    return folder


@pytest.fixture(scope="module")
def megamind_sequence(tmp_path_factory: pytest.TempPathFactory, megamind_frames: list[np.ndarray]) -> Path:
    return write_sequence(tmp_path_factory.mktemp("seq") / "megamind", megamind_frames)


def test_a_folder_of_png_frames_reads_as_the_same_frames_as_the_video(
    megamind_sequence: Path, megamind_frames: list[np.ndarray]
) -> None:
    assert is_image_sequence(megamind_sequence)
    with open_reader(megamind_sequence) as reader:
        assert isinstance(reader, ImageSequenceReader)
        assert (reader.frame_count, reader.size, reader.fps) == (FRAMES, (720, 528), 25.0)
        assert [i for i, f in reader.iter_frames() if not np.array_equal(f, megamind_frames[i])] == []
        for i in (17, 3, 29, 9, 10):  # random access, natural order (frame_10 after frame_9)
            assert np.array_equal(reader.read(i), megamind_frames[i])
        assert not reader.read(3).flags.writeable
        gray = dict(reader.iter_frames(0, 4, gray=True))
        assert gray[2].shape == (528, 720)
        assert np.abs(gray[2].astype(int) - cv2.cvtColor(megamind_frames[2], cv2.COLOR_RGB2GRAY)).max() == 0
        assert not reader.has_audio and reader.bad_frames == () and reader.keyframes == tuple(range(FRAMES))
        assert reader.time_range(10, 20) == pytest.approx((0.4, 0.8))
        assert reader.index_at(0.41) == 10 and reader.index_at(99) == FRAMES - 1
    info = probe(megamind_sequence, fps=12.5)
    assert (info.frame_count, info.fps, info.duration, info.video_codec, info.has_audio) == (FRAMES, 12.5, 2.4, "png", False)


def test_the_user_chooses_the_rate_within_bounds(megamind_sequence: Path) -> None:
    with open_reader(megamind_sequence, fps=30000 / 1001) as reader:
        assert reader.rate.denominator == 1001 and reader.duration == pytest.approx(FRAMES * 1001 / 30000)
        assert reader.timestamps[1] == pytest.approx(1001 / 30000)
    for bad in (0, -5, float("nan"), 5000):
        with pytest.raises(ConfigError, match="frame rate"):
            open_reader(megamind_sequence, fps=bad)


def test_jpeg_and_tiff_sequences_read_like_a_photo(tmp_path: Path, megamind_frames: list[np.ndarray]) -> None:
    small = [cv2.resize(f, (180, 132), interpolation=cv2.INTER_AREA) for f in megamind_frames[:4]]
    tiff = write_sequence(tmp_path / "tiff", small, "shot.{:04d}.tif", numbers=[100, 101, 102, 103])
    jpeg = write_sequence(tmp_path / "jpeg", small, "take{:03d}.JPG")
    with open_reader(tiff) as reader:
        assert reader.info.video_codec == "tiff" and np.array_equal(reader.read(3), small[3])
    with open_reader(jpeg) as reader:
        assert reader.frame_count == 4 and np.abs(reader.read(2).astype(int) - small[2]).mean() < 3


def test_phone_jpegs_turned_by_exif_are_read_upright(tmp_path: Path, megamind_frames: list[np.ndarray]) -> None:
    """Stored sideways with EXIF orientation 6 (as phones do): the sequence is as displayed, 132x180,
    and one frame without the tag (180x132 as displayed) is refused as a frame of another size."""
    from PIL import Image

    folder = tmp_path / "phone"
    folder.mkdir()
    upright = [cv2.resize(f, (132, 180), interpolation=cv2.INTER_AREA) for f in megamind_frames[:3]]
    for i, frame in enumerate(upright):
        sideways = Image.fromarray(np.ascontiguousarray(np.rot90(frame, 1)))  # stored turned a quarter left
        exif = Image.Exif()
        exif[0x0112] = 6  # "rotate 90 CW to display"
        sideways.save(folder / f"IMG_{i:04d}.jpg", quality=95, exif=exif)
    with open_reader(folder) as reader:
        assert reader.size == (132, 180)
        assert np.abs(reader.read(1).astype(int) - upright[1]).mean() < 4
    Image.fromarray(np.rot90(upright[0], 1).copy()).save(folder / "IMG_0003.jpg", quality=95)  # no tag
    with pytest.raises(InputError, match="differ in size"):
        open_reader(folder)


def test_a_missing_number_is_a_missing_frame_in_its_place(tmp_path: Path, megamind_frames: list[np.ndarray]) -> None:
    folder = write_sequence(tmp_path / "gap", megamind_frames[:8], numbers=[0, 1, 2, 3, 5, 6, 7, 8])  # no 4
    with open_reader(folder) as reader:
        assert reader.frame_count == 9 and reader.bad_frames == (4,)
        with pytest.raises(CorruptFrameError, match=r"missing.*numbered 4"):
            reader.read(4)
        assert [i for i, f in reader.iter_decoded() if f is None] == [4]
        assert np.array_equal(reader.read(5), megamind_frames[4])  # later frames keep their time
    stepped = write_sequence(tmp_path / "step", megamind_frames[:4], numbers=[10, 20, 30, 40])  # every 10th
    with open_reader(stepped) as reader:
        assert reader.frame_count == 4 and reader.bad_frames == ()


def test_a_damaged_frame_is_a_bad_frame_not_a_failure(tmp_path: Path, megamind_frames: list[np.ndarray]) -> None:
    folder = write_sequence(tmp_path / "damaged", megamind_frames[:5])
    (folder / "frame_3.png").write_bytes((folder / "frame_3.png").read_bytes()[:200])  # header, no pixels
    with open_reader(folder) as reader:
        assert [i for i, f in reader.iter_decoded() if f is None] == [2]
        assert reader.bad_frames == (2,)
        with pytest.raises(CorruptFrameError, match=r"frame_3\.png"):
            reader.read(2)


def test_folders_that_are_not_one_clean_sequence_are_refused_with_the_reason(
    tmp_path: Path, megamind_frames: list[np.ndarray]
) -> None:
    mixed = write_sequence(tmp_path / "mixed", megamind_frames[:3])
    cv2.imwrite(str(mixed / "frame_4.png"), np.zeros((64, 64, 3), np.uint8))
    with pytest.raises(InputError, match=r"differ in size.*720x528.*64x64"):
        open_reader(mixed)
    two = write_sequence(tmp_path / "two", megamind_frames[:2], "a_{}.png")
    write_sequence(two, megamind_frames[:2], "b_{}.png")
    with pytest.raises(InputError, match="several numbered series"):
        check_video_input(two)
    twice = write_sequence(tmp_path / "twice", megamind_frames[:2], "f{}.png")
    shutil.copy(twice / "f1.png", twice / "f01.png")
    with pytest.raises(InputError, match="appears twice"):
        open_reader(twice)
    dates = write_sequence(tmp_path / "dates", megamind_frames[:3], "day{}.png", numbers=[20240101, 20240315, 20240401])
    with pytest.raises(InputError, match="more gaps than frames"):
        open_reader(dates)
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "readme.txt").write_text("not frames")
    cv2.imwrite(str(notes / "cover.png"), megamind_frames[0])  # an image without a number
    assert not is_image_sequence(notes) and not is_image_sequence(tmp_path / "nowhere")
    with pytest.raises(InputError):
        open_reader(notes)


def test_the_content_hash_follows_the_frames_not_the_folder_name(
    tmp_path: Path, megamind_sequence: Path
) -> None:
    copy = shutil.copytree(megamind_sequence, tmp_path / "renamed")
    (copy / "frame_30.png").touch()  # a new time stamp, same bytes
    assert content_hash(copy) == content_hash(megamind_sequence)
    frame = cv2.imread(str(copy / "frame_12.png"))
    frame[100, 100] ^= 1  # one pixel of one frame
    cv2.imwrite(str(copy / "frame_12.png"), frame)
    changed = content_hash(copy)
    assert changed != content_hash(megamind_sequence)
    (copy / "frame_30.png").unlink()
    assert content_hash(copy) not in (changed, content_hash(megamind_sequence))


def test_a_sequence_gets_a_scrubbing_proxy_and_exports_without_sound(
    tmp_path: Path, megamind_sequence: Path, megamind_frames: list[np.ndarray]
) -> None:
    proxy = run_to_end(build_proxy(megamind_sequence, max_side=240))
    with ProxyReader(proxy) as reduced:
        assert (len(reduced), reduced.size) == (FRAMES, (240, 176))
        expected = cv2.resize(megamind_frames[20], (240, 176), interpolation=cv2.INTER_AREA)
        assert np.abs(reduced.read(20).astype(int) - expected).mean() < 3
    target = tmp_path / "out.mp4"
    with VideoWriter(target, 25, (64, 48), audio_source=megamind_sequence) as writer:
        assert not writer.has_audio
        writer.write(np.zeros((48, 64, 3), np.uint8))
    assert target.exists()
