"""How a record's fields meet a forward's parameters (M-LANGUAGE-0.2 section 5): each
parameter takes the field of its name. The checker (`frontend/`) and the runtime share the
rule, so it sits below both.

The rule for a field that forward does not take: `token_type_ids` is left out without a
word, as Hugging Face's Trainer drops the columns a model does not take (it is all zeros
for single texts, and RoBERTa- or DistilBERT-like models have no such input). Any other
field is an error: leaving out `attention_mask` would let the model attend to padding, a
silent loss of accuracy, and an unknown field is more likely a misspelt parameter."""

from __future__ import annotations

from collections.abc import Sequence

DROPPABLE_FIELDS = ("token_type_ids",)
"""Fields that a forward which does not take them leaves out."""


def field_mismatch(fields: Sequence[str], params: Sequence[str], method: str) -> str | None:
    """Why a record of `fields` cannot be `method`'s inputs (`params`, its parameters in
    order), or None when every parameter has its field and every other field is droppable."""
    known = ", ".join(fields) or "(none)"
    taken = ", ".join(params) or "(none)"
    missing = [p for p in params if p not in fields]
    if missing:
        return (f"{method}'s parameter '{missing[0]}' has no field of that name in the "
                f"record; its fields are {known}")
    extra = [f for f in fields if f not in params and f not in DROPPABLE_FIELDS]
    if extra:
        return (f"the record's field '{extra[0]}' is not a parameter of {method} (its "
                f"parameters: {taken}); add a parameter '{extra[0]}' to forward (only "
                f"{', '.join(DROPPABLE_FIELDS)} is left out when forward does not take it)")
    return None
