"""The generator and discriminators of the paper, at 64 px with tiny widths."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn.utils import parametrize

from core.config import ModelConfig
from core.faces.heatmaps import landmark_heatmaps
from core.networks.discriminator import identity_discriminator, landmark_discriminator
from core.networks.generator import Generator
from core.networks.inference import for_inference
from tests.core.networks.conftest import face_landmarks


def _inputs(config: ModelConfig, batch: int = 2, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    r = config.resolution
    source = torch.rand(batch, 3, r, r, generator=g) * 2 - 1
    return source, face_landmarks(batch, r, seed), face_landmarks(batch, r, seed + 1)


def test_output_shapes_at_64px(generator: Generator, tiny_config: ModelConfig) -> None:
    source, src_lm, drv_lm = _inputs(tiny_config)
    out = generator(source, src_lm, drv_lm)
    L = tiny_config.local_size
    assert out.image.shape == (2, 3, 64, 64)
    assert out.local_images.shape == (2, 4, 3, L, L)
    assert out.local_canvas.shape == (2, 4, 64, 64)
    assert out.flow.shape == (2, 2, tiny_config.feature_size, tiny_config.feature_size)
    assert out.image.min() >= -1 and out.image.max() <= 1


def test_generator_loss_reaches_every_parameter_of_every_subnetwork(generator: Generator, tiny_config) -> None:
    source, src_lm, drv_lm = _inputs(tiny_config)
    target = torch.rand_like(source) * 2 - 1
    out = generator(source, src_lm, drv_lm)
    loss = (out.image - target).abs().mean() + out.local_images.abs().mean()
    loss.backward()
    for sub in ("appearance", "flow", "local", "fusion"):
        for name, p in getattr(generator, sub).named_parameters():
            assert p.grad is not None, f"{sub}.{name} got no gradient"
            assert p.grad.abs().sum() > 0, f"{sub}.{name} got a zero gradient"


def test_theta_has_one_spatial_map_pair_per_aan_layer_shaped_like_its_feature(generator, tiny_config) -> None:
    source, src_lm, drv_lm = _inputs(tiny_config)
    seen: list[torch.Size] = []
    hooks = [norm.register_forward_pre_hook(lambda m, args: seen.append(args[0].shape)) for norm in generator.fusion.norms()]
    prepared = generator.prepare_source(source, src_lm)
    generator.render(prepared, drv_lm)
    for h in hooks:
        h.remove()
    assert len(prepared.modulations) == len(seen) == tiny_config.fusion_blocks + 1
    for (gamma, beta), feature_shape in zip(prepared.modulations, seen, strict=True):
        assert gamma.shape == beta.shape == feature_shape  # C_i x H_i x W_i, not a vector


def test_pixel_shuffle_is_what_upsamples_in_the_fusion_net(generator, tiny_config, monkeypatch) -> None:
    shuffles = [m for m in generator.fusion.modules() if isinstance(m, nn.PixelShuffle)]
    assert len(shuffles) == tiny_config.fusion_blocks
    assert not any(isinstance(m, nn.Upsample) for m in generator.fusion.modules())
    sizes = []
    for m in shuffles:
        m.register_forward_hook(lambda m, i, o: sizes.append((i[0].shape[-1], o.shape[-1])))
    source, src_lm, _drv_lm = _inputs(tiny_config)
    prepared = generator.prepare_source(source, src_lm)

    def no_interpolation(*args, **kwargs):
        raise AssertionError("the fusion net must not interpolate")

    monkeypatch.setattr(torch.nn.functional, "interpolate", no_interpolation)
    warped = prepared.appearance
    canvas = torch.zeros(2, tiny_config.guide_channels, 64, 64)
    image, _mask = generator.fusion(warped, canvas, prepared.modulations)
    assert image.shape[-1] == 64
    assert sizes == [(16, 32), (32, 64)]


def test_spectral_norm_is_on_every_generator_convolution(generator) -> None:
    convs = [m for m in generator.modules() if isinstance(m, nn.Conv2d)]
    assert len(convs) > 20
    assert all(parametrize.is_parametrized(m, "weight") for m in convs)


def test_discriminators_are_multiscale_and_return_features() -> None:
    config = ModelConfig.tiny(64)
    d_l, d_i = landmark_discriminator(config), identity_discriminator(config)
    image = torch.rand(2, 3, 64, 64)
    heat = landmark_heatmaps(face_landmarks(2, 64), 64, 64, config.heatmap_sigma)
    out_l = d_l(torch.cat([image, heat], 1))
    out_i = d_i(torch.cat([image, image], 1))
    for out in (out_l, out_i):
        assert len(out) == config.discriminator_scales
        assert len(out[0]) == len(config.discriminator_widths) + 1
        assert out[0][-1].shape[1] == 1
        assert out[1][-1].shape[-1] < out[0][-1].shape[-1]


def test_cached_source_renders_exactly_like_the_full_forward(generator, tiny_config) -> None:
    generator.eval()
    source, src_lm, drv_lm = _inputs(tiny_config, batch=1)
    drivers = torch.cat([drv_lm, face_landmarks(2, 64, seed=7)], 0)
    with torch.no_grad():
        prepared = generator.prepare_source(source, src_lm)
        batched = generator.render(prepared, drivers).image
        for i in range(3):
            full = generator(source, src_lm, drivers[i : i + 1]).image
            single = generator.render(prepared, drivers[i : i + 1]).image
            torch.testing.assert_close(single, full, rtol=0, atol=1e-6)
            torch.testing.assert_close(batched[i : i + 1], full, rtol=0, atol=1e-5)


def test_inference_copy_with_folded_weights_matches_the_trained_generator(generator, tiny_config) -> None:
    generator.eval()
    source, src_lm, drv_lm = _inputs(tiny_config)
    frozen = for_inference(generator)
    assert not any(parametrize.is_parametrized(m, "weight") for m in frozen.modules())
    assert not any(isinstance(m, nn.BatchNorm2d) and m.affine for m in frozen.modules())  # block norms fused
    with torch.no_grad():
        expected = generator(source, src_lm, drv_lm).image
        got = frozen(source.contiguous(memory_format=torch.channels_last), src_lm, drv_lm).image
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-5)
    assert parametrize.is_parametrized(generator.fusion.output.to_rgb, "weight")  # original untouched


def test_running_statistics_make_a_frame_independent_of_its_batch(generator, tiny_config) -> None:
    generator.train()
    source, src_lm, drv_lm = _inputs(tiny_config)
    generator(source, src_lm, drv_lm)  # update running statistics
    generator.eval()
    with torch.no_grad():
        both = generator(source[:1].expand(2, -1, -1, -1), src_lm[:1].expand(2, -1, -1), drv_lm).image
        alone = generator(source[:1], src_lm[:1], drv_lm[:1]).image
    torch.testing.assert_close(both[:1], alone, rtol=0, atol=1e-5)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda g, s, a, b: g(s[:, :, :32], a, b), r"source must have shape \(B, 3, 64, 64\), got \(2, 3, 32, 64\)"),
        (lambda g, s, a, b: g(s, a[:, :5], b), r"source_landmarks must have shape \(B, 68, 2\)"),
        (lambda g, s, a, b: g(s, a, b[..., :1]), r"driving_landmarks must have shape \(B, 68, 2\)"),
        (lambda g, s, a, b: g(s[:, :1], a, b), r"\(B, 3, 64, 64\)"),
    ],
)
def test_wrong_input_shapes_name_the_expected_shape(generator, tiny_config, call, message) -> None:
    source, src_lm, drv_lm = _inputs(tiny_config)
    with pytest.raises(ValueError, match=message):
        call(generator, source, src_lm, drv_lm)


def test_default_config_builds_at_256_px() -> None:
    config = ModelConfig()
    g = Generator(config).eval()
    source = torch.zeros(1, 3, 256, 256)
    lm = face_landmarks(1, 256)
    with torch.no_grad():
        out = g(source, lm, lm)
    assert out.image.shape == (1, 3, 256, 256)
    assert out.flow.shape[-1] == config.feature_size == 64


def test_windowed_paste_equals_resampling_the_whole_canvas() -> None:
    """paste_regions resamples only each box's window; the result is the full-image resampling."""
    import torch.nn.functional as F

    from core.faces.regions import region_boxes
    from core.networks.local import _crop_theta, feather_window, paste_regions

    torch.manual_seed(3)
    crops = torch.rand(2, 4, 3, 16, 16) * 2 - 1
    boxes = region_boxes(face_landmarks(2, 64, seed=5))
    boxes[1, 3, :2] += torch.tensor([20.0, 15.0])  # a mouth half outside the image
    got = paste_regions(crops, boxes, 64)

    b, n = 2, 4
    window = feather_window(16, crops.device, crops.dtype).expand(b * n, 1, 16, 16)
    layers = torch.cat([crops.reshape(b * n, 3, 16, 16), window], 1)
    forward = _crop_theta(boxes.reshape(b * n, 3), 64, 64)
    scale = forward[:, :, :2].diagonal(dim1=1, dim2=2)
    inverse = torch.zeros_like(forward)
    inverse[:, 0, 0], inverse[:, 1, 1] = 1 / scale[:, 0], 1 / scale[:, 1]
    inverse[:, :, 2] = -forward[:, :, 2] / scale
    grid = F.affine_grid(inverse, [b * n, 4, 64, 64], align_corners=False)
    placed = F.grid_sample(layers, grid, align_corners=False).view(b, n, 4, 64, 64)
    rgb, coverage = torch.zeros(b, 3, 64, 64), torch.zeros(b, 1, 64, 64)
    for i in range(n):
        alpha = placed[:, i, 3:]
        rgb = torch.lerp(rgb, placed[:, i, :3], alpha)
        coverage = coverage + alpha * (1 - coverage)
    torch.testing.assert_close(got, torch.cat([rgb, coverage], 1), rtol=0, atol=1e-5)
    assert got[:, 3].max() > 0.99  # parts really land on the canvas
