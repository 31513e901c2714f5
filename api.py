"""`import mlang`: the compiler as a Python library (M-LANGUAGE-0.2.md section 9).

`run` runs a program as `mrun` does; `compile` gives a program's models as Python
constructors; `load_model` reads a package. Their models (`Model`) take NumPy arrays or
torch tensors, one example or a batch, and give back what they were given; `to_torch`
makes one an `nn.Module` with the model's `state_dict` names. Every error that `mrun`
would report raises `MError`, located where `mrun` locates it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from xdsl.dialects.builtin import TensorType

from mlang.dialects.model.structure import DefOp, InstantiateOp, symbol_name
from mlang.dialects.model.types import dtype_name, shape_of
from mlang.support.diagnostics import CompileError, SourceManager, UserError, render

if TYPE_CHECKING:
    from tokenizers import Tokenizer

    from mlang.frontend import ast
    from mlang.runtime.export import TorchModule
    from mlang.runtime.model import ModelInstance

Array = Any
"""What a model method takes and gives: a NumPy array, a torch tensor or a number."""


class MError(Exception):
    """An error of an M program or of its use, located as `mrun` reports it.

    `file`, `line` and `column` are None where no place in a source is to blame (a bad
    input to a model method, a missing file)."""

    def __init__(self, message: str, file: str | None = None, line: int | None = None,
                 column: int | None = None, rendered: str | None = None):
        super().__init__(rendered or message)
        self.message = message
        self.file = file
        self.line = line
        self.column = column


@contextmanager
def _errors(sources: SourceManager | None = None) -> Iterator[None]:
    """Turns the compiler's user errors into `MError`s."""
    try:
        yield
    except CompileError as err:
        loc = err.loc
        text = render(err, sources).rstrip("\n")
        raise MError(err.message, loc.file if loc else None, loc.line if loc else None,
                     loc.col if loc else None, text) from None
    except UserError as err:
        raise MError(str(err), rendered=f"error: {err}") from None


def _backend_name(backend: str, device: str) -> str:
    """The backend that `backend` ("auto" or a name) means on `device`, as `mrun` picks."""
    from mlang.tools.mrun import _select_backend

    return _select_backend(backend, device)


def run(path: str | Path, backend: str = "auto", device: str = "cpu",
        seed: int | None = None) -> None:
    """Runs the M program at `path`, as `mrun PATH` does; its output goes to stdout."""
    from mlang.tools.mrun import run_program

    sources = SourceManager()
    with _errors(sources):
        run_program(str(path), backend, device, seed, sources)


def compile(path_or_source: str | Path, backend: str = "auto",
            device: str = "cpu") -> Program:
    """The models of an M program (a path to a `.m` file, or M source text) as
    constructors: `compile("net.m").Classifier(64, 128, 10)`. Host statements don't run."""
    from mlang.frontend import ast as m_ast
    from mlang.frontend import collect_declarations
    from mlang.frontend.lexer import decode_source
    from mlang.frontend.parser import parse_program
    from mlang.frontend.resolution import check_declarations

    sources = SourceManager()
    with _errors(sources):
        text, file = _source_of(path_or_source, decode_source)
        sources.add(file, text)
        program = parse_program(text, file)
        decls = collect_declarations(program, sources, [str(Path(file).resolve())])
        check_declarations(decls)
        models = [d.name for d in decls if isinstance(d, m_ast.ModelDecl)]
    return Program(file, decls, models, sources, _backend_name(backend, device), device)


def _source_of(path_or_source: str | Path,
               decode: Callable[[bytes, str], str]) -> tuple[str, str]:
    """The text and file name of `compile`'s argument: a file when it is a `Path`, names
    an existing file or ends in `.m` (a missing one is an error), source text otherwise."""
    is_file = isinstance(path_or_source, Path) or "\n" not in path_or_source and (
        path_or_source.endswith(".m") or Path(path_or_source).is_file())
    if not is_file:
        return str(path_or_source), "<source>"
    try:
        data = Path(path_or_source).read_bytes()
    except OSError as err:
        raise UserError(f"cannot read '{path_or_source}': {err.strerror}") from None
    return decode(data, str(path_or_source)), str(path_or_source)


class Program:
    """A compiled M program: each of its models is an attribute that constructs one."""

    def __init__(self, file: str, decls: list[ast.ModelDecl | ast.FnDecl], models: list[str],
                 sources: SourceManager, backend: str, device: str):
        self.file = file
        self.models = models
        """The names of the program's models (imported ones included)."""
        self._decls = decls
        self._sources = sources
        self._backend = backend
        self._device = device

    def __dir__(self) -> list[str]:
        return [*super().__dir__(), *self.models]

    def __getattr__(self, name: str) -> Callable[..., Model]:
        if name.startswith("_") or name not in self.models:
            raise AttributeError(f"the program {self.file} has no model '{name}' "
                                 f"(its models: {', '.join(self.models)})")
        return lambda *args, **kwargs: self.instantiate(name, *args, **kwargs)

    def instantiate(self, name: str, *args: object, **kwargs: object) -> Model:
        """A new model `name(args)`, its parameters drawn from torch's global generator."""
        from mlang.backends import get_backend
        from mlang.runtime.model import ModelInstance

        with _errors(self._sources):
            definition = self._specialise(name, args, kwargs)
            compiled = get_backend(self._backend).compile(definition)
            return Model(ModelInstance.create(definition, compiled, self._device))

    def _specialise(self, name: str, args: Sequence[object], kwargs: dict[str, object]) -> DefOp:
        """The `model.def` of `name(args)`: the frontend's own, for one statement that
        instantiates it."""
        from mlang.frontend import ast as m_ast
        from mlang.frontend import end_loc
        from mlang.frontend.irgen import IRGen
        from mlang.frontend.parser import parse_program

        written = [_m_literal(a) for a in args]
        written += [f"{k}={_m_literal(v)}" for k, v in kwargs.items()]
        text = f"let made = {name}({', '.join(written)})\n"
        file = "<mlang.compile>"
        self._sources.add(file, text)
        statements = [i for i in parse_program(text, file).items
                      if not isinstance(i, (m_ast.ModelDecl, m_ast.FnDecl, m_ast.Import))]
        module = IRGen(self._decls, statements).generate(end_loc(text, file))
        made = next(op for op in module.walk() if isinstance(op, InstantiateOp))
        symbol = symbol_name(made.definition)
        definition = next(op for op in module.ops
                          if isinstance(op, DefOp) and op.sym_name.data == symbol)
        module.body.block.detach_op(definition)
        return definition


def _m_literal(value: object) -> str:
    """A Python hyper-parameter as M source: numbers, booleans, strings and lists of them."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_m_literal(v) for v in value) + "]"
    raise MError(f"a model argument must be a number, a boolean, a string or a list of "
                 f"them, not {type(value).__name__} {value!r}")


def load_model(path: str | Path, backend: str = "auto", device: str = "cpu") -> Model:
    """The model of a package written by `save` (or `Model.save`)."""
    from mlang.backends import get_backend
    from mlang.runtime.model_io import load_model as load_package_model

    with _errors():
        chosen = get_backend(_backend_name(backend, device))
        return Model(load_package_model(str(path), chosen, device))


def pretrained(path: str | Path, labels: int | None = None, backend: str = "auto",
               device: str = "cpu", dtype: str | None = None) -> Model:
    """The model of a Hugging Face checkpoint folder (or a name in the local Hugging Face
    cache), as M's `pretrained(PATH, labels=, dtype=)` builds it from `std`; `dtype` is
    `"f32"`, `"bf16"` or `"f16"`."""
    from xdsl.dialects import func

    from mlang.backends import get_backend
    from mlang.frontend import compile_source
    from mlang.runtime.interpreter import Interpreter
    from mlang.runtime.model import ModelInstance

    options = "" if labels is None else f", labels={_m_literal(labels)}"
    if dtype is not None:
        if dtype not in ("f32", "bf16", "f16"):
            raise MError(f"pretrained: dtype must be f32, bf16 or f16, got {dtype!r}")
        options += f", dtype={dtype}"
    source = f"let net = pretrained({_m_literal(str(path))}{options})\n"
    sources = SourceManager()
    with _errors(sources):
        module = compile_source(source, "<pretrained>", sources)
        chosen = get_backend(_backend_name(backend, device))
        main = next(op for op in module.ops if isinstance(op, func.FuncOp))
        values: dict[Any, object] = {}
        # The host program's values: the loaded model is the one model among them.
        Interpreter(module, chosen, device).block(main.body.block, values)
    return Model(next(v for v in values.values() if isinstance(v, ModelInstance)))


class Model:
    """A model: call it (its forward) or any method by name, with NumPy arrays or torch
    tensors, a batch or one example (a batch of one, given back without its batch axis)."""

    def __init__(self, instance: ModelInstance):
        self._instance = instance

    @property
    def name(self) -> str:
        """The model's declared name (`Classifier`)."""
        return self._instance.name

    @property
    def methods(self) -> list[str]:
        """The names of the methods that can be called."""
        return sorted(m for m in self._instance.inputs if "." not in m)

    @property
    def tokenizer(self) -> Tokenizer | None:
        """The `tokenizers.Tokenizer` a package was saved with (`save(..., tokenizer=)`),
        else None."""
        return self._instance.tokenizer

    @property
    def classes(self) -> list[str] | None:
        """The class names a package was saved with (`save(..., classes=)`), else None."""
        return self._instance.classes

    def __repr__(self) -> str:
        return f"<mlang model {self.name} ({self._instance.parameter_count()} parameters)>"

    def __call__(self, *args: Array) -> Any:
        """The model's forward."""
        return self.call("forward", *args)

    def __getattr__(self, method: str) -> Callable[..., Any]:
        if method.startswith("_") or method not in self._instance.inputs:
            raise AttributeError(f"model {self.name} has no method '{method}'")
        return lambda *args: self.call(method, *args)

    def call(self, method: str, *args: Array) -> Any:
        """Runs `method`: NumPy in, NumPy out; torch in, torch out (on the input's device)."""
        instance: ModelInstance = self._instance
        with _errors():
            if method not in instance.inputs:
                raise UserError(instance.no_method(method))
            types = instance.inputs[method]
            as_numpy = not any(isinstance(a, torch.Tensor) for a in args)
            device = next((a.device for a in args if isinstance(a, torch.Tensor)), None)
            tensors = [_as_input(a, t) for a, t in zip(args, types)] + list(args[len(types):])
            single = _is_single(tensors, types)
            if single:
                tensors = [t.unsqueeze(0) if isinstance(t, torch.Tensor) and t.dim() else t
                           for t in tensors]
            model_device = next((p.device for p in instance.params.values()), None)
            tensors = [t.to(model_device) if isinstance(t, torch.Tensor) else t for t in tensors]
            results = _run(instance, method, tensors)
        outs = [_as_output(r, single, as_numpy, device) for r in results]
        return outs[0] if len(outs) == 1 else tuple(outs)

    def parameters(self) -> dict[str, torch.Tensor]:
        """The model's tensors by dotted name (`fc1.weight`): its live state, not a copy."""
        return self._instance.parameters()

    def state_dict(self) -> dict[str, torch.Tensor]:
        """The model's tensors by name, as a PyTorch state dict (copies)."""
        return {k: v.detach().clone() for k, v in self._instance.parameters().items()}

    def parameter_count(self) -> int:
        """The number of parameters, as `params(model)` prints it."""
        return self._instance.parameter_count()

    def to_torch(self) -> TorchModule:
        """The model as a `torch.nn.Module` sharing its tensors, with the same
        `state_dict` names; its forward is the model's, traced by autograd."""
        from mlang.runtime.export import TorchModule

        with _errors():
            return TorchModule(self._instance)

    def save(self, path: str | Path, tokenizer: Tokenizer | None = None,
             classes: Sequence[str] | None = None) -> None:
        """Writes the model as a package, as `save(model, PATH, tokenizer=, classes=)` does
        (by default with the tokenizer and classes it was read with)."""
        from mlang.runtime.model_io import save_model

        with _errors():
            save_model(self._instance, str(path), tokenizer, classes)

    def load_weights(self, path: str | Path) -> None:
        """Fills the model from a `.safetensors` or `.pt` state dict, as `load_weights`."""
        from mlang.runtime.model_io import load_weights

        with _errors():
            load_weights(self._instance, str(path))

    def generate(self, ids: Array, max_new: int = 32, temperature: float = 0.0, top_k: int = 0,
                 top_p: float = 1.0, eos: int | None = None, seed: int | None = None) -> Any:
        """`generate(model, ids, ...)` of M: ids `[N, T]` followed by up to `max_new` new
        tokens, greedy or sampled; NumPy in, NumPy out; torch in, torch out."""
        from mlang.runtime.generation import GenerateOptions, generate
        from mlang.runtime.interpreter import runtime_message

        options = GenerateOptions(max_new, temperature, top_k, top_p, eos, seed)
        prompt = ids if isinstance(ids, torch.Tensor) else torch.as_tensor(np.asarray(ids))
        with _errors():
            try:
                out = generate(self._instance, prompt, options)
            except (RuntimeError, ValueError, IndexError, TypeError) as err:
                raise UserError(runtime_message(err)) from None
        return out if isinstance(ids, torch.Tensor) else out.numpy()

    def export(self, path: str | Path, *example: Array) -> None:
        """Writes the forward as ONNX (`.onnx`) or a `torch.export` program (`.pt2`),
        traced on the `example` batch (by default, inputs made from its signature)."""
        from mlang.runtime.export import export_model

        types = self._instance.inputs.get("forward", ())
        tensors = [_as_input(a, t) for a, t in zip(example, types)]
        with _errors():
            export_model(self._instance, str(path),
                         [t for t in tensors if isinstance(t, torch.Tensor)] or None)


def _run(instance: ModelInstance, method: str, args: list[object]) -> list[object]:
    """Runs a method; what torch raises on bad data is a `UserError`, as in `mrun`."""
    from mlang.runtime.interpreter import runtime_message

    try:
        with torch.no_grad():
            return instance.call(method, args)
    except (RuntimeError, ValueError, IndexError, TypeError) as err:
        raise UserError(runtime_message(err)) from None


def _as_input(value: Array, t: object) -> object:
    """An argument as the method takes it: NumPy arrays and lists become tensors, cast to
    the method's dtype where only the width differs (float64 for f32, int32 for i64)."""
    if isinstance(value, (bool, int, float)) and not (isinstance(t, TensorType) and shape_of(t)):
        return value
    tensor = value if isinstance(value, torch.Tensor) else torch.as_tensor(np.asarray(value))
    if not isinstance(t, TensorType):
        return tensor
    from mlang.backends.reference.functional import DTYPES

    want = DTYPES[dtype_name(t.element_type)]
    same_kind = (tensor.is_floating_point() == want.is_floating_point
                 and (tensor.dtype == torch.bool) == (want == torch.bool))
    return tensor.to(want) if same_kind else tensor


def _is_single(args: Sequence[object], types: Sequence[object]) -> bool:
    """Whether every tensor argument lacks one leading axis of a method whose inputs all
    begin with a symbolic (batch) size: one example rather than a batch."""
    pairs = [(a, shape_of(t)) for a, t in zip(args, types)
             if isinstance(a, torch.Tensor) and isinstance(t, TensorType) and shape_of(t)]
    return bool(pairs) and all(
        not isinstance(sizes[0], int) and a.dim() == len(sizes) - 1 for a, sizes in pairs)


def _as_output(value: object, single: bool, as_numpy: bool,
               device: torch.device | None) -> Any:
    """A method's result as the caller gave its inputs."""
    if not isinstance(value, torch.Tensor):
        return value
    if single and value.dim():
        value = value.squeeze(0)
    if as_numpy:
        return value.detach().cpu().numpy()
    return value.to(device) if device is not None else value
