"""`probe(path)`: what a video is (size, rate, length, audio) from its headers, for a file dialog or GUI.

It reads the container headers and decodes at most one frame (for the display-matrix rotation); the
frame count is the container's claim there. `VideoReader(path).info` gives the exact count. A folder
of numbered frames is described from its file list and one header, at the rate given.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.video._common import open_video, rotation_quarter_turns

#: File extensions taken for videos without opening the file (a dialog's filter, the CLI's guess).
VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm", ".mpg", ".mpeg", ".wmv", ".flv", ".3gp")


@dataclass(frozen=True)
class VideoInfo:
    """A video's facts; width and height are as displayed (after rotation)."""

    path: Path
    width: int
    height: int
    fps: float
    frame_count: int
    frame_count_exact: bool  # False when it is the header's claim or an estimate from the duration
    duration: float  # seconds
    rotation: int  # degrees counter-clockwise applied to the stored pictures
    video_codec: str
    container: str
    audio_codec: str | None

    @property
    def size(self) -> tuple[int, int]:
        return self.width, self.height

    @property
    def has_audio(self) -> bool:
        return self.audio_codec is not None


def probe(path: str | Path, fps: float | None = None) -> VideoInfo:
    """Cheap facts about ``path`` (`InputError` if it is not a readable video); ``fps`` is the rate of
    a folder of numbered frames (default 25), unused for a video file."""
    import av

    from core.video.image_sequence import ImageSequenceReader, is_image_sequence

    if is_image_sequence(path):
        return ImageSequenceReader(path, fps=fps).info
    container, stream = open_video(path)
    try:
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        fps = float(rate) if rate else 0.0
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration = container.duration / av.time_base
        else:
            duration = 0.0
        count, exact = stream.frames, False
        if count <= 0 and duration > 0 and fps > 0:
            count = round(duration * fps)
        if duration <= 0 and count > 0 and fps > 0:
            duration = count / fps
        turns = 0
        width, height = stream.codec_context.width, stream.codec_context.height
        try:
            for frame in container.decode(stream):
                turns = rotation_quarter_turns(frame)
                width, height = frame.width, frame.height
                break
        except av.error.FFmpegError:
            pass  # damaged start: headers are all we can tell; VideoReader reports the damage
        if turns % 2:
            width, height = height, width
        audio = container.streams.audio[0].codec_context.name if container.streams.audio else None
        return VideoInfo(
            path=Path(path),
            width=width,
            height=height,
            fps=fps if fps > 0 else 25.0,
            frame_count=max(count, 0),
            frame_count_exact=exact,
            duration=duration,
            rotation=turns * 90,
            video_codec=stream.codec_context.name,
            container=container.format.name,
            audio_codec=audio,
        )
    finally:
        container.close()
