"""Exports for compositing: transparency that decodes back to the matte, MOV/WebM as plain formats too,
MP4 with alpha refused before any work, and nothing left behind when an export stops."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from PIL import Image

from core.errors import Cancelled, OutputError
from core.progress import CancelToken
from core.video import SYNTHETIC_COMMENT, VideoReader, VideoWriter, check_output_format
from core.video.alpha import alpha_channel
from core.video.layers import LayeredWriter, layer_paths

W, H = 128, 96
FACE = 80  # side of the face's matte


@pytest.fixture(scope="module")
def portrait(astronaut: np.ndarray) -> np.ndarray:
    """The astronaut, reduced to the frame size."""
    return cv2.resize(astronaut, (W, H), interpolation=cv2.INTER_AREA)


def matte_at(t: int) -> np.ndarray:
    """A feathered oval matte, a face's size, moving right 3 px a frame."""
    matte = np.zeros((H, W), np.float32)
    centre = (10 + 3 * t + FACE // 2, 8 + FACE // 2)
    cv2.ellipse(matte, centre, (FACE * 3 // 8, FACE * 7 // 16), 0, 0, 360, 1.0, -1, cv2.LINE_AA)
    return cv2.GaussianBlur(matte, (0, 0), FACE / 24)


def frames(portrait: np.ndarray, count: int = 6) -> list[tuple[np.ndarray, np.ndarray]]:
    """(rgb, matte) pairs: the portrait shifting one pixel a frame under a moving matte."""
    return [(np.ascontiguousarray(np.roll(portrait, t, axis=1)), matte_at(t)) for t in range(count)]


def write_all(path: Path, pairs, alpha: bool = True, **kwargs) -> Path:
    with VideoWriter(path, 25, (W, H), alpha=alpha, **kwargs) as writer:
        for rgb, matte in pairs:
            writer.write(rgb, matte)
    return path


def decode_rgba(path: Path) -> tuple[list[np.ndarray], av.video.stream.VideoStream | None]:
    """Every frame as RGBA; VP9 through libvpx's decoder (FFmpeg's own drops the alpha plane)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        facts = (stream.codec_context.name, stream.profile, dict(stream.metadata))
        if facts[0] == "vp9":
            decoder = av.codec.CodecContext.create("libvpx-vp9", "r")
            decoded = [f for p in container.demux(stream) for f in decoder.decode(p if p.size else None)]
        else:
            decoded = list(container.decode(stream))
        formats = {f.format.name for f in decoded}
        return [f.to_ndarray(format="rgba") for f in decoded], (*facts, formats)


def alpha_error(decoded: list[np.ndarray], pairs) -> tuple[int, float]:
    errors = [np.abs(d[..., 3].astype(int) - alpha_channel(m, (W, H))) for d, (_, m) in zip(decoded, pairs, strict=True)]
    return max(int(e.max()) for e in errors), float(np.mean([e.mean() for e in errors]))


def far_and_on_the_face(alpha: np.ndarray, t: int) -> tuple[int, int]:
    """Alpha far from the face (the opposite corner) and at the face's centre."""
    x = 10 + 3 * t
    return int(alpha[H - 3 :, :4].max()), int(alpha[8 + FACE // 2 - 3 : 8 + FACE // 2 + 3, x + FACE // 2 - 3 : x + FACE // 2 + 3].min())


def test_rgba_png_frames_carry_the_matte_exactly(tmp_path: Path, portrait: np.ndarray) -> None:
    pairs = frames(portrait, 4)
    target = write_all(tmp_path / "frames", pairs)
    names = sorted(p.name for p in target.iterdir())
    assert names == [f"frame_{i:05d}.png" for i in range(4)]
    for i, (rgb, matte) in enumerate(pairs):
        with Image.open(target / names[i]) as image:
            assert image.mode == "RGBA" and image.info["Comment"] == SYNTHETIC_COMMENT
            rgba = np.asarray(image)
        assert np.array_equal(rgba[..., :3], rgb)
        assert np.array_equal(rgba[..., 3], alpha_channel(matte, (W, H)))
        assert far_and_on_the_face(rgba[..., 3], i) == (0, 255)


def test_prores_4444_mov_has_an_alpha_plane_that_decodes_to_the_matte(
    tmp_path: Path, portrait: np.ndarray, report_figure
) -> None:
    pairs = frames(portrait)
    target = write_all(tmp_path / "face.mov", pairs)
    decoded, (codec, profile, _, formats) = decode_rgba(target)
    assert (codec, profile) == ("prores", "4444")
    assert len(decoded) == len(pairs) and all("yuva" in f for f in formats)  # the stream has an alpha plane
    worst, _ = alpha_error(decoded, pairs)
    assert worst <= 1  # ProRes codes alpha losslessly: 8 -> 16 -> 12 -> 8 bits rounds by at most one level
    for t, frame in enumerate(decoded):
        assert far_and_on_the_face(frame[..., 3], t) == (0, 255)
    colour = max(np.abs(d[..., :3].astype(int) - rgb).mean() for d, (rgb, _) in zip(decoded, pairs, strict=True))
    assert colour < 2.0
    report_figure("prores4444_alpha_max_error", worst)
    report_figure("prores4444_rgb_mean_error", round(colour, 3))
    report_figure("prores4444_kib_per_frame_128x96", round(target.stat().st_size / 1024 / len(pairs), 1))


def test_vp9_webm_alpha_decodes_to_the_matte_within_the_encoders_tolerance(
    tmp_path: Path, portrait: np.ndarray, report_figure
) -> None:
    if "libvpx-vp9" not in av.codecs_available:
        pytest.skip("this FFmpeg has no libvpx-vp9 encoder")
    pairs = frames(portrait)
    target = write_all(tmp_path / "face.webm", pairs, quality=80)
    decoded, (codec, _, metadata, formats) = decode_rgba(target)
    assert codec == "vp9" and metadata.get("alpha_mode") == "1" and formats == {"yuva420p"}
    worst, mean = alpha_error(decoded, pairs)
    assert mean < 1.0 and worst <= 16  # lossy: the alpha plane is a second VP9 picture
    for t, frame in enumerate(decoded):
        far, on = far_and_on_the_face(frame[..., 3], t)
        assert far <= 2 and on >= 250
    report_figure("vp9_alpha_max_error", worst)
    report_figure("vp9_alpha_mean_error", round(mean, 3))


def test_animated_webp_keeps_an_8_bit_alpha(tmp_path: Path, portrait: np.ndarray, report_figure) -> None:
    pairs = frames(portrait)
    target = write_all(tmp_path / "face.webp", pairs)
    with Image.open(target) as image:
        assert image.n_frames == len(pairs) and SYNTHETIC_COMMENT.encode() in image.info.get("xmp", b"")
        decoded = []
        for i in range(image.n_frames):
            image.seek(i)
            decoded.append(np.asarray(image.convert("RGBA")))
    worst, _ = alpha_error(decoded, pairs)
    assert worst <= 1
    assert [far_and_on_the_face(d[..., 3], t) for t, d in enumerate(decoded)] == [(0, 255)] * len(pairs)
    report_figure("webp_alpha_max_error", worst)


def test_animated_gif_is_transparent_where_the_matte_is_under_half(tmp_path: Path, portrait: np.ndarray) -> None:
    pairs = frames(portrait)
    target = write_all(tmp_path / "face.gif", pairs)
    with Image.open(target) as image:
        assert image.n_frames == len(pairs)
        for i, (_, matte) in enumerate(pairs):
            image.seek(i)  # every frame, so a pixel opaque in one frame does not linger in the next
            opaque = np.asarray(image.convert("RGBA"))[..., 3] >= 128
            assert not np.any(opaque != (alpha_channel(matte, (W, H)) >= 128))


def test_mp4_with_alpha_is_refused_before_any_work_naming_the_formats_that_can(tmp_path: Path) -> None:
    with pytest.raises(OutputError) as refused:
        VideoWriter(tmp_path / "face.mp4", 25, (W, H), alpha=True)
    message = str(refused.value)
    assert all(name in message for name in (".mov", ".webm", ".gif", ".webp", "PNG"))
    with pytest.raises(OutputError, match=r"\.mov"):
        check_output_format("out.MP4", alpha=True)
    assert list(tmp_path.iterdir()) == []
    assert check_output_format("out.mp4") == "mp4" and check_output_format(tmp_path / "frames", alpha=True) == "png"


@pytest.mark.parametrize(("kind", "video", "audio"), [("mov", "prores", "pcm_s16le"), ("webm", "vp9", "opus")])
def test_mov_and_webm_without_alpha_carry_the_frames_and_the_driving_sound(
    tmp_path: Path, megamind_path: Path, kind: str, video: str, audio: str
) -> None:
    with VideoReader(megamind_path) as reader:
        start, stop, rate = 40, 64, reader.rate
        span = reader.time_range(start, stop)
        shown = [np.array(f) for _, f in reader.iter_frames(start, stop)]
        target = tmp_path / f"out.{kind}"
        with VideoWriter(
            target, reader.rate, reader.size, audio_source=megamind_path, audio_start_s=span[0], audio_end_s=span[1]
        ) as writer:
            assert writer.has_audio
            for frame in shown:
                writer.write(frame)
    with av.open(str(target)) as container:
        comment = container.metadata.get("comment", container.metadata.get("COMMENT"))
        stream = container.streams.video[0]
        assert (stream.codec_context.name, stream.average_rate) == (video, rate)
        back = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
    with av.open(str(target)) as container:
        assert container.streams.audio[0].codec_context.name == audio
        samples = sum(f.samples for f in container.decode(audio=0))
    assert comment == SYNTHETIC_COMMENT
    assert len(back) == len(shown)
    assert max(np.abs(b.astype(int) - s).mean() for b, s in zip(back, shown, strict=True)) < 3.0
    assert samples / 48000 == pytest.approx(span[1] - span[0], abs=0.002)


def test_writer_takes_rgba_or_rgb_with_a_matte_only_when_opened_with_alpha(
    tmp_path: Path, portrait: np.ndarray
) -> None:
    rgb, matte = frames(portrait, 1)[0]
    with VideoWriter(tmp_path / "plain.webp", 25, (W, H)) as writer:
        with pytest.raises(ValueError, match="alpha=True"):
            writer.write(rgb, matte)
        writer.write(rgb)
    with VideoWriter(tmp_path / "alpha", 25, (W, H), alpha=True) as writer:
        with pytest.raises(ValueError, match="RGBA"):
            writer.write(rgb)
        with pytest.raises(ValueError, match="matte"):
            writer.write(rgb, matte[:10])
        writer.write(np.dstack([rgb, alpha_channel(matte, (W, H))]))  # RGBA
        writer.write(rgb, matte)  # RGB + float matte
        writer.write(rgb, alpha_channel(matte, (W, H)))  # RGB + uint8 matte
    written = [np.asarray(Image.open(p)) for p in sorted((tmp_path / "alpha").iterdir())]
    assert len(written) == 3 and all(np.array_equal(written[0], other) for other in written[1:])


@pytest.mark.parametrize("name", ["face.mov", "face.webm", "face.gif", "face.webp", "frames"])
def test_cancelling_an_alpha_export_leaves_no_partial_file(tmp_path: Path, portrait: np.ndarray, name: str) -> None:
    target = tmp_path / name
    if target.suffix:
        target.write_bytes(b"the previous export")
    token = CancelToken()
    with pytest.raises(Cancelled), VideoWriter(target, 25, (W, H), alpha=True, cancel=token) as writer:
        for t, (rgb, matte) in enumerate(frames(portrait)):
            if t == 3:
                token.cancel()
            writer.write(rgb, matte)
    assert sorted(p.name for p in tmp_path.iterdir()) == ([name] if target.suffix else [])
    if target.suffix:
        assert target.read_bytes() == b"the previous export"


# -- layers -----------------------------------------------------------------------------------------


def numbered_pairs(portrait: np.ndarray, count: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Frames whose number shows in every layer: a bright bar of width 4 * (i + 1) on the composite's
    top rows, and a matte whose top-left block is i / count (the face's matte moves as in `frames`)."""
    pairs = []
    for i, (rgb, matte) in enumerate(frames(portrait, count)):
        rgb = rgb.copy()
        rgb[:6] = 0
        rgb[:6, : 4 * (i + 1)] = 255
        matte = matte.copy()
        matte[H - 8 :, :8] = i / count
        pairs.append((rgb, matte))
    return pairs


def composite_number(rgb: np.ndarray) -> int:
    return round((rgb[2:4, :, 0] > 128).sum(axis=1).mean() / 4) - 1


def matte_number(value: float, count: int) -> int:
    return round(value / 255 * count)


def test_layers_are_frame_aligned_with_the_same_timing_and_sound(
    tmp_path: Path, portrait: np.ndarray, megamind_path: Path
) -> None:
    count = 8
    pairs = numbered_pairs(portrait, count)
    paths = layer_paths(tmp_path / "take.mp4")
    assert paths == {
        "composite": tmp_path / "take.mp4",
        "face": tmp_path / "take_face.mov",  # MP4 cannot carry alpha: the face goes to ProRes 4444
        "matte": tmp_path / "take_matte.mp4",
    }
    with LayeredWriter(paths, 12.5, (W, H), audio_source=megamind_path, audio_start_s=2.0, audio_end_s=2.64) as layers:
        for rgb, matte in pairs:
            layers.write(rgb, matte)
    timing = {}
    for kind, path in paths.items():
        with av.open(str(path)) as container:
            video = container.streams.video[0]
            decoded = [f.to_ndarray(format="rgba") for f in container.decode(video)]
            timing[kind] = (len(decoded), video.average_rate, container.streams.audio[0].codec_context.name)
        with av.open(str(path)) as container:
            timing[kind] += (sum(f.samples for f in container.decode(audio=0)),)
        if kind == "composite":
            assert [composite_number(f) for f in decoded] == list(range(count))
        elif kind == "face":
            assert [matte_number(f[H - 6 :, 2:6, 3].mean(), count) for f in decoded] == list(range(count))
            assert [composite_number(f) for f in decoded] == list(range(count))
        else:
            assert [matte_number(f[H - 6 :, 2:6, 0].mean(), count) for f in decoded] == list(range(count))
    assert timing["composite"][:2] == timing["face"][:2] == timing["matte"][:2] == (count, Fraction(25, 2))
    assert {t[3] for t in timing.values()} == {round(0.64 * 48000)}  # the same cut of sound in each
    assert (timing["composite"][2], timing["face"][2]) == ("aac", "pcm_s16le")


def test_face_layer_carries_the_faces_own_colour_in_the_soft_edge(tmp_path: Path, portrait: np.ndarray) -> None:
    """Given the still photo behind, the face layer undoes the blend: laid over another background it
    shows no fringe of the original photo."""
    face = np.full((H, W, 3), (200, 150, 120), np.uint8)
    photo = np.ascontiguousarray(portrait)
    matte = matte_at(0)
    m = matte[..., None]
    composite = np.clip(m * face + (1 - m) * photo + 0.5, 0, 255).astype(np.uint8)
    paths = {"face": tmp_path / "face", "matte": tmp_path / "matte"}
    with LayeredWriter(paths, 25, (W, H), background=photo) as layers:
        layers.write(composite, matte)
    rgba = np.asarray(Image.open(tmp_path / "face" / "frame_00000.png"))
    edge = (matte > 0.25) & (matte < 0.9)  # the soft edge (the composite's rounding grows by 1 / matte)
    assert edge.sum() > 100
    assert np.abs(rgba[edge][:, :3].astype(int) - face[edge]).max() <= 3
    with LayeredWriter({"face": tmp_path / "mixed"}, 25, (W, H)) as layers:  # without the photo
        layers.write(composite, matte)
    mixed = np.asarray(Image.open(tmp_path / "mixed" / "frame_00000.png"))
    assert np.abs(mixed[edge][:, :3].astype(int) - face[edge]).max() > 20
    luma = np.asarray(Image.open(tmp_path / "matte" / "frame_00000.png").convert("L"))
    assert np.array_equal(luma, alpha_channel(matte, (W, H)))


def test_layers_are_committed_all_or_none(tmp_path: Path, portrait: np.ndarray, monkeypatch) -> None:
    paths = layer_paths(tmp_path / "take.webm")
    assert paths["face"] == tmp_path / "take_face.webm"
    with pytest.raises(OutputError, match="transparency"):
        LayeredWriter({"face": tmp_path / "face.mp4", "matte": tmp_path / "matte.mov"}, 25, (W, H))
    assert list(tmp_path.iterdir()) == []  # refused before any file was made

    def fail(self):
        raise OSError(28, "No space left on device")

    with LayeredWriter(paths, 25, (W, H)) as layers:
        for rgb, matte in frames(portrait, 3):
            layers.write(rgb, matte)
        monkeypatch.setattr(layers.writers["matte"]._sink, "finish", fail.__get__(layers.writers["matte"]._sink))
        with pytest.raises(OutputError, match="disk is full"):
            layers.close()
    assert list(tmp_path.iterdir()) == []  # the composite and face layers, though complete, were not kept

    token = CancelToken()
    with pytest.raises(Cancelled), LayeredWriter(paths, 25, (W, H), cancel=token) as layers:
        for t, (rgb, matte) in enumerate(frames(portrait, 4)):
            if t == 2:
                token.cancel()
            layers.write(rgb, matte)
    assert list(tmp_path.iterdir()) == []
