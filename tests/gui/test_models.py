"""The Qt-free parts of the models: project files, settings, specs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.config import RenderOptions
from core.errors import InputError
from gui.models.project import ProjectData
from gui.models.settings import MAX_RECENT, AppSettings
from gui.models.specs import BUILTIN_PERFORMANCE, DEMO_SOURCE, DrivingSpec, ModelChoice, SourceSpec


def test_a_project_folder_can_move_with_its_media(tmp_path):
    media = tmp_path / "shoot" / "media"
    media.mkdir(parents=True)
    (media / "face.jpg").write_bytes(b"x")
    (media / "take.mp4").write_bytes(b"x")
    data = ProjectData(
        SourceSpec(str(media / "face.jpg"), 1),
        DrivingSpec(str(media / "take.mp4"), 2),
        RenderOptions(strength=0.6, reference_frame=12, paste_back=True),
        ModelChoice.demo(),
        current_frame=30,
    )
    data.save(tmp_path / "shoot" / "p.reenact")
    moved = tmp_path / "moved"
    (tmp_path / "shoot").rename(moved)
    loaded = ProjectData.load(moved / "p.reenact")
    assert loaded.source == SourceSpec(str((moved / "media" / "face.jpg").resolve()), 1)
    assert loaded.driving.face_index == 2 and Path(loaded.driving.location).parent == (moved / "media").resolve()
    assert loaded.options == data.options and loaded.model == ModelChoice.demo() and loaded.current_frame == 30


def test_built_in_material_round_trips_without_paths(tmp_path):
    data = ProjectData(SourceSpec(DEMO_SOURCE), DrivingSpec(BUILTIN_PERFORMANCE), RenderOptions(), ModelChoice.random(128))
    data.save(tmp_path / "demo.reenact")
    text = json.loads((tmp_path / "demo.reenact").read_text())
    assert text["source"] == {"builtin": DEMO_SOURCE, "face_index": 0}
    loaded = ProjectData.load(tmp_path / "demo.reenact")
    assert loaded.source.is_demo and loaded.driving.is_builtin and loaded.model == ModelChoice.random(128)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "not a valid project file"),
        ('{"format": "something-else"}', "not a Reenact Studio project"),
        ('{"format": "reenact-studio-project", "version": 99}', "newer Reenact Studio"),
        ('{"format": "reenact-studio-project", "version": 1, "options": {"strength": 3}}', "strength must be between 0 and 1"),
    ],
)
def test_bad_project_files_are_refused_with_a_reason(tmp_path, content, expected):
    path = tmp_path / "bad.reenact"
    path.write_text(content)
    with pytest.raises(InputError, match=expected):
        ProjectData.load(path)


def test_settings_keep_recent_files_newest_first_and_survive_damage(tmp_path):
    path = tmp_path / "settings.json"
    settings = AppSettings.load(path)
    for i in range(MAX_RECENT + 3):
        settings.remember("sources", f"/photos/{i}.jpg")
    settings.remember("sources", "/photos/3.jpg")
    settings.last_checkpoint = "/models/a.pt"
    settings.save()
    again = AppSettings.load(path)
    assert again.recent_sources[0] == "/photos/3.jpg" and len(again.recent_sources) == MAX_RECENT
    assert again.last_checkpoint == "/models/a.pt" and again.last_folder == "/photos"
    path.write_text('{"recent_sources": 5, "show_landmarks": "yes", "unknown": 1')
    assert AppSettings.load(path).recent_sources == []  # damaged: defaults, no exception
    path.write_text('{"recent_sources": 5, "show_landmarks": true}')
    loaded = AppSettings.load(path)
    assert loaded.recent_sources == [] and loaded.show_landmarks is True  # wrong types are ignored


def test_driving_kind_follows_the_file_name():
    assert DrivingSpec("/v/take.MP4").kind == "video"
    assert DrivingSpec("/p/wink.performance.json").kind == "performance"
    assert DrivingSpec(BUILTIN_PERFORMANCE).kind == "performance"


def test_export_eta_follows_the_rate_so_far_and_formats_switch_names():
    from core.progress import Progress
    from gui.controllers.export import eta_seconds, with_format

    assert eta_seconds(Progress(0, 100), 3.0) is None  # no rate yet
    assert eta_seconds(Progress(25, 100), 5.0) == pytest.approx(15.0)  # 5 frames/s, 75 to go
    assert with_format(Path("/out/take.mp4"), "gif") == Path("/out/take.gif")
    assert with_format(Path("/out/take.gif"), "png") == Path("/out/take")  # a folder of frames
    assert with_format(Path("/out/take"), "webp") == Path("/out/take.webp")
