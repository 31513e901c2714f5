"""Building kernel ops: outlining a group of tensorops into one kernel's body.

`outline(PointwiseKernelOp, ops)` moves `ops` (in one block, a convex group) into the body
of a new kernel: values they read from outside become the kernel's inputs (constants are
cloned in instead), values used outside become its results. The fusion passes and
`wrap-kernels` build every kernel through it, so that bodies always have one shape.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Sequence

from xdsl.ir import Block, Operation, Region, SSAValue
from xdsl.utils.exceptions import VerifyException

from mlang.dialects.kernel.ops import KernelOp, YieldOp
from mlang.dialects.tensorops import ConstantOp


class Group:
    """A set of ops of one block, with block positions for ordering and bounds."""

    def __init__(self, ops: Iterable[Operation]):
        self.ops: set[Operation] = set(ops)
        block = next(iter(self.ops)).parent_block()
        assert block is not None
        self.block = block
        self.index = {op: i for i, op in enumerate(block.ops)}

    def ordered(self) -> list[Operation]:
        """The group's ops in block order."""
        return sorted(self.ops, key=self.index.__getitem__)

    def inputs(self) -> list[SSAValue]:
        """Values read by the group and defined outside it (constants excluded)."""
        found: dict[SSAValue, None] = {}
        for op in self.ordered():
            for v in op.operands:
                if v.owner not in self.ops and not isinstance(v.owner, ConstantOp):
                    found.setdefault(v)
        return list(found)

    def outputs(self) -> list[SSAValue]:
        """Values defined by the group and used outside it."""
        return [
            r for op in self.ordered() for r in op.results
            if any(_top(use.operation, self.block) not in self.ops for use in r.uses)
        ]

    def depends_on_group(self, value: SSAValue) -> bool:
        """Whether `value` is computed, through ops outside the group, from a group op."""
        if not self.ops:
            return False
        first = min(self.index[op] for op in self.ops)
        stack, seen = [value], set[SSAValue]()
        while stack:
            v = stack.pop()
            owner = v.owner
            if v in seen or not isinstance(owner, Operation) or owner not in self.index:
                continue
            seen.add(v)
            if owner in self.ops:
                return True
            if self.index[owner] > first:
                stack.extend(owner.operands)
        return False

    def is_convex(self) -> bool:
        """Whether no path leaves the group and comes back into it."""
        return not any(
            self.depends_on_group(v)
            for v in self.inputs()
        )


def _top(op: Operation, block: Block) -> Operation:
    """The ancestor of `op` that sits directly in `block` (`op` itself if it does)."""
    while op.parent_block() is not block:
        parent = op.parent_op()
        if parent is None:
            return op
        op = parent
    return op


def build_kernel(
    kind: type[KernelOp], group: Group, inputs: Sequence[SSAValue], outputs: Sequence[SSAValue]
) -> KernelOp:
    """A detached kernel whose body clones the group's ops over block arguments for
    `inputs` (constants read from outside are cloned in) and yields `outputs`."""
    block = Block(arg_types=[v.type for v in inputs])
    mapping: dict[SSAValue, SSAValue] = {}
    for value, arg in zip(inputs, block.args):
        mapping[value] = arg
        arg.name_hint = value.name_hint
    for op in group.ordered():
        for v in op.operands:
            if v not in mapping and isinstance(v.owner, ConstantOp):
                constant = v.owner.clone()
                block.add_op(constant)
                mapping[v] = constant.result
        clone = op.clone(value_mapper=mapping)
        block.add_op(clone)
    # The kernel and its yield are where the group's last op was, so that diagnostics
    # about them point into the program rather than at nothing.
    where = group.ordered()[-1].location
    yield_ = YieldOp([mapping[v] for v in outputs])
    yield_.location = where
    block.add_op(yield_)
    kernel = kind(inputs, [v.type for v in outputs], Region(block))
    kernel.location = where
    return kernel


def outline(kind: type[KernelOp], ops: Iterable[Operation], check: bool = True) -> KernelOp | None:
    """Replaces `ops` by one kernel of `kind`; returns it, or None (changing nothing) when
    the group is not convex or, with `check`, the kernel would not verify."""
    group = Group(ops)
    if not group.is_convex():
        return None
    inputs, outputs = group.inputs(), group.outputs()
    if not outputs:
        return None  # nothing reads the group: dead code, not a kernel
    kernel = build_kernel(kind, group, inputs, outputs)
    if check:
        try:
            kernel.verify()
        except VerifyException:
            kernel.erase()
            return None
    ordered = group.ordered()
    group.block.insert_op_before(kernel, ordered[-1])
    for old, new in zip(outputs, kernel.results):
        new.name_hint = old.name_hint
        old.replace_all_uses_with(new)
    for op in reversed(ordered):
        group.block.erase_op(op, safe_erase=False)
    _erase_dead_constants(group.block)
    if _needs_sort(group.block):
        sort_block(group.block)
    return kernel


def _erase_dead_constants(block: Block) -> None:
    """Erases constants that no op reads any more (their readers cloned them)."""
    for op in list(block.ops):
        if isinstance(op, ConstantOp) and not op.result.uses:
            block.erase_op(op)


def _needs_sort(block: Block) -> bool:
    """Whether some op of `block` reads a value defined after it."""
    position: dict[Operation, int] = {op: i for i, op in enumerate(block.ops)}
    for op in block.ops:
        for v in _operands_deep(op):
            owner = v.owner  # A block argument (owner a Block) is defined before every op.
            if isinstance(owner, Operation) and position.get(owner, -1) > position[op]:
                return True
    return False


def _operands_deep(op: Operation) -> Iterable[SSAValue]:
    """The operands of `op` and of the ops nested in it."""
    for nested in op.walk():
        yield from nested.operands


def sort_block(block: Block) -> None:
    """Reorders `block` topologically, keeping the original order where it can (the
    terminator stays last)."""
    ops = list(block.ops)
    position = {op: i for i, op in enumerate(ops)}
    deps: dict[Operation, set[Operation]] = {op: set() for op in ops}
    for op in ops:
        for v in _operands_deep(op):
            owner = v.owner
            if isinstance(owner, Operation) and owner in position and owner is not op:
                deps[op].add(owner)
    done: set[Operation] = set()
    order: list[Operation] = []
    ready = [(position[op], op) for op in ops if not deps[op]]
    heapq.heapify(ready)
    queued = {op for _, op in ready}
    users: dict[Operation, list[Operation]] = {op: [] for op in ops}
    for op, ds in deps.items():
        for d in ds:
            users[d].append(op)
    while ready:
        _, op = heapq.heappop(ready)
        order.append(op)
        done.add(op)
        for u in users[op]:
            if u not in queued and deps[u] <= done:
                queued.add(u)
                heapq.heappush(ready, (position[u], u))
    if len(order) != len(ops):
        raise VerifyException("kernel outlining made a cycle")
    for op in ops:
        block.detach_op(op)
    for op in order:
        block.add_op(op)


def function_bodies(root: Operation) -> list[Block]:
    """The body blocks of the defined `func.func`s in `root`, where kernels are formed."""
    from xdsl.dialects import func

    functions = (f for f in root.walk() if isinstance(f, func.FuncOp))
    return [f.body.block for f in functions if not f.is_declaration]


def producer(value: SSAValue, block: Block) -> Operation | None:
    """The op of `block` (not inside a kernel) that defines `value`, if any."""
    owner = value.owner
    if isinstance(owner, Operation) and owner.parent_block() is block:
        return owner
    return None


def used_only_by(op: Operation, members: set[Operation]) -> bool:
    """Whether every use of `op`'s results is by an op in `members`."""
    return all(use.operation in members for r in op.results for use in r.uses)


def absorb_input_views(members: set[Operation], block: Block) -> None:
    """Adds to `members` the chains of layout ops that only they read, so that the kernel
    computes them on the host (as views) instead of a kernel of their own."""
    from mlang.dialects.kernel.body import VIEW_OPS
    from mlang.dialects.tensorops import ConcatOp

    grow_upwards(members, block, lambda p, _: (
        isinstance(p, (*VIEW_OPS, ConcatOp)) and _reads_no_members(p, members)))


def grow_upwards(members: set[Operation], block: Block,
                 joins: Callable[[Operation, SSAValue], bool]) -> None:
    """Adds to `members`, until nothing more joins, each producer in `block` of a member's
    operand `v` that only members read and for which `joins(producer, v)` holds."""
    changed = True
    while changed:
        changed = False
        for op in list(members):
            for v in op.operands:
                p = producer(v, block)
                if p is not None and p not in members and used_only_by(p, members) and joins(p, v):
                    members.add(p)
                    changed = True


def _reads_no_members(op: Operation, members: set[Operation]) -> bool:
    """Whether no operand of `op` is defined by a member (a view of a member's result
    would sit in the middle of the device ops)."""
    return all(v.owner not in members for v in op.operands)


def absorb_output_views(members: set[Operation], root: SSAValue, block: Block) -> SSAValue:
    """Adds the chain of `reshape`/`transpose` ops that alone read `root` (the kernel
    then writes its result through their inverse); returns the chain's last value."""
    from mlang.dialects.kernel.body import EPILOGUE_VIEWS

    while root.has_one_use():
        user = next(iter(root.uses)).operation
        if user.parent_block() is not block or not isinstance(user, EPILOGUE_VIEWS):
            break
        members.add(user)
        root = user.results[0]
    return root
