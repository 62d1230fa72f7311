"""Our VGG19 loads torchvision's weight file by key, and the hub cache is where it is looked for."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from core.errors import ConfigError
from training.vgg import LAYER_INDEX, VGG19_FILENAME, VGG19Features, find_vgg19_weights

# torchvision's vgg19 (configuration "E"): convolution indices in `features` and their widths.
TORCHVISION_CONVS = {0: (3, 64), 2: (64, 64), 5: (64, 128), 7: (128, 128), 10: (128, 256), 12: (256, 256),
                     14: (256, 256), 16: (256, 256), 19: (256, 512), 21: (512, 512), 23: (512, 512),
                     25: (512, 512), 28: (512, 512), 30: (512, 512), 32: (512, 512), 34: (512, 512)}


def torchvision_style_state(seed: int = 0) -> dict[str, torch.Tensor]:
    """A state dict with torchvision's vgg19 keys and shapes (a small stand-in classifier)."""
    g = torch.Generator().manual_seed(seed)
    state = {}
    for index, (cin, cout) in TORCHVISION_CONVS.items():
        state[f"features.{index}.weight"] = torch.randn(cout, cin, 3, 3, generator=g) * 0.05
        state[f"features.{index}.bias"] = torch.randn(cout, generator=g) * 0.01
    state["classifier.0.weight"] = torch.zeros(4, 4)  # ignored by the loader
    return state


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
    model.load_torchvision(path)
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
        VGG19Features(("relu1_1",)).load_torchvision(path)
    (tmp_path / "junk.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(ConfigError, match="not a readable"):
        VGG19Features(("relu1_1",)).load_torchvision(tmp_path / "junk.pth")


def test_weights_are_found_in_the_torch_hub_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setattr(torch.hub, "_hub_dir", None)
    monkeypatch.setattr(Path, "home", lambda: tmp_path / "home")
    assert find_vgg19_weights() is None
    cached = tmp_path / "torch" / "hub" / "checkpoints" / VGG19_FILENAME
    cached.parent.mkdir(parents=True)
    torch.save(torchvision_style_state(), cached)
    assert find_vgg19_weights() == cached
    with pytest.raises(ConfigError, match="not found"):
        find_vgg19_weights(tmp_path / "missing.pth")
