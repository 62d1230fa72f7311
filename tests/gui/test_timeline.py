"""The timeline: a numbered ruler in frames or timecode, marks of several kinds with a legend, zoom and
scroll of the time axis, in / out points that set the export range and loop playback, the render-cache
bar, and the editors' keys (J/K/L, I/O, Shift+arrows, Up/Down)."""

from __future__ import annotations

import itertools
import re
import time

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QGuiApplication, QWheelEvent

from gui.models.timecode import format_position, format_timecode, ruler_ticks
from gui.models.timeline import (
    KEYS_LANE,
    MIN_VISIBLE_FRAMES,
    MarkKind,
    TimelineMarks,
    TimelineModel,
    next_stop,
)
from tests.gui.conftest import open_scene, show_main_window

# ---------------------------------------------------------------------- plain models


def test_timecode_counts_frames_not_milliseconds():
    assert format_timecode(80, 23.976) == "00:00:03:08"  # 24 frames per timecode second
    assert format_timecode(25 * 3661 + 3, 25) == "01:01:01:03"
    assert format_position(80, 270, 23.976, "frames") == "80 / 270"  # frame number of the true count
    assert format_position(80, 270, 23.976, "timecode") == "00:00:03:08 / 00:00:11:06"


def test_the_ruler_numbers_adapt_to_the_zoom_and_the_time_display():
    whole = ruler_ticks(0, 269, pixels_per_frame=4.4, fps=23.976, mode="frames", label_px=40)
    assert whole.major_step == 10 and whole.major[:3] == (0, 10, 20) and whole.labels[:3] == ("0", "10", "20")
    assert whole.minor_step in (2, 5) and not set(whole.minor) & set(whole.major)
    close = ruler_ticks(100, 130, pixels_per_frame=40, fps=23.976, mode="frames", label_px=40)
    assert close.major_step == 1 and close.major[0] == 100  # zoomed in: every frame numbered
    timecode = ruler_ticks(0, 269, pixels_per_frame=4.4, fps=23.976, mode="timecode", label_px=80)
    assert timecode.major_step == 24 and timecode.labels[1] == "00:00:01:00"  # whole seconds, not 10 frames
    zoomed = ruler_ticks(40, 90, pixels_per_frame=10, fps=23.976, mode="timecode", label_px=80)
    assert zoomed.major_step == 8 and zoomed.labels[:2] == ("00:00:01:16", "00:00:02:00")  # seconds stay whole
    far = ruler_ticks(0, 100_000, pixels_per_frame=0.01, fps=25, mode="timecode", label_px=80)
    assert far.major_step % 25 == 0 and len(far.major) < 20  # long drivings stay readable


def test_marks_of_any_kind_join_the_legend_and_the_keys_lane_appears_with_keys(qapp):
    marks = TimelineMarks()
    seen = []
    marks.changed.connect(lambda: seen.append(1))
    flag = marks.register(MarkKind("flag.jump", "Tracking jump", "#ff00ff"))
    key = marks.register(MarkKind("key.strength", "Strength key", "#e8c547", lane=KEYS_LANE, shape="diamond"))
    assert marks.lanes_in_use() == ["flags"] and marks.legend() == []
    marks.set_frames(flag.key, [30, 5, 6, 7, 30])
    marks.set_frames(key.key, [0, 40, 90])
    assert marks.lanes_in_use() == ["flags", "keys"]
    assert marks.legend() == [(flag, 4), (key, 3)]
    assert list(marks.frames(flag.key)) == [5, 6, 7, 30]
    assert [k.key for k in marks.at(40)] == ["key.strength"]
    assert list(marks.stops()) == [0, 5, 30, 40, 90]  # a run of marked frames is one stop
    assert next_stop(marks.stops(), 5, 1) == 30 and next_stop(marks.stops(), 5, -1) == 0
    assert next_stop(marks.stops(), 90, 1) is None
    with pytest.raises(ValueError):
        marks.register(MarkKind("x", "X", "#fff", lane="nowhere"))
    assert seen


def test_the_time_axis_zooms_around_a_frame_and_scrolls_within_the_driving(qapp):
    model = TimelineModel()
    model.set_range(270, 23.976)
    assert (model.view_start, model.view_span) == (0.0, 270.0) and not model.zoomed
    model.zoom_by(4, anchor=135)
    assert model.view_span == pytest.approx(67.5) and model.zoomed
    assert model.view_start + 0.5 * model.view_span == pytest.approx(135)  # the anchor stayed in place
    model.zoom_by(100)
    assert model.view_span == MIN_VISIBLE_FRAMES
    model.scroll_to(1000)
    assert model.view_start + model.view_span == 270  # never beyond the last frame
    model.ensure_visible(10)
    assert model.view_start <= 10 < model.view_start + model.view_span
    model.zoom_all()
    assert not model.zoomed


def test_a_legend_too_wide_for_its_room_shortens_its_labels_then_names_the_rest_in_a_plus_n_chip(qapp):
    from gui.views.timeline import Legend

    model = TimelineModel()
    model.set_range(270, 23.976)
    for key, label, colour, frames in (("glitch", "Tracking glitch", "#4fd6b4", [150, 151, 152]),
                                       ("jump", "Jump / cut", "#dfe3e8", [93]),
                                       ("pose", "Turned far", "#e5776f", [10, 11, 40]),
                                       ("reference", "Poor reference", "#ff6b81", [202])):
        model.marks.register(MarkKind(f"test.{key}", label, colour, description=f"what {label} means"))
        model.marks.set_frames(f"test.{key}", frames)
    legend = Legend(model)
    labels = [item.label for item in legend.items]
    assert labels == ["Rendered 0/270", "Tracking glitch (3)", "Jump / cut", "Turned far (3)", "Poor reference"]

    legend.resize(2000, 22)
    chips, hidden = legend.chips()
    assert [chip.text for chip in chips] == labels and not hidden  # room for everything: all of it
    legend.resize(round(chips[-1].rect.right()) - 10, 22)
    chips, hidden = legend.chips()
    assert [chip.text for chip in chips] == ["Rendered", "Tracking glitch", "Jump / cut", "Turned far",
                                             "Poor reference"] and not hidden  # a little less: no counts

    legend.resize(300, 22)
    chips, hidden = legend.chips()
    more = chips[-1]
    assert more.item is None and more.text == f"+{len(hidden)}" and hidden
    assert [chip.item for chip in chips[:-1]] + hidden == legend.items  # every kind shown or in the "+N" chip
    assert all(chip.rect.right() <= legend.width() for chip in chips)  # none cut at the edge
    tip = legend.tooltip_at(more.rect.center().x())
    assert all(f"{item.label}: {item.tooltip}" in tip for item in hidden)
    assert legend.tooltip_at(chips[0].rect.center().x()).startswith("Rendered 0/270: Frames already rendered")
    assert not legend.grab().isNull()  # paints the "+N" chip with its dots

    legend.resize(10, 22)  # no room at all: the "+N" chip still says there is more
    chips, hidden = legend.chips()
    assert [chip.text for chip in chips] == ["+5"] and hidden == legend.items


# ---------------------------------------------------------------------- in the window


@pytest.fixture
def window(controller, qtbot, tiny_checkpoint, obama_path, megamind_path):
    win = show_main_window(controller, qtbot, (1280, 720))
    open_scene(controller, qtbot, tiny_checkpoint, obama_path, megamind_path)
    win.activateWindow()
    return win


def key(qtbot, window, name: Qt.Key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.keyClick(window, name, modifier)


def test_the_ruler_maps_frames_to_pixels_and_a_click_scrubs(window, controller, qtbot):
    canvas = window.timeline.canvas
    model = controller.timeline.model
    assert model.count == 270 and canvas.width() >= 1000  # full width under the viewer at 1280x720
    assert canvas.pixels_per_frame > 3.5  # Megamind's 270 frames are several pixels each
    for frame in (0, 80, 269):
        assert canvas.frame_at(canvas.centre_of(frame)) == frame
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=QPoint(round(canvas.centre_of(120)), 30))
    assert controller.document.current_frame == 120
    assert window.timeline.position.text() == "120 / 270"
    window.timeline.time_mode.setCurrentIndex(1)
    window.timeline.time_mode.activated.emit(1)
    assert model.time_mode == "timecode" and window.timeline.position.text().startswith("00:00:05:00")
    assert controller.settings.timeline_time_mode == "timecode"  # remembered per user
    assert "No face" in window.timeline.legend.toolTip() or model.marks.legend()  # the legend names the marks


def test_the_wheel_steps_frames_and_ctrl_wheel_zooms(window, controller, qtbot):
    canvas, model = window.timeline.canvas, controller.timeline.model
    controller.playback.seek(100)

    def wheel(dy: int, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
        pos = QPointF(canvas.centre_of(150), 30)
        event = QWheelEvent(pos, canvas.mapToGlobal(pos), QPoint(0, 0), QPoint(0, dy), Qt.MouseButton.NoButton,
                            modifiers, Qt.ScrollPhase.NoScrollPhase, False)
        canvas.wheelEvent(event)

    wheel(-120)
    assert controller.document.current_frame == 101
    wheel(-120, Qt.KeyboardModifier.ShiftModifier)
    assert controller.document.current_frame == 111
    wheel(120, Qt.KeyboardModifier.ControlModifier)
    assert model.zoomed and model.view_start < 150 < model.view_start + model.view_span
    assert window.timeline.scroll.isEnabled()


def test_in_and_out_points_set_the_export_range_loop_playback_and_undo(window, controller, qtbot):
    doc = controller.document
    controller.playback.seek(40)
    key(qtbot, window, Qt.Key.Key_I)
    controller.playback.seek(100)
    key(qtbot, window, Qt.Key.Key_O)
    assert (doc.in_point, doc.out_point) == (40, 100) and doc.modified
    settings = controller.export.default_settings()
    assert (settings.start, settings.stop) == (40, 101)
    dialog = window.show_export()
    assert (dialog.start.value(), dialog.end.value()) == (40, 100)
    dialog.close()
    window.activateWindow()  # the dialog had the keys
    qtbot.waitUntil(lambda: QGuiApplication.focusWindow() is window.windowHandle(), timeout=5_000)
    key(qtbot, window, Qt.Key.Key_Home)
    assert doc.current_frame == 40  # Home goes to the in point
    key(qtbot, window, Qt.Key.Key_End)
    assert doc.current_frame == 100

    # playback loops over the range
    controller.timeline.set_in(10)
    controller.timeline.set_out(18)
    controller.playback.seek(10)
    seen = []
    doc.frameChanged.connect(seen.append)
    controller.playback.play()
    qtbot.waitUntil(lambda: any(b < a for a, b in itertools.pairwise(seen)), timeout=10_000)
    controller.playback.pause()
    assert seen and all(10 <= f <= 18 for f in seen)

    window.actions_by_name["undo"].trigger()
    assert (doc.in_point, doc.out_point) == (10, 100)
    key(qtbot, window, Qt.Key.Key_X, Qt.KeyboardModifier.AltModifier)
    assert (doc.in_point, doc.out_point) == (None, None)
    assert controller.export.default_settings().stop == 270


def test_j_k_l_shuttle_and_the_jump_keys(window, controller, qtbot):
    playback, doc = controller.playback, controller.document
    controller.playback.seek(100)
    key(qtbot, window, Qt.Key.Key_L)
    assert playback.playing and playback.rate == 1.0
    key(qtbot, window, Qt.Key.Key_L)
    assert playback.rate == 2.0 and "2×" in window.timeline.rate_label.text()
    key(qtbot, window, Qt.Key.Key_K)
    assert not playback.playing
    stopped = doc.current_frame
    key(qtbot, window, Qt.Key.Key_J)
    assert playback.playing and playback.rate == -1.0
    qtbot.waitUntil(lambda: doc.current_frame < stopped, timeout=10_000)  # backwards
    key(qtbot, window, Qt.Key.Key_K)
    assert not playback.playing

    controller.playback.seek(100)
    key(qtbot, window, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    assert doc.current_frame == 110
    key(qtbot, window, Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier)
    assert doc.current_frame == 100
    from gui.models.timeline import REFERENCE_AUTO

    marks = controller.timeline.model.marks
    qtbot.waitUntil(lambda: marks.frames(REFERENCE_AUTO.key).size == 1, timeout=30_000)
    marks.register(MarkKind("test.flag", "Flag", "#ff00ff"))  # as the driving check flags frames
    marks.set_frames("test.flag", [30, 31, 32, 260])
    stops = marks.stops()
    controller.playback.seek(29)
    key(qtbot, window, Qt.Key.Key_Down)
    assert doc.current_frame == 30  # the start of the run of flagged frames
    key(qtbot, window, Qt.Key.Key_Down)
    assert doc.current_frame == next_stop(stops, 30, 1) > 32  # over the rest of the run
    key(qtbot, window, Qt.Key.Key_Up)
    assert doc.current_frame == 30


def test_the_cache_bar_shows_the_frames_rendered_for_the_current_settings(window, controller, qtbot):
    model = controller.timeline.model
    for frame in (5, 6, 7, 50):
        controller.playback.seek(frame)
        qtbot.waitUntil(lambda f=frame: controller.preview_model.result.index == f, timeout=30_000)
    qtbot.waitUntil(lambda: all(model.cached[[5, 6, 7, 50]]), timeout=10_000)
    assert not model.cached[8] and model.cached_count >= 4
    assert "Rendered" in window.timeline.legend.items[0][1]
    canvas = window.timeline.canvas
    assert "rendered (cached)" in canvas.describe(50) and "not rendered yet" in canvas.describe(8)
    expected = np.array([controller.ctx.engine.cached_render(i, controller.document.options) for i in range(270)])
    assert np.array_equal(model.cached, expected)  # what the renderer holds, not what was shown

    controller.options.set("strength", 0.5)  # other settings: nothing is cached for them yet
    qtbot.waitUntil(lambda: not model.cached[5], timeout=10_000)
    qtbot.waitUntil(lambda: model.cached[50], timeout=30_000)  # the frame on screen renders again
    window.actions_by_name["undo"].trigger()  # back to the first settings: their frames are still cached
    qtbot.waitUntil(lambda: all(model.cached[[5, 6, 7, 50]]), timeout=10_000)


def test_the_reference_frame_is_marked_automatic_or_chosen(window, controller, qtbot):
    from gui.models.timeline import REFERENCE_AUTO, REFERENCE_CHOSEN

    marks = controller.timeline.model.marks
    qtbot.waitUntil(lambda: marks.frames(REFERENCE_AUTO.key).size == 1, timeout=30_000)
    controller.playback.seek(33)
    key(qtbot, window, Qt.Key.Key_R)
    assert list(marks.frames(REFERENCE_CHOSEN.key)) == [33] and marks.frames(REFERENCE_AUTO.key).size == 0
    assert any(kind.label == "Reference (chosen)" for kind, _ in marks.legend())


def test_at_1280_px_every_kind_of_mark_of_the_driving_check_is_in_the_legend_or_its_plus_n_chip(window, controller,
                                                                                                 qtbot):
    marks, legend = controller.timeline.model.marks, window.timeline.legend
    checked = {"check.glitch", "check.jump", "check.reference"}  # Megamind's flags against Obama's photo
    qtbot.waitUntil(lambda: checked <= {kind.key for kind, _ in marks.legend()}, timeout=60_000)
    kinds = [kind for kind, _ in marks.legend()]
    assert len(kinds) >= 5
    chips, hidden = legend.chips()
    named = [chip.item.short for chip in chips if chip.item is not None] + [item.short for item in hidden]
    assert named == ["Rendered"] + [kind.label.split(" (")[0] for kind in kinds]  # none dropped, in order
    assert all(chip.rect.right() <= legend.width() for chip in chips)
    if hidden:  # 1280 px is too narrow for all of them: the rest are one hover (or click) away
        tip = legend.tooltip_at(chips[-1].rect.center().x())
        assert chips[-1].text == f"+{len(hidden)}" and all(item.label in tip for item in hidden)


def frame_number(text: str, prefix: str = "") -> int:
    """The first frame number after `prefix` in a caption or read-out."""
    match = re.search(rf"{prefix}(\d+)", text)
    assert match, text
    return int(match.group(1))


def test_during_playback_the_viewer_caption_and_the_transport_show_the_same_frame(controller, qtbot, tiny_checkpoint,
                                                                                  monkeypatch):
    window = show_main_window(controller, qtbot, (1280, 720))
    open_scene(controller, qtbot, tiny_checkpoint, "astronaut", "builtin")  # the demo scene
    engine, doc, preview = controller.ctx.engine, controller.document, controller.preview_model
    render = engine.render

    def cpu_speed_render(*args, **kwargs):
        time.sleep(0.12)  # as the demo model renders on a CPU: 100-170 ms a frame against 42 ms at 24 fps
        return render(*args, **kwargs)

    monkeypatch.setattr(engine, "render", cpu_speed_render)
    canvas, timeline = window.result_view.canvas, window.timeline
    seen = []

    def look() -> None:  # after the views have taken the change (they connected first)
        if controller.playback.playing and preview.result is not None:
            seen.append((canvas.caption, timeline.position.text(), preview.result.index, doc.current_frame,
                         timeline.canvas.display_frame, canvas.busy_text))

    preview.resultChanged.connect(look)
    doc.frameChanged.connect(look)
    controller.playback.play()
    qtbot.waitUntil(lambda: preview.renders - controller.playback.results_at_start >= 6, timeout=30_000)
    qtbot.waitUntil(lambda: preview.result.index != doc.current_frame, timeout=10_000)
    controller.playback.pause()
    preview.resultChanged.disconnect(look)
    doc.frameChanged.disconnect(look)

    assert len(seen) > 10
    for caption, transport, shown, _, playhead_drawn, busy in seen:
        assert frame_number(caption, "FRAME ") == frame_number(transport) == shown == playhead_drawn, caption
        assert "SHOWING" not in caption and not busy
    assert any(shown != clock for _, _, shown, clock, _, _ in seen)  # the clock ran ahead of the slow renders
    assert len({shown for _, _, shown, _, _, _ in seen}) >= 4  # and the transport moved with the picture

    # paused before the playhead's frame has rendered: the transport is at the playhead, the caption says
    # that the picture is of another frame, and which
    shown, playhead = preview.result.index, doc.current_frame
    assert frame_number(timeline.position.text()) == playhead and timeline.canvas.display_frame is None
    assert f"SHOWING FRAME {shown} · PLAYHEAD {playhead}" in canvas.caption
    qtbot.waitUntil(lambda: preview.result.index == playhead, timeout=10_000)
    assert canvas.caption == f"RESULT · FRAME {playhead}"
    assert frame_number(timeline.position.text()) == playhead


def test_the_shortcuts_table_lists_the_editor_keys_aligned(window):
    rows = window.shortcut_rows()
    keys = {text: shortcut for _, text, shortcut in rows}
    assert keys["Play forwards (again: faster)"] == "L" and keys["Stop"] == "K"
    assert keys["Play backwards (again: faster)"] == "J"
    assert "I" in keys.values() and "O" in keys.values()
    assert keys["Show landmarks"] != "L" and "B" not in keys.values()  # no clash with J/K/L and editors' B
    dialog = window.show_shortcuts()
    assert dialog.table.columnCount() == 2 and dialog.table.rowCount() > len(rows)  # group headers too
    dialog.close()
