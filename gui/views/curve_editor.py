"""The curve editor (pyqtgraph): the animated controls over time, as After Effects' graph editor and
Blender's graph editor show them.

* Left, the animated controls (tick to show a curve; a click makes one active); right, their curves
  with the keys as diamonds and the playhead (drag it to scrub).
* Curves are drawn normalised to each control's range (0 % - 100 %, Blender's "Normalise"), so a turn in
  degrees and a smile share the view; untick "Normalise" to read the active control in its own units.
* Click a key to select it (Shift: add to the selection), drag it to move it in time and value (whole
  frames; one undo step per drag), right-click for its interpolation, Delete removes the selection.
  The buttons set the selected keys' interpolation (the segment after each key, Blender's rule).

The editor shows the document's options; edits leave as intents. pyqtgraph is imported when the editor
is built (the window builds it the first time its dock is shown).
"""

from __future__ import annotations

import functools
import math

import numpy as np
from PySide6.QtCore import QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QColor, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from core.animation.keys import INTERPOLATIONS
from core.animation.tracks import CONTROLS
from core.config import RenderOptions
from gui import theme
from gui.models.animation import KEY_COLOUR, AnimationState, KeyRef
from gui.models.document import Document
from gui.views.timeline_canvas import PLAYHEAD

#: Distinct colours for curves, by control (cycled).
CURVE_COLOURS = ("#4a8fd6", "#5cb87a", "#e5776f", "#c77dd6", "#56b6c2", "#d9a63a", "#e6e8ea", "#ff9f43",
                 "#98c379", "#f78fb3")
INTERPOLATION_TIPS = {
    "smooth": "Smooth: a curve through the keys that never overshoots them (Blender's Auto Clamped)",
    "linear": "Linear: a straight line to the next key",
    "ease": "Ease: leave and arrive slowly (After Effects' Easy Ease)",
    "hold": "Hold: keep this key's value until the next key (a per-frame fix)",
}
#: Pixels within which a click or a drag picks a key.
PICK_PX = 9.0
#: A key drag applies the pointer's newest position at most this often (ms): each step re-renders.
DRAG_INTERVAL_MS = 40
#: Most points a curve is drawn with (a long timeline is sampled evenly, keys and hold steps exactly).
CURVE_SAMPLES = 2000
#: Least height (px) of the plot's area, where the 0-100 % ticks and the value axis's name stay readable
#: (the dock scrolls the editor below it); the frame axis under it takes its own height more.
MIN_PLOT_H = 120


def curve_frames(count: int, key_frames: np.ndarray, samples: int = CURVE_SAMPLES) -> np.ndarray:
    """Frames to draw a curve at: every frame of a short timeline, else `samples` even ones; always the
    keys' own frames and a hair before each (a hold's step stays upright)."""
    frames = np.arange(count, dtype=np.float64) if count <= samples else np.linspace(0.0, count - 1.0, samples)
    return np.union1d(frames, np.concatenate([key_frames, np.maximum(key_frames - 1e-3, 0.0)]))


def colour_of(name: str) -> str:
    return CURVE_COLOURS[list(CONTROLS).index(name) % len(CURVE_COLOURS)]


class CurveEditor(QWidget):
    seekRequested = Signal(int)
    activated = Signal(str)
    selectionRequested = Signal(object)  # frozenset[KeyRef]
    keyDragged = Signal(object, str, float, float, float)  # gesture, control, frame at the start, to frame, value
    interpolationRequested = Signal(object, str)  # list[KeyRef], interpolation
    deleteRequested = Signal(object)  # list[KeyRef]

    def __init__(self, document: Document, state: AnimationState, frame_count=lambda: 0,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        import pyqtgraph as pg

        self._pg = pg
        self.document, self.state = document, state
        self.frame_count = frame_count  # the timeline's length (callable)
        self.normalise = True
        self._hidden: set[str] = set()
        self._drawn: dict[str, tuple] = {}  # control -> (curve, count, normalise, active): what is drawn
        self._axis_label = ""
        self._items: dict[str, tuple] = {}  # control -> (PlotDataItem, ScatterPlotItem)
        self._drag: tuple[object, str, float] | None = None  # (gesture, control, key frame at start)
        self._drag_to: tuple[float, float] | None = None  # the pointer's newest position, not yet applied
        self._drag_timer = QTimer(self, singleShot=True, interval=DRAG_INTERVAL_MS)
        self._drag_timer.timeout.connect(self._apply_drag)

        self.list = QListWidget()
        self.list.setMaximumWidth(190)
        self.list.setToolTip("The animated controls: tick to show a curve, click to make it active")
        self.normalise_box = QCheckBox("Normalise")
        self.normalise_box.setChecked(True)
        self.normalise_box.setToolTip("Draw every curve over its control's range (0-100 %), so degrees and amounts "
                                      "share the view; off: the active control in its own units")
        self.buttons: dict[str, QToolButton] = {}
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.setSpacing(2)
        hint = QLabel("Selected keys:")
        hint.setObjectName("Hint")
        bar.addWidget(hint)
        for interpolation in INTERPOLATIONS:
            button = QToolButton()
            button.setText(interpolation.capitalize())
            button.setToolTip(INTERPOLATION_TIPS[interpolation])
            button.clicked.connect(lambda _=False, i=interpolation: self._interpolate(i))
            bar.addWidget(button)
            self.buttons[interpolation] = button
        self.delete_button = QToolButton()
        self.delete_button.setText("Delete")
        self.delete_button.setToolTip("Delete the selected keys (Delete)")
        self.delete_button.clicked.connect(self._delete_selected)
        bar.addWidget(self.delete_button)
        bar.addStretch(1)
        self.frame_all = QToolButton()
        self.frame_all.setText("Frame all")
        self.frame_all.setToolTip("Show every key of the shown curves (Home in the editor)")
        self.frame_all.clicked.connect(self.view_all)
        bar.addWidget(self.normalise_box)
        bar.addWidget(self.frame_all)

        self.view_box = _view_box_class()(self)  # built on first use: pyqtgraph loads late
        self.plot = pg.PlotWidget(viewBox=self.view_box, background=theme.BASE)
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        item = self.plot.getPlotItem()
        for axis in ("left", "bottom"):
            item.getAxis(axis).setPen(pg.mkPen(theme.BORDER))
            item.getAxis(axis).setTextPen(pg.mkPen(theme.DIM))
        frames = item.getAxis("bottom")  # numbers only: the timeline under the editor says they are frames
        self.plot.setMinimumHeight(MIN_PLOT_H + math.ceil(frames.maximumHeight()) + 4)  # + the item's margins
        self.playhead = pg.InfiniteLine(angle=90, movable=True, pen=pg.mkPen(PLAYHEAD, width=1.5),
                                        hoverPen=pg.mkPen(PLAYHEAD, width=3))
        self.playhead.setZValue(20)
        self.playhead.sigDragged.connect(lambda line: self.seekRequested.emit(max(0, round(line.value()))))
        self.plot.addItem(self.playhead)
        self.selection = pg.ScatterPlotItem(symbol="d", size=13, pxMode=True, brush=pg.mkBrush("#ffffff"),
                                            pen=pg.mkPen(KEY_COLOUR, width=1.5))
        self.selection.setZValue(15)
        self.plot.addItem(self.selection)
        self.empty = pg.TextItem("No animated controls: key a control in the Animate panel (its diamond, or Ctrl+K)",
                                 color=theme.DIM, anchor=(0.5, 0.5))
        self.plot.addItem(self.empty)
        self.view_box.sigRangeChanged.connect(lambda *_: self._centre_empty())

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.setSpacing(2)
        right_layout.addLayout(bar)
        right_layout.addWidget(self.plot, 1)
        splitter = QSplitter()
        splitter.addWidget(self.list)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addWidget(splitter)
        delete = QAction(self)
        delete.setShortcuts([QKeySequence(QKeySequence.StandardKey.Delete), QKeySequence("Backspace")])
        delete.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        delete.triggered.connect(self._delete_selected)
        self.addAction(delete)

        self.list.itemChanged.connect(self._item_changed)
        self.list.itemClicked.connect(lambda item: self.activated.emit(item.data(Qt.ItemDataRole.UserRole)))
        self.normalise_box.toggled.connect(self._set_normalise)
        document.optionsChanged.connect(self.refresh)
        document.frameChanged.connect(self._frame_changed)
        state.activeChanged.connect(self.refresh)
        state.selectionChanged.connect(self._show_selection)
        self.refresh()
        self.view_all()

    # -- showing -------------------------------------------------------------------------------------------
    def refresh(self, *_: object) -> None:
        """Draw what changed: curves of controls whose keys changed, the list, the selection."""
        options = self.document.options
        names = options.animation.names
        self._fill_list(options)
        for name in list(self._items):
            if name not in names or name in self._hidden:
                self._remove(name)
        count = max(self.frame_count(), 1)
        for name in names:
            if name in self._hidden:
                continue
            state = (options.animation.curve(name), count, self.normalise, name == self.state.active)
            if self._drawn.get(name) != state:
                self._draw(name, options, count)
                self._drawn[name] = state
        self.empty.setVisible(not names)
        self._centre_empty()
        self._label_axis()
        self._show_selection()
        self._frame_changed(self.document.current_frame)

    def _centre_empty(self) -> None:
        """Keep the "no animated controls" hint in the middle of the plot as its range changes."""
        if self.empty.isVisible():
            (x0, x1), (y0, y1) = self.view_box.viewRange()
            self.empty.setPos((x0 + x1) / 2, (y0 + y1) / 2)

    def _fill_list(self, options: RenderOptions) -> None:
        names = options.animation.names
        frame = self.document.current_frame
        self.list.blockSignals(True)
        existing = [self.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.list.count())]
        if existing != list(names):
            self.list.clear()
            for name in names:
                item = QListWidgetItem(CONTROLS[name].label)
                item.setData(Qt.ItemDataRole.UserRole, name)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setForeground(QColor(colour_of(name)))
                self.list.addItem(item)
        for i in range(self.list.count()):
            item = self.list.item(i)
            name = item.data(Qt.ItemDataRole.UserRole)
            item.setCheckState(Qt.CheckState.Unchecked if name in self._hidden else Qt.CheckState.Checked)
            font = item.font()
            font.setBold(name == self.state.active)
            item.setFont(font)
            keys = len(options.animation.curve(name).keys)
            item.setToolTip(f"{CONTROLS[name].label}: {keys} key{'s' if keys != 1 else ''}, "
                            f"{options.animation.value(name, frame, options.controls):.2f} at the playhead")
        self.list.blockSignals(False)

    def _draw(self, name: str, options: RenderOptions, count: int) -> None:
        pg = self._pg
        curve = options.animation.curve(name)
        key_frames = np.array(curve.frames)
        frames = curve_frames(count, key_frames)
        values = self._y(name, options.animation.evaluate(frames, options.controls)[name])
        key_values = self._y(name, np.array([k.value for k in curve.keys]))
        active = name == self.state.active
        colour = QColor(colour_of(name))
        if not active:
            colour.setAlpha(150)
        items = self._items.get(name)
        if items is None:
            line = pg.PlotDataItem(pen=pg.mkPen(colour, width=1))
            line.setClipToView(True)
            line.setDownsampling(auto=True, method="peak")
            dots = pg.ScatterPlotItem(symbol="d", size=11, pxMode=True, brush=pg.mkBrush(KEY_COLOUR),
                                      pen=pg.mkPen(theme.BASE, width=1))
            self.plot.addItem(line)
            self.plot.addItem(dots)
            items = self._items[name] = (line, dots)
        line, dots = items
        line.setPen(pg.mkPen(colour, width=2 if active else 1))
        line.setZValue(5 if active else 1)
        dots.setZValue(10 if active else 6)
        line.setData(frames, values)
        dots.setData(key_frames, key_values, data=[(name, float(f)) for f in key_frames])

    def _remove(self, name: str) -> None:
        for item in self._items.pop(name, ()):
            self.plot.removeItem(item)
        self._drawn.pop(name, None)

    def _show_selection(self) -> None:
        """The selected keys as white diamonds over the curves' own."""
        xs, ys = [], []
        for _, dots in self._items.values():
            for x, y, ref in zip(dots.data["x"], dots.data["y"], dots.data["data"], strict=True):
                if ref in self.state.selected:
                    xs.append(x)
                    ys.append(y)
        self.selection.setData(xs, ys)
        has = bool(self.state.selected)
        for button in (*self.buttons.values(), self.delete_button):
            button.setEnabled(has)

    def _frame_changed(self, frame: int) -> None:
        if round(self.playhead.value()) != frame:
            self.playhead.setValue(frame)

    def _label_axis(self) -> None:
        spec = CONTROLS[self.state.active]
        label = "% of range" if self.normalise else f"{spec.label} {spec.unit}".strip()
        if label != self._axis_label:
            self._axis_label = label
            self.plot.getPlotItem().setLabel("left", label, color=theme.DIM)

    def _y(self, name: str, values: np.ndarray) -> np.ndarray:
        if not self.normalise:
            return np.asarray(values, np.float64)
        spec = CONTROLS[name]
        return (np.asarray(values, np.float64) - spec.low) / (spec.high - spec.low) * 100.0

    def _value_of(self, name: str, y: float) -> float:
        if not self.normalise:
            return y
        spec = CONTROLS[name]
        return spec.low + y / 100.0 * (spec.high - spec.low)

    def view_all(self) -> None:
        count = max(self.frame_count(), 1)
        names = [n for n in self.document.options.animation.names if n not in self._hidden]
        self.view_box.setXRange(0, count - 1 if count > 1 else 1, padding=0.02)
        if self.normalise or not names:
            self.view_box.setYRange(-5, 105, padding=0)
        else:
            spec = CONTROLS[self.state.active]
            self.view_box.setYRange(spec.low, spec.high, padding=0.05)

    # -- editing -------------------------------------------------------------------------------------------
    def key_at(self, scene_pos: QPointF) -> KeyRef | None:
        """The shown key nearest `scene_pos` within `PICK_PX` pixels (the active control's first)."""
        best: tuple[float, int, KeyRef] | None = None
        for name, (_, dots) in self._items.items():
            xs, ys = dots.data["x"], dots.data["y"]
            for x, y, ref in zip(xs, ys, dots.data["data"], strict=True):
                at = self.view_box.mapViewToScene(QPointF(float(x), float(y)))
                distance = float(np.hypot(at.x() - scene_pos.x(), at.y() - scene_pos.y()))
                if distance <= PICK_PX:
                    rank = (distance, 0 if name == self.state.active else 1, ref)
                    if best is None or rank[:2] < best[:2]:
                        best = rank
        return None if best is None else best[2]

    def click(self, ref: KeyRef | None, modifiers: Qt.KeyboardModifier) -> None:
        additive = bool(modifiers & Qt.KeyboardModifier.ShiftModifier)
        if ref is None:
            if not additive:
                self.selectionRequested.emit(frozenset())
            return
        self.activated.emit(ref[0])
        selected = set(self.state.selected) if additive else set()
        selected ^= {ref}
        self.selectionRequested.emit(frozenset(selected))

    def begin_drag(self, ref: KeyRef) -> None:
        from gui.models.key_edits import new_gesture

        self.activated.emit(ref[0])
        if ref not in self.state.selected:
            self.selectionRequested.emit(frozenset({ref}))
        self._drag = (new_gesture(), ref[0], ref[1])

    @property
    def dragging(self) -> bool:
        return self._drag is not None

    def drag_to(self, x: float, y: float) -> None:
        """The pointer moved while dragging a key: applied now, or with the next step (at most one step
        every `DRAG_INTERVAL_MS`: each step is an edit that re-renders the frame)."""
        self._drag_to = (x, y)
        if not self._drag_timer.isActive():
            self._apply_drag()
            self._drag_timer.start()

    def _apply_drag(self) -> None:
        if self._drag is None or self._drag_to is None:
            return
        (gesture, name, frame), (x, y) = self._drag, self._drag_to
        self._drag_to = None
        self.keyDragged.emit(gesture, name, frame, x, self._value_of(name, y))

    def end_drag(self) -> None:
        self._drag_timer.stop()
        self._apply_drag()  # where the pointer was let go
        self._drag = None

    def context_menu(self, ref: KeyRef | None, screen_pos: QPointF) -> None:
        if ref is None:
            return
        if ref not in self.state.selected:
            self.selectionRequested.emit(frozenset({ref}))
        menu = QMenu(self)
        curve = self.document.options.animation.curve(ref[0])
        current = curve.key_at(ref[1]).interpolation if curve is not None and curve.key_at(ref[1]) else None
        for interpolation in INTERPOLATIONS:
            action = menu.addAction(interpolation.capitalize(), lambda i=interpolation: self._interpolate(i))
            action.setCheckable(True)
            action.setChecked(interpolation == current)
            action.setToolTip(INTERPOLATION_TIPS[interpolation])
        menu.addSeparator()
        menu.addAction("Delete key", self._delete_selected)
        menu.popup(screen_pos.toPoint())

    def _interpolate(self, interpolation: str) -> None:
        if self.state.selected:
            self.interpolationRequested.emit(sorted(self.state.selected), interpolation)

    def _delete_selected(self) -> None:
        if self.state.selected:
            self.deleteRequested.emit(sorted(self.state.selected))

    def _item_changed(self, item: QListWidgetItem) -> None:
        name = item.data(Qt.ItemDataRole.UserRole)
        if item.checkState() == Qt.CheckState.Checked:
            self._hidden.discard(name)
        else:
            self._hidden.add(name)
        self.refresh()

    def _set_normalise(self, on: bool) -> None:
        self.normalise = on
        self.refresh()
        self.view_all()


@functools.cache
def _view_box_class():
    import pyqtgraph as pg

    class KeyViewBox(pg.ViewBox):
        """Clicks and drags on keys go to the editor; elsewhere the view pans and zooms as usual."""

        def __init__(self, editor: CurveEditor) -> None:
            super().__init__(enableMenu=False)
            self.editor = editor

        def mouseClickEvent(self, event) -> None:
            ref = self.editor.key_at(event.scenePos())
            if event.button() == Qt.MouseButton.LeftButton:
                self.editor.click(ref, event.modifiers())
                event.accept()
            elif event.button() == Qt.MouseButton.RightButton:
                self.editor.context_menu(ref, event.screenPos())
                event.accept()
            else:
                super().mouseClickEvent(event)

        def mouseDragEvent(self, event, axis=None) -> None:
            if event.button() == Qt.MouseButton.LeftButton:
                if event.isStart():
                    ref = self.editor.key_at(event.buttonDownScenePos())
                    if ref is not None:
                        self.editor.begin_drag(ref)
                if self.editor.dragging:
                    at = self.mapSceneToView(event.scenePos())
                    self.editor.drag_to(at.x(), at.y())
                    if event.isFinish():
                        self.editor.end_drag()
                    event.accept()
                    return
            super().mouseDragEvent(event, axis)

    return KeyViewBox
