"""The printer of `kernel.attention`: FlashAttention-style streaming over keys.

One program per BLOCK_M queries of one batch entry (all leading dimensions, such as
batch and head, folded into grid axis 1). It loads its queries once, then walks the keys
in BLOCK_N steps, keeping a running row maximum `m`, running sum `l` and output
accumulator: scores of a key block (scaled, masked past the query when causal, and past
the last key) never leave the program. With a causal mask the walk stops after the
program's last query. The output is divided by `l` at the end and stored through the
kernel's output views (for instance straight into `[N, T, H * d]`).
"""

from __future__ import annotations

from xdsl.dialects.builtin import f32

from mlang.backends.triton.device import literal
from mlang.backends.triton.kernels import (
    KernelPrinter, KernelSource, _decompose, _offsets, static_shape,
)
from mlang.dialects.kernel import AttentionOp
from mlang.dialects.kernel.body import value_shape


class AttentionPrinter(KernelPrinter):
    """Prints one attention kernel and its wrapper."""

    op: AttentionOp

    def print(self) -> KernelSource:
        """The kernel's jit function and wrapper."""
        pattern = self.op.pattern(self.body)
        nbatch = len(value_shape(pattern.q)) - 2
        self.wrapper_prologue()
        h = self.host.lines
        q, kt, v = (self.host.use(x) for x in (pattern.q, pattern.kt, pattern.v))
        h.append(f"batch = launch.broadcast_shape([{q}.shape[:-2], {kt}.shape[:-2], "
                 f"{v}.shape[:-2]], {static_shape((None,) * nbatch)})")
        h.append(f"tq, d, tk, dv = {q}.shape[-2], {q}.shape[-1], {kt}.shape[-1], {v}.shape[-1]")
        h.append("shape = batch + (tq, dv)")
        out = self.body.outputs[0]
        buffer = self.allocate(out, 0, "shape")
        zs = [f"z{i}" for i in range(nbatch)]
        zsizes = [f"zsize{i}" for i in range(1, nbatch)]
        t = self.tile
        t.line("rm = tl.program_id(0) * BLOCK_M + tl.arange(0, BLOCK_M)")
        t.line("rd = tl.arange(0, BLOCK_D)")
        t.line("rv = tl.arange(0, BLOCK_DV)")
        if zs:
            _decompose(t, "tl.program_id(1)", zsizes, zs)
        self.sig.ints += ["TQ", "D", "TK", "DV", *zsizes]
        stride_args = []
        strides = {}
        for name, value, space in (("q", pattern.q, "(tq, d)"), ("kt", pattern.kt, "(d, tk)"),
                                   ("v", pattern.v, "(tk, dv)")):
            self.sig.pointers.append(name)
            strides[name] = [f"{name}_st{i}" for i in range(nbatch + 2)]
            self.sig.ints += strides[name]
            stride_args.append(f"*launch.strides({self.host.use(value)}, batch + {space})")
        self.sig.pointers.append("out")
        strides["out"] = [f"out_st{i}" for i in range(nbatch + 2)]
        self.sig.ints += strides["out"]
        stride_args.append(f"*launch.strides({buffer}.kernel, shape)")

        def base(name: str) -> list[tuple[str, str]]:
            return list(zip(zs, strides[name][:nbatch]))

        qs, ks, vs, os_ = strides["q"], strides["kt"], strides["v"], strides["out"]
        q_off = _offsets([*base("q"), ("rm[:, None]", qs[-2]), ("rd[None, :]", qs[-1])])
        t.line(f"q_tile = tl.load(q + {q_off}, mask=(rm < TQ)[:, None] & (rd < D)[None, :], "
               "other=0).to(tl.float32)")
        t.line('m_i = tl.full((BLOCK_M,), float("-inf"), dtype=tl.float32)')
        t.line("l_i = tl.zeros((BLOCK_M,), dtype=tl.float32)")
        t.line("acc = tl.zeros((BLOCK_M, BLOCK_DV), dtype=tl.float32)")
        hi = "tl.minimum(TK, (tl.program_id(0) + 1) * BLOCK_M)" if pattern.causal else "TK"
        t.line(f"for n0 in range(0, {hi}, BLOCK_N):")
        k_off = _offsets([*base("kt"), ("rd[:, None]", ks[-2]), ("rn[None, :]", ks[-1])])
        v_off = _offsets([*base("v"), ("rn[:, None]", vs[-2]), ("rv[None, :]", vs[-1])])
        scale = literal(pattern.scale, f32)
        loop = [
            "rn = n0 + tl.arange(0, BLOCK_N)",
            f"k_tile = tl.load(kt + {k_off}, mask=(rd < D)[:, None] & (rn < TK)[None, :], "
            "other=0).to(tl.float32)",
            f's = tl.dot(q_tile, k_tile, input_precision="ieee") * {scale}',
            's = tl.where((rn < TK)[None, :], s, float("-inf"))',
        ]
        if pattern.causal:
            loop.append('s = tl.where(rn[None, :] > rm[:, None], float("-inf"), s)')
        loop += [
            "m_new = tl.maximum(m_i, tl.max(s, axis=1))",
            "alpha = tl.exp(m_i - m_new)",
            "p = tl.exp(s - m_new[:, None])",
            "l_i = l_i * alpha + tl.sum(p, axis=1)",
            f"v_tile = tl.load(v + {v_off}, mask=(rn < TK)[:, None] & (rv < DV)[None, :], "
            "other=0).to(tl.float32)",
            'acc = acc * alpha[:, None] + tl.dot(p, v_tile, input_precision="ieee")',
            "m_i = m_new",
        ]
        t.lines += [f"    {line}" for line in loop]
        t.line("acc = acc / l_i[:, None]")
        o_off = _offsets([*base("out"), ("rm[:, None]", os_[-2]), ("rv[None, :]", os_[-1])])
        t.line(f"tl.store(out + {o_off}, acc.to(out.dtype.element_ty), "
               "mask=(rm < TQ)[:, None] & (rv < DV)[None, :])")
        self.sig.constexprs += ["BLOCK_M", "BLOCK_N", "BLOCK_D", "BLOCK_DV"]
        h.append("z = launch.numel(batch)")
        args = [q, kt, v, f"{buffer}.kernel", "tq", "d", "tk", "dv", "*batch[1:]", *stride_args]
        self.launch("tq > 0 and z > 0", "(triton.cdiv(tq, BLOCK_M), z)", args, "(tq, tk, d, z)",
                    {"BLOCK_D": "launch.row_block(d, 16)", "BLOCK_DV": "launch.row_block(dv, 16)"})
        self.returns({0: buffer})
        return self.source()
