"""The animator's controls and keys: values and keys at the playhead (as After Effects and Blender do
them), edits from the curve editor, jumps between keys, keys as marks on the timeline, and authoring
without a video (a performance saved from keys, the built-in performance opened as keys).

Conventions:

* a control without keys has one value everywhere: moving its slider changes that value;
* the key button beside a control (or Ctrl+K for the active control) keys it at the playhead with its
  value there; once it has keys, moving its slider keys it at the playhead (After Effects' rule once
  the stopwatch is on, Blender's auto-keying); on a key, the button (or Alt+K) deletes that key, and
  deleting the last key leaves the control at that key's value;
* Alt+Left / Alt+Right jump to the previous / next key of any control (Up / Down stop at every mark,
  keys included).

Every edit is one undoable command on the document (`gui.models.key_edits`); a slider drag or a key
drag is one undo step.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from core.animation.keys import Interpolation
from core.animation.tracks import CONTROLS, control_spec
from core.config import RenderOptions
from core.errors import ConfigError
from gui.controllers.context import AppContext
from gui.models.animation import KEY_COLOUR, AnimationState, KeyRef, key_state, value_at
from gui.models.key_edits import EditDirectionCommand
from gui.models.specs import DrivingSpec
from gui.models.timeline import KEYS_LANE, MarkKind, TimelineModel
from gui.workers import Job

if TYPE_CHECKING:
    from gui.controllers.playback import PlaybackController

KEYS = MarkKind(
    "keys", "Keys", KEY_COLOUR, lane=KEYS_LANE, shape="diamond",
    description="Frames with a key of any control (Animate panel, curve editor); Alt+Left / Alt+Right jump "
    "between them",
)  # fmt: skip
#: Controls that are also `RenderOptions` fields: their static value is that field.
MASTERS = ("strength", "identity_adaptation", "smoothing")
PERFORMANCE_FILTER = "Performances (*.performance.json);;All files (*)"


def with_static(options: RenderOptions, name: str, value: float) -> RenderOptions:
    """`options` with control `name`'s static value set (a master's is its options field)."""
    if name in MASTERS:
        return replace(options, **{name: value})
    return replace(options, controls=options.controls.with_values(**{name: value}))


def describe_value(name: str, value: float) -> str:
    """"Smile 0.40", "Turn (yaw) 12.0°", "Strength 80 %" (undo texts, tooltips)."""
    spec = control_spec(name)
    if spec.group in ("master", "regions", "stabilise"):
        return f"{spec.label} {value * 100:.0f} %"
    return f"{spec.label} {value:.1f}{spec.unit}" if spec.unit else f"{spec.label} {value:.2f}"


class AnimationController(QObject):
    performanceSaved = Signal(object)  # Path

    def __init__(self, ctx: AppContext, playback: PlaybackController, timeline: TimelineModel,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.playback = playback
        self.timeline = timeline
        self.state = AnimationState(self)
        self._drag: tuple[object, float] | None = None  # (gesture, frame the dragged key is on now)
        timeline.marks.register(KEYS)
        ctx.document.optionsChanged.connect(self._options_changed)
        self._options_changed(ctx.document.options)

    # -- reading -----------------------------------------------------------------------------------------
    @property
    def options(self) -> RenderOptions:
        return self.ctx.document.options

    @property
    def frame(self) -> int:
        return self.ctx.document.current_frame

    def value(self, name: str, frame: float | None = None) -> float:
        return value_at(self.options, name, self.frame if frame is None else frame)

    def key_state(self, name: str) -> str:
        return key_state(self.options, name, self.frame)

    # -- edits at the playhead ---------------------------------------------------------------------------
    def set_value(self, name: str, value: float, gesture: object = None) -> bool:
        """A control moved to `value` at the playhead: its static value, or (animated) a key here."""
        self.state.set_active(name)
        options = self.options
        if options.animation.curve(name) is None:
            if math.isclose(options.controls.value(name), value, abs_tol=1e-9):
                return True
            return self._push(lambda: with_static(options, name, value), describe_value(name, value),
                              gesture if gesture is not None else name)
        text = f"Key {describe_value(name, value)} at frame {self.frame}"
        frame = self.frame
        return self._push(lambda: self._with_animation(options.animation.set_key(name, frame, value)), text,
                          gesture if gesture is not None else name)

    def toggle_key(self, name: str) -> None:
        """The key button: key `name` at the playhead, or delete its key there."""
        self.state.set_active(name)
        if self.key_state(name) == "key":
            self.delete_key(name, self.frame)
        else:
            self.add_key(name, self.frame)

    def add_key(self, name: str, frame: float, value: float | None = None) -> None:
        """Key `name` on `frame` with `value` (its value there when None)."""
        value = self.value(name, frame) if value is None else value
        options = self.options
        self._push(lambda: self._with_animation(options.animation.set_key(name, frame, value)),
                   f"Key {control_spec(name).label} at frame {frame:g}")

    def delete_key(self, name: str, frame: float) -> None:
        self.delete_keys([(name, frame)])

    def delete_keys(self, keys: list[KeyRef]) -> None:
        """Delete keys (a control left without keys keeps the value its last key had)."""
        options = self.options
        animation, controls_options = options.animation, options
        for name, frame in keys:
            curve = animation.curve(name)
            if curve is None or curve.key_at(frame) is None:
                continue
            if len(curve.keys) == 1:
                controls_options = with_static(controls_options, name, curve.keys[0].value)
            animation = animation.delete_key(name, frame)
        if animation == options.animation:
            return
        text = (f"Delete {control_spec(keys[0][0]).label} key at frame {keys[0][1]:g}" if len(keys) == 1
                else f"Delete {len(keys)} keys")
        self._push(lambda: replace(controls_options, animation=animation), text)
        self.state.prune(self.options)

    def key_active(self) -> None:
        """Ctrl+K: key the active control at the playhead (its value there)."""
        self.add_key(self.state.active, self.frame)

    def delete_active_key(self) -> None:
        """Alt+K: delete the active control's key at the playhead."""
        if self.key_state(self.state.active) == "key":
            self.delete_key(self.state.active, self.frame)

    def clear_keys(self, name: str) -> None:
        """Stop animating `name`: every key goes, it keeps its value at the playhead."""
        options = self.options
        if options.animation.curve(name) is None:
            return
        value = self.value(name)
        self._push(lambda: replace(with_static(options, name, value), animation=options.animation.with_curve(name, None)),
                   f"Remove the keys of {control_spec(name).label}")

    # -- edits from the curve editor ---------------------------------------------------------------------
    def move_key(self, name: str, frame: float, to_frame: float, value: float, gesture: object) -> float:
        """Drag a key to `to_frame` (whole frames, kept off its neighbours) and `value` (within the
        control's range); returns the frame it landed on. A drag is one undo step (`gesture`)."""
        options = self.options
        curve = options.animation.curve(name)
        if curve is None or curve.key_at(frame) is None:
            return frame
        spec = CONTROLS[name]
        target = float(max(0, round(to_frame)))
        others = {k.frame for k in curve.keys if abs(k.frame - frame) > 1e-6}
        if target in others:
            target = frame  # a key is already there: stay on the frame
        value = min(max(value, spec.low), spec.high)
        self._push(lambda: self._with_animation(options.animation.move_key(name, frame, target, value)),
                   f"Move {spec.label} key to frame {target:g}", gesture)
        return target

    def drag_key(self, gesture: object, name: str, start_frame: float, to_frame: float, value: float) -> None:
        """One step of a key drag in the curve editor (the key started on `start_frame`); the selection
        follows the key."""
        frame = self._drag[1] if self._drag is not None and self._drag[0] == gesture else start_frame
        selected = (name, frame) in self.state.selected
        landed = self.move_key(name, frame, to_frame, value, gesture)
        self._drag = (gesture, landed)
        if selected:
            self.state.select((self.state.selected - {(name, frame)}) | {(name, landed)})

    def set_interpolation(self, keys: list[KeyRef], interpolation: Interpolation) -> None:
        options = self.options
        animation = options.animation
        for name, frame in keys:
            curve = animation.curve(name)
            if curve is not None and curve.key_at(frame) is not None:
                animation = animation.set_interpolation(name, frame, interpolation)
        if animation != options.animation:
            self._push(lambda: self._with_animation(animation), f"{interpolation.capitalize()} interpolation")

    # -- moving between keys -----------------------------------------------------------------------------
    def jump_key(self, direction: int) -> None:
        """Alt+Left / Alt+Right: the previous or next frame with a key of any control."""
        animation, frame = self.options.animation, self.frame
        target = animation.next_key_frame(frame) if direction > 0 else animation.previous_key_frame(frame)
        if target is None:
            return
        whole = math.ceil(target - 1e-6) if direction > 0 else math.floor(target + 1e-6)
        if whole == frame:  # a key between frames, next to the playhead: go past it
            target = animation.next_key_frame(whole + 0.5) if direction > 0 else animation.previous_key_frame(whole - 0.5)
            if target is None:
                return
            whole = math.ceil(target - 1e-6) if direction > 0 else math.floor(target + 1e-6)
        self.playback.pause()
        self.playback.seek(whole)

    # -- authoring without a video -----------------------------------------------------------------------
    def can_save_performance(self) -> str:
        """Why the keys cannot be saved as a performance now ("" when they can)."""
        scene = self.ctx.scene
        if not scene.ready or scene.driving is None:
            return "Open a portrait and a driving (a performance, or keys alone) first."
        if scene.driving.params is None:
            return ("A driving video's motion is not made of face parameters: only keys alone or a performance "
                    "with keys on top can be saved as a performance.")
        return ""

    def ask_save_performance(self) -> None:
        reason = self.can_save_performance()
        if reason:
            self.ctx.dialogs.show_error("Cannot save a performance", reason)
            return
        folder = self.ctx.settings.last_folder or str(Path.home())
        path = self.ctx.dialogs.ask_save_path("Save as performance", PERFORMANCE_FILTER,
                                              str(Path(folder) / "keys.performance.json"))
        if path is not None:
            self.save_performance(path)

    def save_performance(self, path: Path) -> None:
        """Write what the portrait performs (driver, strengths, controls and keys) as a .performance.json,
        on a worker (about a second for 10,000 frames)."""
        from core.animation.authoring import beyond_file_ranges, performance_from_parameters
        from core.pipeline import direction_of

        if not path.name.lower().endswith(".json"):
            path = path.with_name(path.name + ".performance.json")
        engine, options, scene = self.ctx.engine, self.options, self.ctx.scene
        fps = scene.driving.fps
        name = path.name.removesuffix(".json").removesuffix(".performance")

        def work(_token) -> tuple[Path, int, int]:
            parameters = engine.reenactor.director.parameters(direction_of(options))
            performance = performance_from_parameters(parameters, fps, name)
            return performance.save(path), performance.frame_count, beyond_file_ranges(parameters)

        handle = self.ctx.lanes.export.submit(Job(work, "Saving the performance"))
        self.ctx.track("performance", handle, f"Saving {path.name}…")
        handle.succeeded.connect(self._performance_saved)
        handle.failed.connect(lambda failure: self.ctx.report("Could not save the performance", failure))

    def _performance_saved(self, result: tuple[Path, int, int]) -> None:
        path, frames, clipped = result
        note = f"; {clipped} exaggerated frames kept within the file's ranges" if clipped else ""
        self.ctx.activity.say(f"Saved {path.name}: {frames} frames{note}", 8000)
        self.performanceSaved.emit(path)

    def open_builtin_as_keys(self) -> None:
        """The built-in performance as editable keys on a timeline of its length, with no video."""
        from core.animation.authoring import animation_from_performance
        from core.faces.performance import builtin_performance

        performance = builtin_performance()
        animation = animation_from_performance(performance, self.options.animation)
        self.ctx.document.set_driving(DrivingSpec.keys(performance.frame_count, performance.fps))
        options = self.options
        self._push(lambda: replace(options, animation=animation), "Built-in performance as keys")
        self.ctx.activity.say(f"The built-in performance as keys: {len(animation.key_frames())} keyed frames "
                              "in the curve editor", 6000)

    def new_keys_timeline(self) -> None:
        """Keys alone: a timeline as long as the current driving (6 s at 25 fps without one), no video."""
        info = self.ctx.scene.driving_info
        frames, fps = (info.frame_count, info.fps) if info is not None else (150, 25.0)
        self.ctx.document.set_driving(DrivingSpec.keys(frames, fps))
        self.ctx.activity.say(f"Keys alone: {frames} frames at {fps:g} fps; key the pose and expression "
                              "controls in the Animate panel", 6000)

    # -- plumbing ----------------------------------------------------------------------------------------
    def _with_animation(self, animation) -> RenderOptions:
        return replace(self.options, animation=animation)

    def _push(self, build, text: str, gesture: object = None) -> bool:
        """Push the options `build()` makes as one undoable edit; False (with a dialog) when refused."""
        try:
            options = build()
        except (ConfigError, KeyError) as err:
            self.ctx.dialogs.show_error("Invalid value", str(err))
            return False
        if options == self.options:
            return True
        doc = self.ctx.document
        doc.undo_stack.push(EditDirectionCommand(doc, options, text, gesture))
        return True

    def _options_changed(self, options: RenderOptions) -> None:
        self.timeline.marks.set_frames(KEYS.key, (round(f) for f in options.animation.key_frames()))
        self.state.prune(options)
