"""`test-statistics`: a test-only pass that counts ops, to exercise pass statistics."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass

from mlang.support.pass_statistics import Statistic


@dataclass(frozen=True)
class TestStatistics(ModulePass):
    """Test pass: counts the ops and blocks it walks, changing nothing."""

    name = "test-statistics"

    num_ops: ClassVar[Statistic] = Statistic("num-ops", "Number of operations visited")
    num_blocks: ClassVar[Statistic] = Statistic("num-blocks", "Number of blocks visited")

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        """Counts every op and block nested in `op`, `op` included."""
        for nested in op.walk():
            self.num_ops.add()
            self.num_blocks.add(sum(len(region.blocks) for region in nested.regions))
