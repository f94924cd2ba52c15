"""The gwm.v1 wire contract, shared by the daemon (`gwm_engine.server`) and the SDK (`gwm_engine.client`).

proto/gwm/v1/world.proto is the contract; `_proto` holds its generated modules (run
proto/generate.sh after editing the .proto). Beside them: `arrays` (array <-> bytes layouts of
frames and seeds), `version` (the protocol version and its check), `link_messages` (the engine
link's msgpack messages, proto/ENGINE_LINK.md) and `limits` (the message-size limit). Nothing
here imports the server or the world model, so the SDK stays light.
"""
