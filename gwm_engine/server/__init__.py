"""The daemon (gwm.v1): sessions, streaming play, fork, save/load, geometry export, over gRPC
and over the engine link (WebSocket + msgpack, proto/ENGINE_LINK.md) with its browser playground.

Start it with `gwm-engine serve`. The wire contract it speaks is in `gwm_engine.protocol`.
"""
