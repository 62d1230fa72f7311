"""Generator speed on this machine: per-frame latency, batch throughput, FLOPs and efficiency.

Efficiency compares the rendered frame's achieved FLOP rate with the machine's dense convolution rate
measured in the same run (a 3x3 convolution, 128 -> 128 channels, 128x128, batch 1, channels-last, the
same threads), so the ratio holds on a noisy machine. FLOPs count 2 per multiply-add everywhere
(``torch.utils.flop_counter``); time spent outside convolutions counts against efficiency.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch

from core.config import ModelConfig
from core.networks.generator import Generator
from core.networks.inference import for_inference


@dataclass(frozen=True)
class BenchResult:
    resolution: int
    device: str
    threads: int
    ms_prepare_source: float
    ms_per_frame: float
    ms_per_frame_p90: float
    frames_per_s_batch: float
    batch: int
    gflops_per_frame: float
    dense_gflops_per_s: float
    efficiency: float
    parameters: int
    dtype: str


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _timed(fn: Callable[[], object], device: torch.device, repeats: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        fn()
    _sync(device)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        _sync(device)
        times.append(time.perf_counter() - start)
    return times


def dense_conv_gflops(device: torch.device, dtype: torch.dtype = torch.float32, repeats: int = 10) -> float:
    """GFLOP/s of a 3x3, 128 -> 128 channel convolution on 128x128, batch 1, channels-last."""
    conv = torch.nn.Conv2d(128, 128, 3, padding=1).to(device=device, dtype=dtype, memory_format=torch.channels_last)
    x = torch.randn(1, 128, 128, 128, device=device, dtype=dtype).contiguous(memory_format=torch.channels_last)
    flops = 2 * 128 * 128 * 9 * 128 * 128
    with torch.inference_mode():
        times = _timed(lambda: conv(x), device, repeats, warmup=3)
    return flops / min(times) / 1e9


def render_flops(generator: torch.nn.Module, prepared, landmarks: torch.Tensor) -> int:
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with torch.inference_mode(), counter:
        generator.render(prepared, landmarks)
    return counter.get_total_flops()


def demo_landmarks(batch: int, size: int, seed: int = 0) -> torch.Tensor:
    """A frontal 68-point layout scaled to `size`, slightly jittered per frame (benchmark input)."""
    from core.faces.mean_shape import mean_shape_2d

    g = torch.Generator().manual_seed(seed)
    base = torch.as_tensor(mean_shape_2d(size), dtype=torch.float32)
    return base.expand(batch, -1, -1) + 0.5 * torch.randn(batch, 68, 2, generator=g)


def run_benchmark(
    config: ModelConfig,
    device: torch.device,
    batch: int = 8,
    repeats: int = 20,
    dtype: torch.dtype = torch.float32,
    generator: torch.nn.Module | None = None,
    log: Callable[[str], None] = lambda _: None,
) -> BenchResult:
    """Measure the inference path the app uses: folded weights, channels-last, inference mode."""
    torch.manual_seed(0)
    log("measuring dense convolution throughput")
    dense_before = dense_conv_gflops(device, dtype)
    model = generator if generator is not None else Generator(config)
    parameters = sum(p.numel() for p in model.parameters())
    frozen = for_inference(model.eval(), channels_last=True).to(device=device, dtype=dtype)
    r = config.resolution
    source = (torch.rand(1, 3, r, r) * 2 - 1).to(device=device, dtype=dtype).contiguous(memory_format=torch.channels_last)
    landmarks = demo_landmarks(max(batch, 1), r).to(device)
    with torch.inference_mode():
        log("timing prepare_source")
        prepare_times = _timed(lambda: frozen.prepare_source(source, landmarks[:1]), device, 5, warmup=2)
        prepared = frozen.prepare_source(source, landmarks[:1])
        log(f"timing render, batch 1, {repeats} frames")
        frame_times = _timed(lambda: frozen.render(prepared, landmarks[:1]), device, repeats, warmup=5)
        log(f"timing render, batch {batch}")
        batch_times = _timed(lambda: frozen.render(prepared, landmarks[:batch]), device, max(3, repeats // 4), warmup=2)
    log("counting FLOPs and measuring dense convolution throughput")
    flops = render_flops(frozen, prepared, landmarks[:1])
    dense = max(dense_before, dense_conv_gflops(device, dtype))
    ms_frame = statistics.median(frame_times) * 1000
    achieved = flops / 1e9 / (ms_frame / 1000)
    return BenchResult(
        resolution=r,
        device=str(device),
        threads=torch.get_num_threads(),
        ms_prepare_source=statistics.median(prepare_times) * 1000,
        ms_per_frame=ms_frame,
        ms_per_frame_p90=sorted(frame_times)[int(0.9 * (len(frame_times) - 1))] * 1000,
        frames_per_s_batch=batch / statistics.median(batch_times),
        batch=batch,
        gflops_per_frame=flops / 1e9,
        dense_gflops_per_s=dense,
        efficiency=achieved / dense,
        parameters=parameters,
        dtype=str(dtype).replace("torch.", ""),
    )
