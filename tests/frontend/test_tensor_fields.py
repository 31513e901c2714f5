"""`param`, `buffer` and `tie` in a model body, fields with Hugging Face's names (M keywords
included), and `load_weights`'s options, compiled: the IR they make and their located
errors."""

from __future__ import annotations

import pytest

from located_errors import located_error
from mlang.dialects.model.host import LoadWeightsOp
from mlang.dialects.model.structure import DefOp, GetParamOp, TieOp
from mlang.frontend import compile_source

VIT_EMBEDDINGS = """\
model Patches(dim: int, patch: int) {
    projection = Conv2d(3, dim, patch, stride=patch)
    fn forward(x: f32[N, 3, H, W]) -> f32[N, P, dim] {
        return transpose(flatten(projection(x), 2), 1, 2)
    }
}
model Emb(dim: int, patch: int, tokens: int) {
    param cls_token: f32[1, 1, dim] = zeros([1, 1, dim])
    param position_embeddings: f32[1, tokens, dim] = randn([1, tokens, dim]) * 0.02
    buffer scale: f32[dim] = full([dim], 2.0)
    patch_embeddings = Patches(dim, patch)
    fn forward(x: f32[N, 3, H, W]) -> f32[N, T, dim] {
        let p = patch_embeddings(x)
        let cls = p[:, 0:1, :] * 0.0 + cls_token
        return concat([cls, p], axis=1) + position_embeddings
    }
}
let e = Emb(8, 2, 5)
print(e(randn([1, 3, 4, 4])))
"""


def definitions(source: str) -> list[DefOp]:
    """The model definitions that `source` compiles to."""
    return [op for op in compile_source(source, "t.m").ops if isinstance(op, DefOp)]


def test_param_and_buffer_declare_parameters_in_field_order() -> None:
    (emb,) = definitions(VIT_EMBEDDINGS)
    params = {p.sym_name.data: (p.init.data, p.scale.value.data, p.param_type.get_shape())
              for p in emb.params}
    assert list(params) == ["cls_token", "position_embeddings", "scale",
                            "patch_embeddings.projection.weight",
                            "patch_embeddings.projection.bias"]
    assert params["cls_token"] == ("zeros", 0.0, (1, 1, 8))
    assert params["position_embeddings"] == ("normal", 0.02, (1, 5, 8))
    assert params["scale"] == ("full", 2.0, (8,))
    assert emb.buffers == {"scale"}
    reads = {op.param.root_reference.data for op in emb.walk() if isinstance(op, GetParamOp)}
    assert {"cls_token", "position_embeddings"} <= reads


def test_parameters_are_values_in_methods() -> None:
    """`wte.weight`, `blocks[0].attn.q.bias`, a sub-model's `param` through its field."""
    (outer,) = definitions("""\
model Attn(dim: int) {
    q = Linear(dim, dim)
    param gate: f32[dim] = ones([dim])
    fn forward(x: f32[N, dim]) -> f32[N, dim] { return q(x) * gate }
}
model Block(dim: int) {
    attn = Attn(dim)
    fn forward(x: f32[N, dim]) -> f32[N, dim] { return attn(x) }
}
model M() {
    wte = Embedding(10, 4)
    blocks = repeat(2, Block(4))
    fn forward(ids: i64[N]) -> f32[N, 4] {
        return wte(ids) + blocks[0].attn.q.bias + blocks[1].attn.gate + wte.weight[0]
    }
}
print(M()(tensor([1, 2])))
""")
    reads = {op.param.root_reference.data for op in outer.walk() if isinstance(op, GetParamOp)}
    assert {"wte.weight", "blocks.0.attn.q.bias", "blocks.1.attn.gate"} <= reads


def test_tie_makes_a_tie_op_and_survives_a_round_trip() -> None:
    (lm,) = definitions("""\
model LM(vocab: int, dim: int) {
    wte = Embedding(vocab, dim)
    lm_head = Linear(dim, vocab, bias=false)
    tie lm_head.weight = wte.weight
    fn forward(ids: i64[N, T]) -> f32[N, T, vocab] { return lm_head(wte(ids)) }
}
print(LM(10, 4)(tensor([[1, 2]])))
""")
    assert lm.ties == {"lm_head.weight": "wte.weight"}
    assert len([op for op in lm.body.block.ops if isinstance(op, TieOp)]) == 1
    lm.verify()


def test_hugging_face_names_and_keywords_as_fields() -> None:
    """`model = ...`, `self = ...`, `LayerNorm = LayerNorm(dim)`, reached as `model(x)`,
    `self.dense`, `m.model` in a method."""
    defs = definitions("""\
model SelfAttn(dim: int) {
    dense = Linear(dim, dim)
    fn forward(x: f32[N, dim]) -> f32[N, dim] { return dense(x) }
}
model Inner(dim: int) {
    self = SelfAttn(dim)
    LayerNorm = LayerNorm(dim)
    fn forward(x: f32[N, dim]) -> f32[N, dim] { return LayerNorm(self(x)) + self.dense.bias }
}
model Outer(dim: int) {
    model = Inner(dim)
    in = Linear(dim, dim)
    fn forward(x: f32[N, dim]) -> f32[N, dim] {
        model.self(x)
        return model(x) + in(x)
    }
}
let m = Outer(4)
print(m.model(ones([1, 4])), m.model.self(ones([1, 4])))
""")
    names = {p.sym_name.data for p in defs[-1].params}
    assert {"model.self.dense.weight", "model.LayerNorm.weight", "in.bias"} <= names


def test_load_weights_options_become_properties() -> None:
    module = compile_source("""\
model Net() {
    body = Linear(4, 4)
    head = Linear(4, 2)
    fn forward(x: f32[N, 4]) -> f32[N, 2] { return head(body(x)) }
}
let n = Net()
load_weights(n, "w.safetensors", prefix="model.", rename={"h": "blocks", "a.b": "c"},
             transpose=["c_fc.weight"], strict=false)
load_weights(n.body, "w.safetensors")
""", "t.m")
    ops = [op for op in module.walk() if isinstance(op, LoadWeightsOp)]
    assert ops[0].prefix is not None and ops[0].prefix.data == "model."
    assert ops[0].rename is not None and set(ops[0].rename.data) == {"h", "a.b"}
    assert ops[0].transpose is not None and ops[0].lenient is not None
    assert ops[1].field is not None and ops[1].field.data == "body" and ops[1].lenient is None


MODEL = "model M(dim: int) {{\n{}\n    fn forward(x: f32[N, 4]) -> f32[N, 4] {{ return x }}\n}}\n" \
        "print(M(4)(ones([1, 4])))\n"


@pytest.mark.parametrize(("body", "where", "message"), [
    ("    param w: f32[4]", (2, 11), "param 'w' needs an initialiser"),
    ("    buffer w: f32[4] = randn([3])", (2, 24), "has shape [3] but its type is f32[4]"),
    ("    param w: f32[dim] = arange(4)", (2, 25), "an initialiser must be zeros(SHAPE)"),
    ("    param w: int = zeros([4])", (2, 14), "must have a tensor type"),
    ("    a = Linear(4, 4)\n    b = Linear(4, 3)\n    tie a.weight = b.weight", (4, 5),
     "tie: 'a.weight' is f32[4, 4] but 'b.weight' is f32[3, 4]"),
    ("    a = Linear(4, 4)\n    tie a.weight = a.wieght", (3, 20),
     "tie: no parameter 'a.wieght'; did you mean 'a.weight'?"),
    ("    param w: f32[4] = zeros([4])\n    w = Linear(4, 4)", (3, 5),
     "field 'w' is declared twice"),
])
def test_tensor_field_errors_are_located(body: str, where: tuple[int, int], message: str) -> None:
    err = located_error(MODEL.format(body))
    assert err.loc is not None and (err.loc.line, err.loc.col) == where, err
    assert message in err.message


@pytest.mark.parametrize(("call", "message"), [
    ('rename=["a"]', "rename must map names to names"),
    ('strict="no"', "strict must be true or false"),
    ("prefix=1", "prefix must be a string"),
])
def test_load_weights_option_errors_are_located(call: str, message: str) -> None:
    err = located_error("model M() = Linear(4, 4)\nlet m = M()\n"
                        f'load_weights(m, "w.pt", {call})\n')
    assert err.loc is not None and err.loc.line == 3
    assert message in err.message
