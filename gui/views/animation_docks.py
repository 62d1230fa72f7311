"""The animator's part of the main window: its actions (with their shortcuts, shown in the Animation menu
and in tooltips), the Animate and Driving check panels, and the Curves and Trajectory docks above the
timeline, bound to `AppController.animation` and `.driving_check`.

Shortcuts (none collides with the timeline's Space, J/K/L, I/O, arrows, Home/End): Ctrl+K keys the
active control at the playhead (Blender's I and After Effects' stopwatch; I is the in point here),
Alt+K deletes its key there (Blender's Alt+I), Alt+Left / Alt+Right jump to the previous / next key
(After Effects' J/K, Blender's Up/Down; here Up/Down stop at every mark, keys included).

The Curves and Trajectory docks build their pyqtgraph views the first time they are shown. Their content
scrolls inside the dock rather than ask for height: shown on a laptop screen (1280x720), they take what
the viewer and the side panels leave instead of making the window taller than the screen.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import QDockWidget, QScrollArea, QVBoxLayout, QWidget

from gui.views.animate_panel import AnimatePanel
from gui.views.driving_check_panel import DrivingCheckPanel
from gui.views.widgets import scroll_area

if TYPE_CHECKING:
    from gui.views.main_window import MainWindow

#: Screen height (px) below which the curves and trajectory panels start hidden on first use, so the
#: viewer and the timeline fit (at 1280x720 with them shown the timeline fell off the screen).
ROOM_FOR_CURVES = 900
#: Height (px) the Curves and Trajectory dock area starts with (its tab bar, title and content): the curve
#: editor's least plot (`curve_editor.MIN_PLOT_H`) with room to spare, three trajectory strips in view.
CURVES_HEIGHT = 280

#: (name, text, shortcut, icon, tooltip, checkable)
ACTIONS: tuple[tuple[str, str, str | None, str | None, str, bool], ...] = (
    ("key_control", "&Key the active control", "Ctrl+K", "key",
     "Key the active control at the playhead with its value there", False),
    ("delete_key", "&Delete the active control's key", "Alt+K", "key-delete",
     "Delete the active control's key at the playhead", False),
    ("previous_key", "Pre&vious key", "Alt+Left", "key-previous", "Go to the previous frame with a key", False),
    ("next_key", "Ne&xt key", "Alt+Right", "key-next", "Go to the next frame with a key", False),
    ("builtin_as_keys", "Open the built-in performance as &keys", None, None,
     "The built-in performance as editable keys in the curve editor, with no video", False),
    ("keys_timeline", "Keys &alone (no video)", None, None,
     "A timeline without a driving video: the pose and expression keys alone move the portrait", False),
    ("save_performance", "Save as &performance…", "Ctrl+Shift+P", None,
     "Save what the portrait performs (keys alone, or a performance with keys on top) as a .performance.json "
     "that drives exports and other projects like a video", False),
    ("hold_flagged", "&Hold the last good frame over flags", None, None,
     "Over frames the driving check flags (no face, small face, turned far, tracking glitch), show the last "
     "good frame, in the viewer and in exports", True),
    ("suggested_reference", "Use the &suggested reference frame", None, None,
     "Measure motion from the frame the driving check suggests", False),
)
MENU: tuple[str | None, ...] = ("key_control", "delete_key", "previous_key", "next_key", None, "builtin_as_keys",
                                "keys_timeline", "save_performance", None, "hold_flagged", "suggested_reference")


def add_actions(action: Callable[..., QAction]) -> None:
    """Create the animator's actions with the window's `_action` (so the shortcuts table lists them)."""
    for name, text, shortcut, icon_name, tip, checkable in ACTIONS:
        action(name, text, shortcut, icon_name, tip, checkable)


class LowScrollArea(QScrollArea):
    """A vertical scroll area that asks for no height (its content's width still): a dock holding it
    scrolls its content instead of making the window taller."""

    def minimumSizeHint(self) -> QSize:
        width = super().minimumSizeHint().width()
        body = self.widget()
        if body is not None:
            width = max(width, body.minimumSizeHint().width() + self.verticalScrollBar().sizeHint().width())
        return QSize(width, 0)


class LazyPanel(QWidget):
    """A dock's content built the first time it is shown (pyqtgraph loads then, not at start-up), in a
    `LowScrollArea`: below the content's least height the dock scrolls it."""

    def __init__(self, build: Callable[[], QWidget], height: int = CURVES_HEIGHT, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._build = build
        self._height = height
        self.content: QWidget | None = None
        self.scroll = LowScrollArea()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.scroll)

    def ensure_built(self) -> QWidget:
        if self.content is None:
            self.content = self._build()
            scroll_area(self.content, self.scroll)
        return self.content

    def sizeHint(self) -> QSize:
        return QSize(800, self._height)  # room for curves to read, above the timeline

    def showEvent(self, event) -> None:
        self.ensure_built()
        super().showEvent(event)

    def cramped(self) -> bool:
        """Whether the content is built and scrolls for want of height."""
        return self.content is not None and self.scroll.viewport().height() < self.content.minimumSizeHint().height()


class AnimationDocks:
    """Builds and binds the animator's panels in `window` (see the module notes)."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        app, act = window.app, window.actions_by_name
        ctx = app.ctx
        animation, check = app.animation, app.driving_check
        self.animate = AnimatePanel(ctx.document, animation.state, act)
        self.check_panel = DrivingCheckPanel(check.model, ctx.document)
        self.curves = LazyPanel(self._build_curves)
        self.trajectory = LazyPanel(self._build_trajectory)
        window.add_panel("Animate", self.animate, Qt.DockWidgetArea.RightDockWidgetArea, tabify_with="Controls")
        window.add_panel("Driving check", self.check_panel, Qt.DockWidgetArea.LeftDockWidgetArea,
                         tabify_with="Driving")
        curves = window.add_panel("Curves", self.curves, Qt.DockWidgetArea.BottomDockWidgetArea)
        window.splitDockWidget(curves, window.docks["Timeline"], Qt.Orientation.Vertical)  # curves above the time
        window.add_panel("Trajectory", self.trajectory, Qt.DockWidgetArea.BottomDockWidgetArea, tabify_with="Curves")
        curves.raise_()
        window.docks["Controls"].raise_()
        window.docks["Driving"].raise_()
        window.resizeDocks([curves], [CURVES_HEIGHT], Qt.Orientation.Vertical)
        screen = QGuiApplication.primaryScreen()
        if screen is None or screen.availableGeometry().height() < ROOM_FOR_CURVES:
            # a laptop screen: the viewer and the timeline come first; View > Panels shows the curves
            curves.hide()
            window.docks["Trajectory"].hide()
        for dock in window.docks.values():  # shown, or room freed (the side panels collapsed)
            dock.visibilityChanged.connect(lambda _shown: QTimer.singleShot(0, self._make_room))
        self._bind()

    def _make_room(self) -> None:
        """The Curves or Trajectory dock on screen too low for its content: ask for its starting height, which
        the window takes from the viewer without growing or squeezing the other panels below their least
        (on a 1280x720 screen with the side panels open there is none to take; collapsing them makes it)."""
        for panel in (self.curves, self.trajectory):
            dock = panel.parentWidget()
            if isinstance(dock, QDockWidget) and dock.isVisible() and not dock.isFloating() and panel.cramped():
                self.window.resizeDocks([dock], [CURVES_HEIGHT], Qt.Orientation.Vertical)

    # -- building ------------------------------------------------------------------------------------------
    def _build_curves(self) -> QWidget:
        from gui.views.curve_editor import CurveEditor

        app = self.window.app
        animation = app.animation
        editor = CurveEditor(app.ctx.document, animation.state, lambda: app.timeline.model.count)
        editor.seekRequested.connect(app.playback.seek)
        editor.activated.connect(animation.state.set_active)
        editor.selectionRequested.connect(animation.state.select)
        editor.keyDragged.connect(animation.drag_key)
        editor.interpolationRequested.connect(animation.set_interpolation)
        editor.deleteRequested.connect(animation.delete_keys)
        app.timeline.model.rangeChanged.connect(editor.refresh)
        app.timeline.model.rangeChanged.connect(editor.view_all)
        return editor

    def _build_trajectory(self) -> QWidget:
        from gui.views.trajectory_view import TrajectoryView

        app = self.window.app
        view = TrajectoryView(app.driving_check.model, app.ctx.document)
        view.seekRequested.connect(app.playback.seek)
        return view

    # -- binding -------------------------------------------------------------------------------------------
    def _bind(self) -> None:
        app, act = self.window.app, self.window.actions_by_name
        animation, check = app.animation, app.driving_check
        act["key_control"].triggered.connect(animation.key_active)
        act["delete_key"].triggered.connect(animation.delete_active_key)
        act["previous_key"].triggered.connect(lambda: animation.jump_key(-1))
        act["next_key"].triggered.connect(lambda: animation.jump_key(1))
        act["builtin_as_keys"].triggered.connect(animation.open_builtin_as_keys)
        act["keys_timeline"].triggered.connect(animation.new_keys_timeline)
        act["save_performance"].triggered.connect(animation.ask_save_performance)
        act["hold_flagged"].toggled.connect(check.set_hold)
        act["suggested_reference"].triggered.connect(check.use_suggested_reference)
        panel = self.animate
        panel.edited.connect(animation.set_value)
        panel.keyClicked.connect(animation.toggle_key)
        panel.activated.connect(animation.state.set_active)
        self.check_panel.flagChosen.connect(check.jump_to)
        self.check_panel.holdToggled.connect(check.set_hold)
        self.check_panel.suggestedReferenceRequested.connect(check.use_suggested_reference)
        doc = app.ctx.document
        doc.optionsChanged.connect(self._options_changed)
        check.model.checkChanged.connect(self._check_changed)
        animation.state.activeChanged.connect(self._active_changed)
        self._options_changed(doc.options)
        self._check_changed()
        self._active_changed(animation.state.active)

    def _options_changed(self, options) -> None:
        action = self.window.actions_by_name["hold_flagged"]
        action.blockSignals(True)
        action.setChecked(options.hold_flagged)
        action.blockSignals(False)

    def _check_changed(self) -> None:
        check = self.window.app.driving_check.model.check
        suggestion = None if check is None else check.suggested_reference
        usable = suggestion is not None and suggestion != check.reference_frame
        self.window.actions_by_name["suggested_reference"].setEnabled(usable)

    def _active_changed(self, name: str) -> None:
        from core.animation.tracks import CONTROLS

        label = CONTROLS[name].label
        act = self.window.actions_by_name
        act["key_control"].setText(f"&Key {label}")
        act["delete_key"].setText(f"&Delete the {label} key")
