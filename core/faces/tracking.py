"""Follow one face through a video: landmarks every frame from the last box, detection only now and then.

Full detection is the expensive step (and dlib's holds the GIL), so a frame normally costs one
landmark prediction (`refine`) inside the box carried over from the previous frame. The box follows the
landmarks: at each detection the detector's box is recorded relative to the rigid landmarks (eyes and
nose), and later boxes are placed on the tracked landmarks' centre the same way, keeping the detected
size until the next detection. (Resizing the box from the tracked landmarks feeds back: a predictor
given a slightly small box answers with slightly small landmarks, and the box shrinks away. Measured
on Megamind.avi, the fixed size halves the landmarks' disagreement with per-frame detection.)

Detection runs again (a "check") every `redetect_every` frames, and at once when the tracked face
drifts (its box jumps, or its landmarks grow or shrink by a quarter). When the image inside the box
changes abruptly (a cut) or the face leaves the frame, the face is searched for afresh. A check first
looks in a small region around the face, scaled so the face is about `roi_face_px` wide (cheap, and
finds faces smaller than the downscaled full frame allows), then in the whole frame downscaled to
`detect_max_side`. A check that finds nothing is tolerated `grace_checks` times (profile views the
detector misses while the landmarks still hold; checks then come every `retry_every` frames); before
the face is given up, the detector's slower search for turned faces looks around it (dlib's CNN:
`core.faces.search.detect_turned`). A lost face is searched for every frame, near where it was first,
then everywhere; when that finds nothing, the slow searches (the frame enlarged for faces down to
`min_face_px`, then turned faces) run too, spaced out by a `SearchSchedule` while no face shows.
`fill_gaps` then fills short gaps between frames of the same face.

A tracker can also be started on a chosen face (`FaceTracker.start_at`: the face nearest a box, e.g. where
the user clicked), and it then prefers the face at that place whenever it has to search afresh (after a
cut), instead of the `face_index`-th largest; frames may be given in either direction of time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.faces.landmarks import MIN_SEARCHED_FACE, Face, LandmarkDetector, box_iou, resize
from core.faces.search import (
    BLANK_STD,
    SearchSchedule,
    can_detect_turned,
    detect_turned,
    detect_upsampled,
    detector_face_px,
    is_blank,
    smallest_face_searched,
)

#: Eyes and nose: the landmarks that carry the box from frame to frame (they move little with speech).
TRACK_INDICES = np.arange(27, 48)


@dataclass
class _Track:
    box: np.ndarray  # box used for the current frame
    offset: np.ndarray  # detector box relative to the rigid landmarks: (box - centre) / spread
    spread: float  # spread of the rigid landmarks at the detection: the box keeps its size until the next
    score: float
    next_check: int
    since_check: int = 0
    misses: int = 0
    patch: np.ndarray | None = None


def nearest_face(faces: list[Face], box: np.ndarray | tuple[float, ...], reach: float = 1.0) -> Face | None:
    """The face of `faces` at `box` (x0, y0, x1, y1; a point as a box of no size): the one overlapping it
    most, else the one whose centre is nearest, if that is within `reach` face widths; None otherwise."""
    target = np.asarray(box, np.float32)
    if not faces:
        return None
    overlap = max(faces, key=lambda f: box_iou(f.box, target))
    if box_iou(overlap.box, target) > 0.1:
        return overlap
    centre = (target[:2] + target[2:]) / 2

    def distance(face: Face) -> float:
        return float(np.linalg.norm((face.box[:2] + face.box[2:]) / 2 - centre)) / max(face.width, 1.0)

    closest = min(faces, key=distance)
    return closest if distance(closest) <= reach else None


def _frame(landmarks: np.ndarray) -> tuple[np.ndarray, float]:
    """Centre and spread (RMS distance to the centre) of the rigid landmarks."""
    pts = landmarks[TRACK_INDICES]
    centre = pts.mean(0)
    spread = float(np.sqrt(((pts - centre) ** 2).sum(1).mean()))
    return centre, max(spread, 1e-3)


class FaceTracker:
    """Stateful: call `update(image)` with each frame in order; it returns the tracked `Face` or None.

    `face_index` picks which face to follow when it is first found (0 = the largest); after a loss
    the face nearest to where it was is preferred. `min_face_px` is the smallest face the slow search
    enlarges frames for (0: no enlarging); `turned` allows the detector's turned-face search. `prefer`
    (a box; `start_at` sets it) is where to look for the face when nothing else says where it is (the first
    frame, a cut): the face there is taken before the `face_index`-th.
    """

    def __init__(
        self,
        detector: LandmarkDetector,
        face_index: int = 0,
        redetect_every: int = 4,
        detect_max_side: int = 480,
        roi_face_px: int = 110,
        grace_checks: int = 2,
        retry_every: int = 2,
        min_face_px: int = MIN_SEARCHED_FACE,
        turned: bool = True,
        prefer: np.ndarray | tuple[float, ...] | None = None,
    ):
        self.detector = detector
        self.prefer = None if prefer is None else np.asarray(prefer, np.float32)
        self.face_index = face_index
        self.redetect_every = max(1, redetect_every)
        self.detect_max_side = detect_max_side
        self.roi_face_px = roi_face_px
        self.grace_checks = grace_checks
        self.retry_every = max(1, retry_every)
        self.min_face_px = min_face_px
        self.turned = turned and can_detect_turned(detector)
        self._track: _Track | None = None
        self._last_box: np.ndarray | None = None
        self._schedule = SearchSchedule()
        self._frame = -1
        self._shape: tuple[int, ...] = ()
        self.detections = 0  # full or region detections run, for profiling
        self.slow_searches = 0  # enlarged or turned-face searches of a frame without a face
        self.turned_rescues = 0  # losses avoided by the turned-face search around the face
        self.most_faces = 0  # the most faces one full-frame detection found (for messages)

    @property
    def smallest_face_px(self) -> int:
        """The smallest face (px) searched for in the frames seen so far (for messages)."""
        face = detector_face_px(self.detector)
        if not self._shape:
            return int(self.min_face_px or face)
        fast = int(np.ceil(face / min(1.0, self.detect_max_side / max(self._shape[:2]))))
        return min(fast, smallest_face_searched(self._shape, self.min_face_px, face)) if self.min_face_px else fast

    def start_at(self, image: np.ndarray, box: np.ndarray | tuple[float, ...]) -> Face:
        """Follow the face nearest `box` in this frame (the next frame given to `update`): detected around the
        box and in the whole frame; when neither finds a face there, the track starts from the box itself."""
        self._frame += 1
        self._shape = image.shape
        self.prefer = np.asarray(box, np.float32)
        found = self._detect_near(image, self.prefer)
        if found is None:
            found = nearest_face(self._detect_full(image), self.prefer)
        if found is None:
            found = Face(self.prefer.copy(), 0.0, np.zeros((68, 2), np.float32))
        self._schedule.reset()
        return self._start(image, found)

    def update(self, image: np.ndarray) -> Face | None:
        """The followed face in this frame (landmarks at full resolution), or None when it is not there."""
        self._frame += 1
        self._shape = image.shape
        track = self._track
        if track is None:
            return self._acquire(image)
        previous = track.box
        landmarks = self.detector.refine(image, previous)
        centre, spread = _frame(landmarks)
        box = np.concatenate([centre, centre]) + track.offset * track.spread
        patch = self._patch(image, box)
        if self._cut(track.patch, patch) or not self._inside(box, image.shape):
            self._lose(forget=True)  # a new shot (or the face left): look for the face afresh
            return self._acquire(image)
        drift = self._drifted(previous, box) or not 0.8 < spread / track.spread < 1.25
        track.since_check += 1
        if drift or track.since_check >= track.next_check:
            found = self._check(image, previous if drift else box)
            if found is not None:
                return self._start(image, found)
            track.misses += 1
            if drift or track.misses > self.grace_checks:
                rescued = self._detect_near(image, previous, turned=True) if self.turned else None
                if rescued is not None:
                    self.turned_rescues += 1
                    return self._start(image, rescued)
                self._lose()
                return None
            track.since_check, track.next_check = 0, self.retry_every
        track.box, track.patch = box, patch
        return Face(box.astype(np.float32), track.score, landmarks)

    # -- detection -------------------------------------------------------------------------------

    def _acquire(self, image: np.ndarray) -> Face | None:
        found = None
        if self._last_box is not None:
            found = self._detect_near(image, self._last_box)
        if found is None:
            found = self._choose(self._detect_full(image))
        if found is None and self._schedule.due(self._frame) and not is_blank(image):
            found = self._choose(self._search_slowly(image))
            if found is None:
                self._schedule.failed(self._frame)
        if found is None:
            return None
        self._schedule.reset()
        return self._start(image, found)

    def _choose(self, faces: list[Face]) -> Face | None:
        """The face to follow among `faces`: the one nearest the lost face, else the one at the preferred
        place, else the `face_index`-th."""
        if not faces:
            return None
        if self._last_box is not None:
            found = max(faces, key=lambda f: box_iou(f.box, self._last_box))
            if box_iou(found.box, self._last_box) >= 0.1:
                return found
            return faces[min(self.face_index, len(faces) - 1)]
        if self.prefer is not None:
            found = nearest_face(faces, self.prefer)
            if found is not None:
                return found
            return faces[min(self.face_index, len(faces) - 1)]
        return faces[self.face_index] if self.face_index < len(faces) else None

    def _search_slowly(self, image: np.ndarray) -> list[Face]:
        """The frame enlarged for small faces, then the turned-face search (see `core.faces.search`)."""
        self.slow_searches += 1
        faces: list[Face] = []
        if self.min_face_px:
            factor = min(1.0, self.detect_max_side / max(image.shape[:2]))
            faces = detect_upsampled(image, self.detector, factor, self.min_face_px, tile=self.detect_max_side)
        if not faces and self.turned:
            faces = detect_turned(image, self.detector)
        self.most_faces = max(self.most_faces, len(faces))
        return faces

    def _check(self, image: np.ndarray, box: np.ndarray) -> Face | None:
        found = self._detect_near(image, box)
        if found is None:
            faces = [f for f in self._detect_full(image) if box_iou(f.box, box) > 0.3]
            found = max(faces, key=lambda f: box_iou(f.box, box)) if faces else None
        return found

    def _start(self, image: np.ndarray, face: Face) -> Face:
        """(Re)start tracking from a detected face; landmarks re-predicted at full resolution."""
        landmarks = self.detector.refine(image, face.box)
        centre, spread = _frame(landmarks)
        offset = (face.box - np.concatenate([centre, centre])) / spread
        self._track = _Track(
            face.box.copy(),
            offset,
            spread,
            face.score,
            self.redetect_every,
            patch=self._patch(image, face.box),
        )
        self._last_box = face.box.copy()
        return Face(face.box.astype(np.float32), face.score, landmarks)

    def _lose(self, forget: bool = False) -> None:
        if self._track is not None:
            self._last_box = None if forget else self._track.box.copy()
        self._track = None

    def _detect_full(self, image: np.ndarray) -> list[Face]:
        self.detections += 1
        factor = min(1.0, self.detect_max_side / max(image.shape[:2]))
        small = resize(image, factor)
        faces = [f.scaled(1.0 / factor) for f in self.detector.detect(small)]
        self.most_faces = max(self.most_faces, len(faces))
        return faces

    def _detect_near(self, image: np.ndarray, box: np.ndarray, turned: bool = False) -> Face | None:
        """Detect in a square region twice the box's size around it, scaled to a detector-friendly size
        (with `turned`, by the turned-face search)."""
        self.detections += 1
        h, w = image.shape[:2]
        side = max(box[2] - box[0], box[3] - box[1], 1.0)
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        x0, y0 = int(max(0, np.floor(cx - side))), int(max(0, np.floor(cy - side)))
        x1, y1 = int(min(w, np.ceil(cx + side))), int(min(h, np.ceil(cy + side)))
        if x1 - x0 < 16 or y1 - y0 < 16:
            return None
        factor = min(2.5, self.roi_face_px / side)
        region = resize(image[y0:y1, x0:x1], factor)
        found = detect_turned(region, self.detector, max_side=max(region.shape)) if turned else self.detector.detect(region)
        faces = [f.scaled(1.0 / factor, (x0, y0)) for f in found]
        if not faces:
            return None
        best = max(faces, key=lambda f: box_iou(f.box, box))
        return best if box_iou(best.box, box) > 0.3 else None

    # -- drift -----------------------------------------------------------------------------------

    @staticmethod
    def _drifted(previous: np.ndarray, box: np.ndarray) -> bool:
        """The box jumped by more than a quarter of its size, or changed size by more than 25%."""
        size_prev = max(previous[2] - previous[0], 1.0)
        size_new = max(box[2] - box[0], 1.0)
        shift = np.abs((box[:2] + box[2:]) / 2 - (previous[:2] + previous[2:]) / 2).max()
        return bool(shift > 0.25 * size_prev or not 0.8 < size_new / size_prev < 1.25)

    @staticmethod
    def _inside(box: np.ndarray, shape: tuple[int, ...]) -> bool:
        """The box's centre is still in the image."""
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        return bool(0 <= cx < shape[1] and 0 <= cy < shape[0])

    @staticmethod
    def _patch(image: np.ndarray, box: np.ndarray) -> np.ndarray | None:
        """A 16x16 grey thumbnail of the box's inside, to notice cuts."""
        import cv2

        h, w = image.shape[:2]
        x0, y0 = int(max(0, box[0])), int(max(0, box[1]))
        x1, y1 = int(min(w, box[2])), int(min(h, box[3]))
        if x1 - x0 < 4 or y1 - y0 < 4:
            return None
        region = image[y0:y1, x0:x1]
        if region.ndim == 3:
            region = cv2.cvtColor(np.ascontiguousarray(region), cv2.COLOR_RGB2GRAY)
        return cv2.resize(region, (16, 16), interpolation=cv2.INTER_AREA).astype(np.float32)

    @staticmethod
    def _cut(previous: np.ndarray | None, patch: np.ndarray | None) -> bool:
        """The box's content changed abruptly (mean change over 40 grey levels after matching brightness),
        or went flat (something in front of the face, a black frame: nothing there to follow)."""
        if previous is None or patch is None:
            return patch is None
        if float(patch.std()) < BLANK_STD:
            return True
        diff = (patch - patch.mean()) - (previous - previous.mean())
        return bool(np.abs(diff).mean() > 40.0)


def fill_gaps(
    landmarks: list[np.ndarray | None],
    boxes: list[np.ndarray | None],
    max_gap: int,
    damaged: frozenset[int] | set[int] = frozenset(),
) -> np.ndarray:
    """Fill short runs of frames without a face (at most `max_gap` frames) between two frames of the
    same face, in place, by linear interpolation of the landmarks and boxes; return which were filled.

    "The same face" means boxes overlapping by more than 0.3 IoU on both sides of the gap, so a cut to
    another shot or person is never bridged; gaps holding a damaged frame are left as they are.
    """
    filled = np.zeros(len(landmarks), bool)
    last = None
    for index, current in enumerate(landmarks):
        if current is None:
            continue
        if (
            last is not None
            and 1 < index - last <= max_gap + 1
            and box_iou(boxes[last], boxes[index]) > 0.3
            and not any(j in damaged for j in range(last + 1, index))
        ):
            for j in range(last + 1, index):
                weight = (j - last) / (index - last)
                landmarks[j] = ((1 - weight) * landmarks[last] + weight * current).astype(np.float32)
                boxes[j] = ((1 - weight) * boxes[last] + weight * boxes[index]).astype(np.float32)
                filled[j] = True
        last = index
    return filled
