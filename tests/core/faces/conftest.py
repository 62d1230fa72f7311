"""Fixtures for the face tests: one dlib detector and one Megamind analysis per session."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from core.faces.landmarks import Face, LandmarkDetector


@dataclass
class SpyDetector:
    """Wraps a detector and records what it is asked to do (counts, largest image side)."""

    inner: LandmarkDetector
    detect_calls: int = 0
    refine_calls: int = 0
    largest_detect_side: int = 0
    detect_sides: list[int] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def key(self) -> str:
        return self.inner.key

    @property
    def wants_gray(self) -> bool:
        return self.inner.wants_gray

    def detect(self, image: np.ndarray) -> list[Face]:
        self.detect_calls += 1
        self.largest_detect_side = max(self.largest_detect_side, max(image.shape[:2]))
        self.detect_sides.append(max(image.shape[:2]))
        return self.inner.detect(image)

    def refine(self, image: np.ndarray, box: np.ndarray) -> np.ndarray:
        self.refine_calls += 1
        return self.inner.refine(image, box)


@pytest.fixture(scope="session")
def dlib_detector() -> LandmarkDetector:
    from core.faces.landmarks import load_detector

    return load_detector("dlib")


@dataclass
class TimedAnalysis:
    analysis: object  # core.faces.analysis.VideoAnalysis
    seconds: float
    spy: SpyDetector


@pytest.fixture(scope="session")
def megamind_analysis(megamind_path: Path, dlib_detector: LandmarkDetector) -> TimedAnalysis:
    """Megamind.avi analysed once (no cache), with a spy counting the detector's work."""
    from core.faces.analysis import analyze_video
    from core.progress import run_to_end

    spy = SpyDetector(dlib_detector)
    start = time.perf_counter()
    analysis = run_to_end(analyze_video(megamind_path, spy, use_cache=False))
    return TimedAnalysis(analysis, time.perf_counter() - start, spy)
