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

# The console scripts (mopt, mrun) of the Python running lit come first, then the
# caller's PATH for filecheck and the rest.
config.environment["PATH"] = os.pathsep.join(
    [os.path.dirname(sys.executable), os.environ.get("PATH", "")]
)

config.substitutions.append(("%mopt", "mopt"))
# Custom format, reparsed and printed generic, reparsed and printed custom again.
config.substitutions.append(("%roundtrip", "mopt %s | mopt --print-op-generic | mopt"))
