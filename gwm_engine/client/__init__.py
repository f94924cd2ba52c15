"""Python SDK for the gwm-engine daemon (speaks gwm.v1 over gRPC only).

    from gwm_engine.client import WorldClient
    with WorldClient("127.0.0.1:50051") as client:
        session = client.create_session("photo.png")
        frame = session.step(move=(0, 0, 0.2))
"""

from gwm_engine.client.errors import WorldError
from gwm_engine.client.frames import Frame
from gwm_engine.client.local import LocalDaemon
from gwm_engine.client.world_client import Session, WorldClient
from gwm_engine.geometry import CameraAction

__all__ = ["WorldClient", "Session", "Frame", "WorldError", "CameraAction", "LocalDaemon"]
