"""`generate`: token ids extended by a causal language model, greedy or sampled as Hugging
Face's `generate` does (M-LANGUAGE-0.2 section 7), with a key-value cache where the model
has one.

A model with methods `prefill(ids) -> (logits, cache...)` and `decode(ids, position_ids,
cache...) -> (logits, cache...)` runs its prompt once and then one token per step, the
cache passed back as it came; any other model runs forward on the whole sequence each
step. Either way one compiled model serves every step (its sizes are known at run time),
and only the first call of each method checks its inputs: a step costs the model and
little else.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from tokenizers import Tokenizer

from mlang.backends import RunOptions
from mlang.runtime.model import ModelInstance, m_dtype
from mlang.support.diagnostics import UserError

CACHE_METHODS = ("prefill", "decode")


@dataclass(frozen=True)
class GenerateOptions:
    """How many tokens to make and how to choose each (Hugging Face's names and order)."""

    max_new: int = 32
    temperature: float = 0.0
    """0 chooses the most likely token (greedy); otherwise the logits are divided by it
    and a token is sampled."""
    top_k: int = 0
    """Samples among the k most likely tokens only (0: all)."""
    top_p: float = 1.0
    """Samples among the most likely tokens whose probabilities sum to top_p (at least
    one)."""
    eos: int | None = None
    """A row that made this token is finished: padded with it until every row is."""
    seed: int | None = None
    """Makes sampling reproducible (else the global generator that `seed(n)` seeds)."""

    def check(self) -> None:
        """Refuses options out of range (those known at compile time were checked there)."""
        for name in ("max_new", "top_k", "temperature", "eos"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise UserError(f"generate: {name} must be >= 0, got {value}")
        if not 0 < self.top_p <= 1:
            raise UserError(f"generate: top_p must be in (0, 1], got {self.top_p}")

    @property
    def greedy(self) -> bool:
        """Whether each token is the most likely one."""
        return self.temperature == 0


def generate(model: ModelInstance, ids: torch.Tensor,
             options: GenerateOptions = GenerateOptions()) -> torch.Tensor:
    """The prompt ids `[N, T]` followed by up to `max_new` generated ones, on their device."""
    options.check()
    _check_prompt(ids)
    device = next((p.device for p in model.params.values()), ids.device)
    with torch.no_grad():
        out = _generate(_steps_of(model), ids.to(device), options)
    return out.to(ids.device)


def _generate(steps: Steps, ids: torch.Tensor, options: GenerateOptions) -> torch.Tensor:
    """The generation loop: choose a token per row, stop when all rows are finished."""
    n, t = ids.shape
    out = torch.empty(n, t + options.max_new, dtype=torch.int64, device=ids.device)
    out[:, :t] = ids
    if options.max_new == 0:
        return out
    logits = steps.first(ids)
    _check_eos(options.eos, logits.shape[-1])
    choose = Chooser(options, ids.device)
    unfinished = torch.ones(n, dtype=torch.bool, device=ids.device)
    for step in range(options.max_new):
        if step:
            logits = steps.next(out[:, :t + step])
        token = choose(logits)
        if options.eos is not None:
            token = token.masked_fill(~unfinished, options.eos)
            unfinished &= token != options.eos
        out[:, t + step] = token
        if options.eos is not None and not unfinished.any():
            return out[:, :t + step + 1].contiguous()
    return out


def _check_prompt(ids: torch.Tensor) -> None:
    """Prompt ids are i64 `[N, T]` with at least one row and one token."""
    if ids.dtype != torch.int64 or ids.dim() != 2 or 0 in ids.shape:
        raise UserError(f"generate needs prompt ids i64[N, T] with N, T >= 1, got "
                        f"{m_dtype(ids.dtype)}{list(ids.shape)}")


def _check_eos(eos: int | None, vocab: int) -> None:
    """eos is one of the model's `vocab` tokens."""
    if eos is not None and eos >= vocab:
        raise UserError(f"generate: eos {eos} is not a token of this model's {vocab}")


# ---------------------------------------------------------------------- choosing


class Chooser:
    """Picks each row's next token from last-position logits `[N, V]`: the argmax, or a
    sample after Hugging Face's temperature, top-k and top-p warpers, in that order."""

    def __init__(self, options: GenerateOptions, device: torch.device):
        self.options = options
        self.generator: torch.Generator | None = None
        if options.seed is not None and not options.greedy:
            self.generator = torch.Generator(device).manual_seed(options.seed)

    def __call__(self, logits: torch.Tensor) -> torch.Tensor:
        if self.options.greedy:
            return logits.argmax(dim=-1)
        probs = torch.softmax(warp(logits, self.options), dim=-1)
        return torch.multinomial(probs, 1, generator=self.generator).squeeze(1)


def warp(logits: torch.Tensor, options: GenerateOptions) -> torch.Tensor:
    """The logits of a sampling step as Hugging Face warps them: divided by temperature,
    then all but the top_k largest and then all outside the top_p mass set to -inf."""
    scores = logits / options.temperature
    if options.top_k > 0:
        k = min(options.top_k, scores.shape[-1])
        kth = torch.topk(scores, k).values[..., -1:]
        scores = scores.masked_fill(scores < kth, -float("inf"))
    if options.top_p < 1:
        ascending, order = torch.sort(scores, descending=False)
        outside = ascending.softmax(dim=-1).cumsum(dim=-1) <= 1 - options.top_p
        outside[..., -1:] = False  # the most likely token always stays
        scores = scores.masked_fill(outside.scatter(-1, order, outside), -float("inf"))
    return scores


# ------------------------------------------------------------------------- steps


class Steps:
    """The model's side of the loop: the logits after the prompt, then after each token."""

    def __init__(self, model: ModelInstance):
        self.model = model
        self.options = RunOptions()

    def first(self, ids: torch.Tensor) -> torch.Tensor:
        """The last-position logits `[N, V]` (float32) after the prompt."""
        raise NotImplementedError

    def next(self, ids: torch.Tensor) -> torch.Tensor:
        """The last-position logits after `ids`, the prompt and the tokens made so far."""
        raise NotImplementedError


def _steps_of(model: ModelInstance) -> Steps:
    """Cached steps for a model with prefill and decode, else forward on every step."""
    methods = set(model.inputs)
    if methods.issuperset(CACHE_METHODS):
        return CachedSteps(model)
    if "forward" not in methods:
        raise UserError(model.no_method("forward"))
    return FullSteps(model)


def _last(logits: object, what: str) -> torch.Tensor:
    """The float32 logits of the last position of `[N, T, V]` logits."""
    if not isinstance(logits, torch.Tensor) or logits.dim() != 3:
        got = (f"{m_dtype(logits.dtype)}{list(logits.shape)}"
               if isinstance(logits, torch.Tensor) else type(logits).__name__)
        raise UserError(f"generate needs logits [N, T, V] from {what}, got {got}")
    return logits[:, -1].float()


class FullSteps(Steps):
    """A model without a cache: forward on the whole sequence, every step."""

    def first(self, ids: torch.Tensor) -> torch.Tensor:
        return self.next(ids)

    def next(self, ids: torch.Tensor) -> torch.Tensor:
        # `call` checks each new length once; the forward itself dwarfs it here.
        return _last(self.model.call("forward", [ids.contiguous()])[0],
                     f"{self.model.name}.forward")


class CachedSteps(Steps):
    """A model with a key-value cache: prefill the prompt, then decode one token a step
    with its position, passing the cache back as decode returned it."""

    def __init__(self, model: ModelInstance):
        super().__init__(model)
        self.cache: list[object] = []
        self.checked = False

    def first(self, ids: torch.Tensor) -> torch.Tensor:
        logits, *self.cache = self.model.call("prefill", [ids])
        return _last(logits, f"{self.model.name}.prefill")

    def next(self, ids: torch.Tensor) -> torch.Tensor:
        n, length = ids.shape
        position = torch.full((n, 1), length - 1, dtype=torch.int64, device=ids.device)
        args: Sequence[object] = [ids[:, -1:], position, *self.cache]
        if self.checked:
            results = self.model.compiled.run("decode", self.model.params, args, self.options)
        else:  # the first step checks the inputs; the later ones have the same kinds
            results = self.model.call("decode", args)
            if len(results) != len(args) - 1:
                raise UserError(f"{self.model.name}.decode must return its logits and the "
                                f"{len(self.cache)} cache tensors it takes, got "
                                f"{len(results)} results")
            self.checked = True
        logits, *self.cache = results
        return _last(logits, f"{self.model.name}.decode")


# -------------------------------------------------------------------------- text


def generate_text(model: ModelInstance, tok: Tokenizer, prompt: str | list[str],
                  options: GenerateOptions = GenerateOptions()) -> str | list[str]:
    """The prompt (or each prompt) followed by its continuation, as text."""
    texts = [prompt] if isinstance(prompt, str) else prompt
    out = generate(model, encode_prompts(tok, texts), options)
    decoded: list[str] = tok.decode_batch(out.tolist(), skip_special_tokens=True)
    return decoded[0] if isinstance(prompt, str) else decoded


def encode_prompts(tok: Tokenizer, texts: list[str]) -> torch.Tensor:
    """The ids `[N, T]` of prompts of one length in tokens, unpadded and untruncated."""
    if not texts:
        raise UserError("generate needs at least one prompt")
    with _unpadded(tok):
        rows = [e.ids for e in tok.encode_batch(texts)]
    lengths = sorted({len(row) for row in rows})
    if lengths[0] == 0:
        raise UserError("generate: a prompt has no tokens")
    if len(lengths) > 1:
        raise UserError(f"generate takes prompts of one length in tokens; these have "
                        f"{', '.join(map(str, lengths))} (pad them yourself, or generate "
                        "one at a time)")
    return torch.tensor(rows, dtype=torch.int64)


@contextmanager
def _unpadded(tok: Tokenizer) -> Iterator[None]:
    """`tok` with padding and truncation off (`tokenize` sets them), restored after."""
    padding, truncation = tok.padding, tok.truncation
    tok.no_padding()
    tok.no_truncation()
    try:
        yield
    finally:
        if padding is not None:
            tok.enable_padding(**padding)
        if truncation is not None:
            tok.enable_truncation(**truncation)
