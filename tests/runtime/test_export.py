"""`gwm-engine export`: the shipped weights as checked ONNX files with metadata and a manifest."""

import json
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from gwm_engine.model.learned import PRESETS, generator_spec, network_specs
from gwm_engine.runtime.export import OPSET


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    out = tmp_path_factory.mktemp("export")
    r = subprocess.run([sys.executable, "-m", "gwm_engine.cli", "export", "--format", "onnx", "--out", str(out)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return out, r


def test_export_writes_checked_files_and_reports_parity(exported):
    out, r = exported
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["model"] == "gwm-small" and manifest["version"] and manifest["opset"] == OPSET >= 17
    assert [n["network"] for n in manifest["networks"]] == ["depth", "completion", "generator"]
    for net in manifest["networks"]:
        model = onnx.load(out / net["file"])
        onnx.checker.check_model(model, full_check=True)
        assert model.opset_import[0].version == OPSET
        props = {p.key: p.value for p in model.metadata_props}
        keys = {"model", "version", "preset", "inputs", "outputs", "normalisation", "size_multiple", "tensorrt_profile"}
        assert keys <= props.keys()
        assert json.loads(props["size_multiple"]) == PRESETS["small"].multiple and json.loads(props["preset"])["name"] == "small"
        assert [i.name for i in model.graph.input] == [t["name"] for t in net["inputs"]]
        for value in (*model.graph.input, *model.graph.output):
            dims = value.type.tensor_type.shape.dim
            assert [dims[0].dim_param, dims[2].dim_param, dims[3].dim_param] == ["batch", "height", "width"]
        assert all(d <= 1e-3 for d in net["parity_max_abs_diff"].values())  # measured ~1e-7 (metres: ~2e-6)
        assert f"{net['file']}: onnx.checker ok; max |onnxruntime - torch|" in r.stdout


def test_exported_graphs_run_at_any_batch_and_size_multiple(exported):
    out, _ = exported
    depth_spec, completion_spec = network_specs(PRESETS["small"])
    for spec in (depth_spec, completion_spec, generator_spec(PRESETS["small"])):
        session = ort.InferenceSession(str(out / f"{spec.name}.onnx"), providers=["CPUExecutionProvider"])
        for b, h, w in [(1, 32, 32), (3, 64, 96), (2, 128, 224)]:
            ys = session.run(None, {t.name: x.numpy() for t, x in zip(spec.inputs, spec.sample(b, h, w))})
            assert [y.shape for y in ys] == [(b, t.channels, h, w) for t in spec.outputs]
            assert all(np.isfinite(y).all() for y in ys)
