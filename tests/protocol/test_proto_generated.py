"""The committed generated modules match proto/gwm/v1/world.proto (run proto/generate.sh if not)."""

from pathlib import Path

import pytest
from google.protobuf import descriptor_pb2

from gwm_engine.protocol._proto import world_pb2 as pb

PROTO_ROOT = Path(__file__).resolve().parents[2] / "proto"


def test_generated_code_matches_the_proto(tmp_path):
    protoc = pytest.importorskip("grpc_tools.protoc")
    out = tmp_path / "world.desc"
    assert protoc.main(["protoc", f"-I{PROTO_ROOT}", f"--descriptor_set_out={out}", "gwm/v1/world.proto"]) == 0
    compiled = descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes()).file[0]
    _drop_json_names(compiled)  # protoc fills them in; CopyToProto leaves them out
    generated = descriptor_pb2.FileDescriptorProto()
    pb.DESCRIPTOR.CopyToProto(generated)
    assert compiled == generated, "gwm_engine/protocol/_proto is stale: run proto/generate.sh"


def _drop_json_names(file: descriptor_pb2.FileDescriptorProto) -> None:
    messages = list(file.message_type)
    while messages:
        message = messages.pop()
        messages.extend(message.nested_type)
        for field in message.field:
            field.ClearField("json_name")
