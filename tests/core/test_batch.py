"""Batch rendering from the command line: every portrait with every driver into one folder, failures
reported with their reason (exit 2) while the others render, finished pairs never redone, and a
cancelled batch leaving only whole files."""

from __future__ import annotations

import json
import re
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from PIL import Image

from core.batch import (
    BatchSettings,
    driving_inputs,
    is_batch,
    is_driver_sequence,
    plan_batch,
    run_batch,
    source_inputs,
)
from core.config import ModelConfig, RenderOptions
from core.errors import Cancelled, ConfigError, OutputError
from core.progress import CancelToken
from main import main

FRAMES = 6


@pytest.fixture(scope="module")
def material(tmp_path_factory: pytest.TempPathFactory, obama_path: Path, obama2_path: Path, megamind_path: Path) -> Path:
    """portraits/ (two faces and a landscape without one), drivers/ (a video and a folder of numbered
    frames), a tiny model."""
    from core.checkpoint import save_checkpoint
    from core.networks.generator import Generator
    from core.video import VideoReader, VideoWriter

    root = tmp_path_factory.mktemp("batch")
    portraits = root / "portraits"
    portraits.mkdir()
    for name, path in (("obama", obama_path), ("obama2", obama2_path)):
        image = Image.open(path).convert("RGB")
        image.thumbnail((240, 240))
        image.save(portraits / f"{name}.jpg")
    ramp = np.linspace(0, 255, 200, dtype=np.uint8)
    Image.fromarray(np.dstack([np.tile(ramp, (150, 1))] * 3)).save(portraits / "landscape.png")
    drivers = root / "drivers"
    (drivers / "nod").mkdir(parents=True)
    with VideoReader(megamind_path) as reader:
        frames = [np.ascontiguousarray(f) for _, f in reader.iter_frames(30, 30 + FRAMES)]
        with VideoWriter(drivers / "talk.mp4", reader.fps, reader.size) as writer:
            for frame in frames:
                writer.write(frame)
    for i, frame in enumerate(frames[::-1]):
        small = cv2.resize(frame, (360, 264), interpolation=cv2.INTER_AREA)
        cv2.imwrite(str(drivers / "nod" / f"nod_{i:04d}.png"), cv2.cvtColor(small, cv2.COLOR_RGB2BGR))
    torch.manual_seed(0)
    config = ModelConfig.tiny(64)
    save_checkpoint(root / "tiny.pt", config, Generator(config))
    return root


def render(material: Path, out: Path, capsys, *extra: str) -> tuple[int, dict, str]:
    code = main([
        "render", str(material / "portraits"), str(material / "drivers"), "-o", str(out),
        "--checkpoint", str(material / "tiny.pt"), "--size", "96", "--json", *extra,
    ])
    captured = capsys.readouterr()
    return code, json.loads(captured.out.strip().splitlines()[-1]), captured.err


def test_a_folder_of_numbered_frames_is_one_driver_and_a_folder_of_drivers_a_batch(material: Path, tmp_path: Path) -> None:
    drivers = material / "drivers"
    assert is_driver_sequence(drivers / "nod") and not is_driver_sequence(drivers)
    assert driving_inputs(drivers) == [str(drivers / "nod"), str(drivers / "talk.mp4")]
    assert driving_inputs(drivers / "nod") == [str(drivers / "nod")]
    assert not is_batch(material / "portraits" / "obama.jpg", drivers / "nod")
    assert is_batch(material / "portraits" / "obama.jpg", drivers)
    assert [p.name for p in source_inputs(material / "portraits")] == ["landscape.png", "obama.jpg", "obama2.jpg"]
    listed = tmp_path / "list.txt"
    listed.write_text(f"# two of them\n{material / 'portraits' / 'obama.jpg'}\n\n../{tmp_path.name}/x.jpg\n")
    assert source_inputs(listed) == [material / "portraits" / "obama.jpg", tmp_path / "x.jpg"]
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    (mixed / "f_001.png").write_bytes((material / "drivers" / "nod" / "nod_0000.png").read_bytes())
    (mixed / "take.mp4").write_bytes((material / "drivers" / "talk.mp4").read_bytes())
    with pytest.raises(ConfigError, match=r"holds numbered frames and also take\.mp4"):
        driving_inputs(mixed)


def test_a_batch_renders_every_pair_reports_failures_and_resumes(material: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "renders"
    code, data, err = render(material, out, capsys)
    assert code == 2, err
    assert data["ok"] is False and data["pairs"] == 6 and data["rendered"] == 4
    written = sorted(Path(o["output"]).name for o in data["outputs"])
    assert written == ["obama2__nod.mp4", "obama2__talk.mp4", "obama__nod.mp4", "obama__talk.mp4"]
    assert sorted(p.name for p in out.iterdir()) == written  # nothing else: no temporary file left
    assert [(Path(f["source"]).name, Path(f["driving"]).name) for f in data["failed"]] == [
        ("landscape.png", "nod"), ("landscape.png", "talk.mp4")
    ]
    assert all("no face" in f["reason"] for f in data["failed"])
    assert err.count("batch of 6") >= 1 and "Traceback" not in err  # one overall progress bar
    from core.video import probe

    assert probe(out / "obama__nod.mp4").frame_count == FRAMES and abs(probe(out / "obama__nod.mp4").fps - 25) < 0.01
    stamps = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}

    code, data, _ = render(material, out, capsys)  # resumed: nothing is redone
    assert code == 2 and data["rendered"] == 0 and data["existing"] == 4 and len(data["failed"]) == 2
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == stamps

    (out / "obama__talk.mp4").unlink()  # an interrupted batch: the missing one alone is rendered
    code, data, _ = render(material, out, capsys)
    assert data["rendered"] == 1 and data["existing"] == 3
    assert [Path(o["output"]).name for o in data["outputs"] if o["status"] == "rendered"] == ["obama__talk.mp4"]


def test_a_batch_where_every_pair_renders_exits_0_with_the_format_and_layers_asked(material: Path, tmp_path: Path, capsys) -> None:
    listed = tmp_path / "faces.txt"
    listed.write_text(f"{material / 'portraits' / 'obama.jpg'}\n")
    code = main([
        "render", str(listed), str(material / "drivers" / "talk.mp4"), "-o", str(tmp_path / "out"), "--format", "webm",
        "--layers", "--checkpoint", str(material / "tiny.pt"), "--size", "64", "--json",
    ])
    data = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert code == 0 and data["ok"] and data["failed"] == []
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "obama__talk.webm", "obama__talk_face.webm", "obama__talk_matte.webm"
    ]


def test_a_batch_asking_mp4_with_alpha_is_refused_before_any_work(material: Path, tmp_path: Path, capsys) -> None:
    code, data, _ = render(material, tmp_path / "r", capsys, "--format", "mp4", "--alpha")
    assert code == 2 and "MP4 cannot carry transparency" in data["error"] and ".mov" in data["error"]
    assert not (tmp_path / "r").exists()
    code, data, _ = render(material, tmp_path / "single.mp4", capsys)
    assert code == 2 and "give a folder" in data["error"]
    with pytest.raises(OutputError, match="give a folder"):
        plan_batch(["a.jpg"], ["b.mp4"], tmp_path / "x.gif")


def test_cancelling_a_batch_leaves_no_partial_file(material: Path, tmp_path: Path) -> None:
    from core.faces.landmarks import load_detector
    from core.pipeline import Reenactor

    out = tmp_path / "cancelled"
    out.mkdir()
    pairs = plan_batch(source_inputs(material / "portraits" / "obama.jpg"), driving_inputs(material / "drivers"), out, "mov")
    reenactor = Reenactor(material / "tiny.pt", "cpu", detector=load_detector("dlib"))
    token = CancelToken()
    stream = run_batch(pairs, reenactor, BatchSettings(options=RenderOptions(output_size=64), batch=2), token)
    with pytest.raises(Cancelled):
        for item in stream:
            if item.done == 1 and "frame" in item.message:  # the second pair is being written
                token.cancel()
    assert [p.name for p in out.iterdir()] == ["obama__nod.mov"]  # the first, whole; nothing of the second


def test_one_render_takes_the_alpha_and_loop_flags(material: Path, tmp_path: Path, capsys) -> None:
    from core.commands.render_batch import FORMATS, LOOP_MODES
    from core.faces.loop import LOOP_MODES as CORE_LOOP_MODES
    from core.video.formats import OUTPUT_KINDS

    assert FORMATS == OUTPUT_KINDS and LOOP_MODES == CORE_LOOP_MODES  # the flags' choices are the core's
    out = tmp_path / "loop.webp"
    code = main([
        "render", str(material / "portraits" / "obama.jpg"), str(material / "drivers" / "talk.mp4"), "-o", str(out),
        "--alpha", "--loop", "pingpong", "--loop-length", "8", "--checkpoint", str(material / "tiny.pt"), "--size", "64", "--json",
    ])
    data = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert code == 0 and data["frames"] == 8 and data["loop"]["ok"] and data["files"] == {"face": str(out)}
    with Image.open(out) as webp:
        assert webp.n_frames == 8 and webp.mode == "RGBA"
    code = main([
        "render", str(material / "portraits" / "obama.jpg"), str(material / "drivers" / "talk.mp4"), "-o",
        str(tmp_path / "x.mp4"), "--format", "gif", "--checkpoint", str(material / "tiny.pt"), "--json",
    ])
    assert code == 2 and "for a batch" in json.loads(capsys.readouterr().out.strip().splitlines()[-1])["error"]


def test_several_files_given_with_repeated_source_and_driving_make_a_batch(material: Path, tmp_path: Path, capsys) -> None:
    portraits, drivers = material / "portraits", material / "drivers"
    common = ["--checkpoint", str(material / "tiny.pt"), "--size", "64", "--json"]
    out = tmp_path / "two"
    code = main(["render", "--source", str(portraits / "obama.jpg"), "--source", str(portraits / "obama2.jpg"),
                 str(drivers / "talk.mp4"), "-o", str(out), *common, "--batch", "1"])  # the one positional is DRIVING
    captured = capsys.readouterr()
    data = json.loads(captured.out.strip().splitlines()[-1])
    assert code == 0 and data["rendered"] == 2
    # the bar moves within the first pair (analysis, then each frame), naming it, before that pair is done
    within = [line for line in captured.err.splitlines() if re.search(r"\b[1-4]\d% 0/2 done .*obama\.jpg \+ talk\.mp4: ", line)]
    assert len(within) >= 3, captured.err
    assert sorted(p.name for p in out.iterdir()) == ["obama2__talk.mp4", "obama__talk.mp4"]
    code = main(["render", str(portraits / "obama.jpg"), "--driving", str(drivers / "talk.mp4"),
                 "--driving", str(drivers / "nod"), "-o", str(tmp_path / "drivers"), *common])  # it is SOURCE
    data = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert code == 0 and sorted(Path(o["output"]).name for o in data["outputs"]) == ["obama__nod.mp4", "obama__talk.mp4"]
    # a folder among them counts for its photos; both options and no positional
    code = main(["render", "--source", str(portraits), "--driving", str(drivers / "nod"), "-o", str(tmp_path / "all"),
                 *common])
    data = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert code == 2 and data["pairs"] == 3 and data["rendered"] == 2 and len(data["failed"]) == 1
    # one --source with two positionals, or the same file twice: one line, exit 2, nothing written
    for args, message in (
        (["--source", str(portraits / "obama.jpg"), str(portraits / "obama2.jpg"), str(drivers / "talk.mp4")],
         "with --source the one positional is DRIVING"),
        (["--source", str(portraits / "obama.jpg"), "--source", str(portraits / "obama.jpg"), str(drivers / "talk.mp4")],
         "would both be written to obama__talk.mp4"),
        (["--driving", str(drivers / "talk.mp4")], "give SOURCE and DRIVING"),
    ):
        code = main(["render", *args, "-o", str(tmp_path / "refused"), *common])
        captured = capsys.readouterr()
        assert code == 2 and message in json.loads(captured.out.strip().splitlines()[-1])["error"], captured
        assert not (tmp_path / "refused").exists()


def test_a_batch_never_writes_onto_an_input_its_lists_or_folders_expand_to(material: Path, tmp_path: Path, capsys) -> None:
    portraits, drivers = material / "portraits", material / "drivers"
    out = tmp_path / "out"
    out.mkdir()
    earlier = out / "obama__talk.gif"  # an earlier render, listed now as a portrait: the pair obama + talk would replace it
    earlier.write_bytes((portraits / "obama2.jpg").read_bytes())
    before = earlier.read_bytes()
    (tmp_path / "src.txt").write_text(f"{portraits / 'obama.jpg'}\nout/obama__talk.gif\n")
    (tmp_path / "drv.txt").write_text(f"{drivers / 'talk.mp4'}\n")
    code = main([
        "render", str(tmp_path / "src.txt"), str(tmp_path / "drv.txt"), "-o", str(out), "--format", "gif", "--overwrite",
        "--end", "3", "--size", "64", "--checkpoint", str(material / "tiny.pt"), "--json",
    ])
    captured = capsys.readouterr()
    error = json.loads(captured.out.strip().splitlines()[-1])["error"]
    assert code == 2 and "obama__talk.gif" in error and "is the input" in error and "\n" not in error, captured.err
    assert earlier.read_bytes() == before and sorted(p.name for p in out.iterdir()) == ["obama__talk.gif"]
    assert "Traceback" not in captured.err

    # a link to an input, and a PNG folder holding one, are refused in the plan (the app's batch plans with it too)
    linked = tmp_path / "linked"
    linked.mkdir()
    (linked / "obama__talk.mp4").symlink_to(drivers / "talk.mp4")
    with pytest.raises(OutputError, match=r"obama__talk\.mp4 is the input .*talk\.mp4"):
        plan_batch([portraits / "obama.jpg"], [str(drivers / "talk.mp4")], linked)
    frames = tmp_path / "frames"
    (frames / "obama__talk").mkdir(parents=True)
    (frames / "obama__talk" / "obama.jpg").write_bytes((portraits / "obama.jpg").read_bytes())
    with pytest.raises(OutputError, match=r"obama__talk holds the input .*obama\.jpg"):
        plan_batch([frames / "obama__talk" / "obama.jpg"], [str(drivers / "talk.mp4")], frames, "png")
    # a folder of numbered frames listed as a driver and given as -o: the outputs would land among its frames
    with pytest.raises(OutputError, match="inside the input folder"):
        plan_batch([portraits / "obama.jpg"], [str(drivers / "nod")], drivers / "nod")
    # an input beside the outputs that no output replaces is fine
    assert [p.output.name for p in plan_batch([earlier], [str(drivers / "talk.mp4")], out, "gif")] == ["obama__talk__talk.gif"]
