"""The animator's controls in the app: key edits and their undo, keys as timeline marks, projects with keys,
the CLI rendering a saved project as the app shows it, the driving check's flags on the timeline, and
the window's animation panels."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from core.animation.tracks import Animation
from core.config import RenderOptions
from core.faces.image_io import read_image
from gui.controllers.animation import KEYS
from gui.models.driving_check import FLAG_MARKS
from gui.models.project import ProjectData
from gui.models.specs import DEMO_SOURCE, DrivingSpec, ModelChoice, SourceSpec
from main import main
from tests.gui.conftest import open_scene, show_main_window


@pytest.fixture
def keyed_scene(controller, qtbot, tiny_checkpoint):
    """The demo portrait on a 40-frame timeline of keys alone, rendered by the tiny network."""
    controller.model.choose(ModelChoice.file(tiny_checkpoint))
    controller.source.open_demo()
    controller.document.set_driving(DrivingSpec.keys(40, 25.0))
    qtbot.waitUntil(lambda: controller.scene.ready and controller.scene.frame_count == 40, timeout=120_000)
    return controller


def test_key_edits_follow_the_conventions_and_undo_one_gesture_at_a_time(keyed_scene) -> None:
    app = keyed_scene
    doc, animation = app.document, app.animation
    stack = doc.undo_stack
    animation.set_value("smile", 0.3)  # not animated: its one value
    assert doc.options.controls.smile == 0.3 and doc.options.animation.names == ()
    animation.toggle_key("yaw")  # the diamond: a key at the playhead with the value there
    assert doc.options.animation.curve("yaw").frames == (0.0,)
    doc.set_current_frame(20)
    for value in (5.0, 10.0, 18.0):  # a slider drag on an animated control keys it here: one undo step
        animation.set_value("yaw", value)
    assert doc.options.animation.value("yaw", 20, doc.options.controls) == 18.0
    assert list(app.timeline.model.marks.frames(KEYS.key)) == [0, 20]
    assert stack.undoText() == "Key Turn (yaw) 18.0° at frame 20"
    stack.undo()
    assert doc.options.animation.curve("yaw").frames == (0.0,)
    stack.redo()
    assert doc.options.animation.curve("yaw").frames == (0.0, 20.0)
    animation.jump_key(-1)
    assert doc.current_frame == 0
    animation.jump_key(1)
    assert doc.current_frame == 20
    animation.state.select({("yaw", 20.0)})
    steps = stack.count()
    for x in (22.4, 26.0, 30.2):  # a key dragged in the curve editor: one undo step, the selection follows
        animation.drag_key("drag-1", "yaw", 20.0, x, 12.0)
    assert stack.count() == steps + 1 and doc.options.animation.curve("yaw").frames == (0.0, 30.0)
    assert animation.state.selected == {("yaw", 30.0)}
    animation.set_interpolation([("yaw", 0.0)], "hold")
    assert doc.options.animation.value("yaw", 29, doc.options.controls) == 0.0
    stack.undo()
    assert doc.options.animation.value("yaw", 15, doc.options.controls) > 0.0
    animation.delete_keys([("yaw", 0.0), ("yaw", 30.0)])  # the last key gone: the control keeps its value
    assert "yaw" not in doc.options.animation.names and doc.options.controls.yaw == 12.0
    stack.undo()
    assert doc.options.animation.curve("yaw").frames == (0.0, 30.0) and not app.ctx.dialogs.errors


def test_a_project_with_keys_round_trips_and_old_projects_still_open(tmp_path) -> None:
    keys = Animation().set_key("yaw", 0, 0.0, "ease").set_key("yaw", 30, 15.0, "hold").set_key("blink_left", 12.5, 1.0)
    options = RenderOptions(strength=0.8, animation=keys, hold_flagged=True)
    data = ProjectData(SourceSpec(DEMO_SOURCE), DrivingSpec.keys(90, 30.0), options, ModelChoice.demo(), 12, 3, 60)
    data.save(tmp_path / "p.reenact")
    saved = json.loads((tmp_path / "p.reenact").read_text())
    assert saved["version"] == 2 and saved["driving"] == {"keys": {"frames": 90, "fps": 30.0}}
    assert saved["options"]["animation"]["curves"]["blink_left"] == [{"frame": 12.5, "value": 1.0, "interpolation": "smooth"}]
    assert ProjectData.load(tmp_path / "p.reenact") == data
    old = {"format": "reenact-studio-project", "version": 1, "source": {"builtin": DEMO_SOURCE},
           "driving": {"builtin": "builtin:performance"}, "options": {"strength": 0.5}, "model": {"kind": "demo"}}
    (tmp_path / "old.reenact").write_text(json.dumps(old))
    loaded = ProjectData.load(tmp_path / "old.reenact")
    assert loaded.options == RenderOptions(strength=0.5) and loaded.driving.is_builtin


def test_the_cli_renders_a_saved_project_as_the_app_shows_it(keyed_scene, qtbot, tmp_path, capsys) -> None:
    app = keyed_scene
    animation = app.animation
    for frame, yaw, smile in ((0, -15.0, 0.0), (20, 18.0, 0.7), (39, 0.0, 0.2)):
        app.document.set_current_frame(frame)
        animation.set_value("yaw", yaw) if frame else animation.toggle_key("yaw")
        animation.add_key("smile", frame, smile)
    animation.set_value("mouth", 1.3)  # a region strength, not keyed
    project = tmp_path / "keys.reenact"
    assert app.project.save_to(project)
    options = app.document.options
    frames = (3, 20, 33)
    reenactor = app.ctx.engine.reenactor
    shown = {i: reenactor.render_frame(i, options).image for i in frames}  # the app's engine, as the viewer gets it
    assert main(["render", "--project", str(project), "-o", str(tmp_path / "cli"), "--json"]) == 0
    cli = sorted((tmp_path / "cli").glob("*.png"))
    assert len(cli) == 40 and json.loads(capsys.readouterr().out.strip().splitlines()[-1])["frames"] == 40
    for i in frames:
        diff = np.abs(read_image(cli[i]).astype(int) - shown[i].astype(int)).max()
        assert diff <= 2, f"frame {i} differs by {diff}/255"
    assert np.abs(shown[3].astype(int) - shown[20].astype(int)).mean() > 1.0  # the keys move the face


def test_driving_check_flags_show_on_the_timeline_and_the_list_jumps(controller, qtbot, tiny_checkpoint, obama_path,
                                                                     megamind_path, report_figure) -> None:
    model = controller.driving_check.model
    moments: dict[str, float] = {}
    controller.scene.readyChanged.connect(lambda ready: ready and moments.setdefault("ready", time.perf_counter()))
    model.trajectoryChanged.connect(lambda: model.trajectory is not None and moments.setdefault("shown", time.perf_counter()))
    open_scene(controller, qtbot, tiny_checkpoint, obama_path, megamind_path)
    qtbot.waitUntil(lambda: model.check is not None and model.trajectory is not None, timeout=60_000)
    report_figure("Megamind: flags and trajectory shown after the analysed driving was applied (ms)",
                  round((moments["shown"] - moments["ready"]) * 1000))
    marks = controller.timeline.model.marks
    jumps = set(marks.frames(FLAG_MARKS["jump"].key))
    assert {98, 200} <= jumps  # two of Megamind's cuts
    assert any(kind.key == FLAG_MARKS["jump"].key for kind, _ in marks.legend())
    assert model.trajectory.frame_count == 270
    window = show_main_window(controller, qtbot)
    panel = window.animation_docks.check_panel
    assert panel.list.count() == len(model.flags)
    item = next(panel.list.item(i) for i in range(panel.list.count())
                if panel.list.item(i).text().startswith("Jump / cut · frame 200\n"))
    panel.list.itemClicked.emit(item)
    assert controller.document.current_frame == 200
    window.actions_by_name["hold_flagged"].trigger()
    assert controller.document.options.hold_flagged
    controller.document.undo_stack.undo()
    assert not controller.document.options.hold_flagged


def test_the_window_has_the_animation_panels_and_no_shortcut_twice(keyed_scene, qtbot) -> None:
    window = show_main_window(keyed_scene, qtbot)
    for title in ("Animate", "Driving check", "Curves", "Trajectory"):
        assert title in window.docks
    keys = [row[2] for row in window.shortcut_rows()]
    assert len(keys) == len(set(keys)), [k for k in keys if keys.count(k) > 1]
    assert ("Animation", "Previous key", "Alt+Left") in window.shortcut_rows()
    panel = window.animation_docks.animate
    panel.rows["smile"].key.click()
    assert keyed_scene.document.options.animation.names == ("smile",)
    assert panel.rows["smile"].key.state == "key" and "Ctrl+K" in panel.rows["smile"].key.toolTip()
    window.docks["Curves"].show()
    window.docks["Curves"].raise_()
    editor = window.animation_docks.curves.ensure_built()
    qtbot.waitUntil(lambda: editor.list.count() == 1)
    assert editor.list.item(0).text() == "Smile"


def test_dragging_a_key_in_the_curve_editor_is_one_undo_step_ending_where_it_was_let_go(keyed_scene, qtbot) -> None:
    window = show_main_window(keyed_scene, qtbot)
    doc, animation = keyed_scene.document, keyed_scene.animation
    animation.add_key("smile", 5, 0.2)
    animation.add_key("smile", 30, 0.6)
    window.docks["Curves"].show()
    editor = window.animation_docks.curves.ensure_built()
    steps = doc.undo_stack.count()
    editor.begin_drag(("smile", 30.0))
    for x in (28.0, 25.0, 21.4):  # quicker than the editor applies them: the newest wins
        editor.drag_to(x, 90.0)  # normalised: 90 % of -1..1
    editor.end_drag()
    assert doc.undo_stack.count() == steps + 1
    assert doc.options.animation.curve("smile").frames == (5.0, 21.0)
    assert doc.options.animation.value("smile", 21, doc.options.controls) == pytest.approx(0.8)
    assert keyed_scene.animation.state.selected == {("smile", 21.0)}
    assert list(editor.selection.data["x"]) == [21.0]  # drawn selected
    doc.undo_stack.undo()
    assert doc.options.animation.curve("smile").frames == (5.0, 30.0)


def test_the_built_in_performance_opens_as_keys_and_saves_back_as_a_performance(keyed_scene, qtbot, tmp_path) -> None:
    from core.faces.performance import Performance, builtin_performance

    app = keyed_scene
    app.animation.open_builtin_as_keys()
    builtin = builtin_performance()
    assert app.document.driving == DrivingSpec.keys(builtin.frame_count, builtin.fps)
    assert {"yaw", "smile", "blink_left"} <= set(app.document.options.animation.names)
    qtbot.waitUntil(lambda: app.scene.ready and app.scene.frame_count == builtin.frame_count, timeout=60_000)
    app.animation.save_performance(tmp_path / "edited")
    qtbot.waitUntil(lambda: (tmp_path / "edited.performance.json").exists(), timeout=60_000)
    saved = Performance.load(tmp_path / "edited.performance.json")
    assert saved.frame_count == builtin.frame_count
    np.testing.assert_allclose(saved.frame_params(), builtin.frame_params(), atol=1e-3)  # the same motion back
    app.document.undo_stack.undo()  # the keys go; the timeline of keys alone stays
    assert app.document.options.animation.names == ()
