"""Learning-rate schedules of `fit(schedule=..., warmup=...)`.

Each schedule is the multiplier of the base learning rate for optimizer step `step`
(0-based), the formulas of Hugging Face `transformers`' `get_constant_schedule_with_warmup`,
`get_linear_schedule_with_warmup` and `get_cosine_schedule_with_warmup`, so that a recipe
written for one gives the same learning rates in the other. A pure function of the step
keeps the schedule's checkpointed state to one number.
"""

from __future__ import annotations

import math
from collections.abc import Callable

Schedule = Callable[[int, int, int], float]
"""A multiplier of the base learning rate from (step, warmup steps, total steps)."""


def _warming(step: int, warmup: int) -> float | None:
    """The linear warmup's multiplier while `step` is inside it, else None."""
    return step / max(1, warmup) if step < warmup else None


def constant(step: int, warmup: int, total: int) -> float:
    """1 after a linear warmup."""
    warm = _warming(step, warmup)
    return 1.0 if warm is None else warm


def linear(step: int, warmup: int, total: int) -> float:
    """A linear decay to 0 at `total` after a linear warmup."""
    warm = _warming(step, warmup)
    if warm is not None:
        return warm
    return max(0.0, (total - step) / max(1, total - warmup))


def cosine(step: int, warmup: int, total: int) -> float:
    """Half a cosine wave from 1 to 0 at `total` after a linear warmup."""
    warm = _warming(step, warmup)
    if warm is not None:
        return warm
    progress = (step - warmup) / max(1, total - warmup)
    return max(0.0, 0.5 * (1.0 + math.cos(math.pi * progress)))


SCHEDULES: dict[str, Schedule] = {"constant": constant, "linear": linear, "cosine": cosine}
"""The schedules by the name `fit` takes."""
