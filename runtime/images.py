"""Image folders: one sub-folder per class, read with Pillow into `f32[N, 3, H, W]`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from mlang.runtime.datasets import Dataset
from mlang.support.diagnostics import UserError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")


def load_images(folder: Path, size: list[int] | None) -> Dataset:
    """Every image under `folder/CLASS/`, resized to `size` = [H, W], RGB in [0, 1]; the
    labels are class indices, the classes the sub-folder names in sorted order."""
    if size is None or len(size) != 2 or any(s <= 0 for s in size):
        raise UserError(f"loading the image folder '{folder}' needs size=[H, W] (two positive "
                        f"sizes), got {size}")
    classes = sorted(p.name for p in folder.iterdir() if p.is_dir())
    if not classes:
        raise UserError(f"'{folder}' has no sub-folders; an image folder holds one sub-folder "
                        "of images per class")
    images: list[np.ndarray] = []
    labels: list[int] = []
    for label, name in enumerate(classes):
        files = sorted(p for p in (folder / name).iterdir()
                       if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
        if not files:
            raise UserError(f"class folder '{folder / name}' holds no images "
                            f"({', '.join(IMAGE_SUFFIXES)})")
        images.extend(_read_image(f, size[0], size[1]) for f in files)
        labels.extend([label] * len(files))
    x = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).float().div_(255.0)
    return Dataset(x.contiguous(), torch.tensor(labels, dtype=torch.int64),
                   classes=tuple(classes))


def _read_image(path: Path, height: int, width: int) -> np.ndarray:
    """One image as uint8 `[H, W, 3]`."""
    try:
        with Image.open(path) as image:
            rgb = image.convert("RGB").resize((width, height), Image.Resampling.BILINEAR)
            return np.asarray(rgb, dtype=np.uint8)
    except (OSError, UnidentifiedImageError, ValueError) as err:
        raise UserError(f"cannot read the image '{path}': {err}") from None
