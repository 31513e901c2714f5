"""Every model is checked for its names, used or not (frontend/resolution.py), and an
unknown name is answered with the closest name visible there ("did you mean")."""

from __future__ import annotations

import pytest

from mlang.frontend import compile_source
from mlang.support.diagnostics import CompileError, did_you_mean
from located_errors import located_error


def unused(fields: str, body: str, signature: str = "(x: f32[N, d]) -> f32[N, d]") -> str:
    """A model `U(d: int)` (fields from line 2, forward's body on line 4) that the host
    program never instantiates."""
    return (f"model U(d: int) {{\n    {fields}\n    fn forward{signature} {{\n"
            f"        {body}\n    }}\n}}\nprint(1)\n")


# name: (source, line, column, the whole message)
ERRORS: dict[str, tuple[str, int, int, str]] = {
    "misspelt_layer": (unused("fc = Lineer(d, d)", "return fc(x)"), 2, 10,
                       "unknown layer 'Lineer'; did you mean 'Linear'?"),
    "unknown_layer_far_from_any": (
        unused("fc = Zzzz(d, d)", "return fc(x)"), 2, 10,
        "unknown layer 'Zzzz'; a field must be a built-in layer, a model, or repeat(n, LAYER)"),
    "misspelt_field_argument": (unused("fc = Linear(d, dd)", "return fc(x)"), 2, 20,
                                "unknown name 'dd'; did you mean 'd'?"),
    "field_of_a_function": (unused("fc = relu(d)", "return fc(x)"), 2, 10,
                            "a field must be a built-in layer, a model, or repeat(n, LAYER)"),
    "layer_arity": (unused("fc = Linear(d)", "return fc(x)"), 2, 10,
                    "Linear is missing its argument 'out'"),
    "layer_keyword": (unused("fc = Linear(d, d, bais=false)", "return fc(x)"), 2, 23,
                      "Linear has no parameter 'bais'; it takes: in, out, bias; "
                      "did you mean 'bias'?"),
    "misspelt_function": (unused("fc = Linear(d, d)", "return sofmax(fc(x))"), 4, 16,
                          "unknown name 'sofmax'; did you mean 'softmax'?"),
    "misspelt_field": (unused("fc = Linear(d, d)", "return fcc(x)"), 4, 16,
                       "unknown name 'fcc'; did you mean 'fc'?"),
    "misspelt_parameter": (unused("fc = Linear(d, d)", "return fc(xx)"), 4, 19,
                           "unknown name 'xx'; did you mean 'x'?"),
    "function_arity": (unused("fc = Linear(d, d)", "return softmax(fc(x), 1, 2)"), 4, 34,
                       "softmax takes at most 2 arguments, got 3"),
    "function_keyword": (unused("fc = Linear(d, d)", "return softmax(fc(x), axs=1)"), 4, 31,
                         "softmax has no parameter 'axs'; it takes: x, axis; "
                         "did you mean 'axis'?"),
    "host_function_in_method": (unused("fc = Linear(d, d)", "return evaluate(fc, x)"), 4, 16,
                                "evaluate can only be used in the host program"),
    "layer_in_method": (unused("fc = Linear(d, d)", "return Linear(d, d)"), 4, 16,
                        "Linear creates a layer: declare it as a model field"),
    "assign_undefined": (unused("fc = Linear(d, d)", "h = fc(x)\n        return h"), 4, 9,
                         "'h' is not defined; use 'let h'"),
    "no_forward": (unused("fc = Linear(d, d)", "return fc(x)").replace("forward", "fwd"),
                   1, 1, "model U has no 'forward' method"),
    "misspelt_sub_model_method": (
        "model A(d: int) {\n    fc = Linear(d, d)\n"
        "    fn forward(x: f32[N, d]) -> f32[N, d] { return fc(x) }\n}\n"
        + unused("a = A(d)", "return a.forwrd(x)"),
        8, 16, "model A has no field or method 'forwrd'; did you mean 'forward'?"),
    "misspelt_stage": ("model S(d: int) = Linear(d, d) |> rleu\nprint(1)\n", 1, 35,
                       "unknown name 'rleu'; did you mean 'relu'?"),
    "model_in_method": (unused("fc = Linear(d, d)", "return U(d)"), 4, 16,
                        "models are created as fields of a model, not in methods"),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_unused_model_errors(name: str) -> None:
    source, line, col, message = ERRORS[name]
    err = located_error(source)
    assert (err.loc.line, err.loc.col, err.message) == (line, col, message)


# name: (source, line, column, the whole message): names the host program looks up.
HOST_ERRORS: dict[str, tuple[str, int, int, str]] = {
    "misspelt_host_function": ("let d = dataset(\"iris\")\nprint(evalute(d))\n", 2, 7,
                               "unknown name 'evalute'; did you mean 'evaluate'?"),
    "misspelt_variable": ("let count = 3\nprint(cuont)\n", 2, 7,
                          "unknown name 'cuont'; did you mean 'count'?"),
    "misspelt_model": ("model Net() = Linear(4, 2)\nlet n = Nte()\n", 2, 9,
                       "unknown name 'Nte'; did you mean 'Net'?"),
    "misspelt_method": ("model Net() = Linear(4, 2)\nlet n = Net()\n"
                        "print(n.forwrd(zeros([1, 4])))\n", 3, 7,
                        "model Net has no method 'forwrd'; did you mean 'forward'?"),
    "misspelt_keyword": ("print(sum(zeros([2]), axs=0))\n", 1, 23,
                         "sum has no parameter 'axs'; it takes: x, axis, keepdim; "
                         "did you mean 'axis'?"),
}


@pytest.mark.parametrize("name", list(HOST_ERRORS))
def test_host_names_suggest_the_closest(name: str) -> None:
    source, line, col, message = HOST_ERRORS[name]
    with pytest.raises(CompileError) as info:
        compile_source(source, "t.m")
    err = info.value
    assert err.loc is not None, err.message
    assert (err.loc.line, err.loc.col, err.message) == (line, col, message)


VALID_UNUSED = """
model Block(dim: int, heads: int = 2, causal: bool = false) {
    ln = LayerNorm(dim)
    att = Attention(dim, heads, causal=causal)
    fn forward(x: f32[N, T, dim]) -> f32[N, T, dim] {
        let h = att(ln(x))
        return x + h
    }
}
model Stack(dim: int, depth: int, hidden: int = dim * 2) {
    blocks = repeat(depth, Block(dim))
    up = Linear(dim, hidden)
    down = Linear(hidden, dim, bias=false)
    fn forward(x: f32[N, T, dim]) -> f32[N, T, dim] {
        for b in blocks {
            x = b(x)
        }
        if depth > 1 {
            let y = self_gate(x)
            x = y
        }
        return down(gelu(up(x)))
    }
    fn self_gate(x: f32[N, T, dim]) -> f32[N, T, dim] {
        return x * sigmoid(x)
    }
    fn first(x: f32[N, T, dim]) -> f32[N, T, dim] {
        return blocks[0](x) + blocks[0].ln(x)
    }
}
model Seq(features: int, classes: int) = Linear(features, 16) |> relu |> Dropout(0.1)
    |> Linear(16, classes) |> softmax(axis=1)
fn scale(x: f32[N, K], by: float = 2.0) -> f32[N, K] { return x * by }
model Conv(ch: int, k: int) {
    conv = Conv2d(1, ch, k, padding=k - 1)
    pool = MaxPool2d(2)
    flat = Flatten()
    fn forward(x: f32[N, 1, H, W]) -> f32[N, M] {
        let (a, b) = (x, x)
        return scale(flat(pool(relu(conv(a + b)))), by=0.5)
    }
}
print(1)
"""


def test_valid_unused_models_compile() -> None:
    """Hyper-parameter sizes, defaults, `repeat`, nested and sequential models, loops,
    conditions and functions: nothing in an unused model that is right is refused."""
    compile_source(VALID_UNUSED, "t.m")


def test_did_you_mean() -> None:
    assert did_you_mean("Lineer", ["Linear", "LayerNorm"]) == "; did you mean 'Linear'?"
    assert did_you_mean("zzz", ["Linear"]) == ""
    assert did_you_mean("x", ["x"]) == ""
