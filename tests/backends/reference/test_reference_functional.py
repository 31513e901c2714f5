"""Parity of the reference layers and tensor functions with torch.nn modules and torch ops."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
import torch
import torch.nn.functional as TF
from torch import nn

from mlang.backends.reference import functional as F
from mlang.support.diagnostics import UserError


def close(actual: torch.Tensor, expected: torch.Tensor) -> None:
    """float32 agreement to 1e-5 relative (with a small absolute floor near zero)."""
    torch.testing.assert_close(actual, expected, rtol=1e-5, atol=1e-6)


@pytest.fixture(autouse=True)
def _seeded() -> None:
    torch.manual_seed(1234)


# ---------------------------------------------------------------------------- layers


@pytest.mark.parametrize("shape", [(1, 5), (7, 5), (2, 3, 5), (2, 1, 4, 5)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_nn_linear(shape: tuple[int, ...], bias: bool) -> None:
    layer = nn.Linear(5, 3, bias=bias)
    x = torch.randn(shape)
    close(F.linear(x, layer.weight, layer.bias), layer(x))


@pytest.mark.parametrize(
    ("n", "c", "h", "w", "k", "stride", "padding"),
    [(1, 1, 5, 5, 3, 1, 0), (2, 3, 7, 9, 3, 2, 1), (1, 2, 4, 6, 1, 1, 0), (3, 4, 8, 8, 5, 1, 2)],
)
def test_conv2d_matches_nn_conv2d(
    n: int, c: int, h: int, w: int, k: int, stride: int, padding: int
) -> None:
    layer = nn.Conv2d(c, 6, k, stride=stride, padding=padding)
    x = torch.randn(n, c, h, w)
    close(F.conv2d(x, layer.weight, layer.bias, stride, padding), layer(x))


def test_conv2d_without_bias() -> None:
    layer = nn.Conv2d(2, 3, 3, bias=False)
    x = torch.randn(1, 2, 5, 4)
    close(F.conv2d(x, layer.weight, None), layer(x))


@pytest.mark.parametrize("shape", [(1,), (4,), (2, 7)])
def test_embedding_matches_nn_embedding(shape: tuple[int, ...]) -> None:
    layer = nn.Embedding(10, 6)
    ids = torch.randint(0, 10, shape)
    close(F.embedding(ids, layer.weight), layer(ids))


@pytest.mark.parametrize("bad", [-1, 10])
def test_embedding_rejects_out_of_range_ids(bad: int) -> None:
    with pytest.raises(UserError, match=f"{bad} is out of range"):
        F.embedding(torch.tensor([0, bad]), torch.randn(10, 3))


@pytest.mark.parametrize("shape", [(1, 8), (3, 8), (2, 5, 8)])
def test_layer_norm_matches_nn_layer_norm(shape: tuple[int, ...]) -> None:
    layer = nn.LayerNorm(8, eps=1e-5)
    with torch.no_grad():
        layer.weight.normal_()
        layer.bias.normal_()
    x = torch.randn(shape)
    close(F.layer_norm(x, layer.weight, layer.bias, 1e-5), layer(x))


@pytest.mark.parametrize("shape", [(1, 8), (3, 8), (2, 5, 8)])
def test_rms_norm_matches_nn_rms_norm(shape: tuple[int, ...]) -> None:
    layer = nn.RMSNorm(8, eps=1e-6)
    with torch.no_grad():
        layer.weight.normal_()
    x = torch.randn(shape)
    close(F.rms_norm(x, layer.weight, 1e-6), layer(x))


def _attention_via_mha(
    x: torch.Tensor, heads: int, causal: bool
) -> tuple[torch.Tensor, torch.Tensor]:
    """`(ours, torch's)` outputs of one randomly initialised multi-head attention."""
    n, t, dim = x.shape
    mha = nn.MultiheadAttention(dim, heads, batch_first=True)
    with torch.no_grad():
        mha.in_proj_bias.normal_()
        mha.out_proj.bias.normal_()
    q_w, k_w, v_w = mha.in_proj_weight.chunk(3)
    q_b, k_b, v_b = mha.in_proj_bias.chunk(3)
    ours = F.attention(
        x, q_w, q_b, k_w, k_b, v_w, v_b, mha.out_proj.weight, mha.out_proj.bias, heads, causal
    )
    mask = torch.ones(t, t, dtype=torch.bool).triu(1) if causal else None
    theirs, _ = mha(x, x, x, attn_mask=mask, need_weights=False)
    return ours, theirs


@pytest.mark.parametrize(
    ("n", "t", "dim", "heads"), [(1, 1, 4, 1), (2, 5, 8, 2), (3, 7, 12, 4), (1, 6, 6, 6)]
)
@pytest.mark.parametrize("causal", [False, True])
def test_attention_matches_multihead_attention(
    n: int, t: int, dim: int, heads: int, causal: bool
) -> None:
    with torch.no_grad():
        close(*_attention_via_mha(torch.randn(n, t, dim), heads, causal))


def test_causal_attention_ignores_the_future() -> None:
    x = torch.randn(1, 5, 8)
    weights = [torch.randn(8, 8) if i % 2 == 0 else torch.randn(8) for i in range(8)]
    full = F.attention(x, *weights, heads=2, causal=True)
    changed = x.clone()
    changed[:, 3:] += 1.0
    close(F.attention(changed, *weights, heads=2, causal=True)[:, :3], full[:, :3])


@pytest.mark.parametrize(("shape", "heads"), [((2, 4), 2), ((1, 3, 6), 4)])
def test_attention_rejects_bad_shapes(shape: tuple[int, ...], heads: int) -> None:
    dim = shape[-1]
    weights = [torch.randn(dim, dim) if i % 2 == 0 else None for i in range(8)]
    with pytest.raises(UserError, match="Attention"):
        F.attention(torch.randn(shape), *weights, heads=heads)


def test_dropout_is_identity_when_not_training() -> None:
    x = torch.randn(4, 5)
    assert F.dropout(x, 0.5, training=False) is x


def test_dropout_zeroes_and_rescales() -> None:
    x = torch.ones(200, 200)
    y = F.dropout(x, 0.25, training=True)
    kept = y != 0
    close(y[kept], torch.full_like(y[kept], 1 / 0.75))
    assert abs(kept.float().mean().item() - 0.75) < 0.01


def test_dropout_draws_what_the_torch_backend_draws() -> None:
    """The same masks as `torch.nn.functional.dropout`, which generated torch code calls."""
    x = torch.randn(50)
    torch.manual_seed(3)
    first = F.dropout(x, 0.5, True)
    torch.manual_seed(3)
    assert torch.equal(first, torch.nn.functional.dropout(x, 0.5, True))


def test_dropout_extremes_and_bad_probability() -> None:
    x = torch.randn(3, 3)
    assert torch.equal(F.dropout(x, 1.0, True), torch.zeros(3, 3))
    assert torch.equal(F.dropout(x, 0.0, True), x)
    with pytest.raises(UserError, match="between 0 and 1"):
        F.dropout(x, 1.5, True)


@pytest.mark.parametrize(("kernel", "stride"), [(2, None), (3, 1), (2, 3)])
def test_pooling_matches_nn_pooling(kernel: int, stride: int | None) -> None:
    x = torch.randn(2, 3, 7, 6)
    close(F.max_pool2d(x, kernel, stride), nn.MaxPool2d(kernel, stride)(x))
    close(F.avg_pool2d(x, kernel, stride), nn.AvgPool2d(kernel, stride)(x))


@pytest.mark.parametrize("start", [0, 1, 2, -2])
def test_flatten_matches_nn_flatten(start: int) -> None:
    x = torch.randn(2, 3, 4, 5)
    close(F.flatten(x, start), nn.Flatten(start)(x))


# ---------------------------------------------------------------------------- functions

UNARY = {
    "relu": torch.relu,
    "gelu": lambda x: TF.gelu(x, approximate="none"),
    "silu": TF.silu,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "exp": torch.exp,
    "log": torch.log,
    "sqrt": torch.sqrt,
    "rsqrt": torch.rsqrt,
    "abs": torch.abs,
    "sin": torch.sin,
    "cos": torch.cos,
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_functions_match_torch(name: str) -> None:
    x = torch.randn(3, 1, 5)
    if name in ("log", "sqrt", "rsqrt"):
        x = x.abs() + 0.1
    close(getattr(F, name)(x), UNARY[name](x))


def test_gelu_is_the_exact_erf_form() -> None:
    x = torch.linspace(-4, 4, 41)
    close(F.gelu(x), x * 0.5 * (1 + torch.erf(x / math.sqrt(2))))


@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_softmax_and_log_softmax(axis: int) -> None:
    x = torch.randn(3, 4)
    close(F.softmax(x, axis), torch.softmax(x, axis))
    close(F.log_softmax(x, axis), torch.log_softmax(x, axis))


@pytest.mark.parametrize("axis", [None, 0, -1, (0, 2)])
@pytest.mark.parametrize("keepdim", [False, True])
def test_reductions_match_torch(axis: int | tuple[int, ...] | None, keepdim: bool) -> None:
    x = torch.randn(2, 3, 4)
    dims = tuple(range(3)) if axis is None else axis
    close(F.sum(x, axis, keepdim), torch.sum(x, dims, keepdim=keepdim))
    close(F.mean(x, axis, keepdim), torch.mean(x, dims, keepdim=keepdim))
    close(F.max(x, axis, keepdim), torch.amax(x, dims, keepdim=keepdim))
    close(F.min(x, axis, keepdim), torch.amin(x, dims, keepdim=keepdim))


def test_reductions_over_everything_give_a_scalar() -> None:
    x = torch.tensor([[1.0, 5.0], [-2.0, 3.0]])
    assert F.sum(x).shape == ()
    assert F.max(x).item() == 5.0
    assert F.min(x).item() == -2.0
    assert F.sum(x, keepdim=True).shape == (1, 1)


def test_mean_of_integers_is_an_error() -> None:
    with pytest.raises(UserError, match="floating-point"):
        F.mean(torch.arange(4))


def test_argmax() -> None:
    x = torch.tensor([[1.0, 9.0, 3.0], [7.0, 2.0, 8.0]])
    assert F.argmax(x, -1).tolist() == [1, 2]
    assert F.argmax(x, 0).tolist() == [1, 0, 1]
    assert F.argmax(x).item() == 1
    assert F.argmax(x, 1).dtype == torch.int64


@pytest.mark.parametrize(
    ("a", "b"), [((3, 4), (4, 5)), ((2, 3, 4), (4, 1)), ((2, 1, 3, 4), (5, 4, 2)), ((4,), (4,))]
)
def test_matmul_matches_torch(a: tuple[int, ...], b: tuple[int, ...]) -> None:
    x, y = torch.randn(a), torch.randn(b)
    close(F.matmul(x, y), torch.matmul(x, y))


def test_shape_functions() -> None:
    x = torch.randn(2, 3, 4)
    close(F.transpose(x, 0, 2), x.transpose(0, 2))
    close(F.permute(x, [2, 0, 1]), x.permute(2, 0, 1))
    close(F.reshape(x, [4, -1]), x.reshape(4, 6))
    close(F.concat([x, x[:, :1]], 1), torch.cat([x, x[:, :1]], 1))
    assert F.shape(x) == [2, 3, 4]


def test_reshape_to_a_wrong_size_is_an_error() -> None:
    with pytest.raises(UserError, match=r"cannot reshape a tensor of shape \[2, 3\] to \[4, 2\]"):
        F.reshape(torch.zeros(2, 3), [4, 2])


def test_where_maximum_minimum_clamp() -> None:
    a, b = torch.randn(3, 4), torch.randn(4)
    close(F.where(a > 0, a, b), torch.where(a > 0, a, b))
    close(F.where(torch.tensor([1, 0, 2]), 1.0, -1.0), torch.tensor([1.0, -1.0, 1.0]))
    close(F.maximum(a, b), torch.maximum(a, b))
    close(F.minimum(a, b), torch.minimum(a, b))
    close(F.maximum(a, 0.0), torch.relu(a))
    assert F.maximum(torch.tensor([1, 5]), 2.5).tolist() == [2.5, 5.0]
    close(F.clamp(a, -0.5, 0.5), torch.clamp(a, -0.5, 0.5))
    close(F.clamp(a, None, 0.0), torch.clamp(a, max=0.0))


def test_binary_arithmetic_follows_torch() -> None:
    a, b = torch.randn(2, 3), torch.rand(3) + 0.5
    close(F.add(a, b), a + b)
    close(F.sub(a, b), a - b)
    close(F.mul(a, b), a * b)
    close(F.div(a, b), a / b)
    close(F.pow(b, 2.5), b**2.5)
    assert F.neg(a).equal(-a)
    assert F.lt(a, 0).equal(a < 0) and F.ge(a, 0).equal(a >= 0)
    assert F.eq(a, a).all() and not F.ne(a, a).any()
    assert F.le(a, a).all() and not F.gt(a, a).any()


def test_logic() -> None:
    a, b = torch.tensor([True, True, False]), torch.tensor([True, False, False])
    assert F.logical_and(a, b).tolist() == [True, False, False]
    assert F.logical_or(a, False).tolist() == [True, True, False]
    assert F.logical_not(b).tolist() == [False, True, True]


def test_integer_division_is_true_division() -> None:
    result = F.div(torch.tensor([7, -7]), torch.tensor([2, 2]))
    assert result.dtype == torch.float32
    assert result.tolist() == [3.5, -3.5]
    assert F.add(torch.tensor([1]), 0.5).dtype == torch.float32


@pytest.mark.parametrize("name", ["f32", "f16", "bf16", "f64", "i64", "i32", "i8", "bool"])
def test_cast_to_every_dtype(name: str) -> None:
    result = F.cast(torch.tensor([0.0, 1.0, 2.7]), name)
    assert result.dtype == F.DTYPES[name]


def test_cast_to_an_unknown_dtype_is_an_error() -> None:
    with pytest.raises(UserError, match="unknown dtype 'f8'; expected one of f32, f16"):
        F.cast(torch.zeros(1), "f8")


def test_one_hot() -> None:
    result = F.one_hot(torch.tensor([2, 0]), 3)
    assert result.dtype == torch.int64
    assert result.tolist() == [[0, 0, 1], [1, 0, 0]]
    with pytest.raises(UserError, match="3 is out of range"):
        F.one_hot(torch.tensor([3]), 3)


def test_creation_functions() -> None:
    assert F.zeros([2, 3]).equal(torch.zeros(2, 3)) and F.zeros([2]).dtype == torch.float32
    assert F.ones([1]).equal(torch.ones(1))
    assert F.full([2], 1.5).tolist() == [1.5, 1.5]
    assert F.full([2], 3).dtype == torch.int64
    assert F.arange(4).tolist() == [0, 1, 2, 3]
    assert F.tensor([[1, 2], [3, 4]]).dtype == torch.int64
    assert F.tensor([1.5, 2]).dtype == torch.float32
    with pytest.raises(UserError, match="cannot make a tensor"):
        F.tensor([[1, 2], [3]])


RandomFn = Callable[..., torch.Tensor]


@pytest.mark.parametrize("fn", [F.randn, F.rand])
def test_random_with_a_seed_is_private_and_reproducible(fn: RandomFn) -> None:
    state = torch.get_rng_state()
    first, second = fn([3, 4], seed=7), fn([3, 4], seed=7)
    assert first.equal(second) and first.dtype == torch.float32
    assert torch.get_rng_state().equal(state)


RandomFn = Callable[..., torch.Tensor]


@pytest.mark.parametrize("fn", [F.randn, F.rand])
def test_random_without_a_seed_uses_the_global_generator(fn: RandomFn) -> None:
    torch.manual_seed(5)
    first = fn([6])
    torch.manual_seed(5)
    assert fn([6]).equal(first)
    assert not fn([6]).equal(first)


def test_rand_is_in_the_unit_interval() -> None:
    values = F.rand([1000], seed=1)
    assert values.min() >= 0 and values.max() < 1


@pytest.mark.parametrize("shape", [(1, 3), (8, 5)])
def test_cross_entropy_matches_torch(shape: tuple[int, int]) -> None:
    logits = torch.randn(shape)
    labels = torch.randint(0, shape[1], (shape[0],))
    close(F.cross_entropy(logits, labels), nn.CrossEntropyLoss()(logits, labels))


def test_cross_entropy_treats_leading_dimensions_as_batch() -> None:
    logits, labels = torch.randn(2, 3, 5), torch.randint(0, 5, (2, 3))
    close(F.cross_entropy(logits, labels), TF.cross_entropy(logits.reshape(6, 5), labels.flatten()))


def test_cross_entropy_rejects_bad_labels() -> None:
    with pytest.raises(UserError, match="integer labels, got f32"):
        F.cross_entropy(torch.randn(2, 3), torch.tensor([0.0, 1.0]))
    with pytest.raises(UserError, match="label 3 is out of range"):
        F.cross_entropy(torch.randn(2, 3), torch.tensor([0, 3]))


def test_mse_matches_torch() -> None:
    pred, target = torch.randn(4, 2), torch.randn(4, 2)
    close(F.mse(pred, target), nn.MSELoss()(pred, target))
    close(F.mse(pred, torch.ones(4, 2, dtype=torch.int64)), nn.MSELoss()(pred, torch.ones(4, 2)))
    with pytest.raises(UserError, match="differ"):
        F.mse(pred, torch.randn(4))


def test_layers_are_differentiable() -> None:
    w = torch.randn(3, 4, requires_grad=True)
    F.cross_entropy(F.gelu(F.linear(torch.randn(2, 4), w, None)), torch.tensor([0, 2])).backward()
    assert w.grad is not None and w.grad.abs().sum() > 0


def test_tensor_functions_table_names_every_section_7_and_0_2_function() -> None:
    expected = """relu gelu silu sigmoid tanh exp log sqrt rsqrt abs sin cos softmax log_softmax
        sum mean max min argmax matmul transpose permute reshape flatten concat where maximum
        minimum clamp cast one_hot shape zeros ones full arange randn rand tensor
        cross_entropy mse erf tril triu cumsum topk gather unsqueeze squeeze expand
        repeat_interleave""".split()
    assert sorted(F.TENSOR_FUNCTIONS) == sorted(expected)
    assert all(F.TENSOR_FUNCTIONS[name] is getattr(F, name) for name in expected)
