"""Video I/O as a user meets it: scrubbing shows the right frame, exports come out complete or not at all."""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import subprocess
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from PIL import Image

from core.errors import Cancelled, InputError, OutputError
from core.progress import CancelToken, run_to_end
from core.video import (
    SYNTHETIC_COMMENT,
    CorruptFrameError,
    ProxyReader,
    VideoReader,
    VideoWriter,
    build_proxy,
    find_proxy,
    probe,
    proxy_path,
)

# -- material made in the tests ---------------------------------------------------------------------


def coded_frame(i: int, width: int = 128, height: int = 96) -> np.ndarray:
    """A frame that says its own number: 8 white/black 16 px blocks on top, moving gradients below."""
    img = np.zeros((height, width, 3), np.uint8)
    img[32:, :, 0] = (np.arange(width)[None, :] * 2 + i * 7) % 256
    img[32:, :, 1] = (np.arange(height - 32)[:, None] * 3 + i * 5) % 256
    for bit in range(8):
        if i >> bit & 1:
            img[:16, bit * 16 : (bit + 1) * 16] = 255
    return img


def frame_number(img: np.ndarray) -> int:
    return sum(1 << bit for bit in range(8) if img[4:12, bit * 16 + 4 : bit * 16 + 12].mean() > 128)


def write_coded_mp4(path: Path, pts_ms: list[int], rotation: int = 0, gop: int = 10) -> Path:
    """H.264 with B-frames and a keyframe every `gop` frames, at the given presentation times (ms)."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=30, options={"g": str(gop), "bf": "2", "preset": "veryfast"})
        stream.width, stream.height, stream.pix_fmt = 128, 96, "yuv420p"
        stream.codec_context.time_base = Fraction(1, 1000)
        if rotation:
            stream.set_display_rotation(rotation)
        for i, pts in enumerate(pts_ms):
            frame = av.VideoFrame.from_ndarray(coded_frame(i))
            frame.pts, frame.time_base = pts, Fraction(1, 1000)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


def damaged_copy(source: Path, target: Path, offset: int, length: int) -> Path:
    data = bytearray(source.read_bytes())
    data[offset : offset + length] = (
        np.random.default_rng(7).integers(0, 256, length, dtype=np.uint8).tobytes()
    )
    target.write_bytes(bytes(data))
    return target


def digest(img: np.ndarray) -> bytes:
    return hashlib.blake2b(np.ascontiguousarray(img).tobytes(), digest_size=16).digest()


def stream_facts(path: Path) -> dict:
    """What a player sees in an exported MP4: frames, rate, size, audio codec and seconds of sound."""
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        facts = {
            "size": (video.codec_context.width, video.codec_context.height),
            "rate": video.average_rate,
            "comment": container.metadata.get("comment", ""),
            "audio": container.streams.audio[0].codec_context.name if container.streams.audio else None,
        }
        facts["frames"] = sum(1 for _ in container.decode(video=0))
    if facts["audio"]:
        with av.open(str(path)) as container:
            stream = container.streams.audio[0]
            facts["audio_s"] = float(stream.duration * stream.time_base)
    return facts


@pytest.fixture(scope="module")
def megamind(megamind_path: Path) -> VideoReader:
    return VideoReader(megamind_path)


@pytest.fixture(scope="module")
def megamind_digests(megamind: VideoReader) -> dict[int, bytes]:
    return {i: digest(frame) for i, frame in megamind.iter_frames()}


# -- reading ----------------------------------------------------------------------------------------


def test_megamind_facts_match_the_file(megamind: VideoReader) -> None:
    assert megamind.frame_count == 270
    assert megamind.size == (720, 528)
    assert megamind.fps == pytest.approx(23.976, abs=1e-3)
    assert megamind.keyframes == (0, 1, 98, 154, 200)
    assert megamind.has_audio and megamind.audio_codec == "ac3"
    assert len(megamind.timestamps) == 270 and np.all(np.diff(megamind.timestamps) > 0)
    assert megamind.duration == pytest.approx(270 / 23.976, abs=0.05)
    info = probe(megamind.path)
    assert (info.width, info.height, info.has_audio) == (720, 528, True)


def test_random_access_equals_sequential_decoding_for_every_frame(
    megamind_path: Path, megamind_digests: dict[int, bytes]
) -> None:
    assert len(megamind_digests) == 270  # a healthy file: every frame decodes
    with av.open(str(megamind_path)) as plain:  # FFmpeg's own sequential order, no index of ours
        assert [digest(f.to_ndarray(format="rgb24")) for f in plain.decode(video=0)] == [
            megamind_digests[i] for i in range(270)
        ]
    order = list(range(270))
    random.Random(3).shuffle(order)
    shuffled = VideoReader(megamind_path)
    assert [i for i in order if digest(shuffled.read(i)) != megamind_digests[i]] == []
    backwards = VideoReader(megamind_path, cache_mb=8)  # small cache: most reads must really seek
    assert [i for i in reversed(order) if digest(backwards.read(i)) != megamind_digests[i]] == []
    assert [i for i in range(269, -1, -1) if digest(backwards.read(i)) != megamind_digests[i]] == []
    assert shuffled.bad_frames == backwards.bad_frames == ()


def test_frames_are_read_only_and_cached_reads_are_the_same(megamind: VideoReader) -> None:
    first = megamind.read(150)
    again = megamind.read(150)
    assert np.array_equal(first, again)
    assert first.shape == (528, 720, 3) and first.dtype == np.uint8
    with pytest.raises(ValueError):
        first[0, 0, 0] = 1


def test_iter_frames_streams_exactly_the_range(megamind: VideoReader, megamind_digests) -> None:
    got = list(megamind.iter_frames(95, 103))
    assert [i for i, _ in got] == list(range(95, 103))
    assert all(digest(frame) == megamind_digests[i] for i, frame in got)


def gray(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY)


def test_gray_streaming_gives_each_frame_as_grayscale_in_full_range(megamind: VideoReader) -> None:
    """The analysis' fast path (the luma plane, no colour conversion) shows the same frames as RGB."""
    streamed = list(megamind.iter_frames(95, 103, gray=True))
    assert [i for i, _ in streamed] == list(range(95, 103))
    for i, luma in streamed:
        assert luma.shape == (528, 720) and luma.dtype == np.uint8 and not luma.flags.writeable
        assert np.abs(luma.astype(int) - gray(megamind.read(i))).mean() < 1.5
    first = next(megamind.iter_frames(gray=True))[1]
    assert first.max() == 0  # the black first frame is 0, not video black (16): stretched to full range


def test_b_frames_and_variable_frame_rate_are_indexed_by_timestamp(tmp_path: Path) -> None:
    pts_ms = [int(t) for t in np.cumsum([0] + [33 if k % 5 else 120 for k in range(1, 45)])]
    reader = VideoReader(write_coded_mp4(tmp_path / "vfr.mp4", pts_ms))
    assert reader.frame_count == 45
    assert np.allclose(reader.timestamps, np.asarray(pts_ms) / 1000)
    assert reader.is_variable_rate
    assert [frame_number(f) for _, f in reader.iter_frames()] == list(range(45))
    assert [frame_number(f) for _, f in reader.iter_frames(gray=True)] == list(range(45))
    order = list(range(45))
    random.Random(5).shuffle(order)
    assert [i for i in order if frame_number(reader.read(i)) != i] == []
    assert reader.index_at(pts_ms[20] / 1000 + 0.01) == 20


@pytest.mark.parametrize("rotation", [90, -90, 180])
def test_rotation_metadata_is_applied_like_ffmpeg_does(tmp_path: Path, rotation: int) -> None:
    import imageio_ffmpeg

    path = write_coded_mp4(tmp_path / "phone.mp4", [0, 33, 66], rotation=rotation)
    reader = VideoReader(path)
    w, h = reader.size
    assert (w, h) == ((128, 96) if rotation == 180 else (96, 128))
    assert probe(path).size == (w, h)
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(path), "-frames:v", "1"]
    raw = subprocess.run(
        [*command, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
        capture_output=True,
        check=True,
    ).stdout
    upright_by_ffmpeg = np.frombuffer(raw, np.uint8).reshape(h, w, 3)
    assert np.abs(reader.read(0).astype(int) - upright_by_ffmpeg).max() <= 1
    _, luma = next(reader.iter_frames(gray=True))
    assert luma.shape == (h, w) and np.abs(luma.astype(int) - gray(upright_by_ffmpeg)).mean() < 2


def test_damaged_video_yields_its_good_frames_and_reports_the_bad_ones(
    tmp_path: Path, megamind_path: Path, megamind_digests: dict[int, bytes]
) -> None:
    path = damaged_copy(megamind_path, tmp_path / "damaged.avi", offset=600_000, length=3000)
    reader = VideoReader(path)
    frames = dict(reader.iter_frames())
    bad = reader.bad_frames
    assert bad and set(bad).isdisjoint(frames) and len(frames) + len(bad) == reader.frame_count
    # the damage sits between keyframes 98 and 154: frames before it and from the next keyframe on are
    # exactly the healthy file's, and the frames after it stay in place (closest to their own index)
    assert all(98 < i < 154 for i in bad)
    assert all(digest(frames[i]) == megamind_digests[i] for i in frames if i < min(bad) or i >= 154)
    healthy = VideoReader(megamind_path)
    for i in (max(bad) + 1, 150):
        errors = [np.abs(frames[i].astype(int) - healthy.read(j)).mean() for j in (i - 1, i, i + 1)]
        assert int(np.argmin(errors)) == 1
    # streaming every frame (what the analysis does) keeps one slot per frame: None for the bad ones
    decoded = list(VideoReader(path).iter_decoded(gray=True))
    assert [i for i, _ in decoded] == list(range(reader.frame_count))
    assert tuple(i for i, luma in decoded if luma is None) == bad
    assert all(
        np.abs(luma.astype(int) - gray(frames[i])).mean() < 1.5 for i, luma in decoded if luma is not None
    )
    # random access agrees with the sequential pass, and refuses the bad frames
    scrubbing = VideoReader(path)
    for i in range(reader.frame_count - 1, 90, -1):
        if i in bad:
            with pytest.raises(CorruptFrameError):
                scrubbing.read(i)
        else:
            assert digest(scrubbing.read(i)) == digest(frames[i])


def test_unreadable_files_are_input_errors(tmp_path: Path, obama_path: Path) -> None:
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    text = tmp_path / "notes.mp4"
    text.write_text("these are meeting notes, not a video\n" * 20)
    photo = tmp_path / "photo.mp4"
    shutil.copy(obama_path, photo)
    cases = {
        empty: "empty",
        text: "not a video",
        photo: "still image",
        tmp_path / "missing.mp4": "does not exist",
    }
    for path, phrase in cases.items():
        with pytest.raises(InputError, match=phrase):
            VideoReader(path)
        with pytest.raises(InputError):
            probe(path)


# -- writing ----------------------------------------------------------------------------------------


def test_mp4_export_has_frames_rate_even_size_and_the_driving_audio(
    tmp_path: Path, megamind: VideoReader
) -> None:
    start, stop = 40, 88
    audio_start, audio_end = megamind.time_range(start, stop)
    target = tmp_path / "out.mp4"
    with VideoWriter(
        target,
        megamind.rate,
        (101, 77),
        audio_source=megamind.path,
        audio_start_s=audio_start,
        audio_end_s=audio_end,
    ) as writer:
        assert writer.encoded_size == (102, 78) and writer.has_audio
        for _, frame in megamind.iter_frames(start, stop):
            writer.write(cv2.resize(frame, (101, 77), interpolation=cv2.INTER_AREA))
    facts = stream_facts(target)
    assert facts["frames"] == stop - start
    assert facts["rate"] == megamind.rate
    assert facts["size"] == (102, 78)
    assert facts["audio"] == "aac"  # Megamind's AC-3 does not go into MP4 as is
    assert facts["audio_s"] == pytest.approx(audio_end - audio_start, abs=2 / megamind.fps)
    assert facts["comment"] == SYNTHETIC_COMMENT
    assert oct(target.stat().st_mode & 0o777) != oct(0o600)  # not left private like a temporary file


def test_exported_sound_is_cut_at_the_range_start_and_stays_in_sync(tmp_path: Path) -> None:
    rate = 48000
    sound = np.zeros(3 * rate, np.float32)
    for at in (1.0, 2.0):  # 10 ms beeps
        k = int(at * rate)
        sound[k : k + 480] = 0.5 * np.sin(2 * np.pi * 1000 * np.arange(480) / rate)
    wav = tmp_path / "beeps.wav"
    with av.open(str(wav), "w") as out:
        stream = out.add_stream("pcm_s16le", rate=rate)
        stream.codec_context.layout = "mono"
        for pos in range(0, sound.size, 1024):
            chunk = (sound[None, pos : pos + 1024] * 32767).astype(np.int16)
            frame = av.AudioFrame.from_ndarray(chunk, format="s16", layout="mono")
            frame.sample_rate, frame.pts = rate, pos
            for packet in stream.encode(frame):
                out.mux(packet)
    target = tmp_path / "beeps.mp4"
    with VideoWriter(target, 25, (64, 64), audio_source=wav, audio_start_s=0.7, audio_end_s=2.9) as writer:
        for _ in range(55):
            writer.write(np.zeros((64, 64, 3), np.uint8))
    with av.open(str(target)) as container:
        heard = np.concatenate([f.to_ndarray()[0] for f in container.decode(audio=0)])
    loud = np.abs(heard) > 0.1
    onsets = np.flatnonzero(loud[1:] & ~loud[:-1]) / rate
    first_of_each = [onsets[0], onsets[onsets > onsets[0] + 0.5][0]]
    assert first_of_each == pytest.approx([0.3, 1.3], abs=0.002)


def test_mp4_export_keeps_the_rendered_colours_and_pads_with_edge_pixels(tmp_path: Path) -> None:
    frame = np.zeros((77, 101, 3), np.uint8)
    patches = [(230, 40, 40), (40, 200, 60), (50, 60, 220), (128, 128, 128)]
    for k, colour in enumerate(patches):
        frame[:, k * 25 : (k + 1) * 25] = colour
    frame[:, 100] = (200, 200, 30)
    with VideoWriter(tmp_path / "colours.mp4", 25, (101, 77), quality=95) as writer:
        for _ in range(3):
            writer.write(frame)
    back = VideoReader(tmp_path / "colours.mp4").read(1)
    assert back.shape == (78, 102, 3)
    for k, colour in enumerate(patches):
        assert np.abs(back[20:60, k * 25 + 6 : k * 25 + 19].mean(axis=(0, 1)) - colour).max() < 4
    assert np.abs(back[:, 101].astype(int) - back[:, 100]).mean() < 4  # padding repeats the edge
    assert np.abs(back[77].astype(int) - back[76]).mean() < 4


def test_source_without_audio_gives_a_silent_mp4(tmp_path: Path) -> None:
    silent_source = write_coded_mp4(tmp_path / "silent.mp4", list(range(0, 330, 33)))
    target = tmp_path / "out.mp4"
    with VideoWriter(target, 30, (128, 96), audio_source=silent_source, audio_start_s=0.0) as writer:
        assert not writer.has_audio
        for i in range(6):
            writer.write(coded_frame(i))
    facts = stream_facts(target)
    assert facts["audio"] is None and facts["frames"] == 6


def test_a_callers_own_comment_keeps_the_synthetic_mark(tmp_path: Path) -> None:
    target = tmp_path / "titled.mp4"
    with VideoWriter(
        target, 25, (128, 96), metadata={"comment": "holiday clip", "title": "Uncle Bob"}
    ) as writer:
        writer.write(coded_frame(0))
    with av.open(str(target)) as container:
        assert container.metadata["title"] == "Uncle Bob"
        assert SYNTHETIC_COMMENT in container.metadata["comment"]
        assert "holiday clip" in container.metadata["comment"]


@pytest.mark.parametrize("how", ["cancel", "exception", "token"])
def test_stopping_mid_export_leaves_no_file_and_the_old_one_untouched(
    tmp_path: Path, megamind_path: Path, how: str
) -> None:
    target = tmp_path / "result.mp4"
    target.write_bytes(b"the previous export")
    token = CancelToken()

    class Boom(Exception):
        pass

    with (
        pytest.raises(Boom if how == "exception" else Cancelled),
        VideoWriter(target, 25, (128, 96), audio_source=megamind_path, cancel=token) as writer,
    ):
        for i in range(12):
            if i == 6:
                if how == "cancel":
                    writer.cancel()
                    raise Cancelled("stopped by the user")
                if how == "exception":
                    raise Boom("render failed")
                token.cancel()  # the next write raises Cancelled
            writer.write(coded_frame(i))
    assert target.read_bytes() == b"the previous export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result.mp4"]


def test_unwritable_target_fails_before_any_frame_is_rendered(tmp_path: Path) -> None:
    rendered = []

    def frames():
        for i in range(3):
            rendered.append(i)
            yield coded_frame(i)

    def export(target: Path) -> None:
        with VideoWriter(target, 25, (128, 96)) as writer:
            for frame in frames():
                writer.write(frame)

    with pytest.raises(OutputError, match="does not exist"):
        export(tmp_path / "no" / "such" / "folder" / "out.mp4")
    with pytest.raises(OutputError, match="end the name"):
        export(tmp_path / "out.avi")
    not_a_folder = tmp_path / "file.txt"
    not_a_folder.write_text("x")
    with pytest.raises(OutputError, match="not a folder"):
        export(not_a_folder / "out.mp4")
    assert rendered == []
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("running with permissions that ignore a read-only folder (root)")
        with pytest.raises(OutputError, match="cannot write"):
            export(locked / "out.mp4")
    finally:
        locked.chmod(0o700)
    assert rendered == []


@pytest.mark.parametrize("kind", ["gif", "webp"])
def test_animated_exports_have_every_frame_and_the_synthetic_tag(tmp_path: Path, kind: str) -> None:
    target = tmp_path / f"loop.{kind}"
    with VideoWriter(target, 25, (101, 77)) as writer:
        for i in range(9):
            writer.write(cv2.resize(coded_frame(i), (101, 77), interpolation=cv2.INTER_NEAREST))
    with Image.open(target) as image:
        assert image.n_frames == 9 and image.size == (101, 77)
        tag = image.info.get("comment", b"") if kind == "gif" else image.info.get("xmp", b"")
        assert SYNTHETIC_COMMENT.encode() in tag
        for i in (4, 5):  # the frame-number blocks survive: bit 0 is off in frame 4, on in frame 5
            image.seek(i)
            block = np.asarray(image.convert("RGB"), dtype=float)[2:10, 2:10].mean()
            assert (block > 128) == bool(i & 1)


def test_png_folder_export_is_lossless_tagged_and_replaces_a_previous_export(tmp_path: Path) -> None:
    target = tmp_path / "frames"
    for count in (5, 3):  # the second export replaces the first whole: no frame 3, 4 left over
        with VideoWriter(target, 25, (101, 77)) as writer:
            for i in range(count):
                writer.write(cv2.resize(coded_frame(i), (101, 77), interpolation=cv2.INTER_NEAREST))
    names = sorted(p.name for p in target.iterdir())
    assert names == ["frame_00000.png", "frame_00001.png", "frame_00002.png"]
    with Image.open(target / "frame_00002.png") as image:
        assert image.info["Comment"] == SYNTHETIC_COMMENT
        expected = cv2.resize(coded_frame(2), (101, 77), interpolation=cv2.INTER_NEAREST)
        assert np.array_equal(np.asarray(image.convert("RGB")), expected)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["frames"]
    (target / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match="other files"):
        VideoWriter(target, 25, (101, 77))


def _png_export(target: Path, count: int) -> None:
    with VideoWriter(target, 25, (64, 48)) as writer:
        for i in range(count):
            writer.write(cv2.resize(coded_frame(i), (64, 48), interpolation=cv2.INTER_NEAREST))


def test_a_png_export_through_a_path_with_dotdot_replaces_the_previous_one(tmp_path: Path) -> None:
    _png_export(tmp_path / "prev", 5)
    _png_export(tmp_path / "prev" / ".." / "prev", 3)  # "prev" is gone from the path once moved aside
    assert sorted(p.name for p in (tmp_path / "prev").iterdir()) == [f"frame_{i:05d}.png" for i in range(3)]
    assert [p.name for p in tmp_path.iterdir()] == ["prev"]  # nothing moved aside or half-written left
    # ".." after a link is the link's parent, as the system (and the check that outputs are not inputs) reads it
    (tmp_path / "elsewhere" / "inner").mkdir(parents=True)
    (tmp_path / "link").symlink_to(tmp_path / "elsewhere" / "inner")
    _png_export(tmp_path / "link" / ".." / "prev", 2)
    assert len(list((tmp_path / "elsewhere" / "prev").iterdir())) == 2 and len(list((tmp_path / "prev").iterdir())) == 3


def test_a_png_export_onto_a_link_replaces_the_link_and_keeps_what_it_pointed_to(tmp_path: Path) -> None:
    _png_export(tmp_path / "real", 4)
    (tmp_path / "link").symlink_to(tmp_path / "real")
    _png_export(tmp_path / "link", 2)
    assert not (tmp_path / "link").is_symlink() and len(list((tmp_path / "link").iterdir())) == 2
    assert len(list((tmp_path / "real").iterdir())) == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "real"]


@pytest.mark.parametrize("put_back", [True, False])
def test_a_png_export_that_cannot_take_its_place_keeps_the_previous_export(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, put_back: bool
) -> None:
    """The new folder cannot be renamed onto the target: the previous export goes back where it was, or,
    when that fails too, stays under a visible name the message gives (never a hidden one a later write
    would clean away)."""
    import core.video.writer as writer_module

    target = tmp_path / "frames"
    _png_export(target, 5)
    rename = os.replace

    def failing(src: str | Path, dst: str | Path) -> None:
        if ".part" in Path(src).name or (not put_back and ".aside" in Path(src).name and Path(dst) == target):
            raise OSError(28, "No space left on device")
        rename(src, dst)

    monkeypatch.setattr(writer_module.os, "replace", failing)
    with pytest.raises(OutputError) as raised:
        _png_export(target, 3)
    monkeypatch.undo()
    left = sorted(p.name for p in tmp_path.iterdir())
    if put_back:
        assert "disk is full" in str(raised.value) and left == ["frames"]
        assert len(list(target.iterdir())) == 5
    else:
        assert left == ["frames.previous"] and "kept at" in str(raised.value)
        assert str(tmp_path / "frames.previous") in str(raised.value)
        assert len(list((tmp_path / "frames.previous").iterdir())) == 5


def test_writer_refuses_frames_of_the_wrong_shape(tmp_path: Path) -> None:
    with VideoWriter(tmp_path / "x.mp4", 25, (128, 96)) as writer:
        writer.write(coded_frame(0))
        with pytest.raises(ValueError, match="96x128x3"):
            writer.write(np.zeros((96, 128, 4), np.uint8))
    assert stream_facts(tmp_path / "x.mp4")["frames"] == 1


# -- scrubbing proxy --------------------------------------------------------------------------------


def test_proxy_gives_every_frame_reduced_and_is_reused(megamind: VideoReader) -> None:
    steps = []
    path = run_to_end(build_proxy(megamind, max_side=256), steps.append)
    assert len(steps) == 270 and steps[-1].done == steps[-1].total == 270
    assert find_proxy(megamind.path, 256) == path
    with ProxyReader(path) as proxy:
        assert proxy.frame_count == 270 and proxy.size == (256, 188)
        for i in (0, 97, 269):
            small = proxy.read(i)
            expected = cv2.resize(megamind.read(i), proxy.size, interpolation=cv2.INTER_AREA)
            assert small.shape == (188, 256, 3)
            assert np.abs(small.astype(int) - expected).mean() < 4
    again = []
    assert run_to_end(build_proxy(megamind.path, max_side=256), again.append) == path
    assert len(again) == 1  # found in the cache, not rebuilt


def test_cancelled_proxy_build_raises_and_leaves_no_proxy(megamind_path: Path) -> None:
    token = CancelToken()
    with pytest.raises(Cancelled):
        for step in build_proxy(megamind_path, max_side=96, cancel=token):
            if step.done == 20:
                token.cancel()
    assert find_proxy(megamind_path, 96) is None
    assert not list(proxy_path(megamind_path, 96).parent.glob("*.part*"))


def test_proxy_of_a_damaged_video_marks_the_damaged_frames(tmp_path: Path, megamind_path: Path) -> None:
    path = damaged_copy(megamind_path, tmp_path / "damaged.avi", offset=600_000, length=3000)
    proxy_file = run_to_end(build_proxy(path, max_side=64))
    with ProxyReader(proxy_file) as proxy:
        assert proxy.bad_frames
        with pytest.raises(CorruptFrameError):
            proxy.read(proxy.bad_frames[0])
        assert proxy.read(proxy.bad_frames[-1] + 1).shape[2] == 3
