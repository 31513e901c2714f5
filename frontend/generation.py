"""IR generation for `generate` (M-LANGUAGE-0.2 section 7): token ids, or text with a
tokenizer, extended by a causal language model.

The model is checked here: forward must take ids `[N, T]` and give logits `[N, T, V]`, and
a model with a key-value cache (`prefill` and `decode`) must pass the cache that prefill
makes back through decode unchanged in number, dtypes and ranks. Options known at compile
time are checked here too; the runtime checks those known only there.
"""

from __future__ import annotations

from typing import Protocol, cast

from mlang.dialects.model.generation import GENERATE_OPTIONS, GenerateOp
from mlang.frontend.builtin_args import Args, Locs, required
from mlang.frontend.emitter import Emitter
from mlang.frontend.generator import ModelInfo
from mlang.frontend.host_functions import (
    HostContext, _call, host_function, model_arg, optional, positive,
)
from mlang.frontend.signatures import Signature
from mlang.frontend.types import (
    FLOAT, FLOAT_DTYPES, INT, STR, ListT, ModelT, MType, TensorT, TokenizerT, TupleT,
)
from mlang.frontend.values import Static, Value, describe
from mlang.support.diagnostics import CompileError, Loc

IDS = TensorT("i64", (None, None))
"""The prompt's ids as the model's methods are checked with them."""
NEXT_IDS = TensorT("i64", (None, 1))
"""One new token per row, and its position, as decode takes them."""
OPTION_TYPES: dict[str, MType] = {"max_new": INT, "temperature": FLOAT, "top_k": INT,
                                  "top_p": FLOAT, "eos": INT, "seed": INT}
CAUSAL_LM = "forward(ids: i64[N, T]) -> f32[N, T, V]"


class GenerationContext(HostContext, Protocol):
    """What `generate` needs from the IR generator beyond other host functions: the
    specialised models, to see which methods a model has."""

    by_symbol: dict[str, ModelInfo]


@host_function(Signature.of("generate", "model", "input", ("text", None), ("max_new", 32),
                            ("temperature", 0.0), ("top_k", 0), ("top_p", 1.0), ("eos", None),
                            ("seed", None)))
def emit_generate(ctx: HostContext, em: Emitter, a: Args, locs: Locs, loc: Loc) -> Value:
    """Ids, or text with a tokenizer, extended by a causal language model."""
    _check_options(a, locs)
    model = model_arg(em, a["model"], locs["model"])
    check_causal_lm(cast(GenerationContext, ctx), model.type, locs["model"])
    source = em.value(required(a, "input"), locs["input"])
    text = a["text"]
    if isinstance(source.type, TokenizerT):
        if text is None:
            raise CompileError(loc, "generate with a tokenizer needs the prompt: "
                                    "generate(model, tokenizer, \"a prompt\")")
        prompt = em.value(text, locs["text"])
        if prompt.type not in (STR, ListT(STR)):
            raise CompileError(locs["text"], f"the prompt must be a string or a list of "
                                             f"strings, got {describe(text)}")
        result: MType = prompt.type
        text_ssa = prompt.ssa
    else:
        if text is not None:
            raise CompileError(locs["text"], "generate(model, ids, ...) takes its options by "
                                             "name (max_new=...); a prompt as text needs a "
                                             "tokenizer: generate(model, tokenizer, TEXT)")
        result = _ids_result(source.type, locs["input"])
        text_ssa = None
    operands = {"model": model.ssa, "input": source.ssa, "text": text_ssa,
                **{name: optional(em, a[name], OPTION_TYPES[name], locs[name], name)
                   for name in GENERATE_OPTIONS}}
    return _call(em, GenerateOp, operands, result, loc)


def _ids_result(t: MType, loc: Loc) -> TensorT:
    """The type of the generated ids, `i64[N, ?]`, for prompt ids of type `t`."""
    if not isinstance(t, TensorT) or t.dtype != "i64" or t.shape is None or len(t.shape) != 2:
        raise CompileError(loc, f"generate needs prompt ids i64[N, T] or a tokenizer, got {t}")
    return TensorT("i64", (t.shape[0], None))


def _check_options(a: Args, locs: Locs) -> None:
    """The checks of the options that compile-time values allow."""
    for name in ("max_new", "temperature", "top_k", "eos"):
        positive(a[name], locs[name], name, strict=False)
    top_p = a["top_p"]
    if isinstance(top_p, Static) and isinstance(top_p.value, (int, float)) and \
            not 0 < top_p.value <= 1:
        raise CompileError(locs["top_p"], f"top_p must be in (0, 1], got {top_p.value}")


# ------------------------------------------------------------------------ the model


def check_causal_lm(ctx: GenerationContext, model: ModelT, loc: Loc) -> None:
    """Checks that `model` is a causal language model, and its cache methods if it has
    them (a model read by load_model is checked when it runs)."""
    if model.definition is None:
        return
    info = ctx.by_symbol[model.definition]
    name = info.decl.name
    _logits(_result(ctx, model, "forward", [IDS], loc), f"{name}.forward", loc)
    methods = {m.name for m in info.decl.methods} & {"prefill", "decode"}
    if not methods:
        return
    if len(methods) == 1:
        (has,) = methods
        lacks = "decode" if has == "prefill" else "prefill"
        raise CompileError(loc, f"{name} has {has} but not {lacks}: generate uses both (a "
                                "key-value cache) or neither (forward alone)")
    cache = _with_cache(_result(ctx, model, "prefill", [IDS], loc), f"{name}.prefill", loc)
    after = _with_cache(_result(ctx, model, "decode", [NEXT_IDS, NEXT_IDS, *cache], loc),
                        f"{name}.decode", loc)
    if [_kind(t) for t in after] != [_kind(t) for t in cache]:
        raise CompileError(loc, f"{name}.decode must return its cache as it takes it, "
                                f"({', '.join(map(str, cache))}); it returns "
                                f"({', '.join(map(str, after))})")


def _result(ctx: GenerationContext, model: ModelT, method: str, args: list[MType],
            loc: Loc) -> MType:
    """The result of a method for these arguments, an error saying what generate needs."""
    try:
        return ctx.method_result(model, method, args, loc)
    except CompileError as err:
        raise CompileError(loc, f"generate needs a causal language model, {CAUSAL_LM}, and "
                                "with a key-value cache prefill(ids: i64[N, T]) -> (logits, "
                                "cache...) and decode(ids: i64[N, 1], position_ids: "
                                f"i64[N, 1], cache...) -> (logits, cache...): {err.message}"
                           ) from None


def _logits(t: MType, what: str, loc: Loc) -> None:
    """Checks that a method's result is float logits `[N, T, V]`."""
    if isinstance(t, TensorT) and t.dtype in FLOAT_DTYPES and (t.shape is None or
                                                              len(t.shape) == 3):
        return
    raise CompileError(loc, f"generate needs a causal language model, {CAUSAL_LM}; {what} "
                            f"returns {t}")


def _with_cache(t: MType, what: str, loc: Loc) -> list[MType]:
    """The cache of a result `(logits, cache...)`, the logits checked."""
    if not isinstance(t, TupleT) or len(t.elements) < 2:
        raise CompileError(loc, f"{what} must return (logits, cache...), got {t}")
    _logits(t.elements[0], what, loc)
    return list(t.elements[1:])


def _kind(t: MType) -> object:
    """What must stay the same of a cache tensor from step to step: dtype and rank."""
    if isinstance(t, TensorT):
        return t.dtype, None if t.shape is None else len(t.shape)
    return t
