#!/usr/bin/env bash
# Regenerate the Python gRPC modules for gwm.v1 into gwm_engine/protocol/_proto/.
# protoc writes `from gwm.v1 import world_pb2`; the sed makes that a package import so the
# modules live inside gwm_engine without a top-level `gwm` package. Commit the output.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-$root/.venv/bin/python}"
out="$root/gwm_engine/protocol/_proto"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

"$python" -m grpc_tools.protoc -I "$root/proto" \
    --python_out="$tmp" --pyi_out="$tmp" --grpc_python_out="$tmp" \
    "$root/proto/gwm/v1/world.proto"

mkdir -p "$out"
cp "$tmp/gwm/v1/world_pb2.py" "$tmp/gwm/v1/world_pb2.pyi" "$out/"
sed 's/^from gwm\.v1 import world_pb2/from gwm_engine.protocol._proto import world_pb2/' \
    "$tmp/gwm/v1/world_pb2_grpc.py" > "$out/world_pb2_grpc.py"
echo "generated $(ls "$out" | tr '\n' ' ')"
