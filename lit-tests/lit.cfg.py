"""lit configuration for mlang's FileCheck tests: `lit -v lit-tests`."""

# ruff: noqa: F821 (lit runs this file with `config` defined)

import os
import sys

import lit.formats

config.name = "mlang"
config.test_format = lit.formats.ShTest()
config.suffixes = [".mlir", ".m"]
config.test_source_root = os.path.dirname(os.path.abspath(__file__))
config.excludes = ["lit.cfg.py", "Inputs"]

# mopt and mrun run this checkout's code (installed or not: see tests/checkout_shim.py),
# then the console scripts of the Python running lit, then the caller's PATH for filecheck.
sys.path.insert(0, os.path.join(os.path.dirname(config.test_source_root), "tests"))
import checkout_shim  # noqa: E402

_shim = checkout_shim.environment(
    {"PATH": os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")])}
)
config.environment["PATH"] = _shim["PATH"]
config.environment["PYTHONPATH"] = _shim["PYTHONPATH"]

config.substitutions.append(("%mopt", "mopt"))
# Custom format, reparsed and printed generic, reparsed and printed custom again.
config.substitutions.append(("%roundtrip", "mopt %s | mopt --print-op-generic | mopt"))
