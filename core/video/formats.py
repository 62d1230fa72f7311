"""The export formats: which name picks which, which carry transparency, which carry sound.

One table, so the writer, the export and the CLI agree on what ``out.mov`` means, and an impossible
request (``.mp4`` with transparency) is refused from the name alone, before any frame is rendered.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.errors import OutputError


@dataclass(frozen=True)
class OutputFormat:
    """One export format: ``suffix`` ("" for a folder of PNG frames), whether it can carry an alpha
    channel, and the audio codec its container takes (None: no sound)."""

    kind: str
    suffix: str
    alpha: bool
    audio_codec: str | None
    description: str


#: Every format the writer makes. MOV is ProRes (4444 with alpha, 422 HQ without) for editors and
#: compositors; WebM is VP9 (alpha as VP9's second plane); MP4 is H.264 for players.
OUTPUT_FORMATS: dict[str, OutputFormat] = {
    fmt.kind: fmt
    for fmt in (
        OutputFormat("mp4", ".mp4", False, "aac", "H.264 video with AAC sound"),
        OutputFormat("mov", ".mov", True, "pcm_s16le", "QuickTime ProRes (4444 with alpha) with PCM sound"),
        OutputFormat("webm", ".webm", True, "libopus", "WebM VP9 (with alpha) with Opus sound"),
        OutputFormat("gif", ".gif", True, None, "animated GIF (1-bit transparency)"),
        OutputFormat("webp", ".webp", True, None, "animated WebP (8-bit alpha)"),
        OutputFormat("png", "", True, None, "a folder of PNG frames (RGBA with alpha)"),
    )
}
OUTPUT_KINDS = tuple(OUTPUT_FORMATS)
ALPHA_KINDS = tuple(kind for kind, fmt in OUTPUT_FORMATS.items() if fmt.alpha)
_BY_SUFFIX = {fmt.suffix: fmt.kind for fmt in OUTPUT_FORMATS.values() if fmt.suffix}


def output_kind(path: str | Path) -> str:
    """``mp4``, ``mov``, ``webm``, ``gif``, ``webp`` or ``png`` (a folder of PNG frames), from the name."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in _BY_SUFFIX:
        return _BY_SUFFIX[suffix]
    if path.is_dir() or suffix == "":
        return "png"
    names = ", ".join(sorted(_BY_SUFFIX))
    raise OutputError(f"cannot export to {path.name}: end the name with {names}, or give a folder for PNG frames")


def alpha_formats_text() -> str:
    """The formats that can carry transparency, as a user reads them in a message."""
    return ", ".join(f"{OUTPUT_FORMATS[kind].suffix} ({kind})" if OUTPUT_FORMATS[kind].suffix else "a folder of PNGs"
                     for kind in ALPHA_KINDS)


def check_output_format(path: str | Path, alpha: bool = False) -> str:
    """The kind of ``path``; `OutputError` when it cannot be written with the transparency asked for
    (called before any work: a refused export costs nothing)."""
    kind = output_kind(path)
    if alpha and not OUTPUT_FORMATS[kind].alpha:
        raise OutputError(
            f"{Path(path).name}: {kind.upper()} cannot carry transparency; for alpha export to "
            f"{alpha_formats_text()}"
        )
    return kind
