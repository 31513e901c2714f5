"""Tests of IR generation: the examples compile and round-trip through mopt, the generated
IR has the structure the language promises, and wrong programs fail with one located
error (line, column and message) instead of a crash.

What the IR looks like op by op is checked by the lit tests in lit-tests/frontend; this
file checks what text cannot express well: exact error locations over many programs,
process behaviour (status, stderr, no traceback) and a few structural properties.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from xdsl.dialects import func
from xdsl.dialects.builtin import FileLineColLoc, IntAttr, ModuleOp, StringAttr
from xdsl.ir import Block, Region

from mlang import frontend
from mlang.dialects.model import host
from mlang.dialects.model.functions import SubOp
from mlang.dialects.model.structure import CallOp, DefOp, GetParamOp, InstantiateOp, ParamOp
from mlang.frontend import compile_file, compile_source
from mlang.support.diagnostics import CompileError, InternalError
from located_errors import located_error

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.m"))

NET = """\
model Net(d: int = 4) {
    fc = Linear(d, 3)

    fn forward(x: f32[N, d]) -> f32[N, 3] {
        return fc(x)
    }
}
"""
NET_LINES = NET.count("\n")


def mopt(*args: str, stdin: str | None = None,
         cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Runs mopt in a fresh interpreter and returns the finished process (text mode)."""
    return subprocess.run(
        [sys.executable, "-m", "mlang.tools.mopt", *args],
        input=stdin, capture_output=True, text=True, check=False, timeout=120, cwd=cwd,
    )


def mopt_all(*runs: tuple[list[str], str | None]) -> list[tuple[int, str, str]]:
    """Runs several mopt processes at once; each run is (arguments, stdin)."""
    procs = [
        subprocess.Popen([sys.executable, "-m", "mlang.tools.mopt", *args], text=True,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for args, _ in runs
    ]
    results = []
    for proc, (_, stdin) in zip(procs, runs):
        out, err = proc.communicate(stdin, timeout=120)
        results.append((proc.returncode, out, err))
    return results


def defs(module: ModuleOp) -> dict[str, DefOp]:
    """The model definitions of a module by symbol."""
    return {op.sym_name.data: op for op in module.ops if isinstance(op, DefOp)}


def main_ops(module: ModuleOp) -> list:
    """The top-level ops of the host program, `func.func @main`."""
    main = next(op for op in module.ops if isinstance(op, func.FuncOp))
    return list(main.body.block.ops)


# ------------------------------------------------------------------------ examples


SEPARATOR = "\n// -----\n"


@pytest.fixture(scope="module")
def round_trips() -> dict[str, tuple[str, str, str]]:
    """For each example: `mopt x.m`, that output reparsed by mopt, and its generic form
    reparsed by mopt. The reparsing runs use --split-input-file to take every example in
    one process, which keeps this file fast; chunks are compiled independently."""
    first = mopt_all(*[([str(e)], None) for e in EXAMPLES])
    for (rc, _, err), example in zip(first, EXAMPLES):
        assert rc == 0, f"{example.name}: {err}"
    custom = [out.rstrip("\n") for _, out, _ in first]
    joined = SEPARATOR.join(custom) + "\n"
    (rc, again, err), (grc, generic, gerr) = mopt_all(
        (["--split-input-file", "-"], joined),
        (["--split-input-file", "--print-op-generic", "-"], joined))
    assert rc == 0 and grc == 0, err + gerr
    assert '"model.def"()' in generic and '"model.instantiate"()' in generic
    back = mopt("--split-input-file", "-", stdin=generic)
    assert back.returncode == 0, back.stderr
    agains = again.rstrip("\n").split(SEPARATOR)
    backs = back.stdout.rstrip("\n").split(SEPARATOR)
    assert len(agains) == len(backs) == len(EXAMPLES)
    return {e.stem: t for e, t in zip(EXAMPLES, zip(custom, agains, backs))}


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_example_round_trips_through_mopt(example: Path,
                                          round_trips: dict[str, tuple[str, str, str]]) -> None:
    """`mopt x.m | mopt` prints what `mopt x.m` prints, and so does the generic form
    (`mopt x.m | mopt --print-op-generic | mopt`)."""
    custom, again, back = round_trips[example.stem]
    assert "model.def" in custom and "func.func @main" in custom
    assert again == custom
    assert back == custom


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_example_compiles_in_process(example: Path) -> None:
    """compile_file gives a verified module with one model.def per specialisation."""
    module = compile_file(str(example))
    module.verify()
    symbols = defs(module)
    assert symbols, "every example declares and instantiates a model"
    for op in main_ops(module):
        if isinstance(op, InstantiateOp):
            assert op.definition.root_reference.data in symbols


# -------------------------------------------------------------------- structure


def test_equal_instantiations_share_one_definition() -> None:
    module = compile_source(NET + "let a = Net()\nlet b = Net(4)\nlet c = Net(d=8)\n", "t.m")
    assert list(defs(module)) == ["Net_4", "Net_8"]
    made = [op.definition.root_reference.data for op in main_ops(module)
            if isinstance(op, InstantiateOp)]
    assert made == ["Net_4", "Net_4", "Net_8"]


def test_specialised_names_follow_the_hyper_parameters() -> None:
    source = """\
model Classifier(features: int, hidden: int, classes: int) {
    fc1 = Linear(features, hidden)
    fc2 = Linear(hidden, classes)

    fn forward(x: f32[N, features]) -> f32[N, classes] {
        return fc2(relu(fc1(x)))
    }
}
let net = Classifier(64, 128, 10)
"""
    module = compile_source(source, "t.m")
    (definition,) = defs(module).values()
    assert definition.sym_name.data == "Classifier_64_128_10"
    assert definition.attributes["source"].data == "Classifier"  # type: ignore[attr-defined]


def test_parameter_paths_of_nested_fields() -> None:
    """Sub-models and repeat(...) are inlined; parameters are named by their dotted path."""
    source = """\
model Block(dim: int) {
    attn = Attention(dim, 2)

    fn forward(x: f32[N, T, dim]) -> f32[N, T, dim] {
        return attn(x)
    }
}
model Stack() {
    blocks = repeat(2, Block(4))

    fn forward(x: f32[N, T, 4]) -> f32[N, T, 4] {
        for b in blocks {
            x = b(x)
        }
        return x
    }
}
let s = Stack()
"""
    module = compile_source(source, "t.m")
    (definition,) = defs(module).values()
    names = [p.sym_name.data for p in definition.params]
    assert names[:2] == ["blocks.0.attn.q.weight", "blocks.0.attn.q.bias"]
    assert "blocks.1.attn.out.bias" in names and len(names) == 16
    read = {op.param.root_reference.data for op in definition.walk()
            if isinstance(op, GetParamOp)}
    assert read == set(names)


def test_ops_carry_source_locations() -> None:
    module = compile_source(NET + "let net = Net()\nprint(net(zeros([2, 4])))\n", "loc.m")
    call = next(op for op in main_ops(module) if isinstance(op, CallOp))
    assert isinstance(call.location, FileLineColLoc)
    assert (call.location.line.data, call.location.column.data) == (NET_LINES + 2, 7)
    assert call.location.filename.data == "loc.m"


def test_reassigned_host_names_live_in_variable_slots() -> None:
    module = compile_source("let n = 0\nfor i in 0..3 {\n    n = n + i\n}\nprint(n)\n", "t.m")
    ops = main_ops(module)
    assert [type(op) for op in ops if isinstance(op, (host.SetVarOp, host.ForOp))] == [
        host.SetVarOp, host.ForOp]
    body = next(op for op in ops if isinstance(op, host.ForOp)).body.block.ops
    assert [op.name for op in body] == [
        "model.get_var", "model.add", "model.set_var", "model.yield"]


def test_run_time_subscript_is_evaluated_once() -> None:
    """Regression: `x[n - 1]` emitted `n - 1` twice, once unused."""
    module = compile_source(
        'let d = dataset("iris")\nlet n = len(d)\nprint(d.x[n - 1], d.x[1:n - 2])\n', "t.m")
    assert sum(isinstance(op, SubOp) for op in main_ops(module)) == 2


def test_tuple_results_of_methods_bind_sizes() -> None:
    """Regression: symbolic sizes of a method's tuple result were not substituted."""
    source = NET.replace("    fn forward", "    fn both(x: f32[N, d]) -> (f32[N, 3], f32[N, 3]) {\n"
                         "        return (fc(x), fc(x))\n    }\n\n    fn forward")
    module = compile_source(source + "let net = Net()\nlet (a, b) = net.both(zeros([5, 4]))\n",
                            "t.m")
    call = next(op for op in main_ops(module) if isinstance(op, CallOp))
    assert [str(r.type) for r in call.results] == ["tensor<5x3xf32>", "tensor<5x3xf32>"]


def test_a_file_imported_twice_is_not_a_duplicate(tmp_path: Path) -> None:
    (tmp_path / "lib.m").write_text("fn twice(x: f32[N]) -> f32[N] { return x * 2.0 }\n")
    (tmp_path / "mid.m").write_text('import "lib.m"\n')
    main = tmp_path / "main.m"
    main.write_text('import "mid.m"\nimport "./lib.m"\nprint(twice(zeros([2])))\n')
    module = compile_file(str(main))
    assert any(op.name == "model.mul" for op in main_ops(module))


def test_imported_host_statements_do_not_run(tmp_path: Path) -> None:
    (tmp_path / "lib.m").write_text(NET + 'print("library")\n')
    main = tmp_path / "main.m"
    main.write_text('import "lib.m"\nlet net = Net()\n')
    ops = main_ops(compile_file(str(main)))
    assert not any(isinstance(op, (host.PrintOp, host.StrOp)) for op in ops)


def test_parameters_declare_pytorch_shapes_and_initialisers() -> None:
    source = """\
model All() {
    conv = Conv2d(3, 8, 5, bias=false)
    emb = Embedding(100, 16)
    ln = LayerNorm(16)
    rms = RMSNorm(16)

    fn forward(ids: i64[N, T]) -> f32[N, T, 16] {
        return rms(ln(emb(ids)))
    }
}
let a = All()
"""
    (definition,) = defs(compile_source(source, "t.m")).values()
    params = {p.sym_name.data: p for p in definition.params}
    assert {k: (str(p.param_type), p.init.data) for k, p in params.items()} == {
        "conv.weight": ("tensor<8x3x5x5xf32>", "uniform"),
        "emb.weight": ("tensor<100x16xf32>", "normal"),
        "ln.weight": ("tensor<16xf32>", "ones"),
        "ln.bias": ("tensor<16xf32>", "zeros"),
        "rms.weight": ("tensor<16xf32>", "ones"),
    }
    assert all(isinstance(p, ParamOp) for p in definition.params)


# ------------------------------------------------------------------------ errors

def model(fields: str, signature: str, body: str, name: str = "C") -> str:
    """A program declaring model `name` (fields from line 2, `forward` whose body starts
    three lines after the last field) and instantiating it once."""
    return (f"model {name}() {{\n    {fields}\n\n    fn forward{signature} {{\n"
            f"        {body}\n    }}\n}}\nlet m = {name}()\n")


# name: (source, line, column, a fragment of the message)
ERRORS: dict[str, tuple[str, int, int, str]] = {
    # names, arity and keywords
    "unknown_name": ("let a = 1\nprint(a + b)\n", 2, 11, "unknown name 'b'"),
    "too_many_arguments": (
        "fn f(x: f32[2]) -> f32[2] { return x }\nprint(f(zeros([2]), zeros([2])))\n",
        2, 21, "f takes at most 1 arguments, got 2"),
    "missing_argument": ("print(clamp(zeros([2]), 0.0))\n", 1, 7,
                         "clamp is missing its argument 'hi'"),
    "missing_hyper_parameter": (NET.replace("d: int = 4", "d: int") + "let n = Net()\n",
                                NET_LINES + 1, 9, "Net is missing its argument 'd'"),
    "unknown_keyword": ("print(softmax(zeros([2, 3]), dim=1))\n", 1, 30,
                        "softmax has no parameter 'dim'; it takes: x, axis"),
    "keyword_given_twice": ("print(sum(zeros([2]), axis=0, axis=0))\n", 1, 31,
                            "duplicate keyword argument 'axis'"),
    "duplicate_model": (NET + NET, NET_LINES + 1, 1, "'Net' is already declared at t.m:1:1"),
    "assign_undefined": ("let a = 1\nb = a\n", 2, 1, "'b' is not defined; use 'let'"),
    "assign_undefined_in_model": (
        model("fc = Linear(4, 4)", "(x: f32[N, 4]) -> f32[N, 4]", "h = fc(x)\n        return h"),
        5, 9, "'h' is not defined"),
    "model_without_forward": (NET.replace("fn forward", "fn encode") + "let n = Net()\n", 1, 1,
                              "model Net has no 'forward' method"),
    "field_twice": (
        model("fc = Linear(2, 2)\n    fc = Linear(2, 2)", "(x: f32[N, 2]) -> f32[N, 2]",
              "return fc(x)"),
        3, 5, "field 'fc' is declared twice"),
    "unknown_method": (NET + "let net = Net()\nprint(net.decode(zeros([1, 4])))\n",
                       NET_LINES + 2, 7, "model Net has no method 'decode'"),
    "method_arity": (NET + "let n = Net()\nprint(n(zeros([2, 4]), zeros([2, 4])))\n",
                     NET_LINES + 2, 7, "forward of Net takes 1 arguments, got 2"),
    "method_keyword_arguments": (NET + "let net = Net()\nprint(net(x=zeros([1, 4])))\n",
                                 NET_LINES + 2, 11, "model methods take positional arguments"),
    "not_callable": ("print(3(4))\n", 1, 7, "int is not callable"),
    "print_keyword": ('print(1, sep=",")\n', 1, 10, "print takes no keyword arguments"),
    "return_outside_function": ("return 1\n", 1, 1, "'return' outside a function"),
    "no_return": ("fn f(x: f32[2]) -> f32[2] {\n    let y = x\n}\nprint(f(zeros([2])))\n", 1, 1,
                  "'f' ends without returning a value"),
    "recursive_function": (
        "fn f(x: f32[N]) -> f32[N] {\n    return f(x)\n}\nprint(f(zeros([2])))\n",
        2, 12, "(is 'f' recursive?)"),
    # shapes
    "layer_shape_mismatch": (
        model("fc = Linear(64, 10)", "(x: f32[N, 32]) -> f32[N, 10]", "return fc(x)"),
        5, 16, "Linear at 'fc': linear expects inputs with last dimension 64, got [N, 32]"),
    "return_type_mismatch": (
        model("fc = Linear(4, 8)", "(x: f32[N, 4]) -> f32[N, 4]", "return fc(x)"),
        4, 33, "the result of forward must be f32[N, 4], got f32[N, 8]"),
    "host_call_shape": (NET + "let net = Net()\nprint(net(zeros([2, 5])))\n", NET_LINES + 2, 7,
                        "argument 1 of Net.forward must be f32[N, 4], got f32[2, 5]"),
    "pool_window_too_big": (
        model("pool = MaxPool2d(9)", "(x: f32[N, 1, 8, 8]) -> f32[N, 1, 1, 1]", "return pool(x)"),
        5, 16, "MaxPool2d at 'pool': window of size 9 does not fit an input of size 8"),
    "concat_mismatch": ("print(concat([zeros([2, 3]), zeros([2, 4])], axis=0))\n", 1, 7,
                        "concat: sizes 3 and 4 differ in dimension 1"),
    "concat_empty": ("print(concat([]))\n", 1, 14, "concat needs at least one tensor"),
    "reshape_count": ("print(reshape(zeros([2, 3]), [4, 2]))\n", 1, 30,
                      "reshape: cannot reshape [2, 3] (6 elements) to [4, 2]"),
    "reshape_zero_beside_minus_one": ("print(reshape(zeros([2, 3]), [0, -1]))\n", 1, 30,
                                      "reshape: -1 is ambiguous beside a size of 0 in [0, -1]"),
    "matmul_inner": ("print(zeros([2, 3]) @ zeros([4, 5]))\n", 1, 21,
                     "matrix product of [2, 3] and [4, 5]: inner sizes 3 and 4 differ"),
    "broadcast_mismatch": ("print(zeros([2, 3]) + zeros([4]))\n", 1, 21,
                           "operator 'add': shapes"),
    "cross_entropy_label_shape": ("print(cross_entropy(zeros([2, 3]), arange(5)))\n", 1, 7,
                                  "cross_entropy: labels i64[5] do not match logits f32[2, 3]"),
    "mse_shapes": ("print(mse(zeros([2, 3]), zeros([4])))\n", 1, 7, "mse: shapes"),
    "tensor_index_out_of_range": ("print(zeros([2, 3])[5])\n", 1, 7,
                                  "index 5 is out of range for a dimension of size 2"),
    "slice_step_zero": ("print(zeros([4])[::0])\n", 1, 18, "slice step must be positive"),
    "ragged_tensor_literal": ("print(tensor([[1, 2], [3]]))\n", 1, 14,
                              "tensor: rows have different lengths"),
    "unpack_count": ('let (a, b, c) = split(dataset("iris"), 0.5)\n', 1, 17,
                     "cannot unpack 2 values into 3 names"),
    "unpack_int": ("let (a, b) = 5\n", 1, 14, "cannot unpack int into 2 names"),
    # types
    "int_into_linear": (
        model("fc = Linear(4, 8)", "(x: i64[N, 4]) -> f32[N, 8]", "return fc(x)"),
        5, 16, "Linear at 'fc' needs a floating-point input, got i64[N, 4]"),
    "bad_hyper_parameter_type": (NET + "let net = Net(2.5)\n", NET_LINES + 1, 15,
                                 "hyper-parameter 'd' of Net must be int, got float"),
    "cross_entropy_float_labels": ("print(cross_entropy(zeros([2, 3]), zeros([2])))\n", 1, 36,
                                   "cross_entropy needs integer labels, got f32[2]"),
    "mean_of_int": ("print(mean(arange(4)))\n", 1, 7,
                    "mean needs a floating-point tensor, got i64"),
    "one_hot_of_float": ("print(one_hot(zeros([3]), 4))\n", 1, 15,
                         "one_hot needs integer ids, got f32[3]"),
    "not_of_float": ("print(not zeros([2]))\n", 1, 7, "'not' needs a boolean, got f32[2]"),
    "cast_to_string": ('print(cast(zeros([2]), "f16"))\n', 1, 24,
                       "cast needs a dtype such as f32 or i64"),
    "host_condition_not_bool": ('let n = len(dataset("iris"))\nif n {\n    print(n)\n}\n', 2, 4,
                                "condition must be a boolean, got int"),
    "loop_over_int": ("for i in 3 {\n    print(i)\n}\n", 1, 10, "cannot loop over int"),
    "slot_type_change": ('let a = 1\nfor i in 0..2 {\n    a = "text"\n}\n', 3, 5,
                         "'a' holds int; cannot assign str"),
    "loaded_model_field_method": ('let m = load_model("m.mpk")\nprint(m.enc.raw(ones([1])))\n',
                                  2, 7, "'enc.raw': a model read by load_model is called "
                                        "through its methods, not its fields"),
    "method_result_of_one_size": (
        "model M() {\n    fc = Linear(4, 3)\n"
        "    fn forward(x: f32[N, 4]) -> f32[N, 3] { return fc(x[0:2]) }\n}\nlet m = M()\n",
        3, 33, "the result of forward must be f32[N, 3], got f32[2, 3]: N is a size of the "
               "inputs, whatever it is in a call"),
    "method_result_sizes_swapped": (
        "model M() {\n    fn forward(x: f32[N, K]) -> f32[K, N] { return x }\n}\nlet m = M()\n",
        2, 33, "the result of forward must be f32[K, N], got f32[N, K]"),
    "f16_into_linear": ("model H() {\n    fc = Linear(4, 2)\n"
                        "    fn forward(x: f16[N, 4]) -> f16[N, 2] { return fc(x) }\n}\n"
                        "let h = H()\n", 3, 52,
                        "Linear at 'fc' computes in f32, as its parameters are: cast its input, "
                        "got f16[N, 4]"),
    "models_holding_each_other": (
        "model A() {\n    b = B()\n    fn forward(x: f32[N, 4]) -> f32[N, 4] { return b(x) }\n}\n"
        "model B() {\n    a = A()\n    fn forward(x: f32[N, 4]) -> f32[N, 4] { return a(x) }\n}\n"
        "let m = A()\n", 6, 9, "model A contains itself: A -> B -> A"),
    "quantized_into_float_model": ('model M() = Linear(4, 2)\nlet net = M()\n'
                                   'let q = quantize(net, "int8")\nnet = q\n', 4, 1,
                                   "'net' holds model M; cannot assign model M (int8)"),
    "mixed_list": ('let d = len(dataset("iris"))\nprint([d, 1.5])\n', 2, 7,
                   "list elements must all have the same type"),
    "dataset_row_index": ('let d = dataset("iris")\nprint(d[3])\n', 2, 7,
                          "a data set is indexed by a slice of rows: data[i:j]"),
    "evaluate_tensor": (NET + "print(evaluate(Net(), ones([2, 4])))\n", NET_LINES + 1, 23,
                        "data must be a data set, got f32[2, 4]"),
    "fit_non_model": ('fit(3, dataset("iris"))\n', 1, 5,
                      "the first argument must be a model, got int"),
    # values needed at compile time
    "dynamic_hyper_parameter": (
        NET + 'let data = dataset("iris")\nlet net = Net(len(data))\n', NET_LINES + 2, 15,
        "hyper-parameter 'd' of Net must be known at compile time, got int"),
    "dynamic_axis": ('let data = dataset("iris")\nprint(sum(data.x, axis=len(data)))\n', 2, 19,
                     "axis must be an integer known at compile time, got int"),
    "dynamic_loop_in_model": (
        model("fc = Linear(4, 4)", "(x: f32[N, 4]) -> f32[N, 4]",
              "for i in 0..sum(x) {\n            x = fc(x)\n        }\n        return x"),
        5, 18, "loop bounds in a model must be known at compile time"),
    "dynamic_condition_in_model": (
        model("fc = Linear(4, 4)", "(x: f32[N, 4]) -> f32[N, 4]",
              "if sum(x) > 0.0 {\n            return fc(x)\n        }\n        return x"),
        5, 19, "a condition in a model must be known at compile time"),
    "dropout_of_ids": ("model F() = Dropout(0.5) |> Embedding(20, 4)\nlet f = F()\n", 1, 13,
                       "Dropout at '0' needs a floating-point input, got i64[N, T]"),
    "sequential_without_input": ("model F() = Flatten() |> Linear(16, 3)\nlet f = F()\n", 1, 1,
                                 "cannot infer the input of sequential model F: start it with"),
    "dynamic_condition_in_host_called_function": (
        "fn g(x: f32[N]) -> f32[N] {\n    if sum(x) > 0.0 { return x }\n    return -x\n}\n"
        "print(g(ones([2])))\n", 2, 15,
        "a condition in a function must be known at compile time"),
    "power_overflow": ("print(2.0 ** 10000)\n", 1, 11,
                       "cannot evaluate 'pow' at compile time: the result is too large"),
    "division_by_zero": ("print(1 / 0)\n", 1, 9, "cannot evaluate 'div' at compile time"),
    "dtype_as_value": ("print(f32)\n", 1, 7, "dtype f32 cannot be used as a value here"),
    "operator_on_dtype": ("let x = f32 + 1\n", 1, 13,
                          "operator 'add' does not apply to dtype f32 and int"),
    # operator chains parse in loops but nest in the tree: too deep for Python's stack
    "long_operator_chain": ("let a = 1\nprint(" + "+".join(["a"] * 3000) + ")\n", 2, 1,
                            "expression is too deeply nested to compile"),
    "long_negation_chain": ("let x = " + "-" * 3000 + "1\n", 1, 1,
                            "expression is too deeply nested to compile"),
    # layers and fields
    "dropout_probability": (
        model("drop = Dropout(1.5)", "(x: f32[N, 4]) -> f32[N, 4]", "return drop(x)"),
        2, 20, "Dropout probability must be in [0, 1), got 1.5"),
    "attention_heads": (
        model("attn = Attention(10, 4)", "(x: f32[N, T, 10]) -> f32[N, T, 10]",
              "return attn(x)"),
        2, 12, "Attention: dim 10 is not divisible by 4 heads"),
    "conv_stride_none": (
        model("conv = Conv2d(3, 8, 3, stride=none)", "(x: f32[N, 3, 8, 8]) -> f32[N, 8, 6, 6]",
              "return conv(x)"),
        2, 28, "Conv2d argument 'stride' cannot be none"),
    "flatten_start_none": (
        model("f = Flatten(start=none)", "(x: f32[N, 3, 4]) -> f32[N, 12]", "return f(x)"),
        2, 17, "Flatten argument 'start' cannot be none"),
    "repeat_zero": (
        model("blocks = repeat(0, Linear(4, 4))", "(x: f32[N, 4]) -> f32[N, 4]", "return x"),
        2, 21, "repeat count must be at least 1, got 0"),
    "layer_list_out_of_range": (
        model("blocks = repeat(2, Linear(4, 4))", "(x: f32[N, 4]) -> f32[N, 4]",
              "return blocks[-3](x)"),
        5, 23, "index -3 is out of range for 2 items"),
    "layer_two_inputs": (NET.replace("return fc(x)", "return fc(x, x)") + "let n = Net()\n",
                         5, 16, "Linear takes exactly one input, got 2"),
    "layer_in_host": ("let fc = Linear(4, 2)\n", 1, 10,
                      "Linear creates a layer: declare it as a model field"),
    "model_created_in_method": (
        NET + model("fc = Linear(4, 4)", "(x: f32[N, 4]) -> f32[N, 4]",
                    "let inner = Net()\n        return fc(x)", name="Outer"),
        NET_LINES + 5, 21, "models are created as fields of a model, not in methods"),
    "stage_not_callable": ("model S() = Linear(4, 2) |> 3\nlet s = S()\n", 1, 29,
                           "int cannot be a stage"),
    # host functions and their options
    "unknown_dataset": ('let data = dataset("mnist")\n', 1, 20,
                        "unknown data set 'mnist'; expected one of digits, iris"),
    "unknown_loss": (NET + 'fit(Net(), dataset("iris"), loss="hinge")\n', NET_LINES + 1, 29,
                     "unknown loss 'hinge'; expected one of cross_entropy, mse"),
    "unknown_optimizer": (NET + 'fit(Net(), dataset("iris"), optimizer="lbfgs")\n',
                          NET_LINES + 1, 29, "unknown optimizer 'lbfgs'"),
    "unknown_metric": (NET + 'print(evaluate(Net(), dataset("iris"), metric="auc"))\n',
                       NET_LINES + 1, 40, "unknown metric 'auc'"),
    "quantize_twice": (NET + 'let q = quantize(Net(), "int8")\nlet qq = quantize(q, "int8")\n',
                       NET_LINES + 2, 19, "this model is already quantized"),
    "static_without_calibrate": (NET + 'let q = quantize(Net(), "int8", mode="static")\n',
                                 NET_LINES + 1, 33, 'mode="static" needs calibrate=DATASET'),
    "calibrate_ignored": (NET + 'let q = quantize(Net(), "int8", mode="dynamic", '
                                'calibrate=dataset("iris"))\n', NET_LINES + 1, 49,
                          'calibrate is only read by mode="static"; mode="dynamic" would '
                          "ignore it"),
    "layer_list_from_host": (
        "model B(d: int) = Linear(d, d)\nmodel M() {\n    blocks = repeat(2, B(2))\n"
        "    fn forward(x: f32[N, 2]) -> f32[N, 2] { return blocks[0](x) }\n}\n"
        "print(M().blocks(ones([1, 2])))\n", 6, 7,
        "'blocks' is a list of layers: call one of them inside a method"),
    "fit_quantized": (NET + 'let q = quantize(Net(), "int8")\nfit(q, dataset("iris"))\n',
                      NET_LINES + 2, 5, "a quantized model cannot be trained"),
    "split_fraction": ('let (a, b) = split(dataset("iris"), 1.5)\n', 1, 37,
                       "split fraction must be in (0, 1), got 1.5"),
    "learning_rate_zero": (NET + 'fit(Net(), dataset("iris"), lr=0)\n', NET_LINES + 1, 29,
                           "lr must be positive, got 0"),
}


@pytest.mark.parametrize("name", ERRORS)
def test_wrong_program_reports_located_error(name: str) -> None:
    source, line, col, fragment = ERRORS[name]
    err = located_error(source)
    assert (err.loc.file, err.loc.line, err.loc.col) == ("t.m", line, col), err.message
    assert fragment in err.message


def test_import_cycle_is_reported_at_the_import(tmp_path: Path) -> None:
    (tmp_path / "a.m").write_text('import "b.m"\n')
    (tmp_path / "b.m").write_text('\nimport "a.m"\n')
    main = tmp_path / "main.m"
    main.write_text('import "a.m"\n')
    with pytest.raises(CompileError) as info:
        compile_file(str(main))
    err = info.value
    assert err.loc is not None and Path(err.loc.file).name == "b.m"
    assert (err.loc.line, err.loc.col) == (2, 1)
    assert err.message == "import cycle: a.m -> b.m -> a.m"


def test_missing_import_is_reported_at_the_import(tmp_path: Path) -> None:
    main = tmp_path / "main.m"
    main.write_text('# header\n  import "nowhere.m"\n')
    with pytest.raises(CompileError) as info:
        compile_file(str(main))
    err = info.value
    assert err.loc is not None and (err.loc.line, err.loc.col) == (2, 3)
    assert "cannot import 'nowhere.m'" in err.message


def test_import_clashing_with_a_local_declaration(tmp_path: Path) -> None:
    """Regression: a local declaration before the import silently hid the imported one."""
    (tmp_path / "lib.m").write_text(NET)
    main = tmp_path / "main.m"
    main.write_text(NET + 'import "lib.m"\n')
    with pytest.raises(CompileError) as info:
        compile_file(str(main))
    assert info.value.loc is not None and info.value.loc.line == NET_LINES + 1
    assert "'Net' imported from 'lib.m' is already declared" in info.value.message


# ---------------------------------------------------------------- mopt, as a process

CLI_ERRORS = {
    "shape": (model("fc = Linear(64, 10)", "(x: f32[N, 32]) -> f32[N, 10]", "return fc(x)"),
              "5:16: error: Linear at 'fc'", "        return fc(x)", "               ^"),
    "host": ('let data = dataset("mnist")\n', "1:20: error: unknown data set 'mnist'",
             'let data = dataset("mnist")', "                   ^"),
    "syntax": ("let a = (1, \nprint(a)\n", "2:9: error: unexpected end of file", "print(a)",
               "        ^"),
    "verifier_class": ("print(cross_entropy(zeros([2, 3]), arange(5)))\n",
                       "1:7: error: cross_entropy: labels", None, "      ^"),
}


@pytest.mark.parametrize("name", CLI_ERRORS)
def test_mopt_reports_errors_without_traceback(name: str, tmp_path: Path) -> None:
    source, header, line, caret = CLI_ERRORS[name]
    path = tmp_path / f"{name}.m"
    path.write_text(source)
    done = mopt(str(path))
    assert done.returncode == 1
    assert done.stdout == ""
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    lines = done.stderr.splitlines()
    first = lines[0]
    assert first.startswith(f"{path}:") and header in first
    assert first.count("error:") == 1 and len(lines) == 3, done.stderr
    if line is not None:
        assert lines[1] == line
    if caret is not None:
        assert lines[2] == caret


def test_mopt_reports_a_missing_input_file(tmp_path: Path) -> None:
    done = mopt(str(tmp_path / "absent.m"))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "error:" in done.stderr and "absent.m" in done.stderr


def test_invalid_ir_from_the_frontend_is_an_internal_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """IR that fails to verify is the frontend's bug: reported, located, as internal."""
    class BrokenIRGen:
        def __init__(self, *args: object) -> None:
            pass

        def generate(self, end: object) -> ModuleOp:
            main = func.FuncOp("main", ((), ()), Region(Block()))  # no terminator
            main.location = FileLineColLoc(StringAttr("t.m"), IntAttr(1), IntAttr(1))
            return ModuleOp([main])

    monkeypatch.setattr(frontend, "IRGen", BrokenIRGen)
    with pytest.raises(InternalError) as info:
        compile_source("let a = 1\n", "t.m")
    assert info.value.message.startswith("frontend produced invalid IR: ")
    assert info.value.loc is not None and info.value.loc.line == 1
