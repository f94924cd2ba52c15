"""Health, reflection, graceful shutdown, authentication and idle eviction of the real daemon."""

import queue
import signal
import subprocess
import sys
import time

import grpc
import pytest
from google.protobuf import descriptor_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from gwm_engine.client import CameraAction, LocalDaemon, WorldClient, WorldError
from gwm_engine.protocol._proto import world_pb2 as pb
from gwm_engine.protocol._proto import world_pb2_grpc as pb_grpc

SIZE = 64
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


def test_health_reports_serving(daemon):
    with grpc.insecure_channel(daemon.address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        for service in ("", "gwm.v1.WorldService"):
            assert stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=10).status == SERVING


def test_reflection_lists_and_describes_the_service(daemon):
    with grpc.insecure_channel(daemon.address) as channel:
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        requests = [
            reflection_pb2.ServerReflectionRequest(list_services=""),
            reflection_pb2.ServerReflectionRequest(file_containing_symbol="gwm.v1.WorldService"),
        ]
        listed, described = stub.ServerReflectionInfo(iter(requests), timeout=10)
    names = {s.name for s in listed.list_services_response.service}
    assert {"gwm.v1.WorldService", "grpc.health.v1.Health"} <= names
    files = [descriptor_pb2.FileDescriptorProto.FromString(b) for b in described.file_descriptor_response.file_descriptor_proto]
    service = next(s for f in files if f.package == "gwm.v1" for s in f.service)
    assert {m.name for m in service.method} == {
        "GetInfo", "CreateSession", "Play", "Step", "Fork", "SaveWorld", "LoadWorld", "ExportGeometry", "CloseSession",
        "Reset", "SaveWorldChunks", "LoadWorldChunks", "ExportGeometryChunks",
    }


@pytest.mark.daemon  # starts its own
def test_sigterm_turns_health_not_serving_then_stops(seed_png):
    daemon = LocalDaemon()
    try:
        with grpc.insecure_channel(daemon.address) as channel:
            health = health_pb2_grpc.HealthStub(channel)
            watch = health.Watch(health_pb2.HealthCheckRequest(service="gwm.v1.WorldService"), timeout=30)
            assert next(watch).status == SERVING
            daemon.process.send_signal(signal.SIGTERM)
            assert next(watch).status == NOT_SERVING
            # While draining it still answers, so health checkers see NOT_SERVING rather than a dead port.
            assert health.Check(health_pb2.HealthCheckRequest(), timeout=10).status == NOT_SERVING
        assert daemon.process.wait(30) == 0
    finally:
        daemon.stop()


@pytest.fixture(scope="module")
def token_daemon():
    with LocalDaemon(["--token", "s3cret-token"]) as daemon:
        yield daemon


@pytest.mark.parametrize("token", [None, "wrong"])
def test_a_token_daemon_refuses_calls_without_the_token(token_daemon, seed_png, token):
    with WorldClient(token_daemon.address, token=token) as client:
        with pytest.raises(WorldError) as info:
            client.create_session(seed_png, width=SIZE, height=SIZE)
        assert info.value.code == grpc.StatusCode.UNAUTHENTICATED and "token" in info.value.details
        with pytest.raises(WorldError):
            client.info()


def test_a_token_daemon_serves_with_the_token(token_daemon, seed_png):
    with WorldClient(token_daemon.address, token="s3cret-token") as client:  # authorization: Bearer
        with client.create_session(seed_png, width=SIZE, height=SIZE) as session:
            session.step(move=(0.0, 0.0, 0.1))
            with grpc.insecure_channel(token_daemon.address) as channel:  # x-gwm-token, streaming
                stub = pb_grpc.WorldServiceStub(channel)
                frames = list(stub.Play(iter([pb.Action(session_id=session.id, seq=1)]), metadata=[("x-gwm-token", "s3cret-token")]))
                assert [f.seq for f in frames] == [1]
                health = health_pb2_grpc.HealthStub(channel)  # probes need no token
                assert health.Check(health_pb2.HealthCheckRequest(), timeout=10).status == SERVING


@pytest.mark.daemon  # starts its own
def test_idle_sessions_are_evicted_but_played_ones_are_not(seed_png, lockstep):
    with LocalDaemon(["--idle-timeout", "1"]) as daemon, WorldClient(daemon.address) as client:
        idle = client.create_session(seed_png, width=SIZE, height=SIZE)
        played = client.create_session(seed_png, width=SIZE, height=SIZE)
        answered: queue.Queue[int] = queue.Queue()
        stream = played.play(lockstep([CameraAction()] * 2, answered))
        answered.put(next(stream).seq)
        assert next(stream).seq == 2  # lockstep now holds the stream open until we answer
        time.sleep(2.5)
        with pytest.raises(WorldError) as info:
            idle.step()
        assert info.value.code == grpc.StatusCode.NOT_FOUND
        assert played.step().index == 4  # the open stream kept its session alive
        answered.put(2)
        assert list(stream) == []


def test_a_second_daemon_on_a_busy_port_fails_cleanly(daemon):
    port = daemon.address.rsplit(":", 1)[1]
    result = subprocess.run(
        [sys.executable, "-m", "gwm_engine.cli", "serve", "--port", port], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1
    assert "cannot listen on 127.0.0.1:" + port in result.stderr and "Traceback" not in result.stderr
