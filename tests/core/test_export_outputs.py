"""Export for compositing, from real renders (a tiny network, Obama driven by 24 frames of Megamind):
the head over transparency whose alpha is the renderer's own matte, layers frame-aligned with the same
timing and sound, MP4 with alpha refused before any work, seamless loops, and a folder of numbered
frames driving exactly like the video it came from."""

from __future__ import annotations

import itertools
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
import torch

from core.checkpoint import save_checkpoint
from core.config import ModelConfig, RenderOptions
from core.errors import Cancelled, ConfigError, OutputError
from core.export import OutputOptions, check_target, export, output_targets
from core.faces.driving import DrivingSequence
from core.faces.image_io import read_image
from core.networks.generator import Generator
from core.pipeline import Reenactor
from core.progress import CancelToken, run_to_end
from core.video import VideoReader, VideoWriter, probe

FIRST, FRAMES = 30, 24  # Megamind 30..53: the head turns and talks
OPTIONS = RenderOptions(paste_back=True, output_size=256)  # the photo at 205x256: fast, with room far from the face


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory, megamind_path: Path) -> Path:
    """24 frames of Megamind with their sound, as an MP4."""
    out = tmp_path_factory.mktemp("clip") / "talk.mp4"
    with VideoReader(megamind_path) as reader:
        start_s, end_s = reader.time_range(FIRST, FIRST + FRAMES)
        with VideoWriter(out, reader.fps, reader.size, audio_source=megamind_path, audio_start_s=start_s, audio_end_s=end_s) as writer:
            for _, frame in reader.iter_frames(FIRST, FIRST + FRAMES):
                writer.write(np.ascontiguousarray(frame))
    return out


@pytest.fixture(scope="module")
def detector():
    from core.faces.landmarks import load_detector

    return load_detector("dlib")


@pytest.fixture(scope="module")
def reenactor(tmp_path_factory: pytest.TempPathFactory, detector, obama_path: Path, clip: Path) -> Reenactor:
    from core.faces.analysis import analyze_video

    torch.manual_seed(0)
    config = ModelConfig.tiny(64)
    checkpoint = save_checkpoint(tmp_path_factory.mktemp("ckpt") / "tiny.pt", config, Generator(config))
    r = Reenactor(checkpoint, "cpu", detector=detector)
    r.set_source(obama_path)
    r.set_driving(DrivingSequence.from_analysis(run_to_end(analyze_video(clip, detector)), clip))
    return r


def rendered(reenactor: Reenactor, indices, options: RenderOptions = OPTIONS):
    return reenactor.render_batch(list(indices), options)


def decode(path: Path, fmt: str = "rgba") -> tuple[list[np.ndarray], str]:
    """Every frame of a video file in ``fmt``, and the stream's pixel format."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = list(container.decode(stream))
        return [f.to_ndarray(format=fmt) for f in frames], frames[0].format.name


def test_rgba_pngs_are_transparent_far_from_the_face_and_opaque_on_it(reenactor: Reenactor, tmp_path: Path) -> None:
    result = run_to_end(export(reenactor, tmp_path / "frames", OPTIONS, 0, 4, output=OutputOptions(alpha=True)))
    pngs = sorted((tmp_path / "frames").glob("*.png"))
    assert result.frames == 4 and len(pngs) == 4 and result.files == {"face": tmp_path / "frames"}
    for png, frame in zip(pngs, rendered(reenactor, range(4)), strict=True):
        from PIL import Image

        with Image.open(png) as image:
            assert image.mode == "RGBA"
            rgba = np.asarray(image)
        alpha = rgba[..., 3]
        assert np.array_equal(alpha, frame.matte)  # the renderer's own matte, exactly
        assert alpha[-30:].max() == 0  # the bottom of the photo, far below the face
        nose = frame.output_landmarks[30].round().astype(int)
        assert alpha[nose[1] - 3 : nose[1] + 4, nose[0] - 3 : nose[0] + 4].min() == 255
        opaque = alpha == 255
        assert np.array_equal(rgba[..., :3][opaque], frame.image[opaque])  # the head's own colour


def test_mov_alpha_plane_decodes_back_to_the_renderers_matte(reenactor: Reenactor, tmp_path: Path, report_figure) -> None:
    out = tmp_path / "head.mov"
    result = run_to_end(export(reenactor, out, OPTIONS, 0, 4, output=OutputOptions(alpha=True)))
    assert result.audio  # ProRes in QuickTime carries the driving sound (PCM)
    decoded, pix_fmt = decode(out)
    assert pix_fmt.startswith("yuva444p")  # ProRes 4444: an alpha plane
    errors = [np.abs(d[..., 3].astype(int) - f.matte.astype(int)) for d, f in zip(decoded, rendered(reenactor, range(4)), strict=True)]
    worst = max(int(e.max()) for e in errors)
    report_figure("ProRes 4444 alpha, worst error vs the matte (of 255)", worst)
    assert len(decoded) == 4 and worst <= 1


def test_mp4_with_alpha_is_refused_before_any_work(reenactor: Reenactor, tmp_path: Path, monkeypatch) -> None:
    def must_not_run(*args, **kwargs):
        raise AssertionError("worked before refusing the output")

    monkeypatch.setattr(reenactor, "run_model", must_not_run)
    monkeypatch.setattr(reenactor, "transformed_landmarks", must_not_run)
    with pytest.raises(OutputError, match=r"MP4 cannot carry transparency.*\.mov.*\.webm"):
        next(export(reenactor, tmp_path / "head.mp4", OPTIONS, output=OutputOptions(alpha=True)))
    with pytest.raises(OutputError, match=r"\.mov"):
        check_target(tmp_path / "head.mp4", OutputOptions(alpha=True))
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ConfigError, match="not both"):
        OutputOptions(alpha=True, layers=True)


def test_layers_are_frame_aligned_with_the_same_timing_and_sound(reenactor: Reenactor, tmp_path: Path) -> None:
    from PIL import Image

    frames = rendered(reenactor, range(2, 8))
    pngs = run_to_end(export(reenactor, tmp_path / "shot", OPTIONS, 2, 8, output=OutputOptions(layers=True))).files
    assert pngs == {"composite": tmp_path / "shot", "face": tmp_path / "shot_face", "matte": tmp_path / "shot_matte"}
    listed = {kind: sorted(folder.glob("*.png")) for kind, folder in pngs.items()}
    assert {len(files) for files in listed.values()} == {6}
    for k, frame in enumerate(frames):  # frame k of every layer is frame 2 + k, exactly (PNG is lossless)
        assert np.array_equal(read_image(listed["composite"][k]), frame.image)
        assert np.array_equal(read_image(listed["matte"][k])[..., 0], frame.matte)
        with Image.open(listed["face"][k]) as face:
            assert np.array_equal(np.asarray(face)[..., 3], frame.matte)

    target = tmp_path / "shot.webm"
    files = run_to_end(export(reenactor, target, OPTIONS, 2, 8, output=OutputOptions(layers=True))).files
    assert files == output_targets(target, OutputOptions(layers=True))
    assert files == {"composite": target, "face": tmp_path / "shot_face.webm", "matte": tmp_path / "shot_matte.webm"}
    infos = {kind: probe(path) for kind, path in files.items()}
    assert {info.frame_count for info in infos.values()} == {6}
    assert len({round(info.fps, 3) for info in infos.values()}) == 1
    assert all(info.audio_codec == "opus" for info in infos.values())  # the same cut of the driving sound
    assert len({round(info.duration, 2) for info in infos.values()}) == 1
    decoded, _ = decode(files["matte"], "rgb24")
    assert max(np.abs(d[..., 0].astype(int) - f.matte).mean() for d, f in zip(decoded, frames, strict=True)) < 2.0


def test_a_crossfade_loop_ends_where_it_starts(reenactor: Reenactor, tmp_path: Path, report_figure) -> None:
    options = RenderOptions(output_size=96)  # the face crop: every pixel is the head
    plain = run_to_end(export(reenactor, tmp_path / "plain", options, 0, 16))
    result = run_to_end(export(reenactor, tmp_path / "loop", options, 0, FRAMES, output=OutputOptions(loop="crossfade", loop_length=16)))
    assert result.frames == 16 and not result.audio and result.loop is not None and result.loop.ok
    loop = [read_image(p).astype(int) for p in sorted((tmp_path / "loop").glob("*.png"))]
    cut = [read_image(p).astype(int) for p in sorted((tmp_path / "plain").glob("*.png"))]
    assert plain.frames == len(cut) == len(loop) == 16

    def step(a, b) -> float:
        return float(np.abs(a - b).mean())

    steps = [step(a, b) for a, b in itertools.pairwise(loop)]
    seam, jump = step(loop[-1], loop[0]), step(cut[-1], cut[0])
    report_figure("loop seam / largest step / plain cut's jump (mean abs, of 255)", (round(seam, 2), round(max(steps), 2), round(jump, 2)))
    assert seam <= max(steps)  # the loop point is an ordinary step of the motion ...
    assert seam < jump  # ... where the same length cut plainly jumps


def test_a_ping_pong_loop_plays_back_what_it_played(reenactor: Reenactor, tmp_path: Path) -> None:
    options = RenderOptions(output_size=64)
    result = run_to_end(export(reenactor, tmp_path / "pp", options, 0, 6, output=OutputOptions(loop="pingpong")))
    frames = [read_image(p) for p in sorted((tmp_path / "pp").glob("*.png"))]
    assert result.frames == len(frames) == 10  # 0 1 2 3 4 5 4 3 2 1
    for k in range(1, 5):
        assert np.array_equal(frames[k], frames[10 - k])
    assert result.loop.ok and result.loop.seam_px > 0


def test_a_loop_longer_than_the_range_allows_is_refused_before_rendering(reenactor: Reenactor, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="at most"):
        next(export(reenactor, tmp_path / "l.gif", OPTIONS, 0, 10, output=OutputOptions(loop="crossfade", loop_length=20)))
    assert list(tmp_path.iterdir()) == []


def test_cancelling_a_layered_export_leaves_no_file(reenactor: Reenactor, tmp_path: Path) -> None:
    token = CancelToken()
    stream = export(reenactor, tmp_path / "c.mov", OPTIONS, 0, FRAMES, batch=2, cancel=token, output=OutputOptions(layers=True))
    next(stream)
    token.cancel()
    with pytest.raises(Cancelled):
        run_to_end(stream)
    assert list(tmp_path.iterdir()) == []


def lossless_video(path: Path, frames: list[np.ndarray], fps) -> Path:
    """``frames`` in a QuickTime file of PNG pictures: the video decodes to exactly these RGB pixels."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("png", rate=fps)
        stream.width, stream.height, stream.pix_fmt = frames[0].shape[1], frames[0].shape[0], "rgb24"
        for frame in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        container.mux(stream.encode(None))
    return path


def test_an_image_sequence_drives_exactly_like_a_video_of_the_same_frames(
    reenactor: Reenactor, detector, clip: Path, tmp_path: Path
) -> None:
    from fractions import Fraction

    from core.faces.analysis import analyze_video

    folder = tmp_path / "frames_in"
    folder.mkdir()
    with VideoReader(clip) as reader:
        frames = [np.ascontiguousarray(frame) for _, frame in reader.iter_frames(0, FRAMES)]
    for i, frame in enumerate(frames):  # unpadded numbers: 10 comes after 9, not after 1
        cv2.imwrite(str(folder / f"take_{i + 1}.png"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    video = lossless_video(tmp_path / "same.mov", frames, Fraction(25))
    drivers = {
        "video": DrivingSequence.from_analysis(run_to_end(analyze_video(video, detector, use_cache=False)), video),
        "folder": DrivingSequence.from_analysis(run_to_end(analyze_video(folder, detector, fps=25)), folder),
    }
    renders, results = {}, {}
    try:
        for name, driver in drivers.items():
            reenactor.set_driving(driver)
            results[name] = run_to_end(export(reenactor, tmp_path / f"{name}.webm", OPTIONS, 0, 6))
            renders[name] = rendered(reenactor, range(0, FRAMES, 5))
    finally:
        reenactor.set_driving(DrivingSequence.from_analysis(run_to_end(analyze_video(clip, detector)), clip))
    assert drivers["folder"].frame_count == FRAMES and drivers["folder"].fps == 25
    assert np.array_equal(drivers["video"].landmarks(0.5, 64), drivers["folder"].landmarks(0.5, 64))
    assert results["folder"].frames == 6 and not results["folder"].audio  # a folder of frames has no sound
    assert probe(tmp_path / "folder.webm").frame_count == probe(tmp_path / "video.webm").frame_count == 6
    for a, b in zip(renders["video"], renders["folder"], strict=True):
        assert np.array_equal(a.image, b.image) and np.array_equal(a.matte, b.matte)
