"""The main window: two workspaces (Animate: the viewer with the Source, Driving and Controls panels
in docks and the full-width timeline under them; Train: the training page), menus and a toolbar whose
actions carry the keyboard shortcuts, and a status bar.

It binds widgets to the `AppController`'s models and sends user intents to its controllers; it holds
no document state of its own. Other panels join with `add_panel`; the layout of the docks is remembered
per user, with the workspace last used.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSize, Qt
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMainWindow, QSizePolicy, QStackedWidget, QToolBar, QWidget

from gui.controllers.app import AppController
from gui.demo import demo_available
from gui.views.animation_docks import MENU as ANIMATION_MENU
from gui.views.animation_docks import AnimationDocks
from gui.views.animation_docks import add_actions as add_animation_actions
from gui.views.batch_dialog import BatchDialog
from gui.views.controls_panel import ControlsPanel
from gui.views.driving_panel import DrivingPanel, is_driving_path
from gui.views.export_dialog import ExportDialog
from gui.views.icons import icon
from gui.views.result_view import ResultView
from gui.views.shortcuts_dialog import ShortcutsDialog
from gui.views.source_panel import SourcePanel, is_image_path
from gui.views.status_bar import StatusBar
from gui.views.timeline import TimelinePanel
from gui.views.training_panel import TrainingPanel
from gui.views.widgets import Badge

#: The workspaces, as Resolve's pages or Blender's workspaces: (key, label).
WORKSPACES = (("animate", "Animate"), ("train", "Train"))
#: Docks on the left and on the right of the viewer (the side panels a laptop collapses).
LEFT_DOCKS, RIGHT_DOCKS = ("Source", "Driving"), ("Controls",)

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
        self.menu_of_action: dict[str, str] = {}  # action name -> menu title (the shortcuts table's groups)
        self._build_actions()
        ctx = app.ctx
        self.source_panel = SourcePanel(ctx.scene, ctx.document)
        self.driving_panel = DrivingPanel(ctx.scene, ctx.document, ctx.preview)
        self.controls = ControlsPanel(ctx.document, ctx.model_state)
        self.result_view = ResultView(ctx.document, ctx.scene, ctx.preview, ctx.model_state, self.actions_by_name)
        self.timeline = TimelinePanel(app.timeline.model, ctx.document, ctx.scene, self.actions_by_name, ctx.preview)
        self.training_panel = TrainingPanel(app.training.model)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.result_view)
        self.pages.addWidget(self.training_panel)
        self.setCentralWidget(self.pages)
        self._show_page(self.result_view)
        # the timeline spans the whole width under the side panels, as in editors
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.docks: dict[str, QDockWidget] = {}
        self.add_panel("Source", self.source_panel, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.add_panel("Driving", self.driving_panel, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.add_panel("Controls", self.controls, Qt.DockWidgetArea.RightDockWidgetArea)
        timeline_dock = self.add_panel("Timeline", self.timeline, Qt.DockWidgetArea.BottomDockWidgetArea)
        timeline_dock.setTitleBarWidget(QWidget())  # no title bar: the timeline is part of the workspace
        self.animation_docks = AnimationDocks(self)  # Animate, Driving check, Curves and Trajectory
        self.resizeDocks([self.docks["Source"], self.docks["Controls"]], [280, 330], Qt.Orientation.Horizontal)
        self.workspace = "animate"
        self._animate_state: QByteArray | None = None  # the docks as they were when Train was opened
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
        """Add a dockable panel to the Animate workspace (its layout is saved with the window);
        `tabify_with` stacks it as a tab on an existing panel."""
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

    # -- workspaces --------------------------------------------------------------------------------------------
    def show_workspace(self, key: str) -> None:
        """Animate (viewer, panels, timeline) or Train (the training page, full window)."""
        if key == self.workspace or key not in dict(WORKSPACES):
            return
        if key == "train":
            self._animate_state = self.saveState()
            for dock in self.docks.values():
                dock.hide()
            self._show_page(self.training_panel)
        else:
            self._show_page(self.result_view)
            if self._animate_state is not None:
                self.restoreState(self._animate_state)
            else:
                for dock in self.docks.values():
                    dock.show()
        self.workspace = key
        self.actions_by_name[f"workspace_{key}"].setChecked(True)
        for name in ("left_panels", "right_panels"):
            self.actions_by_name[name].setEnabled(key == "animate")
        self.panels_menu.setEnabled(key == "animate")
        self.app.settings.workspace = key

    def _show_page(self, page: QWidget) -> None:
        """Make `page` current; hidden pages ask for no room (a tall Train page must not make the Animate
        workspace taller than a laptop screen)."""
        for i in range(self.pages.count()):
            other = self.pages.widget(i)
            policy = QSizePolicy.Policy.Preferred if other is page else QSizePolicy.Policy.Ignored
            other.setSizePolicy(policy, policy)
        self.pages.setCurrentWidget(page)
        self.pages.updateGeometry()

    def _toggle_side(self, names: tuple[str, ...], on: bool) -> None:
        for name in names:
            self.docks[name].setVisible(on)

    def _side_visibility_changed(self) -> None:
        if self.workspace != "animate":
            return
        for action, names in (("left_panels", LEFT_DOCKS), ("right_panels", RIGHT_DOCKS)):
            shown = any(self.docks[n].isVisible() for n in names)
            self.actions_by_name[action].blockSignals(True)
            self.actions_by_name[action].setChecked(shown)
            self.actions_by_name[action].blockSignals(False)

    # -- actions ---------------------------------------------------------------------------------------------
    def _action(self, name: str, text: str, shortcut: str | QKeySequence.StandardKey | None = None,
                icon_name: str | None = None, tip: str = "", checkable: bool = False) -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
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
        a("open_driving_frames", "Open driving &frames folder…", None, None,
          "Drive with a folder of numbered frames (PNG, JPEG, TIFF) at the frame rate you give")
        a("builtin_driving", "Use the &built-in performance", None, None)
        a("demo_scene", "Open the demo &scene", None, None)
        a("new", "&New project", QKeySequence.StandardKey.New)
        a("open_project", "Open pro&ject…", "Ctrl+Shift+O", "open")
        a("save", "&Save project", QKeySequence.StandardKey.Save, "save")
        a("save_as", "Save project &as…", "Ctrl+Shift+S")
        a("export", "&Export…", "Ctrl+E", "export", "Export the animation (MP4, PNG frames, GIF, WebP); "
          "the in and out points set the frames")
        a("batch", "&Batch render…", "Ctrl+Shift+E", None, "Render the current settings over several portraits and "
          "drivers into one folder, in the background")
        a("quit", "&Quit", QKeySequence.StandardKey.Quit)
        a("undo", "&Undo", QKeySequence.StandardKey.Undo, "undo")
        a("redo", "&Redo", "Ctrl+Shift+Z", "redo")
        a("reference", "Use current frame as &reference", "R", "reference")
        # playback: the keys of editors (J/K/L shuttle, I/O in and out, arrows, Home/End)
        a("play", "&Play / pause", "Space", "play")
        a("shuttle_back", "Play &backwards (again: faster)", "J")
        a("shuttle_stop", "S&top", "K")
        a("shuttle_forward", "Play &forwards (again: faster)", "L")
        a("step_back", "Step back one frame", "Left", "step-back")
        a("step_forward", "Step forward one frame", "Right", "step-forward")
        a("jump_back", "Back 10 frames", "Shift+Left")
        a("jump_forward", "Forward 10 frames", "Shift+Right")
        a("prev_mark", "Previous mark or in/out point", "Up")
        a("next_mark", "Next mark or in/out point", "Down")
        a("to_start", "Go to &start (in point)", "Home", "to-start")
        a("to_end", "Go to &end (out point)", "End", "to-end")
        a("set_in", "In", "I", None, "Set the in point at the playhead: where playback loops and export starts")
        a("set_out", "Out", "O", None, "Set the out point at the playhead: where playback loops and export ends")
        a("clear_in", "Clear in point", "Alt+I")
        a("clear_out", "Clear out point", "Alt+O")
        a("clear_range", "Clear", "Alt+X", None, "Clear the in and out points (play and export everything)")
        a("loop", "&Loop playback", "Ctrl+/", "loop", "Loop playback over the in/out range", checkable=True)
        # viewer
        a("compare_result", "&Result", None, None, "Show the animated result", checkable=True)
        a("compare_before", "&Before/after", "\\", None, "Toggle between the portrait and the result, same "
          "framing", checkable=True)
        a("compare_wipe", "&Wipe", "W", None, "Portrait on the left, result on the right: drag the line",
          checkable=True)
        a("fit", "Zoom to &fit", "F", "fit")
        a("zoom_50", "Zoom 50 %")
        a("actual", "Zoom 100 % (&actual pixels)", "1", "actual-size")
        a("zoom_200", "Zoom 200 %", "2")
        a("zoom_face", "Zoom to the &face", "Z", None, "Fill the viewer with the face")
        a("landmarks", "Show &landmarks", "Ctrl+L", "landmarks", checkable=True)
        a("timeline_zoom_in", "Zoom the timeline in", "Ctrl+=", "zoom-in")
        a("timeline_zoom_out", "Zoom the timeline out", "Ctrl+-", "zoom-out")
        a("timeline_zoom_all", "Show the whole timeline", "Shift+Z", "fit-width")
        a("time_mode", "Frames / &timecode", "Ctrl+T", None, "Show time as frame numbers or as timecode")
        a("workspace_animate", "&Animate", "Ctrl+1", None, "The viewer, the panels and the timeline", checkable=True)
        a("workspace_train", "&Train", "Ctrl+2", None, "Train a model on your own footage", checkable=True)
        a("left_panels", "Source and driving panels", "Ctrl+[", "panel-left", checkable=True)
        a("right_panels", "Controls panel", "Ctrl+]", "panel-right", checkable=True)
        a("choose_model", "&Choose checkpoint…", "Ctrl+M", "model")
        a("demo_model", "Use the bundled &demo model")
        a("random_model", "Use an &untrained network (testing only)…")
        a("unload_model", "U&nload the model")
        a("model_details", "Model &details…")
        a("shortcuts", "&Keyboard shortcuts")
        a("about", "&About Reenact Studio")
        add_animation_actions(a)
        self.compare_group = QActionGroup(self)
        for name in ("compare_result", "compare_before", "compare_wipe"):
            self.compare_group.addAction(self.actions_by_name[name])
        self.workspace_group = QActionGroup(self)
        for key, _ in WORKSPACES:
            self.workspace_group.addAction(self.actions_by_name[f"workspace_{key}"])

    def _menu(self, title: str, names: tuple[str | None, ...]):
        """A menu of the named actions (None: a separator), remembered for the shortcuts table."""
        menu = self.menuBar().addMenu(title)
        for name in names:
            if name is None:
                menu.addSeparator()
                continue
            menu.addAction(self.actions_by_name[name])
            self.menu_of_action.setdefault(name, title.replace("&", ""))
        return menu

    def _build_menus(self) -> None:
        file = self._menu("&File", ("open_source", "open_driving", "open_driving_frames", "builtin_driving"))
        self.recent_menu = file.addMenu("Open &recent")
        file.addSeparator()
        for name in ("new", "open_project", "save", "save_as"):
            file.addAction(self.actions_by_name[name])
            self.menu_of_action[name] = "File"
        self.recent_projects_menu = file.addMenu("Recent pro&jects")
        for name in (None, "demo_scene", None, "export", "batch", None, "quit"):
            if name is None:
                file.addSeparator()
            else:
                file.addAction(self.actions_by_name[name])
                self.menu_of_action[name] = "File"
        self._menu("&Edit", ("undo", "redo", None, "reference"))
        view = self._menu("&View", ("compare_result", "compare_before", "compare_wipe", None, "fit", "zoom_50",
                                    "actual", "zoom_200", "zoom_face", None, "landmarks", None, "timeline_zoom_in",
                                    "timeline_zoom_out", "timeline_zoom_all", "time_mode", None, "workspace_animate",
                                    "workspace_train", None, "left_panels", "right_panels"))
        self.panels_menu = view.addMenu("&Panels")
        for dock in self.docks.values():
            self.panels_menu.addAction(dock.toggleViewAction())
        self._menu("&Playback", ("play", "shuttle_back", "shuttle_stop", "shuttle_forward", None, "step_back",
                                 "step_forward", "jump_back", "jump_forward", "prev_mark", "next_mark", "to_start",
                                 "to_end", None, "set_in", "set_out", "clear_in", "clear_out", "clear_range", "loop"))
        self._menu("&Animation", ANIMATION_MENU)
        self._menu("&Model", ("choose_model", "demo_model", "random_model", "unload_model", None, "model_details"))
        self._menu("&Help", ("shortcuts", "about"))
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self.recent_projects_menu.aboutToShow.connect(self._fill_recent_projects)

    def _build_toolbar(self) -> None:
        act = self.actions_by_name
        bar = QToolBar("Main toolbar")
        bar.setObjectName("MainToolbar")
        bar.setIconSize(QSize(20, 20))
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        bar.setMovable(False)
        for name in ("open_source", "open_driving", None, "export", None, "undo", "redo"):
            bar.addSeparator() if name is None else bar.addAction(act[name])
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        bar.addWidget(spacer)
        for name in ("left_panels", "right_panels", None, "workspace_animate", "workspace_train", None):
            bar.addSeparator() if name is None else bar.addAction(act[name])
        for name in ("undo", "redo", "left_panels", "right_panels"):
            button = bar.widgetForAction(act[name])
            if button is not None:
                button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        self.toolbar_badge = Badge()
        self.toolbar_badge.setCursor(Qt.CursorShape.PointingHandCursor)
        bar.addWidget(self.toolbar_badge)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
        self.toolbar = bar

    # -- bindings ----------------------------------------------------------------------------------------------
    def _bind(self) -> None:
        app, act, ctx = self.app, self.actions_by_name, self.app.ctx
        act["open_source"].triggered.connect(app.source.ask_open)
        act["open_driving"].triggered.connect(app.driving.ask_open)
        act["open_driving_frames"].triggered.connect(app.driving.ask_open_folder)
        act["batch"].triggered.connect(self.show_batch)
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
        playback, timeline = app.playback, app.timeline
        act["play"].triggered.connect(playback.toggle)
        act["shuttle_back"].triggered.connect(lambda: playback.shuttle(-1))
        act["shuttle_stop"].triggered.connect(playback.pause)
        act["shuttle_forward"].triggered.connect(lambda: playback.shuttle(1))
        act["step_back"].triggered.connect(lambda: playback.step(-1))
        act["step_forward"].triggered.connect(lambda: playback.step(1))
        act["jump_back"].triggered.connect(lambda: timeline.jump(-10))
        act["jump_forward"].triggered.connect(lambda: timeline.jump(10))
        act["prev_mark"].triggered.connect(lambda: timeline.jump_to_mark(-1))
        act["next_mark"].triggered.connect(lambda: timeline.jump_to_mark(1))
        act["to_start"].triggered.connect(playback.to_start)
        act["to_end"].triggered.connect(playback.to_end)
        act["set_in"].triggered.connect(lambda: timeline.set_in())
        act["set_out"].triggered.connect(lambda: timeline.set_out())
        act["clear_in"].triggered.connect(timeline.clear_in)
        act["clear_out"].triggered.connect(timeline.clear_out)
        act["clear_range"].triggered.connect(timeline.clear_range)
        act["loop"].setChecked(playback.loop)
        act["loop"].toggled.connect(lambda on: setattr(playback, "loop", on))
        for mode in ("result", "before", "wipe"):
            act[f"compare_{mode}"].triggered.connect(lambda _=False, m=mode: self.set_compare(m))
        act["fit"].triggered.connect(self.result_view.zoom_to_fit)
        act["zoom_50"].triggered.connect(lambda: self.result_view.set_zoom(0.5))
        act["actual"].triggered.connect(lambda: self.result_view.set_zoom(1.0))
        act["zoom_200"].triggered.connect(lambda: self.result_view.set_zoom(2.0))
        act["zoom_face"].triggered.connect(self.result_view.zoom_to_face)
        act["landmarks"].toggled.connect(self._landmarks)
        model = timeline.model
        act["timeline_zoom_in"].triggered.connect(lambda: model.zoom_by(1.6, ctx.document.current_frame + 0.5))
        act["timeline_zoom_out"].triggered.connect(lambda: model.zoom_by(1 / 1.6, ctx.document.current_frame + 0.5))
        act["timeline_zoom_all"].triggered.connect(model.zoom_all)
        act["time_mode"].triggered.connect(
            lambda: model.set_time_mode("timecode" if model.time_mode == "frames" else "frames"))
        for key, _ in WORKSPACES:
            act[f"workspace_{key}"].triggered.connect(lambda _=False, k=key: self.show_workspace(k))
        act["workspace_animate"].setChecked(True)
        act["left_panels"].toggled.connect(lambda on: self._toggle_side(LEFT_DOCKS, on))
        act["right_panels"].toggled.connect(lambda on: self._toggle_side(RIGHT_DOCKS, on))
        for dock in self.docks.values():
            dock.visibilityChanged.connect(self._side_visibility_changed)
        act["choose_model"].triggered.connect(app.model.ask_checkpoint)
        act["demo_model"].triggered.connect(app.model.use_demo)
        act["demo_model"].setEnabled(demo_available())
        act["random_model"].triggered.connect(app.model.use_random_weights)
        act["unload_model"].triggered.connect(app.model.unload)
        act["model_details"].triggered.connect(self.show_model_details)
        act["shortcuts"].triggered.connect(self.show_shortcuts)
        act["about"].triggered.connect(self._show_about)
        playback.playingChanged.connect(self._playing)
        playback.rateChanged.connect(lambda rate: self.timeline.show_rate(rate, playback.playing))

        self.source_panel.openRequested.connect(app.source.ask_open)
        self.source_panel.fileDropped.connect(app.source.open)
        self.source_panel.faceChosen.connect(app.source.choose_face)
        self.driving_panel.openRequested.connect(app.driving.ask_open)
        self.driving_panel.builtinRequested.connect(app.driving.open_builtin)
        self.driving_panel.fileDropped.connect(app.driving.open)
        self.driving_panel.faceChosen.connect(app.driving.choose_face)
        self.driving_panel.facePicked.connect(app.driving.pick_face_at)
        self.driving_panel.cancelRequested.connect(app.driving.cancel_analysis)
        view = self.result_view
        view.notice.chooseRequested.connect(app.model.ask_checkpoint)
        view.notice.demoRequested.connect(app.model.use_demo)
        view.quality.detailsRequested.connect(self.show_model_details)
        view.quality.chooseRequested.connect(app.model.ask_checkpoint)
        view.quality.trainRequested.connect(lambda: self.show_workspace("train"))
        view.optionEdited.connect(app.options.set)
        view.canvas.set_accepts(lambda path: is_image_path(path) or is_driving_path(path))
        view.canvas.fileDropped.connect(self._dropped_on_viewer)  # a file dropped on the viewer goes where it belongs
        self.controls.optionEdited.connect(app.options.set)
        self.controls.referenceFromCurrent.connect(app.options.use_current_frame_as_reference)
        self.controls.referenceAutomatic.connect(app.options.automatic_reference)
        self.controls.chooseCheckpoint.connect(app.model.ask_checkpoint)
        self.controls.useDemoModel.connect(app.model.use_demo)
        self.controls.useRandomWeights.connect(app.model.use_random_weights)
        self.controls.unloadModel.connect(app.model.unload)
        self.controls.detailsRequested.connect(self.show_model_details)
        self.timeline.canvas.seekRequested.connect(app.playback.seek)
        self.toolbar_badge.clicked.connect(self.show_model_details)
        training, panel = app.training, self.training_panel
        panel.edited.connect(training.set)
        panel.configFileChosen.connect(training.apply_config_file)
        panel.startRequested.connect(training.start)
        panel.simpleStartRequested.connect(training.start_simple)
        panel.pauseRequested.connect(training.pause)
        panel.stopRequested.connect(training.stop)
        panel.prepareRequested.connect(training.prepare_dataset)
        panel.cancelPrepareRequested.connect(training.cancel_prepare)
        panel.useCheckpointRequested.connect(training.use_checkpoint)
        panel.openRunFolderRequested.connect(training.open_run_folder)
        panel.activated.connect(training.activate)
        training.closeReady.connect(self.close)  # a close waited for training to save its checkpoint
        training.checkpointUsed.connect(lambda: self.show_workspace("animate"))
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

    def set_compare(self, mode: str) -> None:
        """The viewer's comparison: "result", "before" (the portrait, same framing) or "wipe". Choosing
        Before / after or Wipe again goes back to the result (a toggle, as in Lightroom and Resolve)."""
        if mode != "result" and mode == self.result_view.compare_mode:
            mode = "result"
        self.result_view.set_compare(mode)
        self.actions_by_name[f"compare_{mode}"].setChecked(True)
        self.app.settings.compare_mode = mode

    def _landmarks(self, on: bool) -> None:
        self.result_view.set_show_landmarks(on)
        self.app.settings.show_landmarks = on

    def _playing(self, playing: bool) -> None:
        action = self.actions_by_name["play"]
        action.setIcon(icon("pause" if playing else "play"))
        action.setText("&Pause" if playing else "&Play")
        self.timeline.show_rate(self.app.playback.rate, playing)
        self.result_view.set_playing(playing)

    def _model_changed(self) -> None:
        text, level, tooltip = self.app.model_state.badge
        self.toolbar_badge.set_badge(text, level, f"{tooltip}\n\nClick for the model's details.")
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

    def show_batch(self) -> BatchDialog | None:
        reason = self.app.batch.can_start()
        if reason:
            self.app.ctx.dialogs.show_error("Cannot start a batch yet", reason)
            return None
        dialog = BatchDialog(self.app.batch, self)
        dialog.open()
        return dialog

    def show_model_details(self) -> None:
        """The loaded model in technical terms (the badge says it in artist terms)."""
        title, text = self.app.model_state.details()
        self.app.ctx.dialogs.show_info(title, text)

    def shortcut_rows(self) -> list[tuple[str, str, str]]:
        """(group, action, keys) of every action with a shortcut, grouped by menu, in menu order."""
        rows = []
        for name, action in self.actions_by_name.items():
            if action.shortcut().isEmpty():
                continue
            text = action.text().replace("&", "")
            if name in ("set_in", "set_out", "clear_range"):
                text = action.statusTip()
            keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            rows.append((self.menu_of_action.get(name, "Other"), text, keys))
        order = {title: i for i, title in enumerate(dict.fromkeys(self.menu_of_action.values()))}
        return sorted(rows, key=lambda row: order.get(row[0], len(order)))

    def show_shortcuts(self) -> ShortcutsDialog:
        dialog = ShortcutsDialog(self.shortcut_rows(), self)
        dialog.open()
        return dialog

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
        self.docks["Timeline"].show()  # never lost: a layout saved without it still shows the time
        mode = settings.compare_mode if settings.compare_mode in ("result", "before", "wipe") else "result"
        self.set_compare(mode)
        self.actions_by_name["landmarks"].setChecked(settings.show_landmarks)
        page = settings.workspace_states.get("train")
        if isinstance(page, str):
            self.training_panel.restore_state(QByteArray.fromBase64(page.encode("ascii")))
        self._side_visibility_changed()
        if settings.workspace == "train":
            self.show_workspace("train")

    def save_layout(self) -> None:
        settings = self.app.settings
        state = self._animate_state if self.workspace == "train" and self._animate_state is not None else self.saveState()
        settings.window_geometry = bytes(self.saveGeometry().toBase64()).decode("ascii")
        settings.window_state = bytes(state.toBase64()).decode("ascii")
        settings.workspace_states = {"train": bytes(self.training_panel.save_state().toBase64()).decode("ascii")}

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.app.can_close():
            event.ignore()
            return
        self.save_layout()
        self.app.shutdown()
        event.accept()
