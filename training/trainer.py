"""The GAN trainer: `generator_step`, `discriminator_step`, and a resumable loop that is a generator.

One training step is a generator update (content, local and adversarial losses through both
discriminators) followed by a discriminator update on the same batch (the generator's output is
reused, detached). `Trainer.train` yields a `Progress` per step whose payload is a `TrainProgress`
(step, losses, steps/s, and every `sample_every` steps a sample grid: source / driving landmarks /
result / ground truth), so the CLI and the GUI drive it alike. A stop request (`CancelToken`) ends it
at the next step with a checkpoint; pause is stop, then resume.

Checkpoints (``RUN_DIR/checkpoints/step_NNNNNNN.pt`` plus a rolling ``latest.pt``, written atomically)
hold the networks, both optimisers, the step, the number of samples consumed (the sampler's position),
RNG states, the grad-scaler states, the train config and the perceptual distance used. Data samples
depend only on their key, so a resumed run continues with exactly the batches and, on a
deterministic CPU setup, exactly the losses an uninterrupted run would have had.

A new run may start from another checkpoint's generator (`TrainConfig.init_from`: a fine-tune, from a
training checkpoint or a slim released model alike) with fresh discriminators and optimisers at step 0;
where it started (the file, its step, its generator's checksum) is in the log's start record, in every
checkpoint's metadata (``init_from``) and in the `TrainResult`, and stays there when the run is resumed.

Files of a run (rank 0 only): ``config.yaml`` (model + train), ``log.jsonl`` (a start record, one line
per logged step, evaluation and stop records), ``samples/step_NNNNNNN.png`` and the checkpoints.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import logging
import os
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
from torch.utils.data import DataLoader

from core.atomic import atomic_path, write_bytes, write_text
from core.checkpoint import Checkpoint, load_state, require_config, save_checkpoint, weights_checksum
from core.config import ModelConfig
from core.device import autocast_dtype, describe, set_threads
from core.errors import ConfigError, OutputError
from core.faces.heatmaps import landmark_heatmaps
from core.faces.regions import LOCAL_INDICES
from core.networks.discriminator import identity_discriminator, landmark_discriminator
from core.networks.generator import Generator
from core.progress import CancelToken, Progress, ProgressStream
from training import distributed
from training.config import TrainConfig, run_config_dict
from training.dataset import PairBatch, PairDataset, PairSampler, tensor_to_image
from training.distributed import DistContext
from training.losses import (
    PERCEPTUAL_NOTES,
    PerceptualLoss,
    content_loss,
    discriminator_loss,
    feature_matching_loss,
    generator_adversarial_loss,
    local_loss,
    local_targets,
)
from training.runs import (  # the run folder's layout lives with the code that reads runs back
    CONFIG_NAME,
    LATEST_NAME,
    LOG_NAME,
    SAMPLES_DIR,
    latest_checkpoint,
    numbered_checkpoint,
)

log = logging.getLogger("reenact.training")

@dataclass
class TrainProgress:
    """What one step of `Trainer.train` reports."""

    step: int
    total: int
    losses: dict[str, float]
    steps_per_s: float
    sample: np.ndarray | None = None  # (rows * R, 4 * R, 3) uint8 grid, every `sample_every` steps
    checkpoint: Path | None = None  # written at this step
    holdout_l1: float | None = None  # evaluated at this step


@dataclass
class TrainResult:
    step: int  # the step reached
    steps_run: int  # steps run in this session
    steps_per_s: float  # training steps per second in this session (checkpoints and samples excluded)
    checkpoint: Path | None
    stopped: bool  # ended by a stop request before `steps`
    perceptual: str
    vgg: str | None = None  # which VGG19 gave the perceptual losses, in words (None: the L1 fallback)
    history: list[dict[str, float]] = field(default_factory=list)  # logged records of this session
    init_from: str | None = None  # the checkpoint whose generator the run started from (None: new weights)


def configure_runtime(config: TrainConfig, device: torch.device) -> None:
    """Process-wide settings of a run: thread count and, when asked, deterministic algorithms."""
    set_threads(config.threads)
    if config.deterministic:
        if device.type == "cuda":
            os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        # CUDA has no deterministic grid_sample backward: warn there instead of failing.
        torch.use_deterministic_algorithms(True, warn_only=device.type != "cpu")
        torch.backends.cudnn.benchmark = False
    elif device.type == "cuda":
        torch.backends.cudnn.benchmark = True


def _seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def _worker_init(_: int) -> None:
    """Data workers: one thread each (the main process owns the cores for the networks)."""
    torch.set_num_threads(1)
    cv2.setNumThreads(1)


def _rng_state() -> dict[str, Any]:
    """Every RNG's state as plain values (tensors, ints, lists) for a weights_only checkpoint."""
    numpy_state = np.random.get_state()
    python_state = random.getstate()
    state: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "numpy": {
            "keys": torch.from_numpy(np.asarray(numpy_state[1], dtype=np.int64)),
            "pos": int(numpy_state[2]),
            "has_gauss": int(numpy_state[3]),
            "cached_gaussian": float(numpy_state[4]),
        },
        "python": [python_state[0], list(python_state[1]), python_state[2]],
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: dict[str, Any]) -> None:
    if "torch" in state:
        torch.set_rng_state(state["torch"])
    if "numpy" in state:
        n = state["numpy"]
        np.random.set_state(("MT19937", n["keys"].numpy().astype(np.uint32), n["pos"], n["has_gauss"],
                             n["cached_gaussian"]))
    if "python" in state:
        version, internal, gauss = state["python"]
        random.setstate((version, tuple(internal), gauss))
    if "cuda" in state and torch.cuda.is_available() and len(state["cuda"]) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(state["cuda"])


_REGION_COLOURS = ((255, 200, 0), (255, 200, 0), (0, 220, 255), (255, 80, 120))


def draw_landmarks(landmarks: np.ndarray, size: int) -> np.ndarray:
    """The driving landmarks as coloured dots on black, (size, size, 3) uint8."""
    canvas = np.zeros((size, size, 3), np.uint8)
    radius = max(1, size // 128)
    colours = {i: c for indices, c in zip(LOCAL_INDICES, _REGION_COLOURS, strict=True) for i in indices}
    for i, (x, y) in enumerate(np.asarray(landmarks)):
        cv2.circle(canvas, (round(float(x)), round(float(y))), radius, colours.get(i, (200, 200, 200)), -1)
    return canvas


class Trainer:
    """The generator, both discriminators, their optimisers and the step count, on one device.

    `perceptual` is the distance of the content and local losses (`losses.build_perceptual`). With a
    `DistContext` of several processes the networks are wrapped in DDP and only rank 0 writes files.
    """

    def __init__(
        self,
        model_config: ModelConfig,
        train_config: TrainConfig,
        device: torch.device | str,
        perceptual: PerceptualLoss,
        context: DistContext | None = None,
    ):
        self.model_config = model_config
        self.config = train_config
        self.device = torch.device(device)
        self.context = context or DistContext(device=self.device)
        configure_runtime(train_config, self.device)
        _seed_everything(train_config.seed)
        cuda = self.device.type == "cuda"
        self.amp_dtype = autocast_dtype(self.device) if (train_config.amp and cuda) else None
        self.memory_format = torch.channels_last if (train_config.channels_last and cuda) else None

        self.generator = Generator(model_config).to(self.device)
        if train_config.mask_bias is not None and not train_config.init_from:  # new weights' start (`load` and
            # `start_from` replace it with the checkpoint's trained bias)
            if not model_config.warp_source:
                raise ConfigError("train.mask_bias sets the blend mask of model.warp_source, which is off: "
                                  "remove mask_bias or turn warp_source on")
            self.generator.fusion.set_mask_bias(train_config.mask_bias)
        if train_config.mask_penalty > 0 and not model_config.warp_source:
            raise ConfigError("train.mask_penalty weighs the blend mask of model.warp_source, which is off: "
                              "set mask_penalty to 0 or turn warp_source on")
        self.d_landmark = landmark_discriminator(model_config).to(self.device)
        self.d_identity = identity_discriminator(model_config).to(self.device)
        if self.memory_format is not None:
            for module in (self.generator, self.d_landmark, self.d_identity):
                module.to(memory_format=self.memory_format)
        self.perceptual = perceptual.to(self.device)
        self.generator_ddp = distributed.wrap(self.generator, self.context)
        self.d_landmark_ddp = distributed.wrap(self.d_landmark, self.context)
        self.d_identity_ddp = distributed.wrap(self.d_identity, self.context)

        betas = (train_config.betas[0], train_config.betas[1])
        self.opt_generator = torch.optim.Adam(self.generator.parameters(), lr=train_config.lr_generator, betas=betas)
        self.opt_discriminator = torch.optim.Adam(
            [*self.d_landmark.parameters(), *self.d_identity.parameters()],
            lr=train_config.lr_discriminator,
            betas=betas,
        )
        scaled = self.amp_dtype == torch.float16
        self.scaler_generator = torch.amp.GradScaler("cuda", enabled=scaled)
        self.scaler_discriminator = torch.amp.GradScaler("cuda", enabled=scaled)
        self.step = 0
        self.samples_seen = 0  # this rank's position in the sampler
        self.init_from: dict[str, Any] | None = None  # where the generator started (`start_from`)
        self._cached: tuple[PairBatch, torch.Tensor] | None = None

    # ------------------------------------------------------------------ single steps

    @property
    def perceptual_kind(self) -> str:
        return self.perceptual.kind

    @property
    def vgg_description(self) -> str | None:
        """Which VGG19 weights the perceptual losses use, in words; None with the L1 fallback."""
        return self.perceptual.description

    def _autocast(self) -> contextlib.AbstractContextManager:
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=self.amp_dtype)

    def _on_device(self, batch: PairBatch) -> PairBatch:
        return batch.to(self.device, self.memory_format)

    def _driving_heatmaps(self, landmarks: torch.Tensor) -> torch.Tensor:
        cfg = self.model_config
        heat = landmark_heatmaps(landmarks, cfg.resolution, cfg.resolution, cfg.heatmap_sigma)
        return heat.contiguous(memory_format=self.memory_format) if self.memory_format is not None else heat

    def _discriminators_trainable(self, flag: bool) -> None:
        for module in (self.d_landmark, self.d_identity):
            module.requires_grad_(flag)

    def generator_step(self, batch: PairBatch) -> dict[str, float]:
        """One generator update on `batch`; returns the named losses (weighted total and raw terms)."""
        cfg = self.config
        data = self._on_device(batch)
        self.generator.train()
        self._discriminators_trainable(False)
        try:
            with self._autocast():
                out = self.generator_ddp(data.source, data.source_landmarks, data.driving_landmarks)
                heat = self._driving_heatmaps(data.driving_landmarks).to(out.image.dtype)
                # The plain modules: no discriminator gradients are needed in this step.
                fake_landmark = self.d_landmark(torch.cat([out.image, heat], 1))
                fake_identity = self.d_identity(torch.cat([out.image, data.source.to(out.image.dtype)], 1))
                adv_landmark = generator_adversarial_loss(fake_landmark, cfg.gan_mode)
                adv_identity = generator_adversarial_loss(fake_identity, cfg.gan_mode)
                weights = data.sample_weights(cfg.warped_weight)
                l1, perceptual = content_loss(out.image, data.driving, self.perceptual, cfg.content_l1, weights)
                targets = local_targets(data.driving, data.driving_landmarks, self.model_config.local_size)
                local = local_loss(out.local_images, targets.to(out.local_images.dtype), self.perceptual, weights)
                total = (
                    cfg.lambda_gan * (adv_landmark + adv_identity)
                    + cfg.lambda_content * (l1 + perceptual)
                    + cfg.lambda_local * local
                )
                mask_mean = out.mask.float().mean() if out.mask is not None else None
                if mask_mean is not None and cfg.mask_penalty > 0:
                    total = total + cfg.mask_penalty * mask_mean
                matching = None
                if cfg.feature_matching > 0:
                    with torch.no_grad():
                        real_landmark = self.d_landmark(torch.cat([data.driving.to(heat.dtype), heat], 1))
                        real_identity = self.d_identity(torch.cat([data.driving, data.source], 1).to(heat.dtype))
                    matching = feature_matching_loss(real_landmark, fake_landmark) + feature_matching_loss(
                        real_identity, fake_identity
                    )
                    total = total + cfg.feature_matching * matching
            self.opt_generator.zero_grad(set_to_none=True)
            self.scaler_generator.scale(total).backward()
            self.scaler_generator.step(self.opt_generator)
            self.scaler_generator.update()
        finally:
            self._discriminators_trainable(True)
        self._cached = (batch, out.image.detach())
        losses = {
            "g_total": total,
            "g_adv_landmark": adv_landmark,
            "g_adv_identity": adv_identity,
            "g_l1": l1,
            "g_perceptual": perceptual,
            "g_local": local,
        }
        if matching is not None:
            losses["g_feature_matching"] = matching
        if mask_mean is not None:
            losses["mask_mean"] = mask_mean  # how much of the output is the warped source (not a loss)
        return {k: float(v.detach()) for k, v in losses.items()}

    def discriminator_step(self, batch: PairBatch) -> dict[str, float]:
        """One update of D_L and D_I on `batch` (real: the driving frame; fake: the generator's output).

        Reuses the output of the preceding `generator_step` on the same batch; otherwise renders it.
        """
        cfg = self.config
        data = self._on_device(batch)
        if self._cached is not None and self._cached[0] is batch:
            fake = self._cached[1]
        else:
            with torch.no_grad(), self._autocast():
                fake = self.generator_ddp(data.source, data.source_landmarks, data.driving_landmarks).image
        self._cached = None
        b = len(data)
        with self._autocast():
            dtype = fake.dtype
            heat = self._driving_heatmaps(data.driving_landmarks).to(dtype)
            images = torch.cat([fake, data.driving.to(dtype)], 0)  # fake first, then real
            landmark_out = self.d_landmark_ddp(torch.cat([images, torch.cat([heat, heat], 0)], 1))
            source = data.source.to(dtype)
            identity_out = self.d_identity_ddp(torch.cat([images, torch.cat([source, source], 0)], 1))

            def split(output: list[list[torch.Tensor]]) -> tuple[list[list[torch.Tensor]], list[list[torch.Tensor]]]:
                return [[t[b:] for t in s] for s in output], [[t[:b] for t in s] for s in output]

            real_l, fake_l = discriminator_loss(*split(landmark_out), cfg.gan_mode)
            real_i, fake_i = discriminator_loss(*split(identity_out), cfg.gan_mode)
            total = real_l + fake_l + real_i + fake_i
        self.opt_discriminator.zero_grad(set_to_none=True)
        self.scaler_discriminator.scale(total).backward()
        self.scaler_discriminator.step(self.opt_discriminator)
        self.scaler_discriminator.update()
        losses = {
            "d_total": total,
            "d_landmark_real": real_l,
            "d_landmark_fake": fake_l,
            "d_identity_real": real_i,
            "d_identity_fake": fake_i,
        }
        return {k: float(v.detach()) for k, v in losses.items()}

    def _set_learning_rates(self) -> None:
        """The schedule's rates for the current step (a function of the step: nothing to checkpoint)."""
        factor = self.config.lr_factor(self.step)
        for optimizer, base in ((self.opt_generator, self.config.lr_generator),
                                (self.opt_discriminator, self.config.lr_discriminator)):
            for group in optimizer.param_groups:
                group["lr"] = base * factor

    def train_step(self, batch: PairBatch) -> dict[str, float]:
        """Generator then discriminators on one batch; advances the step and the sampler position."""
        self._set_learning_rates()
        losses = self.generator_step(batch)
        losses.update(self.discriminator_step(batch))
        self.step += 1
        self.samples_seen += len(batch)
        return losses

    # ------------------------------------------------------------------ evaluation and samples

    @torch.no_grad()
    def render(self, batch: PairBatch, chunk: int = 16) -> torch.Tensor:
        """The generator's results for `batch` in eval mode (as at inference), on the CPU."""
        was_training = self.generator.training
        self.generator.eval()
        try:
            results = []
            for start in range(0, len(batch), chunk):
                part = self._on_device(batch.slice(start, start + chunk))
                with self._autocast():
                    image = self.generator(part.source, part.source_landmarks, part.driving_landmarks).image
                results.append(image.float().cpu())
            return torch.cat(results)
        finally:
            self.generator.train(was_training)

    def holdout_l1(self, batch: PairBatch) -> float:
        """Mean absolute error to the ground truth on the 0-1 intensity scale, in eval mode."""
        return float((self.render(batch) - batch.driving.float()).abs().mean() / 2)

    def sample_grid(self, batch: PairBatch) -> np.ndarray:
        """Rows of source | driving landmarks | result | ground truth, (rows * R, 4 * R, 3) uint8."""
        results = self.render(batch)
        size = self.model_config.resolution
        rows = []
        for i in range(len(batch)):
            rows.append(np.concatenate([
                tensor_to_image(batch.source[i]),
                draw_landmarks(batch.driving_landmarks[i].numpy(), size),
                tensor_to_image(results[i]),
                tensor_to_image(batch.driving[i]),
            ], axis=1))
        return np.concatenate(rows, axis=0)

    # ------------------------------------------------------------------ checkpoints

    def train_state(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "samples_seen": self.samples_seen,
            "train_config": self.config.to_dict(),
            "perceptual": self.perceptual_kind,
            "vgg": self.vgg_description,
            "rng": _rng_state(),
            "scalers": {
                "generator": self.scaler_generator.state_dict(),
                "discriminator": self.scaler_discriminator.state_dict(),
            },
            "world_size": self.context.world_size,
            "init_from": self.init_from,
        }

    def save(self, path: str | Path, metadata: dict[str, Any] | None = None) -> Path:
        """Write a checkpoint atomically (every rank may call it; only rank 0 should)."""
        meta = {
            "perceptual": self.perceptual_kind,
            "perceptual_note": PERCEPTUAL_NOTES[self.perceptual_kind],
            "vgg": self.vgg_description,
            "torch": str(torch.__version__),
            "saved": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "step": self.step,  # shown by the app beside the model's name
            "init_from": self.init_from,
            **(metadata or {}),
        }
        return save_checkpoint(
            path,
            self.model_config,
            self.generator,
            discriminators={"landmark": self.d_landmark, "identity": self.d_identity},
            optimizers={"generator": self.opt_generator, "discriminator": self.opt_discriminator},
            train_state=self.train_state(),
            metadata=meta,
        )

    def load(self, checkpoint: Checkpoint) -> None:
        """Continue from `checkpoint`: networks, optimisers, step, sampler position, RNG and scalers."""
        require_config(checkpoint, self.model_config)
        path = checkpoint.path
        load_state(self.generator, checkpoint.generator, "generator", path)
        for name, module in (("landmark", self.d_landmark), ("identity", self.d_identity)):
            if name not in checkpoint.discriminators:
                raise ConfigError(
                    f"{path.name} has no {name} discriminator: it is an inference checkpoint, not a training "
                    "one; start a new run from its generator (--init-from) instead of resuming"
                )
            load_state(module, checkpoint.discriminators[name], f"{name} discriminator", path)
        try:
            self.opt_generator.load_state_dict(checkpoint.optimizers["generator"])
            self.opt_discriminator.load_state_dict(checkpoint.optimizers["discriminator"])
        except (KeyError, ValueError) as err:
            raise ConfigError(f"{path.name} holds no usable optimiser state ({err}): cannot resume from it") from err
        state = checkpoint.train_state
        self.step = int(state.get("step", 0))
        self.samples_seen = int(state.get("samples_seen", self.step * self.config.batch_size))
        scalers = state.get("scalers", {})
        if scalers.get("generator"):
            self.scaler_generator.load_state_dict(scalers["generator"])
        if scalers.get("discriminator"):
            self.scaler_discriminator.load_state_dict(scalers["discriminator"])
        _set_rng_state(state.get("rng", {}))
        started = state.get("init_from")
        self.init_from = dict(started) if isinstance(started, dict) else None
        previous = state.get("perceptual")
        if previous and previous != self.perceptual_kind:
            log.warning("%s was trained with the %s distance; this session uses %s", path.name, previous,
                        self.perceptual_kind)

    def start_from(self, checkpoint: Checkpoint) -> None:
        """A new run's generator starts as `checkpoint`'s (any checkpoint with a generator, a released one
        included); the discriminators, optimisers and step stay new. Its config must be this run's."""
        require_config(checkpoint, self.model_config)
        load_state(self.generator, checkpoint.generator, "generator", checkpoint.path)
        state, meta = checkpoint.train_state, checkpoint.metadata
        step = state.get("step", meta.get("step"))
        self.init_from = {
            "path": str(checkpoint.path.resolve()),
            "step": step if isinstance(step, int) and not isinstance(step, bool) else None,
            "generator_checksum": weights_checksum(checkpoint.generator),
        }
        if self.config.mask_bias is not None:
            log.info("train.mask_bias is not applied: the generator of %s keeps its trained blend mask",
                     checkpoint.path.name)

    def write_checkpoint(self, run_dir: Path) -> Path:
        """`checkpoints/step_NNNNNNN.pt`, then `latest.pt` pointed at it, then old numbered ones pruned.

        Each file appears complete or not at all; when the disk is full the previous `latest.pt` stays.
        """
        numbered = numbered_checkpoint(run_dir, self.step)
        folder = numbered.parent
        folder.mkdir(parents=True, exist_ok=True)
        self.save(numbered)
        latest = folder / LATEST_NAME
        with atomic_path(latest) as tmp:
            tmp.unlink()
            try:
                os.link(numbered, tmp)  # no second copy on disk
            except OSError:
                import shutil

                shutil.copyfile(numbered, tmp)
        if self.config.keep_checkpoints > 0:
            numbered_files = sorted(folder.glob("step_*.pt"))
            for old in numbered_files[: -self.config.keep_checkpoints]:
                old.unlink(missing_ok=True)
        return latest

    # ------------------------------------------------------------------ the loop

    def _loader(self, dataset: PairDataset) -> Iterator[PairBatch]:
        cfg = self.config
        sampler = PairSampler(len(dataset), cfg.seed, self.context.rank, self.context.world_size,
                              start=self.samples_seen)
        loader = DataLoader(
            dataset,
            batch_size=cfg.batch_size,
            sampler=sampler,
            num_workers=cfg.num_workers,
            collate_fn=PairBatch.collate,
            pin_memory=self.device.type == "cuda",
            drop_last=True,
            worker_init_fn=_worker_init if cfg.num_workers else None,
            persistent_workers=cfg.num_workers > 0,
        )
        return iter(loader)

    def train(
        self,
        dataset: PairDataset,
        run_dir: str | Path | None = None,
        cancel: CancelToken | None = None,
        holdout: PairBatch | None = None,
        log_extra: dict[str, Any] | None = None,
    ) -> ProgressStream[TrainResult]:
        """Train up to `config.steps`, yielding a `Progress` (payload `TrainProgress`) after every step.

        `run_dir` receives the log, samples and checkpoints (rank 0; None writes nothing). `holdout`
        pairs give the sample grid's rows and the `eval_every` L1; without them the first training
        pairs do. A set `cancel` ends the loop at the next step with a checkpoint.
        """
        cfg = self.config
        ctx = self.context
        writes = run_dir is not None and ctx.is_main
        run_dir = Path(run_dir) if run_dir is not None else None
        sample_pairs = holdout.head(4) if holdout is not None and len(holdout) else PairBatch.collate(
            [dataset[k] for k in range(min(4, len(dataset)))]
        )
        log_file = None
        if writes:
            assert run_dir is not None
            run_dir.mkdir(parents=True, exist_ok=True)
            write_text(run_dir / CONFIG_NAME, _yaml(run_config_dict(self.model_config, cfg)))
            log_file = open(run_dir / LOG_NAME, "a", encoding="utf-8")  # noqa: SIM115 - closed in finally
        history: list[dict[str, float]] = []

        def record(entry: dict[str, Any]) -> None:
            if log_file is not None:
                log_file.write(json.dumps(entry) + "\n")
                log_file.flush()

        start_step = self.step
        stopped = False
        checkpoint: Path | None = None
        saved_step = -1
        train_time = 0.0
        window: dict[str, float] = {}
        window_steps = 0
        window_time = 0.0
        rate = 0.0
        try:
            record({
                "event": "start",
                "step": self.step,
                "time": _now(),
                "perceptual": self.perceptual_kind,
                "perceptual_note": PERCEPTUAL_NOTES[self.perceptual_kind],
                "vgg": self.vgg_description,
                "device": describe(self.device),
                "world_size": ctx.world_size,
                "amp": str(self.amp_dtype).replace("torch.", "") if self.amp_dtype else "off",
                "model": self.model_config.to_dict(),
                "train": cfg.to_dict(),
                "init_from": self.init_from,
                **(log_extra or {}),
            })
            log.info("training with %s%s", PERCEPTUAL_NOTES[self.perceptual_kind],
                     f": {self.vgg_description}" if self.vgg_description else "")
            if holdout is not None and len(holdout) and cfg.eval_every and self.step == 0 and ctx.is_main:
                l1 = self.holdout_l1(holdout)
                record({"event": "eval", "step": 0, "holdout_l1": l1})
            batches = self._loader(dataset)
            while self.step < cfg.steps:
                if distributed.any_rank(cancel is not None and cancel.cancelled, ctx):
                    stopped = True
                    break
                tick = time.perf_counter()
                losses = self.train_step(next(batches))
                elapsed = time.perf_counter() - tick
                train_time += elapsed
                window_time += elapsed
                window_steps += 1
                for k, v in losses.items():
                    window[k] = window.get(k, 0.0) + v
                instant = 1.0 / elapsed if elapsed > 0 else 0.0
                rate = instant if rate == 0.0 else 0.9 * rate + 0.1 * instant  # smoothed, for the display
                payload = TrainProgress(self.step, cfg.steps, losses, rate)
                if self.step % cfg.log_every == 0 or self.step == cfg.steps:
                    means = distributed.mean_across_ranks({k: v / window_steps for k, v in window.items()}, ctx)
                    window_rate = window_steps / window_time if window_time > 0 else 0.0
                    entry = {"step": self.step, "time": _now(), "steps_per_s": window_rate, **means}
                    history.append(entry)
                    record(entry)
                    window, window_steps, window_time = {}, 0, 0.0
                if (holdout is not None and len(holdout) and cfg.eval_every and self.step % cfg.eval_every == 0
                        and ctx.is_main):
                    payload.holdout_l1 = self.holdout_l1(holdout)
                    record({"event": "eval", "step": self.step, "holdout_l1": payload.holdout_l1})
                if cfg.sample_every and self.step % cfg.sample_every == 0 and ctx.is_main:
                    payload.sample = self.sample_grid(sample_pairs)
                    if writes:
                        assert run_dir is not None
                        _write_png(run_dir / SAMPLES_DIR / f"step_{self.step:07d}.png", payload.sample)
                if cfg.checkpoint_every and self.step % cfg.checkpoint_every == 0:
                    if writes:
                        assert run_dir is not None
                        checkpoint = self.write_checkpoint(run_dir)
                        payload.checkpoint = checkpoint
                    saved_step = self.step
                    distributed.barrier(ctx)
                message = f"g {losses['g_total']:.3f} d {losses['d_total']:.3f} {rate:.2f} steps/s"
                yield Progress(self.step, cfg.steps, message, payload)
            if (self.step > start_step or stopped) and saved_step != self.step:
                if writes:
                    assert run_dir is not None
                    checkpoint = self.write_checkpoint(run_dir)
                distributed.barrier(ctx)
            steps_run = self.step - start_step
            result = TrainResult(
                step=self.step,
                steps_run=steps_run,
                steps_per_s=steps_run / train_time if train_time > 0 else 0.0,
                checkpoint=checkpoint,
                stopped=stopped,
                perceptual=self.perceptual_kind,
                vgg=self.vgg_description,
                history=history,
                init_from=self.init_from["path"] if self.init_from else None,
            )
            record({"event": "stop" if stopped else "end", "step": self.step, "time": _now(),
                    "steps_per_s": result.steps_per_s, "checkpoint": str(checkpoint) if checkpoint else None})
            return result
        finally:
            if log_file is not None:
                log_file.close()


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def _yaml(data: dict[str, Any]) -> str:
    import yaml

    return yaml.safe_dump(data, sort_keys=False)


def _write_png(path: Path, image: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    ok, encoded = cv2.imencode(".png", cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    if not ok:
        raise OutputError(f"cannot encode the sample image {path.name}")
    write_bytes(path, encoded.tobytes())


# ---------------------------------------------------------------------- setting up a run


@dataclass
class TrainingRun:
    """Everything a training session needs, built by `setup_run`; `stream()` is the loop."""

    trainer: Trainer
    dataset: PairDataset
    holdout: PairBatch | None
    run_dir: Path
    index: Any  # training.dataset.DatasetIndex
    resumed_from: Path | None = None

    @property
    def init_from(self) -> Path | None:
        """The checkpoint whose generator this run started from (None: new weights)."""
        started = self.trainer.init_from
        return Path(started["path"]) if started else None

    def stream(self, cancel: CancelToken | None = None) -> ProgressStream[TrainResult]:
        extra = {
            "dataset": str(self.index.root),
            "train_pairs_per_epoch": len(self.dataset),
            "train_clips": len(self.dataset.clips),
            "holdout_pairs": 0 if self.holdout is None else len(self.holdout),
            "resumed_from": str(self.resumed_from) if self.resumed_from else None,
        }
        return self.trainer.train(self.dataset, self.run_dir, cancel, self.holdout, extra)


def setup_run(
    data_dir: str | Path,
    run_dir: str | Path,
    model_config: ModelConfig,
    train_config: TrainConfig,
    device: torch.device | str = "cpu",
    context: DistContext | None = None,
    resume: Checkpoint | None = None,
) -> TrainingRun:
    """Open the dataset, split it by identity, build the losses and the trainer, and resume.

    Raises a `UserError` subclass with the fix for every problem a user can cause: no dataset, no
    usable pair, no VGG19 weights without an explicit fallback, a run folder that already holds a
    run (without `resume`), a checkpoint of another model config. A new run whose train config names
    `init_from` starts with that checkpoint's generator (`Trainer.start_from`).
    """
    from training.dataset import DatasetIndex, load_pairs
    from training.dataset import holdout_pairs as make_holdout
    from training.losses import build_perceptual

    run_dir = Path(run_dir)
    context = context or DistContext(device=torch.device(device))
    if resume is None and latest_checkpoint(run_dir).exists():
        raise ConfigError(
            f"{run_dir} already holds a training run ({latest_checkpoint(run_dir)}): pass --resume to continue "
            "it, or choose another --out"
        )
    index = DatasetIndex.open(data_dir)
    split = index.split(train_config.holdout_fraction, train_config.holdout_identities, train_config.seed)
    dataset = PairDataset(index, split.train, model_config.resolution, train_config, augment=True)
    specs = make_holdout(index, train_config.eval_pairs, train_config.seed, clips=split.holdout,
                         warp_strength=train_config.warp_strength)
    holdout = load_pairs(index, specs, model_config.resolution) if specs else None
    perceptual = build_perceptual(train_config.perceptual_layers, train_config.perceptual_weights,
                                  train_config.perceptual_fallback, train_config.vgg_weights,
                                  train_config.perceptual)
    trainer = Trainer(model_config, train_config, context.device, perceptual, context)
    if resume is not None:
        trainer.load(resume)
    elif train_config.init_from:
        from core.checkpoint import load_checkpoint

        trainer.start_from(load_checkpoint(train_config.init_from))
    return TrainingRun(trainer, dataset, holdout, run_dir, index, resume.path if resume is not None else None)
