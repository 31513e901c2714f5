"""Sizes known only at run time (M 0.2): one compiled model instance serves every
sequence length and batch size, and agrees with a model written with static sizes."""

from __future__ import annotations

from pathlib import Path

import mlang
import pytest
import torch
from click.testing import CliRunner
from mlang.tools.mrun import main as mrun_main

LAYERS = """
    wte = Embedding(vocab, dim)
    param wpe: f32[ctx, dim] = zeros([ctx, dim])
    qkv = Linear(dim, dim)
    head = Linear(dim, vocab)
"""
DYNAMIC = f"""
model TinyLM(vocab: int, dim: int, heads: int, ctx: int) {{{LAYERS}
    fn forward(ids: i64[N, T]) -> f32[N, T, vocab] {{
        let n = shape(ids)[0]
        let t = shape(ids)[1]
        let pos = cast(reshape(arange(t), [1, t, 1]), f32)
        let h = wte(ids) + wpe[:t] + pos + zeros([n, t, dim])
        let q = reshape(qkv(h), [n, t, heads, dim / heads])
        let k = q[:, :t, 1]
        return head(reshape(q, [n, t, dim]) + ones([n, t, dim]) + k[:, :, :1])
    }}
}}
"""
STATIC = f"""
model StaticLM(vocab: int, dim: int, heads: int, ctx: int, t: int) {{{LAYERS}
    fn forward(ids: i64[N, t]) -> f32[N, t, vocab] {{
        let pos = cast(reshape(arange(t), [1, t, 1]), f32)
        let h = wte(ids) + wpe[0:t] + pos + zeros([1, t, dim])
        let q = reshape(qkv(h), [-1, t, heads, dim / heads])
        let k = q[:, 0:t, 1]
        return head(reshape(q, [-1, t, dim]) + ones([1, t, dim]) + k[:, :, :1])
    }}
}}
"""
HOST_LOOP = DYNAMIC + """
seed(0)
let net = TinyLM(16, 8, 2, 32)
let ids = tensor([[1, 2, 3], [4, 5, 6]])
for i in 0..4 {
    let next = argmax(net(ids)[:, -1], axis=-1)
    ids = concat([ids, reshape(next, [2, 1])], axis=1)
}
print(ids)
"""
BACKENDS = ["reference", "torch", "triton"]


def static_reference(dynamic: mlang.Model, ids: torch.Tensor, backend: str) -> torch.Tensor:
    """The output of the same weights in the model written with static sizes."""
    length = ids.shape[1]
    static = mlang.compile(STATIC, backend=backend).StaticLM(16, 8, 2, 32, length)
    for name, tensor in static.parameters().items():
        tensor.data.copy_(dynamic.parameters()[name])
    result = static(ids)
    assert isinstance(result, torch.Tensor)
    return result


@pytest.mark.parametrize("backend", BACKENDS)
def test_one_instance_serves_every_length_and_batch(backend: str,
                                                    generated_code: list[str]) -> None:
    generated = generated_code
    torch.manual_seed(0)
    net = mlang.compile(DYNAMIC, backend=backend).TinyLM(16, 8, 2, 32)
    compiled = net._instance.compiled
    made = len(generated)
    assert made == (0 if backend == "reference" else 1)  # the reference generates nothing
    inputs = [torch.randint(0, 16, size) for size in [(2, 3), (2, 4), (1, 5), (3, 8), (3, 9)]]
    outputs = [net(ids) for ids in inputs]
    assert len(generated) == made and net._instance.compiled is compiled
    for ids, out in zip(inputs, outputs):
        assert out.shape == (*ids.shape, 16)
        torch.testing.assert_close(out, static_reference(net, ids, backend), rtol=1e-4,
                                   atol=1e-5)


def test_a_host_loop_grows_ids_through_one_model_on_every_backend(tmp_path: Path) -> None:
    path = tmp_path / "grow.m"
    path.write_text(HOST_LOOP)
    outputs = set()
    for backend in BACKENDS:
        result = CliRunner().invoke(mrun_main, ["--backend", backend, str(path)])
        assert result.exit_code == 0, (result.output, result.exc_info)
        rows = tuple(result.stdout.splitlines()[-2:])
        assert all(len(row.split()) == 7 for row in rows), rows  # 3 ids and 4 new ones
        outputs.add(rows)
    assert len(outputs) == 1
