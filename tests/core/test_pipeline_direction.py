"""The Reenactor under the animator's controls: keys and controls move the render, the frame cache keeps
frames a key edit does not touch, flagged frames can hold the last good one, options with keys are plain data."""

from __future__ import annotations

import json

import numpy as np
import pytest

from core.animation.tracks import Animation, Controls
from core.config import ModelConfig, RenderOptions
from core.faces.driving import DrivingSequence
from core.faces.performance import builtin_performance, landmarks_from_params
from core.pipeline import Reenactor, landmark_key, picture_key
from tests.core.faces.face_shapes import identity_shape, moved


@pytest.fixture(scope="module")
def reenactor(astronaut) -> Reenactor:
    from core.faces.landmarks import load_detector

    r = Reenactor(None, "cpu", allow_random_weights=True, config=ModelConfig.tiny(64), detector=load_detector("dlib"))
    r.set_source(astronaut, name="astronaut")
    return r


@pytest.fixture
def performance_driven(reenactor) -> Reenactor:
    perf = builtin_performance(fps=10)
    reenactor.set_driving(DrivingSequence.from_performance(perf, reenactor.source.landmarks, reenactor.resolution))
    return reenactor


def glitchy_video(frames: int = 30) -> DrivingSequence:
    """A talking head whose tracker slips away for frames 12-13 and comes back."""
    params = np.zeros((frames, 8))
    params[:, 3] = 0.2 * (1 - np.cos(np.arange(frames) / 2))
    face = landmarks_from_params(identity_shape(6, 300) + 170, params)
    shift, zoom = np.zeros((frames, 2)), np.ones(frames)
    shift[12:14], zoom[12:14] = (70.0, 25.0), 0.8
    raw = moved(face, shift, zoom).astype(np.float32)
    return DrivingSequence(kind="video", name="glitch.mp4", fps=25.0, raw=raw, has_face=np.ones(frames, bool),
                           frame_size=(640, 480))


def test_controls_and_keys_move_the_rendered_face(performance_driven) -> None:
    r = performance_driven
    plain = r.frame_landmarks([4], RenderOptions())[0]
    turned = r.frame_landmarks([4], RenderOptions(controls=Controls(yaw=25.0)))[0]
    assert np.abs(turned - plain).max() > 1.0
    keyed = Animation().set_key("yaw", 0, 0.0).set_key("yaw", 8, 25.0)
    at_key = r.frame_landmarks([8], RenderOptions(animation=keyed))[0]
    np.testing.assert_allclose(at_key, r.frame_landmarks([8], RenderOptions(controls=Controls(yaw=25.0)))[0], atol=1e-4)
    whole = r.transformed_landmarks(RenderOptions(animation=keyed))
    np.testing.assert_array_equal(whole[[2, 8]], r.frame_landmarks([2, 8], RenderOptions(animation=keyed)))
    assert r.render_frame(8, RenderOptions(animation=keyed)).landmarks is not None


def test_a_key_edit_keeps_the_cached_frames_it_does_not_change(performance_driven) -> None:
    r = performance_driven
    keys = Animation().set_key("smile", 0, 0.0).set_key("smile", 10, 0.6).set_key("smile", 20, 0.2)
    before = RenderOptions(animation=keys)
    first = r.render_frame(5, before)
    r.render_frame(30, before)
    after = RenderOptions(animation=keys.set_key("smile", 40, 1.0))  # changes the curve after frame 20 only
    assert r.cached_frame(5, after) is not None and r.render_frame(5, after) is first
    assert r.cached_frame(30, after) is None
    mask = r.cached_mask(after)
    assert mask[5] and not mask[30] and mask.sum() == 1
    assert picture_key(after) == picture_key(before) != picture_key(RenderOptions(mask_scale=1.5))


def test_a_frame_that_looks_like_another_comes_from_the_cache_under_its_own_index(performance_driven) -> None:
    r = performance_driven
    still = RenderOptions(strength=0.0, controls=Controls(head_rotation=0.0))  # every frame is the portrait
    first = r.render_frame(3, still)
    again = r.render_frame(9, still)
    assert again.index == 9 and again.image is first.image
    assert landmark_key(first.landmarks) == landmark_key(again.landmarks)


def test_flagged_frames_can_hold_the_last_good_frame(reenactor) -> None:
    reenactor.set_driving(glitchy_video())
    check = reenactor.driving_check(RenderOptions())
    assert [(f.kind, f.start, f.stop) for f in check.of_kind("glitch")] == [("glitch", 12, 14)]
    held = RenderOptions(hold_flagged=True, smoothing=0.0)
    loose = RenderOptions(smoothing=0.0)
    landmarks = reenactor.transformed_landmarks(held)
    np.testing.assert_array_equal(landmarks[12], landmarks[11])
    np.testing.assert_array_equal(landmarks[13], landmarks[11])
    assert np.abs(reenactor.transformed_landmarks(loose)[12] - landmarks[11]).max() > 0.1  # the slip, unheld
    np.testing.assert_array_equal(reenactor.frame_landmarks([13], held)[0], landmarks[11])
    shown = reenactor.render_frame(11, held)
    assert reenactor.render_frame(13, held).image is shown.image  # held: the same picture, from the cache


def test_options_with_controls_and_keys_survive_json() -> None:
    keys = Animation().set_key("yaw", 0, 0.0).set_key("yaw", 24, 20.0, "ease").set_key("blink_left", 30, 1.0, "hold")
    options = RenderOptions(strength=0.7, smoothing=0.2, controls=Controls(mouth=1.3, lock_scale=0.5),
                            animation=keys, hold_flagged=True)
    data = json.loads(json.dumps(options.to_dict()))
    assert data["controls"] == {"mouth": 1.3, "lock_scale": 0.5}  # the masters are the options' own fields
    again = RenderOptions.from_dict(data)
    assert again == options and hash(again) == hash(options)
    assert again.controls.strength == 0.7 and again.controls.smoothing == 0.2
    assert RenderOptions.from_dict({"strength": 0.4}).animation == Animation()  # version 1 projects
    from core.errors import ConfigError

    with pytest.raises(ConfigError, match="yaw"):
        RenderOptions.from_dict({"controls": {"yaw": 400}})
    with pytest.raises(ConfigError, match="unknown control"):
        RenderOptions.from_dict({"animation": {"curves": {"wiggle": [{"frame": 0, "value": 1}]}}})
