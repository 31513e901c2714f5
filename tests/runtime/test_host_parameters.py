"""Parameters read by the host program (`net.fc.bias`, `net.scale`, `net.blocks[1].gain`):
a copy of the tensor as it is at that statement, on every backend, equal to what `save`
stores; and the located errors of what cannot be read."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from test_host_programs import failure, mrun

import mlang

pytestmark = pytest.mark.usefixtures("one_thread")

PROGRAM = """\
model Block(d: int) {
    fc = Linear(d, d)
    param gain: f32[d] = ones([d])
    fn forward(x: f32[N, d]) -> f32[N, d] {
        return fc(x) * gain
    }
}
model Net() {
    body = Block(4)
    blocks = repeat(2, Block(4))
    head = Linear(4, 3)
    param scale: f32[3] = full([3], 2.0)
    fn forward(x: f32[N, 4]) -> f32[N, 3] {
        let h = body(x)
        for b in blocks {
            h = b(h)
        }
        return head(h) * scale
    }
}
seed(0)
let net = Net()
let before = net.head.weight
fit(net, dataset("iris"), epochs=1)
save(net, "net.mpk")
write("read.safetensors", head_bias=net.head.bias, scale=net.scale,
      body_weight=net.body.fc.weight, last_gain=net.blocks[-1].gain,
      first_bias=net.blocks[0].fc.bias, before=before, after=net.head.weight)
print(shape(net.body.fc.weight), sum(net.blocks[1].gain) > 0.0)
"""

READ = {"head_bias": "head.bias", "scale": "scale", "body_weight": "body.fc.weight",
        "last_gain": "blocks.1.gain", "first_bias": "blocks.0.fc.bias", "after": "head.weight"}
"""Each tensor the program writes, by the parameter it read."""


@pytest.mark.parametrize("backend", ["reference", "torch", "triton"])
def test_reads_equal_the_saved_parameters(tmp_path: Path, backend: str) -> None:
    out = mrun(tmp_path, PROGRAM, backend)
    assert out.splitlines()[-1] == "[4, 4] True"
    read = load_file(str(tmp_path / "read.safetensors"))
    saved = mlang.load_model(tmp_path / "net.mpk").state_dict()
    for name, path in READ.items():
        torch.testing.assert_close(read[name], saved[path], rtol=0, atol=0)
    # a read is a copy taken when it runs: training changed the weight, not the copy
    assert not torch.equal(read["before"], read["after"])


@pytest.mark.parametrize("statement, message", [
    ('print(quantize(net, "int8").head.weight)',
     "'head.weight' of an int8 model cannot be read: its weights are stored quantized"),
    ("print(net.blocks[2].gain)", "index 2 is out of range for 2 layers"),
    ("print(net.head.bias2)", "field head of a model has no attribute 'bias2'"),
    ("let i = 1\ni = 0\nprint(net.blocks[i].gain)",
     "field blocks is indexed by one integer known at compile time"),
])
def test_what_cannot_be_read_is_a_located_error(tmp_path: Path, statement: str,
                                                message: str) -> None:
    program = PROGRAM.split("let before")[0] + statement + "\n"
    out = failure(tmp_path, program, "prog.m")
    line = len(program.splitlines())
    assert f"prog.m:{line}:" in out and message in out, out
