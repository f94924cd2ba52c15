"""The link's size limit on replies, in process with a tiny limit (the daemon's is 64 MiB)."""

import asyncio

import msgpack
from websockets.asyncio.client import connect

from gwm_engine.client.link_client import encode_request
from gwm_engine.protocol._proto import world_pb2 as pb
from gwm_engine.protocol.version import PROTOCOL_VERSION
from gwm_engine.server.config import ServerConfig
from gwm_engine.server.link_transport import LinkServer, max_link_message_bytes


class BigInfo:
    """Operations whose get_info answer is larger than the limit; nothing else is called."""

    async def get_info(self) -> pb.GetInfoResponse:
        return pb.GetInfoResponse(model_name="x" * 200_000)


def test_a_reply_over_the_limit_is_resource_exhausted_and_the_connection_stays():
    config = ServerConfig(link_port=0, max_message_bytes=1000)

    async def run() -> list[dict]:
        server = LinkServer(config, BigInfo())
        await server.start()
        try:
            async with connect(f"ws://127.0.0.1:{server.port}/link", max_size=None) as ws:
                replies = []
                for message in (("hello", 1, {"protocol_version": PROTOCOL_VERSION}), ("get_info", 2, {}), ("get_info", 3, {})):
                    await ws.send(encode_request(*message))
                    replies.append(msgpack.unpackb(await ws.recv()))
                return replies
        finally:
            await server.stop(0)

    hello, first, second = asyncio.run(run())
    assert hello["max_message_bytes"] == max_link_message_bytes(config)
    for reply, message_id in ((first, 2), (second, 3)):
        assert (reply["type"], reply["id"], reply["code_name"]) == ("error", message_id, "RESOURCE_EXHAUSTED")
        assert "over the link's limit" in reply["message"]
