"""The command line's progress bar (core.cli.ProgressBar): a batch's bar moves within each pair, on a
terminal and in a log, while the bars of single renders, analyses and training keep counting their units."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from core.cli import ProgressBar
from core.progress import Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def batch_of_two_long_pairs() -> list[Progress]:
    """What `core.batch.run_batch` yields for two pairs of 20 frames (each yield after a frame is written):
    done counts pairs, the payload is the overall fraction, the message names the pair."""
    items = []
    for k, name in enumerate(("obama.jpg + talk.mp4", "obama2.jpg + talk.mp4")):
        items += [Progress(k, 2, f"{name}: frame {i}", (k + i / 20) / 2) for i in range(1, 21)]
        items.append(Progress(k + 1, 2, f"{name}: rendered", (k + 1) / 2))
    return items


def test_a_batch_logged_off_a_terminal_writes_a_line_per_tenth_of_the_work_naming_the_pair() -> None:
    log = io.StringIO()
    bar = ProgressBar("batch of 2", log)
    for item in batch_of_two_long_pairs():
        bar(item)
    bar.close()
    lines = log.getvalue().splitlines()
    assert "\r" not in log.getvalue() and len(lines) == 12  # 0%, 10%, ... 100%, and the last pair done
    first_pair = [line for line in lines if " 0/2 done " in line]
    assert [re.search(r"(\d+)% ", line)[1] for line in first_pair] == ["2", "10", "20", "30", "40", "50"]
    assert all("obama.jpg + talk.mp4: frame" in line for line in first_pair)
    assert "40% 0/2 done" in first_pair[4] and "eta" in first_pair[4] and "eta   ?" not in first_pair[4]
    assert lines[-2].startswith("batch of 2 [" + "#" * 28 + "] 100% 1/2 done")  # its last frame
    assert lines[-1].startswith("batch of 2 [" + "#" * 28 + "] 100% 2/2 done") and lines[-1].endswith("rendered")


def test_a_batch_on_a_terminal_redraws_its_bar_within_a_pair() -> None:
    terminal = Terminal()
    bar = ProgressBar("batch of 2", terminal)
    bar(Progress(0, 2, "obama.jpg + talk.mp4: frame 15", 0.375))
    drawn = terminal.getvalue()
    assert drawn.startswith("\rbatch of 2 [" + "#" * 10 + "-" * 18 + "]  38% 0/2 done")
    assert "obama.jpg + talk.mp4: frame 15" in drawn


@dataclass
class Step:
    """A payload that is not a fraction (training's step, a rendered frame)."""

    loss: float = 0.5


def test_streams_without_a_fraction_keep_counting_their_units() -> None:
    log = io.StringIO()
    bar = ProgressBar("train", log)
    for step in range(1, 11):
        bar(Progress(step, 10, f"step {step}", Step()))
    lines = log.getvalue().splitlines()
    assert len(lines) == 10 and lines[2].startswith("train [" + "#" * 8 + "-" * 20 + "] 3/10")
    assert "/s eta" in lines[2] and "%" not in lines[2]
    unknown = io.StringIO()
    ProgressBar("analyze", unknown)(Progress(250, 0, "face in 250"))
    assert unknown.getvalue().startswith("analyze 250 ") and "face in 250" in unknown.getvalue()
