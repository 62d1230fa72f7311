"""`main.py render --project FILE.reenact`: a saved project rendered headless, exactly as the app shows it.

The project gives the portrait (and which face), the driving (a video or folder of frames, analysed
through the same cache as the app; a performance file; the built-in performance; or keys alone), the
options with the animator's controls and keys, the model, and the in and out points. Everything is
built the way the app builds it (`gui.controllers.engine`), so frame i of the CLI is the app's frame i.
The command line may name another model (``--checkpoint``, ``--random-weights``) and another range
(``--start``/``--end``); the motion is the project's.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from core.config import RenderOptions
from core.errors import CheckpointError, ConfigError, InputError
from core.project_file import (
    BUILTIN_PERFORMANCE,
    DEMO_SOURCE,
    driving_rate,
    face_anchor,
    face_index,
    frame_or_none,
    keys_timeline,
    project_options,
    read_project,
    resolve_location,
)

if TYPE_CHECKING:
    from core.faces.driving import DrivingSequence
    from core.pipeline import Reenactor
    from core.progress import ProgressStream

log = logging.getLogger("reenact.render")


@dataclass(frozen=True)
class ProjectRender:
    """A project ready to export: the Reenactor holds its portrait and driving."""

    reenactor: Reenactor
    options: RenderOptions
    start: int
    stop: int  # exclusive
    inputs: tuple[str, ...]  # files the project reads (never overwritten)


def driving_of_project(
    entry: dict, base: Path | None, reenactor: Reenactor, name: str = "project"
) -> ProgressStream[DrivingSequence]:
    """The project's driving as a sequence on the Reenactor's source (yields a video's analysis progress)."""
    from core.animation.authoring import still_performance
    from core.faces.driving import DrivingSequence, read_driving

    source = reenactor.source
    timeline = keys_timeline(entry, name)
    if timeline is not None:
        return DrivingSequence.from_performance(
            still_performance(timeline.frames, timeline.fps), source.landmarks, reenactor.resolution
        )
    location = resolve_location(entry, base, BUILTIN_PERFORMANCE)
    path = "builtin" if location == BUILTIN_PERFORMANCE else location
    return (yield from read_driving(
        path, source.landmarks, reenactor.resolution, reenactor.detector, face_index(entry, name),
        driving_rate(entry, name), anchor=face_anchor(entry, name),
    ))


def open_project(
    args: argparse.Namespace, build_reenactor: Callable[[argparse.Namespace], Reenactor]
) -> ProjectRender:
    """Read ``args.project`` and set up its render (`build_reenactor` makes a Reenactor from the
    command line's model arguments, which the project's model fills in when none is given)."""
    from core.cli import drive

    path = Path(args.project)
    if any(getattr(args, name, None) for name in ("source", "driving", "source_list", "driving_list")):
        raise ConfigError("give either --project FILE or SOURCE and DRIVING (or --source/--driving), not both "
                          "(the project names them)")
    data = read_project(path)
    base, name = path.resolve().parent, path.name
    options = project_options(data, name)
    if not isinstance(data.get("source"), dict) or not isinstance(data.get("driving"), dict):
        raise InputError(f"{name} has no portrait or no driving yet: open it in the app and choose both")
    inputs = [str(path)]
    reenactor = _project_reenactor(args, data.get("model"), base, name, build_reenactor, inputs)
    source_entry, driving_entry = data["source"], data["driving"]
    location = resolve_location(source_entry, base, DEMO_SOURCE)
    if location == DEMO_SOURCE:
        from core.demo import demo_portrait

        reenactor.set_source(demo_portrait(), face_index=face_index(source_entry, name), name="astronaut (demo)")
    else:
        inputs.append(location)
        reenactor.set_source(location, face_index=face_index(source_entry, name))
    log.info("project %s: source %s", name, reenactor.source.name)
    if keys_timeline(driving_entry, name) is None:
        driving_location = resolve_location(driving_entry, base, BUILTIN_PERFORMANCE)
        if driving_location != BUILTIN_PERFORMANCE:
            inputs.append(driving_location)
    reenactor.set_driving(drive(driving_of_project(driving_entry, base, reenactor, name), "analysing driving video"))
    count = reenactor.driving.frame_count
    start, stop = project_range(data, count)
    if args.start or args.end is not None:  # the command line's range
        start, stop = args.start, args.end if args.end is not None else count
    return ProjectRender(reenactor, options, start, stop, tuple(inputs))


def project_range(data: dict, frame_count: int) -> tuple[int, int]:
    """(first, one past the last) frame of the project's in and out points (the whole driving without)."""
    first = frame_or_none(data.get("in_point")) or 0
    last = frame_or_none(data.get("out_point"))
    first = min(first, frame_count - 1)
    last = frame_count - 1 if last is None else min(max(last, first), frame_count - 1)
    return first, last + 1


def _project_reenactor(
    args: argparse.Namespace,
    model: object,
    base: Path,
    name: str,
    build_reenactor: Callable[[argparse.Namespace], Reenactor],
    inputs: list[str],
) -> Reenactor:
    """The command line's model when it names one, else the project's (as the app loads it)."""
    if args.checkpoint is not None or args.random_weights:
        return build_reenactor(args)
    entry = model if isinstance(model, dict) else {}
    kind = entry.get("kind", "none")
    if kind == "random":
        from core.config import ModelConfig
        from core.device import pick_device, set_threads
        from core.faces.landmarks import load_detector
        from core.pipeline import Reenactor

        resolution = entry.get("resolution", 256)
        set_threads(args.threads)
        config = ModelConfig.tiny(resolution if isinstance(resolution, int) else 256)  # the app's untrained network
        return Reenactor(None, pick_device(args.device), allow_random_weights=True, config=config,
                         detector=load_detector(args.backend))
    if kind == "file":
        checkpoint = resolve_location(entry, base, "")
        inputs.append(checkpoint)
        return build_reenactor(argparse.Namespace(**{**vars(args), "checkpoint": checkpoint}))
    if kind == "demo":
        return build_reenactor(args)  # the bundled demo model is the default
    raise CheckpointError(f"{name} has no model chosen: pass --checkpoint FILE (or open it in the app and choose one)")
