"""`pretrained(PATH)` and `import std.bert`: tiny random BERT checkpoints (hidden 32, two
layers, fixed seed) written by `transformers` (a test dependency only) in temporary
folders, loaded by three-line M programs and compared with `transformers` to 1e-4 on a
padded batch of two with token types, under the reference and torch backends; sharded,
bf16, `pytorch_model.bin` and Hugging Face cache checkpoints; `labels=K`; every error."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.numpy import load_file
from safetensors.torch import load_file as load_torch_file
from safetensors.torch import save_file
from test_host_programs import BACKENDS, failure, invoke, mrun

pytestmark = pytest.mark.usefixtures("one_thread")

import transformers  # noqa: E402 - a test dependency (the dev extra), never skipped

MODELS = ("BertModel", "BertForSequenceClassification", "BertForTokenClassification",
          "BertForQuestionAnswering")

IDS = [[2, 7, 3, 9, 4], [5, 11, 6, 0, 0]]
MASK = [[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]]
TYPES = [[0, 0, 1, 1, 1], [0, 1, 1, 0, 0]]
INPUTS = f"tensor({IDS}), tensor({MASK}), tensor({TYPES})"


def tiny_bert(kind: str, **config: object) -> torch.nn.Module:
    """A tiny random model of class `kind` (seed 0), in evaluation mode."""
    torch.manual_seed(0)
    settings: dict[str, object] = {
        "vocab_size": 40, "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4,
        "intermediate_size": 37, "max_position_embeddings": 16,
        "num_labels": 2 if kind == "BertForQuestionAnswering" else 3}
    settings.update(config)
    model: torch.nn.Module = getattr(transformers, kind)(
        transformers.BertConfig(**settings)).eval()
    return model


def save(model: torch.nn.Module, folder: Path, **options: object) -> Path:
    """Writes `model` with `save_pretrained` into `folder`."""
    model.save_pretrained(folder, **options)  # type: ignore[operator]
    return folder


def reference(model: torch.nn.Module) -> dict[str, np.ndarray]:
    """What `transformers` computes for INPUTS: the main output(s)."""
    with torch.no_grad():
        out = model(input_ids=torch.tensor(IDS), attention_mask=torch.tensor(MASK),
                    token_type_ids=torch.tensor(TYPES))
    if hasattr(out, "start_logits"):
        return {"start": out.start_logits.numpy(), "end": out.end_logits.numpy()}
    main = out.last_hidden_state if hasattr(out, "last_hidden_state") else out.logits
    return {"y": main.numpy()}


def program(folder: Path, kind: str, options: str = "") -> str:
    """Three lines: load the checkpoint, run it on INPUTS, write what it returns."""
    if kind == "BertForQuestionAnswering":
        return (f'let m = pretrained("{folder}"{options})\nlet (s, e) = m({INPUTS})\n'
                'write("out.safetensors", start=s, end=e)\n')
    return (f'let m = pretrained("{folder}"{options})\nlet y = m({INPUTS})\n'
            'write("out.safetensors", y=y)\n')


def check_outputs(tmp_path: Path, source: str, want: dict[str, np.ndarray],
                  backends: tuple[str, ...] = BACKENDS) -> None:
    """Runs `source` under each backend; what it writes equals `want` to 1e-4."""
    for backend in backends:
        mrun(tmp_path, source, backend)
        got = load_file(str(tmp_path / "out.safetensors"))
        assert got.keys() == want.keys()
        for name, value in want.items():
            np.testing.assert_allclose(got[name], value, rtol=1e-4, atol=1e-5)


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A saved folder per model class."""
    root = tmp_path_factory.mktemp("bert")
    return {kind: save(tiny_bert(kind), root / kind) for kind in MODELS}


@pytest.mark.parametrize("kind", MODELS)
def test_each_bert_model_matches_transformers(tmp_path: Path, checkpoints: dict[str, Path],
                                              kind: str) -> None:
    """A program of three lines runs the folder `transformers` wrote, as it computes."""
    want = reference(tiny_bert(kind))
    check_outputs(tmp_path, program(checkpoints[kind], kind), want)


def test_bert_on_the_triton_backend(tmp_path: Path, checkpoints: dict[str, Path]) -> None:
    """The same under the Triton backend (the interpreter on a machine without a GPU)."""
    kind = "BertForSequenceClassification"
    check_outputs(tmp_path, program(checkpoints[kind], kind), reference(tiny_bert(kind)),
                  ("triton",))


def test_sharded_checkpoint(tmp_path: Path) -> None:
    """`model.safetensors.index.json` and its shards."""
    model = tiny_bert("BertModel")
    folder = save(model, tmp_path / "sharded", max_shard_size="20KB")
    assert (folder / "model.safetensors.index.json").is_file()
    check_outputs(tmp_path, program(folder, "BertModel"), reference(model), ("torch",))


def test_bf16_checkpoint_is_converted_to_f32(tmp_path: Path) -> None:
    """A bf16 file loads into the f32 model: its values, rounded to bf16, as f32."""
    model = tiny_bert("BertModel").to(torch.bfloat16)
    folder = save(model, tmp_path / "bf16")
    assert next(iter(load_torch_file(str(folder / "model.safetensors")).values())).dtype \
        == torch.bfloat16
    check_outputs(tmp_path, program(folder, "BertModel"), reference(model.float()),
                  ("torch",))


def test_pytorch_model_bin(tmp_path: Path) -> None:
    """`pytorch_model.bin`, read with weights_only=True."""
    model = tiny_bert("BertForTokenClassification")
    folder = save(model, tmp_path / "bin")
    (folder / "model.safetensors").unlink()
    torch.save(model.state_dict(), folder / "pytorch_model.bin")
    check_outputs(tmp_path, program(folder, "BertForTokenClassification"), reference(model),
                  ("torch",))


def test_a_name_is_found_in_the_hugging_face_cache(tmp_path: Path,
                                                   checkpoints: dict[str, Path],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """`pretrained("org/name")` reads `$HF_HOME/hub/models--org--name/snapshots/<main>`."""
    repo = tmp_path / "hf" / "hub" / "models--tiny--bert"
    shutil.copytree(checkpoints["BertModel"], repo / "snapshots" / "abc123")
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("abc123")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    source = program(Path("tiny/bert"), "BertModel")
    check_outputs(tmp_path, source, reference(tiny_bert("BertModel")), ("torch",))


def test_labels_gives_a_new_head_reported_in_one_note(tmp_path: Path,
                                                      checkpoints: dict[str, Path]) -> None:
    """`labels=2` on a BertModel checkpoint builds BertForSequenceClassification: the
    encoder and pooler load (under `bert.`), the classifier is new and noted."""
    source = program(checkpoints["BertModel"], "", ", labels=2") + "print(shape(y))\n"
    result = invoke(tmp_path, source, "torch")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "[2, 2]"
    notes = [line for line in result.stderr.splitlines() if "note:" in line]
    assert len(notes) == 1, result.stderr
    assert "newly initialized: ['classifier.bias', 'classifier.weight']" in notes[0]
    base = tiny_bert("BertModel")
    with torch.no_grad():
        pooled = base(input_ids=torch.tensor(IDS), attention_mask=torch.tensor(MASK),
                      token_type_ids=torch.tensor(TYPES)).pooler_output.numpy()
    check_outputs(tmp_path, source.replace("print(shape(y))", "write(\"out.safetensors\", "
                                           f"y=m.bert.pooled({INPUTS}))"), {"y": pooled},
                  ("torch",))


def test_labels_on_a_classifier_replaces_its_head(tmp_path: Path,
                                                  checkpoints: dict[str, Path]) -> None:
    """A 3-class checkpoint asked for 5 classes: the head's shapes differ, so it is new."""
    source = program(checkpoints["BertForTokenClassification"], "", ", labels=5")
    result = invoke(tmp_path, source + "print(shape(y))\n", "torch")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "[2, 5, 5]"
    assert "newly initialized: ['classifier.bias', 'classifier.weight']" in result.stderr


def test_summary_lists_layers_and_parameter_counts(tmp_path: Path,
                                                   checkpoints: dict[str, Path]) -> None:
    kind = "BertForSequenceClassification"
    out = mrun(tmp_path, f'let m = pretrained("{checkpoints[kind]}")\nsummary(m)\n'
                         'print(params(m))\n', "torch")
    assert "bert.encoder.layer.1.attention.self.query" in out
    assert "classifier" in out
    count = sum(p.numel() for p in tiny_bert(kind).parameters())
    assert out.strip().splitlines()[-1] == str(count)


def test_import_std_bert_from_any_folder(tmp_path: Path) -> None:
    """`import std.bert` reads the module shipped in the package, from any folder."""
    out = mrun(tmp_path, f"""\
import std.bert
let m = BertForTokenClassification(40, 32, 2, 4, 37, 16, 2, 1e-12, 3)
print(shape(m({INPUTS})))
""", "torch")
    assert out.strip() == "[2, 5, 3]"


# ----------------------------------------------------------------------- errors


def edited(folder: Path, tmp_path: Path, edit: str, name: str = "model.safetensors") -> Path:
    """A copy of `folder` with one tensor removed, added or misshapen (`edit`)."""
    copy = tmp_path / f"edited-{edit}"
    shutil.copytree(folder, copy)
    tensors = load_torch_file(str(copy / name))
    if edit == "missing":
        del tensors["classifier.bias"]
    elif edit == "unexpected":
        tensors["classifier.extra"] = torch.zeros(2)
    else:
        tensors["classifier.bias"] = torch.zeros(4)
    save_file(tensors, str(copy / name))
    return copy


@pytest.mark.parametrize("edit, message", [
    ("missing", "weight 'classifier.bias' is missing from the file"),
    ("unexpected", "the file has a weight 'classifier.extra' that the model does not have"),
    ("misshapen", ("weight 'classifier.bias' has shape [4] in the file but the model "
                   "expects [3]")),
])
def test_a_wrong_tensor_is_named(tmp_path: Path, checkpoints: dict[str, Path], edit: str,
                                 message: str) -> None:
    folder = edited(checkpoints["BertForSequenceClassification"], tmp_path, edit)
    out = failure(tmp_path, program(folder, "BertForSequenceClassification"), "p.m")
    assert f"p.m:1:9: error: {message}" in out


def config_edited(folder: Path, tmp_path: Path, **changes: object) -> Path:
    """A copy of `folder` whose config.json has these fields changed."""
    copy = tmp_path / "config-edited"
    shutil.copytree(folder, copy)
    config = json.loads((copy / "config.json").read_text())
    config.update(changes)
    (copy / "config.json").write_text(json.dumps(config))
    return copy


def test_compile_time_errors_are_located(tmp_path: Path, checkpoints: dict[str, Path],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A missing config, an unknown architecture, an activation std.bert lacks, a name
    not in the cache (saying where it looked), a path not known at compile time, labels
    on a model that does not classify, and an unknown std module."""
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    empty = tmp_path / "empty"
    empty.mkdir()
    bert = checkpoints["BertModel"]
    cases = {
        f'let m = pretrained("{empty}")':
            f"1:20: error: pretrained: no config.json in '{empty}'",
        f'let m = pretrained("{config_edited(bert, tmp_path, architectures=["FooModel"])}")':
            "error: pretrained: unknown architecture 'FooModel'",
        'let m = pretrained("org/absent")':
            f"error: pretrained: 'org/absent' is not a folder, nor a model in the Hugging "
            f"Face cache (looked in {tmp_path / 'hf' / 'hub' / 'models--org--absent'}",
        'let p = "x"\np = p + "y"\nlet m = pretrained(p)':
            "3:20: error: pretrained needs a path known at compile time",
        f'let m = pretrained("{checkpoints["BertForQuestionAnswering"]}", labels=2)':
            "error: pretrained: labels= gives a classification model a new head; "
            "BertForQuestionAnswering does not classify",
        f'let m = pretrained("{bert}", dtype=i64)':
            "error: pretrained: dtype must be f32, bf16 or f16, got",
        "import std.nothing":
            "1:1: error: no standard module 'std.nothing'; the standard modules are std.bert",
    }
    for source, message in cases.items():
        assert message in failure(tmp_path, source + "\n", "p.m"), source
    shutil.rmtree(tmp_path / "config-edited")
    relu = config_edited(bert, tmp_path, hidden_act="relu")
    assert "std.bert implements hidden_act 'gelu', not 'relu'" in failure(
        tmp_path, f'let m = pretrained("{relu}")\n', "p.m")


def test_a_folder_without_weights_is_an_error(tmp_path: Path,
                                              checkpoints: dict[str, Path]) -> None:
    folder = tmp_path / "config-only"
    folder.mkdir()
    shutil.copy(checkpoints["BertModel"] / "config.json", folder)
    out = failure(tmp_path, program(folder, "BertModel"), "p.m")
    assert f"p.m:1:9: error: pretrained: no weights in '{folder}'" in out


def test_mlang_pretrained_from_python(checkpoints: dict[str, Path]) -> None:
    """`mlang.pretrained(path)` gives the same model to Python, on NumPy arrays."""
    import mlang

    kind = "BertForSequenceClassification"
    model = mlang.pretrained(checkpoints[kind], backend="torch")
    got = model(np.array(IDS), np.array(MASK), np.array(TYPES))
    np.testing.assert_allclose(got, reference(tiny_bert(kind))["y"], rtol=1e-4, atol=1e-5)
    with pytest.raises(mlang.MError, match="labels"):
        mlang.pretrained(checkpoints["BertForQuestionAnswering"], labels=2)
