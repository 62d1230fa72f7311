"""A hostile train config cannot slip a non-finite number past the checks: every number field, the newer
small-data ones (warped_weight, mask_penalty, mask_bias, max_still_share) included, refuses NaN and
infinities with its name, from Python and from a YAML file given to `main.py train` (exit 2, one line)."""

from __future__ import annotations

import json
import math
from dataclasses import fields
from pathlib import Path
from typing import get_type_hints

import pytest

from core.errors import ConfigError
from main import main
from training.config import TrainConfig

NON_FINITE = (math.nan, math.inf, -math.inf)


def _number_fields() -> list[str]:
    hints = get_type_hints(TrainConfig)
    return [f.name for f in fields(TrainConfig) if hints[f.name] in (float, float | None)]


def test_the_newer_fields_are_number_fields() -> None:
    assert {"warped_weight", "mask_penalty", "mask_bias", "max_still_share"} <= set(_number_fields())


@pytest.mark.parametrize("name", _number_fields())
def test_every_number_field_refuses_nan_and_infinities_by_name(name: str) -> None:
    for value in NON_FINITE:
        with pytest.raises(ConfigError, match=rf"{name} must be a finite number, got {value}"):
            TrainConfig.from_dict({name: value})


@pytest.mark.parametrize(("name", "literal"), [("warped_weight", ".nan"), ("mask_penalty", ".inf"),
                                               ("mask_bias", "-.inf")])
def test_a_yaml_config_with_a_non_finite_weight_exits_2_with_one_line(
    synthetic_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, literal: str
) -> None:
    config = tmp_path / "hostile.yaml"
    config.write_text(f"train:\n  {name}: {literal}\n")
    code = main(["train", "--data", str(synthetic_data), "--out", str(tmp_path / "run"), "--config", str(config),
                 "--json"])
    captured = capsys.readouterr()
    error = json.loads(captured.out.strip().splitlines()[-1])["error"]
    assert code == 2 and f"{name} must be a finite number" in error
    assert "Traceback" not in captured.err and not (tmp_path / "run" / "checkpoints").exists()
