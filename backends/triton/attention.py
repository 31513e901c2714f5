"""The printer of `kernel.attention`: FlashAttention-style streaming over keys.

One program per BLOCK_M queries of BLOCK_Z batch entries (all leading dimensions, such
as batch and head, folded into grid axis 1). It loads its queries once, then walks the
keys in BLOCK_N steps, keeping a running row maximum `m`, running sum `l` and output
accumulator: scores of a key block (scaled, masked past the query when causal, and past
the last key; then by the kernel's mask, a boolean one choosing -inf where false, a float
one added, loaded through its broadcast strides) never leave the program. With a mask, a
row whose keys so far are all masked keeps a zero sum (its maximum taken as 0, not -inf,
so that no `-inf - -inf` makes a NaN); a row masked everywhere divides 0 by 0, as
PyTorch's softmax of all -inf gives NaN. With a causal mask the walk stops after the
program's last query. The output is divided by `l` at the end and stored through the
kernel's output views (for instance straight into `[N, T, H * d]`).

Grouped-query heads (`pattern.groups` query heads per key/value head) are read in place:
the kernel takes keys and values with their own head count and loads key/value head
`h // groups` for query head `h`, so they are never repeated in memory.

With BLOCK_Z = 1 (the GPU choice) tiles are 2-d; with more, every tile gains a leading
batch axis and products are batched `tl.dot`s: the Triton interpreter then runs many
heads per program, which it needs for short sequences (it pays per program).
"""

from __future__ import annotations

import math

from xdsl.dialects.builtin import f32, i1

from mlang.backends.triton.device import constant, literal
from mlang.backends.triton.kernels import (
    KernelPrinter, KernelSource, decompose_index, static_shape, strided_offsets,
)
from mlang.dialects.kernel import AttentionKernelOp
from mlang.dialects.kernel.body import value_shape
from mlang.dialects.tensorops.base import tensor_type_of


class AttentionPrinter(KernelPrinter):
    """Prints one attention kernel and its wrapper."""

    op: AttentionKernelOp

    def print(self) -> KernelSource:
        """The kernel's jit function and wrapper."""
        pattern = self.op.pattern(self.body)
        nbatch = len(value_shape(pattern.q)) - 2
        batched = self.block_sizes.get("BLOCK_Z", 1) > 1
        # Index vectors are broadcast to tiles by these suffixes: rows, columns, batch.
        row, col, zz = ("[None, :, None]", "[None, None, :]", "[:, None, None]") if batched \
            else ("[:, None]", "[None, :]", "")
        self.wrapper_prologue(pattern.repeats)
        h, t = self.host.lines, self.tile
        groups = pattern.groups
        if pattern.grouped is not None:
            keys, values = (self.host.use(x) for x in pattern.grouped)
            self.host.define(pattern.kt, f"{keys}.transpose(-1, -2)")
            self.host.define(pattern.v, values)
        q, kt, v = (self.host.use(x) for x in (pattern.q, pattern.kt, pattern.v))
        # Grouped keys and values have `groups` times fewer heads (the last batch axis).
        kv_batches = [f"{x}.shape[:-2]" if groups == 1 else
                      f"({x}.shape[:-3] + ({x}.shape[-3] * {groups},))" for x in (kt, v)]
        h.append(f"batch = launch.broadcast_shape([{q}.shape[:-2], {', '.join(kv_batches)}], "
                 f"{static_shape((None,) * nbatch)})")
        kv_batch = "batch" if groups == 1 else f"(batch[:-1] + (batch[-1] // {groups},))"
        h.append(f"tq, d, tk, dv = {q}.shape[-2], {q}.shape[-1], {kt}.shape[-1], {v}.shape[-1]")
        h.append("shape = batch + (tq, dv)")
        buffer = self.allocate(self.body.outputs[0], 0, "shape")
        zs = [f"z{i}" for i in range(nbatch)]
        zsizes = [f"zsize{i}" for i in range(1, nbatch)]
        t.line("rm = tl.program_id(0) * BLOCK_M + tl.arange(0, BLOCK_M)")
        t.line("rd = tl.arange(0, BLOCK_D)")
        t.line("rv = tl.arange(0, BLOCK_DV)")
        if batched:
            t.line("rz = tl.program_id(1) * BLOCK_Z + tl.arange(0, BLOCK_Z)")
            t.line(f"zmask = (rz < Z){zz}")
        if zs:
            decompose_index(t, "rz" if batched else "tl.program_id(1)", zsizes, zs)
        self.sig.ints += ["TQ", "D", "TK", "DV", "Z", *zsizes]
        stride_args, strides = [], {}
        operands = [("q", pattern.q, "(tq, d)"), ("kt", pattern.kt, "(d, tk)"),
                    ("v", pattern.v, "(tk, dv)"), ("out", None, "")]
        if pattern.mask is not None:
            operands.append(("mask", pattern.mask, "(tq, tk)"))
        for name, value, space in operands:
            self.sig.pointers.append(name)
            strides[name] = [f"{name}_st{i}" for i in range(nbatch + 2)]
            self.sig.ints += strides[name]
            tensor = f"{buffer}.kernel" if value is None else self.host.use(value)
            over = kv_batch if name in ("kt", "v") else "batch"
            stride_args.append(f"*launch.strides({tensor}, {over} + {space or '(tq, dv)'})")
        # Query head h reads key/value head h // groups.
        kv_zs = zs if groups == 1 else [*zs[:-1], f"({zs[-1]} // {groups})"]

        def offsets(name: str, second: str, last: str) -> str:
            st = strides[name]
            batch_index = kv_zs if name in ("kt", "v") else zs
            terms = [(f"{z}{zz}", s) for z, s in zip(batch_index, st[:nbatch])]
            return strided_offsets([*terms, (second, st[-2]), (last, st[-1])])

        zmask = "zmask & " if batched else ""
        lead = "BLOCK_Z, " if batched else ""
        red = 2 if batched else 1
        expand = "[:, :, None]" if batched else "[:, None]"
        q_mask = f"{zmask}(rm < TQ){row} & (rd < D){col}"
        t.line(f"q_tile = tl.load(q + {offsets('q', f'rm{row}', f'rd{col}')}, mask={q_mask}, "
               "other=0).to(tl.float32)")
        t.line(f"m_i = tl.full(({lead}BLOCK_M,), {literal(-math.inf, f32)}, dtype=tl.float32)")
        t.line(f"l_i = tl.zeros(({lead}BLOCK_M,), dtype=tl.float32)")
        t.line(f"acc = tl.zeros(({lead}BLOCK_M, BLOCK_DV), dtype=tl.float32)")
        hi = "tl.minimum(TK, (tl.program_id(0) + 1) * BLOCK_M)" if pattern.causal else "TK"
        t.line(f"for n0 in range(0, {hi}, BLOCK_N):")
        scale, minus_inf = constant(pattern.scale, f32), constant(-math.inf, f32)
        k_mask = f"{zmask}(rd < D){row} & (rn < TK){col}"
        v_mask = f"{zmask}(rn < TK){row} & (rv < DV){col}"
        loop = [
            "rn = n0 + tl.arange(0, BLOCK_N)",
            (f"k_tile = tl.load(kt + {offsets('kt', f'rd{row}', f'rn{col}')}, mask={k_mask}, "
             "other=0).to(tl.float32)"),
            f's = tl.dot(q_tile, k_tile, input_precision="ieee") * {scale}',
            f"s = tl.where((rn < TK){col}, s, {minus_inf})",
        ]
        if pattern.causal:
            loop.append(f"s = tl.where(rn{col} > rm{row}, {minus_inf}, s)")
        if pattern.mask is not None:
            m_mask = f"{zmask}(rm < TQ){row} & (rn < TK){col}"
            load = f"tl.load(mask + {offsets('mask', f'rm{row}', f'rn{col}')}, mask={m_mask}"
            if tensor_type_of(pattern.mask).element_type == i1:
                loop.append(f"s = tl.where({load}, other=0) != 0, s, {minus_inf})")
            else:
                loop.append(f"s = s + {load}, other=0).to(tl.float32)")
        loop += [
            f"m_new = tl.maximum(m_i, tl.max(s, axis={red}))",
            *([f"m_new = tl.where(m_new == {minus_inf}, 0.0, m_new)"] if pattern.mask else []),
            "alpha = tl.exp(m_i - m_new)",
            f"p = tl.exp(s - m_new{expand})",
            f"l_i = l_i * alpha + tl.sum(p, axis={red})",
            (f"v_tile = tl.load(v + {offsets('v', f'rn{row}', f'rv{col}')}, mask={v_mask}, "
             "other=0).to(tl.float32)"),
            f'acc = acc * alpha{expand} + tl.dot(p, v_tile, input_precision="ieee")',
            "m_i = m_new",
        ]
        t.lines += [f"    {line}" for line in loop]
        t.line(f"acc = acc / l_i{expand}")
        o_mask = f"{zmask}(rm < TQ){row} & (rv < DV){col}"
        t.line(f"tl.store(out + {offsets('out', f'rm{row}', f'rv{col}')}, "
               f"acc.to(out.dtype.element_ty), mask={o_mask})")
        self.sig.constexprs += ["BLOCK_M", "BLOCK_N", "BLOCK_Z", "BLOCK_D", "BLOCK_DV"]
        h.append("z = launch.numel(batch)")
        mask_arg = [self.host.use(pattern.mask)] if pattern.mask is not None else []
        args = [q, kt, v, f"{buffer}.kernel", *mask_arg, "tq", "d", "tk", "dv", "z",
                "*batch[1:]", *stride_args]
        self.launch("tq > 0 and z > 0", "(triton.cdiv(tq, BLOCK_M), triton.cdiv(z, BLOCK_Z))",
                    args, "(tq, tk, d, z)",
                    {"BLOCK_D": "launch.row_block(d, 16)", "BLOCK_DV": "launch.row_block(dv, 16)"})
        self.returns({0: buffer})
        return self.source()
