@tool
@icon("res://addons/gwm_engine/icon.svg")
class_name GwmLink
extends Node
## A connection to the gwm-engine daemon's engine link: WebSocket + msgpack
## (proto/ENGINE_LINK.md), mirroring gwm_engine/client/link_client.py.
##
## It polls its socket every frame, so it must be inside the scene tree (it works in the editor
## too). Calls are coroutines that return a [GwmReply]:
## [codeblock]
## var link := GwmLink.new()
## add_child(link)
## var hello := await link.open("ws://127.0.0.1:50052/link")
## var created := await link.create_session({"seed_image": png_bytes, "width": 512,
##         "height": 384, "fov_deg": 60.0})
## if not created.is_ok():
##     push_error(created.error_text())
## [/codeblock]
## Field names and meanings are those of world.proto; a misspelt field is refused by the daemon
## (INVALID_ARGUMENT naming it).

## The handshake succeeded; [param server] is the hello reply.
signal opened(server: Dictionary)
## The daemon closed the connection or it dropped (WebSocket close code, -1 without one); not
## emitted for [method close].
signal closed(code: int, reason: String)
## A reply no call was waiting for (e.g. after its timeout), or an error with id 0 (the daemon
## could not read a message at all).
signal message_received(reply: GwmReply)
## Emitted after every poll; pending calls wait on it.
signal polled

const PROTOCOL_VERSION := "1.1.0"
## ExportGeometryRequest.format by name (world.proto GeometryFormat).
const GEOMETRY_FORMATS := {"ply": 1, "glb": 2}
const DEFAULT_URL := "ws://127.0.0.1:50052/link"
## Godot keeps 64 KiB of incoming messages by default, less than one 256x192 frame. The link's
## largest message is 64 MiB + 64 KiB, but frames stay far below 64 MiB (the largest, stereo with
## masks, is about 33 MB); Godot rounds the ring buffer up to a power of two and allocates it
## once, so 64 MiB costs 64 MiB where the exact limit would cost 128 MiB.
const INBOUND_BUFFER_BYTES := 1 << 26
## Outbound only caps the bytes queued unsent (nothing is allocated): seeds and world files.
const OUTBOUND_BUFFER_BYTES := 1 << 26

@export var url := DEFAULT_URL
## Required when the daemon runs with --token (or GWM_TOKEN).
@export var token := ""
## How long a call waits for its reply.
@export var timeout_s := 60.0

## The hello reply of the open connection (server_version, max_message_bytes, ...).
var server := {}

var _socket: WebSocketPeer = null
var _next_id := 1
var _awaited := {}  # id -> GwmReply, or null until it arrives
var _streams := {}  # id -> GwmPlayStream


func _exit_tree() -> void:
	close()


func _process(_delta: float) -> void:
	if _socket != null:
		_socket.poll()
		_receive()
		if _socket.get_ready_state() == WebSocketPeer.STATE_CLOSED:
			# A failed connect or handshake is the pending call's error, not a dropped link.
			_drop(not server.is_empty())
	polled.emit()


## Connect to [param link_url] (default [member url]) and do the version handshake; returns the
## hello reply.
func open(link_url := "", link_token := "") -> GwmReply:
	if link_url != "":
		url = link_url
	if link_token != "":
		token = link_token
	close()
	if not is_inside_tree():
		return GwmReply.failure(0, GwmReply.UNAVAILABLE, "add the GwmLink to the scene tree first")
	_socket = WebSocketPeer.new()
	_socket.inbound_buffer_size = INBOUND_BUFFER_BYTES
	_socket.outbound_buffer_size = OUTBOUND_BUFFER_BYTES
	var error := _socket.connect_to_url(url)
	if error != OK:
		_socket = null
		return GwmReply.failure(0, GwmReply.UNAVAILABLE, "cannot connect to %s: %s" % [
			url, error_string(error)])
	var deadline := Time.get_ticks_msec() + int(timeout_s * 1000.0)
	while _socket != null and _socket.get_ready_state() == WebSocketPeer.STATE_CONNECTING:
		if Time.get_ticks_msec() > deadline:
			close()
			return GwmReply.failure(0, GwmReply.DEADLINE_EXCEEDED, "no connection to " + url)
		await polled
	if not is_open():
		return GwmReply.failure(0, GwmReply.UNAVAILABLE, "cannot connect to " + url)
	if OS.get_name() != "Web":  # browsers own their sockets
		# One small action must leave at once, not wait for Nagle's timer.
		_socket.set_no_delay(true)
	var fields := {"protocol_version": PROTOCOL_VERSION}
	if token != "":
		fields["token"] = token
	var reply := await request("hello", fields)
	if reply.is_ok():
		server = reply.body
		opened.emit(server)
	return reply


func close() -> void:
	if _socket != null:
		_socket.close()
		_drop(false)


func is_open() -> bool:
	return _socket != null and _socket.get_ready_state() == WebSocketPeer.STATE_OPEN


func next_id() -> int:
	var id := _next_id
	_next_id = 1 if _next_id >= 0xFFFFFFFF else _next_id + 1
	return id


## Send a request with only the given fields (the rest take proto defaults) without waiting;
## returns its id, or 0 when it could not be sent. Its reply comes by [signal message_received].
func send(type: String, fields := {}, id := 0) -> int:
	if not is_open():
		return 0
	if id == 0:
		id = next_id()
	var message := {"type": type, "id": id}
	message.merge(fields)
	var data := GwmMsgpack.encode(message)
	if data.is_empty() or _socket.send(data, WebSocketPeer.WRITE_MODE_BINARY) != OK:
		return 0
	return id


## Send a request and wait for its reply.
func request(type: String, fields := {}) -> GwmReply:
	var id := next_id()
	_awaited[id] = null
	if send(type, fields, id) == 0:
		_awaited.erase(id)
		return GwmReply.failure(id, GwmReply.UNAVAILABLE, "could not send '%s'%s" % [
			type, "" if is_open() else ": not connected"])
	var deadline := Time.get_ticks_msec() + int(timeout_s * 1000.0)
	while _awaited[id] == null:
		if not is_open():
			_awaited.erase(id)
			return GwmReply.failure(id, GwmReply.UNAVAILABLE, "the connection closed")
		if Time.get_ticks_msec() > deadline:
			_awaited.erase(id)
			return GwmReply.failure(id, GwmReply.DEADLINE_EXCEEDED, "no reply to '%s' in %.0f s" % [
				type, timeout_s])
		await polled
	var reply: GwmReply = _awaited[id]
	_awaited.erase(id)
	return reply


func get_info() -> GwmReply:
	return await request("get_info")


## A new session: [param fields] of CreateSessionRequest (seed_image, width, height, fov_deg,
## ...); the protocol version is added. [method GwmFrame.seed_fields] makes the seed fields of
## an Image. The reply's body has [code]session[/code] and [code]first_frame[/code].
func create_session(fields: Dictionary) -> GwmReply:
	var all := {"protocol_version": PROTOCOL_VERSION}
	all.merge(fields)
	return await request("create_session", all)


## One action, one frame. [param action]: Action fields (move_forward_m, turn_yaw_deg, ...,
## or pose).
func step(session_id: String, action := {}) -> GwmReply:
	var fields := {"session_id": session_id}
	fields.merge(action)
	return await request("step", fields)


## Open a play stream on [param session_id]: send actions to it as fast as you like, frames
## come by its signals.
func play(session_id: String) -> GwmPlayStream:
	var stream := GwmPlayStream.new(self, next_id(), session_id)
	_streams[stream.id] = stream
	return stream


func fork(session_id: String) -> GwmReply:
	return await request("fork", {"session_id": session_id})


## The reply's body has [code]world[/code], a world file for [method load_world].
func save_world(session_id: String) -> GwmReply:
	return await request("save_world", {"session_id": session_id})


## [param options]: LoadWorldRequest's rgb_encoding, depth_encoding, jpeg_quality, include_mask.
func load_world(world: PackedByteArray, options := {}) -> GwmReply:
	var fields := {"protocol_version": PROTOCOL_VERSION, "world": world}
	fields.merge(options)
	return await request("load_world", fields)


## The world as a file. [param format] "ply": the body has [code]ply[/code] (binary PLY: float32
## x y z, uchar r g b, world metres) and [code]point_count[/code]. "glb" (protocol 1.1.0): the
## body has [code]glb[/code], glTF binary with meshes "world" and "collision" (at most
## [param collision_faces] triangles; 0: the daemon's default, 20000): build them with
## [method GwmGlb.build] (a MeshInstance3D and a ConcavePolygonShape3D collider).
func export_geometry(session_id: String, format := "ply", collision_faces := 0) -> GwmReply:
	var fields := {"session_id": session_id}
	if format != "ply":  # anything but "glb" is refused by the daemon, in plain words
		fields["format"] = GEOMETRY_FORMATS.get(format, -1)
	if collision_faces != 0:
		fields["collision_faces"] = collision_faces
	return await request("export_geometry", fields)


## Back to the start pose (where the seed was seen): the reply is the frame there, the seed's
## view again (protocol 1.1.0). The world keeps what it grew.
func reset(session_id: String) -> GwmReply:
	return await request("reset", {"session_id": session_id, "client_time_us": Time.get_ticks_usec()})


func close_session(session_id: String) -> GwmReply:
	return await request("close_session", {"session_id": session_id})


func _receive() -> void:
	while _socket.get_available_packet_count() > 0:
		var packet := _socket.get_packet()
		var reply: GwmReply
		if _socket.was_string_packet():
			reply = GwmReply.failure(0, GwmReply.INTERNAL, "the daemon sent a text message")
		else:
			var decoded := GwmMsgpack.decode(packet)
			if decoded.error != "":
				reply = GwmReply.failure(0, GwmReply.INTERNAL, "unreadable message: " + decoded.error)
			elif typeof(decoded.value) != TYPE_DICTIONARY:
				reply = GwmReply.failure(0, GwmReply.INTERNAL, "a message that is not a map")
			else:
				reply = GwmReply.from_message(decoded.value)
		_route(reply)
	for id in _streams.keys():
		if not _streams[id].active:
			_streams.erase(id)


func _route(reply: GwmReply) -> void:
	if _streams.has(reply.id):
		_streams[reply.id].deliver(reply)
	elif _awaited.has(reply.id):
		_awaited[reply.id] = reply
	else:
		if not reply.is_ok():
			push_warning("gwm link: " + reply.error_text())
		message_received.emit(reply)


## The socket is gone: open streams end with UNAVAILABLE, waiting calls notice on their next poll.
func _drop(report: bool) -> void:
	var code := _socket.get_close_code()
	var reason := _socket.get_close_reason()
	_socket = null
	server = {}
	var text := "the connection closed (close code %d%s)" % [code, ": " + reason if reason else ""]
	for stream in _streams.values():
		stream.deliver(GwmReply.failure(stream.id, GwmReply.UNAVAILABLE, text))
	_streams.clear()
	if report:
		closed.emit(code, reason)
