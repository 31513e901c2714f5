"""Triton tests keep generated modules in a private cache (`tests/conftest.py` switches
Triton's interpreter on for the whole session)."""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("MLANG_CACHE_DIR", tempfile.mkdtemp(prefix="mlang-triton-tests-"))
