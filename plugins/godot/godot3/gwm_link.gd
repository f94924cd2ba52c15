# An engine-link client (proto/ENGINE_LINK.md) for Godot 3.2+: a port of the Godot 4 addon's
# GwmLink, mirroring gwm_engine/client/link_client.py.
#
# Messages are Dictionaries as they travel: {type, id, ...fields}. A failure is a message of
# type "error" with the link's code, code_name and message; local failures (no connection, a
# timeout, an unreadable reply) take the same shape with the matching gRPC status, so callers
# check one thing: `reply.type == "error"`.
#
# Non-blocking use: send(), then poll() every frame and take replies with take(id) or the
# message_received signal. Blocking use (tools, tests): request() and wait() poll until the
# reply or the timeout.
extends Reference

signal message_received(message)

const Msgpack = preload("gwm_msgpack.gd")
const PROTOCOL_VERSION = "1.1.0"
# Godot 3 buffers 64 KiB of incoming messages by default; a larger message (one 256x192 frame)
# never completes and the reply seems lost. The link's largest message is 64 MiB + 64 KiB, but
# frames stay far below 64 MiB (the largest, stereo with masks, is about 33 MB), and a 64 MiB
# buffer is allocated once where the next power of two would take 128 MiB.
const IN_BUFFER_KB = 65536
# The outbound size only caps bytes queued unsent and allocates nothing; a seed image or a world
# file of several MiB must fit.
const OUT_BUFFER_KB = 65536
const MAX_PACKETS = 1024

var server := {}  # the hello reply
var timeout_ms := 60000  # how long the blocking calls wait
var _client := WebSocketClient.new()
var _next_id := 1
var _inbox := {}  # id -> Array of messages not yet taken
var _close_text := ""


func _init() -> void:
	_client.connect("server_close_request", self, "_on_server_close_request")


# Connect and, unless `hello` is false, do the version handshake. Blocks until the handshake
# reply or `timeout_ms`; returns that reply (or the connection's error).
func open(url: String, token := "", hello := true) -> Dictionary:
	var error := _client.set_buffers(IN_BUFFER_KB, MAX_PACKETS, OUT_BUFFER_KB, MAX_PACKETS)
	if error == OK:
		error = _client.connect_to_url(url)
	if error != OK:
		return _local_error(0, 14, "UNAVAILABLE", "cannot connect to %s (error %d)" % [url, error])
	var deadline := OS.get_ticks_msec() + timeout_ms
	while _client.get_connection_status() == NetworkedMultiplayerPeer.CONNECTION_CONNECTING:
		if OS.get_ticks_msec() > deadline:
			close()
			return _local_error(0, 4, "DEADLINE_EXCEEDED", "no connection to %s in %d ms" % [url, timeout_ms])
		_client.poll()
		OS.delay_usec(500)
	if _client.get_connection_status() != NetworkedMultiplayerPeer.CONNECTION_CONNECTED:
		return _local_error(0, 14, "UNAVAILABLE", "cannot connect to %s" % url)
	var peer := _client.get_peer(1)
	peer.set_write_mode(WebSocketPeer.WRITE_MODE_BINARY)
	# Small requests (one action) must leave at once, not wait for Nagle's timer.
	peer.set_no_delay(true)
	if not hello:
		return {}
	var fields := {"protocol_version": PROTOCOL_VERSION}
	if token != "":
		fields["token"] = token
	var reply := request("hello", fields)
	if reply.type != "error":
		server = reply
	return reply


func close() -> void:
	_client.disconnect_from_host()


func is_open() -> bool:
	return _client.get_connection_status() == NetworkedMultiplayerPeer.CONNECTION_CONNECTED


func next_id() -> int:
	var id := _next_id
	_next_id = 1 if _next_id >= 0xFFFFFFFF else _next_id + 1
	return id


# Send a request with only the given fields (the rest take proto defaults); returns its id,
# or 0 when it could not be sent (not connected, or over the outbound buffer).
func send(type: String, fields := {}, id := 0) -> int:
	if id == 0:
		id = next_id()
	var message := {"type": type, "id": id}
	for key in fields:
		message[key] = fields[key]
	var data := Msgpack.encode(message)
	if data.empty() or not is_open():
		return 0
	if _client.get_peer(1).put_packet(data) != OK:
		return 0
	return id


# Read whatever arrived; each message is queued for take() and announced by message_received.
func poll() -> void:
	_client.poll()
	if not is_open():
		return
	var peer := _client.get_peer(1)
	while peer.get_available_packet_count() > 0:
		var packet := peer.get_packet()
		var message: Dictionary
		if peer.was_string_packet():
			message = _local_error(0, 13, "INTERNAL", "the daemon sent a text message")
		else:
			var decoded = Msgpack.decode(packet)
			if decoded.error != "":
				message = _local_error(0, 13, "INTERNAL", "unreadable message: " + decoded.error)
			elif typeof(decoded.value) != TYPE_DICTIONARY or typeof(decoded.value.get("id")) != TYPE_INT:
				message = _local_error(0, 13, "INTERNAL", "a message without a map and an id")
			else:
				message = decoded.value
		if not _inbox.has(message.id):
			_inbox[message.id] = []
		_inbox[message.id].append(message)
		emit_signal("message_received", message)


# The oldest message for `id` that arrived, or an empty Dictionary.
func take(id: int) -> Dictionary:
	if not _inbox.has(id):
		return {}
	var message: Dictionary = _inbox[id].pop_front()
	if _inbox[id].empty():
		_inbox.erase(id)
	return message


# Block until a message for `id` arrives (an error message after `timeout_ms` or when the
# connection drops).
func wait(id: int) -> Dictionary:
	var deadline := OS.get_ticks_msec() + timeout_ms
	var message := take(id)
	while message.empty():
		if not is_open():
			return _local_error(id, 14, "UNAVAILABLE", "the connection closed" + _close_text)
		if OS.get_ticks_msec() > deadline:
			return _local_error(id, 4, "DEADLINE_EXCEEDED", "no reply in %d ms" % timeout_ms)
		poll()
		message = take(id)
		if message.empty():
			OS.delay_usec(200)
	return message


# A play stream: with `lockstep`, each action is sent only after the previous frame came (one
# frame per action); without, all are sent at once and the daemon coalesces them. Returns the
# frames; an error ends the stream and is the last element.
func play(session_id: String, actions: Array, lockstep := true) -> Array:
	var frames := []
	if actions.empty():
		return frames
	var stream := next_id()
	for i in range(actions.size()):
		var fields: Dictionary = actions[i].duplicate()
		if i == 0:
			fields["session_id"] = session_id
		if send("play", fields, stream) == 0:
			frames.append(_local_error(stream, 14, "UNAVAILABLE", "could not send a play action"))
			return frames
		if lockstep:
			frames.append(wait(stream))
			if frames.back().type == "error":
				return frames
	if send("play_end", {}, stream) == 0:
		frames.append(_local_error(stream, 14, "UNAVAILABLE", "could not send play_end"))
		return frames
	var message := wait(stream)
	while message.type != "play_end":
		frames.append(message)
		if message.type == "error":
			return frames
		message = wait(stream)
	return frames


# Send a request and block for its reply.
func request(type: String, fields := {}) -> Dictionary:
	var id := send(type, fields)
	if id == 0:
		return _local_error(0, 14, "UNAVAILABLE", "could not send '%s' (not connected?)" % type)
	return wait(id)


func _on_server_close_request(code: int, reason: String) -> void:
	_close_text = " by the daemon (close code %d%s)" % [code, ": " + reason if reason != "" else ""]


# "CODE_NAME (code): message" for an error reply, "" for any other message.
static func error_text(message: Dictionary) -> String:
	if message.get("type") != "error":
		return ""
	return "%s (%d): %s" % [message.code_name, message.code, message.message]


static func _local_error(id: int, code: int, code_name: String, text: String) -> Dictionary:
	return {"type": "error", "id": id, "code": code, "code_name": code_name, "message": text}
