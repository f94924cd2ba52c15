"""The daemon (gwm.v1): sessions, streaming play, fork, save/load, geometry export, over gRPC
and over the engine link (WebSocket + msgpack, proto/ENGINE_LINK.md) with its browser playground.

Start it with `gwm-engine serve`. The wire contract is
proto/gwm/v1/world.proto; the generated modules live in `gwm_engine.server._proto`. This
package's __init__ imports nothing, so the SDK can use `_proto`, `wire` and `protocol`
without pulling in the server or the world model.
"""
