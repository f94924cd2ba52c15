"""Running networks: one interface (`base.Backend`) over torch eager and onnxruntime, and the
ONNX export both the onnxruntime backend and deployments (`gwm-engine export`) use.

This layer sits below the model: it is handed `nn.Module`s and their `NetworkSpec`s and knows
nothing of what the networks mean. `selection.open_backend` turns the user's `--backend` and
`--device` into a working backend, falling back (with one warning) where a provider is missing.

This __init__ imports nothing heavy, so the command line can check names without loading torch
or onnxruntime; import the implementations from their modules. The --backend and --device
options are declared in gwm_engine.settings.
"""

from gwm_engine.errors import InvalidInput

BACKENDS = ("auto", "torch", "onnx", "tensorrt")
DEVICES = ("auto", "cpu", "cuda")


def check_names(backend: str, device: str) -> None:
    """Raise InvalidInput for an unknown backend or device, or a pair that cannot work."""
    if backend not in BACKENDS:
        raise InvalidInput(f"unknown backend {backend!r}; choose from {', '.join(BACKENDS)}")
    if device not in DEVICES:
        raise InvalidInput(f"unknown device {device!r}; choose from {', '.join(DEVICES)}")
    if backend == "tensorrt" and device == "cpu":
        raise InvalidInput("the tensorrt backend runs on a GPU: use --device cuda or auto, or --backend onnx for the CPU")


__all__ = ["BACKENDS", "DEVICES", "check_names"]
