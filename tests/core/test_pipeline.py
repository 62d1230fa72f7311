"""The rendering pipeline and export, end to end on real data with a tiny network."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from core.checkpoint import save_checkpoint
from core.config import ModelConfig, RenderOptions
from core.errors import Cancelled, CheckpointError, OutputError
from core.export import export
from core.faces.driving import DrivingSequence
from core.faces.performance import builtin_performance
from core.networks.generator import Generator
from core.pipeline import Reenactor
from core.progress import CancelToken, run_to_end


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.manual_seed(0)
    config = ModelConfig.tiny(64)
    return save_checkpoint(tmp_path_factory.mktemp("ckpt") / "tiny.pt", config, Generator(config))


@pytest.fixture(scope="module")
def detector():
    from core.faces.landmarks import load_detector

    return load_detector("dlib")


@pytest.fixture(scope="module")
def megamind_sequence(megamind_path, detector) -> DrivingSequence:
    from core.faces.analysis import analyze_video

    return DrivingSequence.from_analysis(run_to_end(analyze_video(megamind_path, detector)), megamind_path)


@pytest.fixture
def reenactor(tiny_checkpoint, detector, obama_path, megamind_sequence) -> Reenactor:
    r = Reenactor(tiny_checkpoint, "cpu", detector=detector)
    r.set_source(obama_path)
    r.set_driving(megamind_sequence)
    return r


def test_no_checkpoint_is_refused_unless_random_weights_are_asked_for() -> None:
    with pytest.raises(CheckpointError, match="no trained checkpoint"):
        Reenactor(None, "cpu")
    r = Reenactor(None, "cpu", allow_random_weights=True, config=ModelConfig.tiny(64))
    assert r.random_weights


def test_source_is_aligned_at_the_model_resolution(reenactor) -> None:
    src = reenactor.source
    assert src.crop.shape == (64, 64, 3)
    assert src.photo.shape[:2] == (1137, 910)
    assert (src.landmarks >= 0).all() and (src.landmarks < 64).all()


@pytest.mark.parametrize("paste_back", [False, True])
def test_render_frame_matches_the_png_export_and_caches(reenactor, tmp_path, paste_back: bool) -> None:
    options = RenderOptions(strength=0.8, paste_back=paste_back)
    result = run_to_end(export(reenactor, tmp_path / "frames", options, 10, 15))
    assert result.frames == 5
    from core.faces.image_io import read_image

    pngs = sorted((tmp_path / "frames").glob("*.png"))
    assert len(pngs) == 5
    for i, png in zip(range(10, 15), pngs, strict=True):
        frame = reenactor.render_frame(i, options)
        diff = np.abs(frame.image.astype(int) - read_image(png).astype(int)).max()
        assert diff <= 2, f"frame {i} differs by {diff}/255"
    again = reenactor.render_frame(12, options)
    assert again is reenactor.render_frame(12, options)  # cache hit
    assert result.size == frame.image.shape[1::-1]  # full resolution: the photo, or the face's own size
    expected = reenactor.source.photo.shape[:2] if paste_back else (round(64 / reenactor.source.alignment.scale),) * 2
    assert frame.image.shape[:2] == expected


def test_a_cached_frame_equals_a_fresh_render(reenactor, tiny_checkpoint, detector, obama_path, megamind_sequence) -> None:
    options = RenderOptions(paste_back=True)
    batch = reenactor.render_batch([20, 21, 22], options)  # rendered together, as export does
    cached = reenactor.render_frame(21, options)
    fresh = Reenactor(tiny_checkpoint, "cpu", detector=detector)
    fresh.set_source(obama_path)
    fresh.set_driving(megamind_sequence)
    alone = fresh.render_frame(21, options)
    assert np.abs(batch[1].image.astype(int) - alone.image.astype(int)).max() <= 1
    assert np.abs(cached.image.astype(int) - alone.image.astype(int)).max() <= 1
    assert alone.matte.shape == alone.image.shape[:2] and alone.matte.max() == 255


def test_strength_changes_the_render(reenactor) -> None:
    weak = reenactor.render_frame(40, RenderOptions(strength=0.0))
    strong = reenactor.render_frame(40, RenderOptions(strength=1.0))
    assert np.abs(weak.landmarks - strong.landmarks).max() > 0.5
    assert not np.array_equal(weak.image, strong.image)


def test_mp4_export_has_frame_count_fps_even_size_and_aac_audio(reenactor, tmp_path) -> None:
    from core.video import VideoReader, probe

    out = tmp_path / "clip.mp4"
    result = run_to_end(export(reenactor, out, RenderOptions(output_size=101), 30, 54))
    assert result.frames == 24 and result.audio
    info = probe(out)
    assert info.size[0] % 2 == 0 and info.size[1] % 2 == 0 and info.size == (102, 102)
    assert info.audio_codec == "aac"
    with VideoReader(out) as reader:
        assert reader.frame_count == 24
        assert abs(reader.fps - 23.976) < 0.01
    import av

    with av.open(str(out)) as container:
        audio = container.streams.audio[0]
        seconds = float(audio.duration * audio.time_base) if audio.duration else float(container.duration) / 1e6
    assert abs(seconds - 24 / 23.976) < 0.1


def test_cancelling_mid_export_leaves_no_file(reenactor, tmp_path) -> None:
    out = tmp_path / "cancelled.mp4"
    token = CancelToken()
    stream = export(reenactor, out, RenderOptions(), 0, 64, batch=4, cancel=token)
    next(stream)
    token.cancel()
    with pytest.raises(Cancelled):
        run_to_end(stream)
    assert list(tmp_path.iterdir()) == []


def test_an_unwritable_output_fails_before_any_work(reenactor, tmp_path, monkeypatch) -> None:
    def must_not_render(*args, **kwargs):
        raise AssertionError("rendered before checking the output")

    monkeypatch.setattr(reenactor, "run_model", must_not_render)
    with pytest.raises(OutputError, match="does not exist"):
        next(export(reenactor, tmp_path / "missing" / "out.mp4", RenderOptions()))
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(OutputError):
        next(export(reenactor, blocker / "out.mp4", RenderOptions()))
    with pytest.raises(OutputError, match=r"cannot export to out\.avi"):
        next(export(reenactor, tmp_path / "out.avi", RenderOptions()))


def test_paste_back_renders_the_full_photo(reenactor) -> None:
    frame = reenactor.render_frame(5, RenderOptions(paste_back=True))
    assert frame.image.shape == reenactor.source.photo.shape
    photo = reenactor.source.photo
    assert np.array_equal(frame.image[-150:], photo[-150:])  # far from the head: untouched
    assert (frame.matte[-150:] == 0).all()


def test_a_performance_drives_an_export_like_a_video(tiny_checkpoint, detector, astronaut, tmp_path) -> None:
    from core.video import probe

    r = Reenactor(tiny_checkpoint, "cpu", detector=detector)
    r.set_source(astronaut, name="astronaut")
    perf = builtin_performance(fps=10)
    r.set_driving(DrivingSequence.from_performance(perf, r.source.landmarks, r.resolution))
    result = run_to_end(export(r, tmp_path / "perf.mp4", RenderOptions(), 0, 12))
    assert result.frames == 12 and not result.audio
    info = probe(tmp_path / "perf.mp4")
    assert info.frame_count == 12 and abs(info.fps - 10) < 0.01
    assert r.transformed_landmarks(RenderOptions()).shape == (perf.frame_count, 68, 2)


def test_corrupt_driving_frames_are_skipped_and_reported(tiny_checkpoint, detector, obama_path, megamind_path, tmp_path) -> None:
    from core.faces.analysis import analyze_video

    broken = tmp_path / "broken.avi"
    shutil.copy(megamind_path, broken)
    data = bytearray(broken.read_bytes())
    rng = np.random.default_rng(0)
    for offset in range(len(data) // 3, len(data) // 3 + 60_000, 2_000):
        data[offset : offset + 400] = rng.integers(0, 256, 400, dtype=np.uint8).tobytes()
    broken.write_bytes(bytes(data))
    analysis = run_to_end(analyze_video(broken, detector, use_cache=False))
    sequence = DrivingSequence.from_analysis(analysis, broken)
    assert len(sequence.bad_frames) > 0  # the damage really hit frames
    r = Reenactor(tiny_checkpoint, "cpu", detector=detector)
    r.set_source(obama_path)
    r.set_driving(sequence)
    result = run_to_end(export(r, tmp_path / "out", RenderOptions(), 0, sequence.frame_count))
    assert result.frames + len(result.skipped_frames) == sequence.frame_count
    assert set(result.skipped_frames) == set(sequence.bad_frames)
    assert len(list((tmp_path / "out").glob("*.png"))) == result.frames
