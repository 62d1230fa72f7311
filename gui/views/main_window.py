"""The main window: panels in docks (source, driving, controls), the big result view with the
timeline under it, menus and a toolbar whose actions carry the keyboard shortcuts, and a status bar.

It binds widgets to the `AppController`'s models and sends user intents to its controllers; it holds
no document state of its own. Other panels (the training panel) join with `add_panel`.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSize, Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QSizePolicy, QToolBar, QVBoxLayout, QWidget

from gui.controllers.app import AppController
from gui.demo import demo_available
from gui.views.controls_panel import ControlsPanel
from gui.views.driving_panel import DrivingPanel, is_driving_path
from gui.views.export_dialog import ExportDialog
from gui.views.icons import icon
from gui.views.result_view import ResultView
from gui.views.source_panel import SourcePanel, is_image_path
from gui.views.status_bar import StatusBar
from gui.views.timeline import TimelineBar
from gui.views.training_panel import TrainingPanel
from gui.views.widgets import Badge

APP_NAME = "Reenact Studio"


class MainWindow(QMainWindow):
    def __init__(self, app: AppController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.app = app
        self.setWindowTitle(APP_NAME)
        self.setWindowIcon(icon("app"))
        self.setObjectName("MainWindow")
        self.setDockNestingEnabled(True)
        self.resize(1480, 900)
        self.actions_by_name: dict[str, QAction] = {}
        self._build_actions()
        ctx = app.ctx
        self.source_panel = SourcePanel(ctx.scene, ctx.document)
        self.driving_panel = DrivingPanel(ctx.scene, ctx.document, ctx.preview)
        self.controls = ControlsPanel(ctx.document, ctx.model_state)
        self.result_view = ResultView(ctx.document, ctx.scene, ctx.preview, ctx.model_state)
        self.timeline = TimelineBar(ctx.document, ctx.scene, ctx.preview, self.actions_by_name)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.result_view, 1)
        layout.addWidget(self.timeline)
        self.setCentralWidget(central)
        self.docks: dict[str, QDockWidget] = {}
        self.add_panel("Source", self.source_panel, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.add_panel("Driving", self.driving_panel, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.add_panel("Controls", self.controls, Qt.DockWidgetArea.RightDockWidgetArea)
        self.training_panel = TrainingPanel(app.training.model)
        self.add_panel("Training", self.training_panel, tabify_with="Controls")
        self.docks["Controls"].raise_()  # the controls stay in front; the training tab is one click away
        self.resizeDocks([self.docks["Source"], self.docks["Controls"]], [340, 330], Qt.Orientation.Horizontal)
        self.status = StatusBar(ctx.activity, ctx.model_state)
        self.setStatusBar(self.status)
        self._build_menus()
        self._build_toolbar()
        self._bind()
        self._restore_layout()
        self._update_title()

    # -- panels ------------------------------------------------------------------------------------------------
    def add_panel(self, title: str, widget: QWidget, area: Qt.DockWidgetArea = Qt.DockWidgetArea.RightDockWidgetArea,
                  tabify_with: str | None = None) -> QDockWidget:
        """Add a dockable panel (its layout is saved with the window); `tabify_with` stacks it as a tab
        on an existing panel, e.g. ``add_panel("Training", panel, tabify_with="Controls")``."""
        dock = QDockWidget(title, self)
        dock.setObjectName(f"{title.replace(' ', '')}Dock")
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.addDockWidget(area, dock)
        if tabify_with and tabify_with in self.docks:
            self.tabifyDockWidget(self.docks[tabify_with], dock)
        self.docks[title] = dock
        if hasattr(self, "panels_menu"):
            self.panels_menu.addAction(dock.toggleViewAction())
        return dock

    # -- actions ---------------------------------------------------------------------------------------------
    def _action(self, name: str, text: str, shortcut: str | QKeySequence.StandardKey | None = None,
                icon_name: str | None = None, tip: str = "", checkable: bool = False) -> QAction:
        action = QAction(text, self)
        if icon_name:
            action.setIcon(icon(icon_name))
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        tooltip = tip or text.replace("…", "").replace("&", "")
        action.setToolTip(f"{tooltip} ({keys})" if keys else tooltip)
        action.setStatusTip(tooltip)
        action.setCheckable(checkable)
        self.addAction(action)  # shortcuts work even when a menu is hidden
        self.actions_by_name[name] = action
        return action

    def _build_actions(self) -> None:
        a = self._action
        a("open_source", "Open &portrait…", "Ctrl+O", "open-image", "Open a portrait photo")
        a("open_driving", "Open &driving…", "Ctrl+D", "open-video", "Open a driving video or performance file")
        a("builtin_driving", "Use the &built-in performance", None, None)
        a("demo_scene", "Open the demo &scene", None, None)
        a("new", "&New project", QKeySequence.StandardKey.New)
        a("open_project", "Open pro&ject…", "Ctrl+Shift+O", "open")
        a("save", "&Save project", QKeySequence.StandardKey.Save, "save")
        a("save_as", "Save project &as…", "Ctrl+Shift+S")
        a("export", "&Export…", "Ctrl+E", "export", "Export the animation (MP4, PNG frames, GIF, WebP)")
        a("quit", "&Quit", QKeySequence.StandardKey.Quit)
        a("undo", "&Undo", QKeySequence.StandardKey.Undo, "undo")
        a("redo", "&Redo", "Ctrl+Shift+Z", "redo")
        a("reference", "Use current frame as &reference", "R", "reference")
        a("play", "&Play / pause", "Space", "play")
        a("step_back", "Step &back one frame", "Left", "step-back")
        a("step_forward", "Step &forward one frame", "Right", "step-forward")
        a("to_start", "Go to &start", "Home", "to-start")
        a("to_end", "Go to &end", "End", "to-end")
        a("side_by_side", "&Side by side (source | driving | result)", "B", "side-by-side", checkable=True)
        a("fit", "Zoom to &fit", "F", "fit")
        a("actual", "&Actual size (1:1)", "1", "actual-size")
        a("landmarks", "Show &landmarks", "L", "landmarks", checkable=True)
        a("choose_model", "&Choose checkpoint…", "Ctrl+M", "model")
        a("demo_model", "Use the bundled &demo model")
        a("random_model", "Use an &untrained network (testing only)…")
        a("unload_model", "U&nload the model")
        a("shortcuts", "&Keyboard shortcuts")
        a("about", "&About Reenact Studio")

    def _build_menus(self) -> None:
        act = self.actions_by_name
        bar = self.menuBar()
        file = bar.addMenu("&File")
        for name in ("open_source", "open_driving", "builtin_driving"):
            file.addAction(act[name])
        self.recent_menu = file.addMenu("Open &recent")
        file.addSeparator()
        for name in ("new", "open_project", "save", "save_as"):
            file.addAction(act[name])
        self.recent_projects_menu = file.addMenu("Recent pro&jects")
        file.addAction(act["demo_scene"])
        file.addSeparator()
        file.addAction(act["export"])
        file.addSeparator()
        file.addAction(act["quit"])
        edit = bar.addMenu("&Edit")
        edit.addAction(act["undo"])
        edit.addAction(act["redo"])
        edit.addSeparator()
        edit.addAction(act["reference"])
        view = bar.addMenu("&View")
        for name in ("side_by_side", "fit", "actual", "landmarks"):
            view.addAction(act[name])
        view.addSeparator()
        self.panels_menu = view.addMenu("&Panels")
        for dock in self.docks.values():
            self.panels_menu.addAction(dock.toggleViewAction())
        playback = bar.addMenu("&Playback")
        for name in ("play", "step_back", "step_forward", "to_start", "to_end"):
            playback.addAction(act[name])
        model = bar.addMenu("&Model")
        for name in ("choose_model", "demo_model", "random_model", "unload_model"):
            model.addAction(act[name])
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(act["shortcuts"])
        help_menu.addAction(act["about"])
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self.recent_projects_menu.aboutToShow.connect(self._fill_recent_projects)

    def _build_toolbar(self) -> None:
        act = self.actions_by_name
        bar = QToolBar("Main toolbar")
        bar.setObjectName("MainToolbar")
        bar.setIconSize(QSize(20, 20))
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        bar.setMovable(False)
        for name in ("open_source", "open_driving"):
            bar.addAction(act[name])
        bar.addSeparator()
        bar.addAction(act["export"])
        bar.addSeparator()
        for name in ("undo", "redo"):
            bar.addAction(act[name])
        bar.addSeparator()
        for name in ("side_by_side", "fit", "landmarks"):
            bar.addAction(act[name])
        for name in ("undo", "redo", "fit", "landmarks", "side_by_side"):
            button = bar.widgetForAction(act[name])
            if button is not None:
                button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        bar.addWidget(spacer)
        model_label = QLabel("Model")
        model_label.setObjectName("Hint")
        bar.addWidget(model_label)
        self.toolbar_badge = Badge()
        bar.addWidget(self.toolbar_badge)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
        self.toolbar = bar

    # -- bindings ----------------------------------------------------------------------------------------------
    def _bind(self) -> None:
        app, act, ctx = self.app, self.actions_by_name, self.app.ctx
        act["open_source"].triggered.connect(app.source.ask_open)
        act["open_driving"].triggered.connect(app.driving.ask_open)
        act["builtin_driving"].triggered.connect(app.driving.open_builtin)
        act["demo_scene"].triggered.connect(lambda: app.open_demo_scene(play=True))
        act["demo_scene"].setEnabled(demo_available())
        act["new"].triggered.connect(app.project.new)
        act["open_project"].triggered.connect(app.project.ask_open)
        act["save"].triggered.connect(app.project.save)
        act["save_as"].triggered.connect(app.project.save_as)
        act["export"].triggered.connect(self.show_export)
        act["quit"].triggered.connect(self.close)
        stack = ctx.document.undo_stack
        act["undo"].triggered.connect(stack.undo)
        act["redo"].triggered.connect(stack.redo)
        stack.canUndoChanged.connect(act["undo"].setEnabled)
        stack.canRedoChanged.connect(act["redo"].setEnabled)
        stack.undoTextChanged.connect(self._undo_text)
        stack.redoTextChanged.connect(self._redo_text)
        act["undo"].setEnabled(False)
        act["redo"].setEnabled(False)
        act["reference"].triggered.connect(app.options.use_current_frame_as_reference)
        act["play"].triggered.connect(app.playback.toggle)
        act["step_back"].triggered.connect(lambda: app.playback.step(-1))
        act["step_forward"].triggered.connect(lambda: app.playback.step(1))
        act["to_start"].triggered.connect(app.playback.to_start)
        act["to_end"].triggered.connect(app.playback.to_end)
        act["side_by_side"].toggled.connect(self._side_by_side)
        act["fit"].triggered.connect(self.result_view.zoom_to_fit)
        act["actual"].triggered.connect(self.result_view.zoom_actual)
        act["landmarks"].toggled.connect(self._landmarks)
        act["choose_model"].triggered.connect(app.model.ask_checkpoint)
        act["demo_model"].triggered.connect(app.model.use_demo)
        act["demo_model"].setEnabled(demo_available())
        act["random_model"].triggered.connect(app.model.use_random_weights)
        act["unload_model"].triggered.connect(app.model.unload)
        act["shortcuts"].triggered.connect(self._show_shortcuts)
        act["about"].triggered.connect(self._show_about)
        app.playback.playingChanged.connect(self._playing)

        self.source_panel.openRequested.connect(app.source.ask_open)
        self.source_panel.fileDropped.connect(app.source.open)
        self.source_panel.faceChosen.connect(app.source.choose_face)
        self.driving_panel.openRequested.connect(app.driving.ask_open)
        self.driving_panel.builtinRequested.connect(app.driving.open_builtin)
        self.driving_panel.fileDropped.connect(app.driving.open)
        self.driving_panel.faceChosen.connect(app.driving.choose_face)
        self.driving_panel.cancelRequested.connect(app.driving.cancel_analysis)
        self.result_view.notice.chooseRequested.connect(app.model.ask_checkpoint)
        self.result_view.notice.demoRequested.connect(app.model.use_demo)
        for canvas in self.result_view.canvases():  # a file dropped on the viewer goes where it belongs
            canvas.set_accepts(lambda path: is_image_path(path) or is_driving_path(path))
            canvas.fileDropped.connect(self._dropped_on_viewer)
        self.controls.optionEdited.connect(app.options.set)
        self.controls.referenceFromCurrent.connect(app.options.use_current_frame_as_reference)
        self.controls.referenceAutomatic.connect(app.options.automatic_reference)
        self.controls.chooseCheckpoint.connect(app.model.ask_checkpoint)
        self.controls.useDemoModel.connect(app.model.use_demo)
        self.controls.useRandomWeights.connect(app.model.use_random_weights)
        self.controls.unloadModel.connect(app.model.unload)
        self.timeline.strip.seekRequested.connect(app.playback.seek)
        training, panel = app.training, self.training_panel
        panel.edited.connect(training.set)
        panel.configFileChosen.connect(training.apply_config_file)
        panel.startRequested.connect(training.start)
        panel.pauseRequested.connect(training.pause)
        panel.stopRequested.connect(training.stop)
        panel.prepareRequested.connect(training.prepare_dataset)
        panel.cancelPrepareRequested.connect(training.cancel_prepare)
        panel.useCheckpointRequested.connect(training.use_checkpoint)
        panel.openRunFolderRequested.connect(training.open_run_folder)
        panel.activated.connect(training.activate)
        training.closeReady.connect(self.close)  # a close waited for training to save its checkpoint
        ctx.document.modifiedChanged.connect(self._update_title)
        ctx.document.projectPathChanged.connect(self._update_title)
        ctx.model_state.changed.connect(self._model_changed)
        ctx.scene.readyChanged.connect(self._ready_changed)
        self._model_changed()
        self._ready_changed(ctx.scene.ready)

    def _dropped_on_viewer(self, path: Path) -> None:
        (self.app.source.open if is_image_path(path) else self.app.driving.open)(path)

    def _undo_text(self, text: str) -> None:
        self.actions_by_name["undo"].setText(f"&Undo {text}" if text else "&Undo")

    def _redo_text(self, text: str) -> None:
        self.actions_by_name["redo"].setText(f"&Redo {text}" if text else "&Redo")

    def _side_by_side(self, on: bool) -> None:
        self.result_view.set_side_by_side(on)
        self.app.settings.side_by_side = on

    def _landmarks(self, on: bool) -> None:
        self.result_view.set_show_landmarks(on)
        self.app.settings.show_landmarks = on

    def _playing(self, playing: bool) -> None:
        action = self.actions_by_name["play"]
        action.setIcon(icon("pause" if playing else "play"))
        action.setText("&Pause" if playing else "&Play")

    def _model_changed(self) -> None:
        text, level, tooltip = self.app.model_state.badge
        self.toolbar_badge.set_badge(text, level, tooltip)
        self.actions_by_name["unload_model"].setEnabled(self.app.model_state.info is not None)

    def _ready_changed(self, ready: bool) -> None:
        self.actions_by_name["export"].setEnabled(ready)

    def _update_title(self, *_: object) -> None:
        doc = self.app.document
        self.setWindowTitle(f"{doc.title}[*] — {APP_NAME}")
        self.setWindowModified(doc.modified)

    def _fill_recent(self) -> None:
        menu = self.recent_menu
        menu.clear()
        settings = self.app.settings
        for path in settings.recent_sources[:8]:
            menu.addAction(icon("open-image"), Path(path).name, lambda p=path: self.app.source.open(p)).setToolTip(path)
        if settings.recent_sources and settings.recent_drivings:
            menu.addSeparator()
        for path in settings.recent_drivings[:8]:
            menu.addAction(icon("open-video"), Path(path).name, lambda p=path: self.app.driving.open(p)).setToolTip(path)
        if menu.isEmpty():
            menu.addAction("No recent files").setEnabled(False)

    def _fill_recent_projects(self) -> None:
        menu = self.recent_projects_menu
        menu.clear()
        for path in self.app.settings.recent_projects[:10]:
            menu.addAction(Path(path).name, lambda p=path: self.app.project.open(p)).setToolTip(path)
        if menu.isEmpty():
            menu.addAction("No recent projects").setEnabled(False)

    def show_export(self) -> ExportDialog | None:
        reason = self.app.export.can_export()
        if reason:
            self.app.ctx.dialogs.show_error("Cannot export yet", reason)
            return None
        self.app.playback.pause()
        scene = self.app.scene
        resolution = self.app.model_state.info.resolution if self.app.model_state.info else 256
        photo = scene.source_candidate.photo.shape if scene.source_candidate else (0, 0)
        dialog = ExportDialog(self.app.export, (resolution, resolution), (photo[1], photo[0]), self)
        dialog.open()
        return dialog

    def _show_shortcuts(self) -> None:
        rows = [
            (action.text().replace("&", ""), action.shortcut().toString(QKeySequence.SequenceFormat.NativeText))
            for action in self.actions_by_name.values()
            if not action.shortcut().isEmpty()
        ]
        text = "\n".join(f"{keys:<14} {name}" for name, keys in rows)
        self.app.ctx.dialogs.show_info("Keyboard shortcuts", text)

    def _show_about(self) -> None:
        self.app.ctx.dialogs.show_info(
            f"About {APP_NAME}",
            f"{APP_NAME}: animate a portrait with a driving video (one-shot face reenactment).\n\n"
            "Animate only faces you have the right to use. Every export is tagged as synthetic.",
        )

    # -- layout persistence -----------------------------------------------------------------------------------
    def _restore_layout(self) -> None:
        settings = self.app.settings
        if settings.window_geometry:
            self.restoreGeometry(QByteArray.fromBase64(settings.window_geometry.encode("ascii")))
        if settings.window_state:
            self.restoreState(QByteArray.fromBase64(settings.window_state.encode("ascii")))
        self.actions_by_name["side_by_side"].setChecked(settings.side_by_side)
        self.actions_by_name["landmarks"].setChecked(settings.show_landmarks)

    def save_layout(self) -> None:
        settings = self.app.settings
        settings.window_geometry = bytes(self.saveGeometry().toBase64()).decode("ascii")
        settings.window_state = bytes(self.saveState().toBase64()).decode("ascii")

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.app.can_close():
            event.ignore()
            return
        self.save_layout()
        self.app.shutdown()
        event.accept()


