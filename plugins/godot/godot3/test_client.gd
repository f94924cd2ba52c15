# Headless check of the Godot 3 client against a real daemon and the golden vectors:
#
#   godot3-server --no-window --path plugins/godot/godot3 -s res://test_client.gd -- \
#       --url ws://127.0.0.1:50052/link --png /abs/seed.png --vectors /abs/proto/link_vectors
#
# Options after "--": --url, --png, --vectors (required), --frames (100), --width (128),
# --height (96), --timeout-ms (20000, per reply). Prints one "ok ..." line per check and "PASS"
# at the end; on the first failure prints "FAIL: ..." and exits 1.
extends SceneTree

const Msgpack = preload("res://gwm_msgpack.gd")
const GwmLink = preload("res://gwm_link.gd")
const GwmGlb = preload("res://gwm_glb.gd")

var _options := {"frames": "100", "width": "128", "height": "96", "timeout-ms": "20000"}


func _init() -> void:
	var failure := _run()
	if failure != "":
		print("FAIL: " + failure)
		quit(1)
	else:
		print("PASS")
		quit(0)


func _run() -> String:
	var failure := _parse_args()
	if failure == "":
		failure = _check_vectors(_options.vectors)
	if failure == "":
		failure = _check_daemon()
	return failure


# Godot 3.2 has no get_cmdline_user_args: everything after "--" is ours.
func _parse_args() -> String:
	var args := OS.get_cmdline_args()
	var start := -1
	for i in range(args.size()):
		if args[i] == "--":
			start = i + 1
	if start < 0:
		return "no options after '--'"
	var i := start
	while i + 1 < args.size():
		if not args[i].begins_with("--"):
			return "unexpected argument '%s'" % args[i]
		_options[args[i].substr(2, args[i].length() - 2)] = args[i + 1]
		i += 2
	for name in ["url", "png", "vectors"]:
		if not _options.has(name):
			return "--%s is required" % name
	return ""


# --- golden vectors -------------------------------------------------------------------------

func _check_vectors(directory: String) -> String:
	var text := _read_bytes(directory.plus_file("index.json")).get_string_from_utf8()
	if text == "":
		return "cannot read %s" % directory.plus_file("index.json")
	var parsed := JSON.parse(text)
	if parsed.error != OK:
		return "index.json: %s at line %d" % [parsed.error_string, parsed.error_line]
	var decoded_count := 0
	var encoded_count := 0
	var skipped := []
	for entry in parsed.result.vectors:
		var data := _read_bytes(directory.plus_file(entry.file))
		if data.size() != int(entry.size):
			return "%s: %d bytes, index.json says %d" % [entry.name, data.size(), entry.size]
		var decoded = Msgpack.decode(data, true)
		if "uint64-above-int64" in entry.tags:
			# A signed 64-bit codec may skip it, but must refuse it rather than wrap negative.
			if decoded.error == "":
				return "%s: decoded to %s instead of being refused" % [entry.name, str(decoded.value)]
			skipped.append(entry.name)
			continue
		if decoded.error != "":
			return "%s: %s" % [entry.name, decoded.error]
		var expected = _from_json(entry.value)
		var difference := _difference(decoded.value, expected, "")
		if difference != "":
			return "%s: decoded value differs at %s" % [entry.name, difference]
		decoded_count += 1
		if entry.canonical:
			var again := Msgpack.encode(decoded.value)
			if again != data:
				return "%s: re-encoded to %s, expected %s" % [entry.name, _hex(again), _hex(data)]
			encoded_count += 1
	print("ok vectors: %d decoded, %d re-encoded byte-exact, %d skipped (%s)" % [
		decoded_count, encoded_count, skipped.size(), PoolStringArray(skipped).join(", ")])
	return _check_refusals(parsed.result.vectors, directory)


# Bytes outside the subset fail with a message instead of decoding to something.
func _check_refusals(vectors: Array, directory: String) -> String:
	var bad := {
		"nil": PoolByteArray([0xC0]), "reserved byte": PoolByteArray([0xC1]),
		"fixext": PoolByteArray([0xD4, 0x01, 0x00]), "int map key": PoolByteArray([0x81, 0x01, 0x01]),
		"duplicate key": PoolByteArray([0x82, 0xA1, 0x61, 0x01, 0xA1, 0x61, 0x02]),
		"trailing byte": PoolByteArray([0x01, 0x01]),
		"array claiming 2^32-1 items": PoolByteArray([0xDD, 0xFF, 0xFF, 0xFF, 0xFF]),
	}
	var deep := PoolByteArray()
	for _i in range(Msgpack.MAX_DEPTH + 2):
		deep.append(0x91)
	deep.append(0x01)
	bad["nesting deeper than %d" % Msgpack.MAX_DEPTH] = deep
	for vector in vectors:
		var data := _read_bytes(directory.plus_file(vector.file))
		# Godot 3's subarray includes its end index: this drops the last byte.
		var cut := data.subarray(0, data.size() - 2) if data.size() > 1 else PoolByteArray()
		bad["%s cut short" % vector.name] = cut
	for name in bad:
		var decoded = Msgpack.decode(bad[name])
		if decoded.error == "":
			return "%s: decoded to %s instead of being refused" % [name, str(decoded.value)]
	print("ok refusals: %d malformed inputs refused (each vector cut short, nil, ext, ...)" % [
		bad.size()])
	return ""


# The vectors' JSON notation to GDScript values; integers are parsed here because Godot 3's
# JSON reads numbers as doubles and String.to_int() stops at 32 bits.
func _from_json(value):
	match typeof(value):
		TYPE_ARRAY:
			var items := []
			for item in value:
				items.append(_from_json(item))
			return items
		TYPE_DICTIONARY:
			if value.size() == 1 and value.keys()[0].begins_with("$"):
				return _tagged(value.keys()[0], value.values()[0])
			var result := {}
			for key in value:
				result[key] = _from_json(value[key])
			return result
	return value


func _tagged(tag: String, value):
	match tag:
		"$int":
			return _parse_int(value)
		"$bin":
			return Marshalls.base64_to_raw(value)
		"$f32":
			return Msgpack.F32.new(value)
	if typeof(value) == TYPE_STRING:
		return {"nan": NAN, "inf": INF, "-inf": -INF}[value]
	return float(value)


func _parse_int(text: String) -> int:
	var negative := text.begins_with("-")
	var value := 0
	for i in range(1 if negative else 0, text.length()):
		# Accumulating negatively reaches -2^63, which has no positive counterpart.
		value = value * 10 - (text.ord_at(i) - 48)
	return value if negative else -value


# "" when equal; otherwise where they differ. Floats compare by width and value (NaN equal to
# NaN); float32 values compare as float32, since Godot 3's JSON parser can miss the last bit of
# a double and the vectors' float32 values are written as decimal doubles.
func _difference(actual, expected, path: String) -> String:
	if typeof(actual) != typeof(expected):
		return "%s: type %d vs %d (%s vs %s)" % [path, typeof(actual), typeof(expected), actual, expected]
	match typeof(expected):
		TYPE_OBJECT:
			if not (actual is Msgpack.F32 and expected is Msgpack.F32):
				return path + ": not float32"
			if _f32_bits(actual.value) != _f32_bits(expected.value):
				return "%s: float32 %s vs %s" % [path, actual.value, expected.value]
		TYPE_REAL:
			if not (actual == expected or (is_nan(actual) and is_nan(expected))):
				return "%s: float64 %s vs %s (%s vs %s)" % [
					path, actual, expected, _hex(_f64_bytes(actual)), _hex(_f64_bytes(expected))]
		TYPE_ARRAY:
			if actual.size() != expected.size():
				return "%s: %d items vs %d" % [path, actual.size(), expected.size()]
			for i in range(expected.size()):
				var difference := _difference(actual[i], expected[i], "%s[%d]" % [path, i])
				if difference != "":
					return difference
		TYPE_DICTIONARY:
			if actual.keys() != expected.keys():
				return "%s: keys %s vs %s" % [path, actual.keys(), expected.keys()]
			for key in expected:
				var difference := _difference(actual[key], expected[key], path + "." + key)
				if difference != "":
					return difference
		TYPE_RAW_ARRAY:
			if actual != expected:
				return "%s: bin of %d bytes differs" % [path, expected.size()]
		_:
			if actual != expected:
				return "%s: %s vs %s" % [path, actual, expected]
	return ""


func _f32_bits(value: float) -> PoolByteArray:
	var buffer := StreamPeerBuffer.new()
	buffer.put_float(value)
	return buffer.data_array


func _f64_bytes(value: float) -> PoolByteArray:
	var buffer := StreamPeerBuffer.new()
	buffer.big_endian = true
	buffer.put_double(value)
	return buffer.data_array


# --- the daemon ----------------------------------------------------------------------------

func _check_daemon() -> String:
	var link := GwmLink.new()
	link.timeout_ms = int(_options["timeout-ms"])
	var hello := link.open(_options.url)
	if hello.type == "error":
		return "hello: " + GwmLink.error_text(hello)
	if hello.protocol_version != GwmLink.PROTOCOL_VERSION or hello.max_message_bytes < 67108864:
		return "hello reply %s" % str(hello)
	print("ok hello: server %s, protocol %s" % [hello.server_version, hello.protocol_version])
	var failure := _check_session(link)
	link.close()
	return failure


func _check_session(link) -> String:
	var width := int(_options.width)
	var height := int(_options.height)
	var png := _read_bytes(_options.png)
	if png.empty():
		return "cannot read %s" % _options.png
	if png.size() < 65536:
		return "the seed PNG should be over 64 KiB, to exercise the raised outbound buffer"
	var created: Dictionary = link.request("create_session", {
		"protocol_version": GwmLink.PROTOCOL_VERSION, "seed_image": png,
		"width": width, "height": height, "fov_deg": 60.0})
	if created.type == "error":
		return "create_session: " + GwmLink.error_text(created)
	var session: Dictionary = created.session
	var failure := _check_frame(created.first_frame, width, height, 0, 0, 0)
	if failure != "":
		return "first frame: " + failure
	print("ok create_session: %s, %dx%d, first frame %d bytes RGB + %d bytes depth" % [
		session.session_id, session.width, session.height,
		created.first_frame.rgb.size(), created.first_frame.depth.size()])
	failure = _check_stream(link, session.session_id, width, height)
	if failure == "":
		failure = _check_calls(link, session.session_id, width, height)
	return failure


# `count` actions in lockstep: one frame each, echoing its action's seq and client_time_us.
func _check_stream(link, session_id: String, width: int, height: int) -> String:
	var count := int(_options.frames)
	var actions := []
	for i in range(count):
		var seq := i + 1
		# Every other action in float32, as engines with single-precision floats send them.
		var yaw = Msgpack.F32.new(1.5) if seq % 2 == 0 else -1.0
		actions.append({"seq": seq, "client_time_us": 1700000000000000 + seq * 1000,
			"move_forward_m": 0.02, "move_right_m": 0.01 * (seq % 3 - 1), "turn_yaw_deg": yaw})
	var started := OS.get_ticks_msec()
	var frames: Array = link.play(session_id, actions)
	var elapsed := OS.get_ticks_msec() - started
	if frames.size() != count:
		var last: Dictionary = frames.back() if not frames.empty() else {}
		return "play: %d frames for %d actions %s" % [frames.size(), count, GwmLink.error_text(last)]
	var depth_min := INF
	var depth_max := -INF
	for i in range(count):
		var frame: Dictionary = frames[i]
		if frame.type != "play":
			return "play frame %d: %s" % [i, GwmLink.error_text(frame)]
		var failure := _check_frame(frame, width, height, i + 1, actions[i].client_time_us, i + 1)
		if failure != "":
			return "play frame %d: %s" % [i, failure]
		var depth := _depth_range(frame.depth)
		depth_min = min(depth_min, depth[0])
		depth_max = max(depth_max, depth[1])
	if not (depth_min > 0.0 and depth_max < 1000.0 and depth_max > depth_min):
		return "depth range %f..%f m is not plausible" % [depth_min, depth_max]
	print("ok play: %d actions, %d frames %dx%d in %d ms, seq and client_time_us echoed, depth %.2f..%.2f m" % [
		count, frames.size(), width, height, elapsed, depth_min, depth_max])
	# Sent all at once, actions coalesce (latest action wins): fewer frames, the last answering
	# the last action.
	var burst := []
	for i in range(20):
		burst.append({"seq": count + i + 1, "turn_yaw_deg": 0.5})
	frames = link.play(session_id, burst, false)
	var seqs := []
	for frame in frames:
		if frame.type != "play":
			return "burst play: " + GwmLink.error_text(frame)
		if not seqs.empty() and frame.seq <= seqs.back():
			return "burst play: seq %d after %d" % [frame.seq, seqs.back()]
		seqs.append(frame.seq)
	if seqs.empty() or seqs.back() != count + 20 or seqs.size() > 20:
		return "burst play: frames for seqs %s" % str(seqs)
	print("ok play burst: 20 actions answered by %d frames, last seq %d" % [seqs.size(), seqs.back()])
	return ""


func _check_frame(frame: Dictionary, width: int, height: int, seq: int, time_us: int, index: int) -> String:
	if frame.width != width or frame.height != height:
		return "size %dx%d, expected %dx%d" % [frame.width, frame.height, width, height]
	if frame.seq != seq or frame.client_time_us != time_us:
		return "echoed seq %d time %d, sent %d, %d" % [frame.seq, frame.client_time_us, seq, time_us]
	if frame.index < index:
		return "index %d, expected at least %d" % [frame.index, index]
	if frame.rgb_encoding != 1 or frame.rgb.size() != width * height * 3:
		return "RGB of %d bytes in encoding %d" % [frame.rgb.size(), frame.rgb_encoding]
	if frame.depth_encoding != 1 or frame.depth.size() != width * height * 4:
		return "depth of %d bytes in encoding %d" % [frame.depth.size(), frame.depth_encoding]
	if frame.pose.size() != 16 or frame.pose[15] != 1.0:
		return "pose %s" % str(frame.pose)
	return ""


# [min, max] of float32 little-endian metres; [INF, -INF] when any value is not finite.
func _depth_range(depth: PoolByteArray) -> Array:
	var buffer := StreamPeerBuffer.new()
	buffer.data_array = depth
	var low := INF
	var high := -INF
	for _i in range(depth.size() / 4):
		var value := buffer.get_float()
		if is_nan(value) or is_inf(value):
			return [INF, -INF]
		low = min(low, value)
		high = max(high, value)
	return [low, high]


# Step, fork, save/load, export geometry, close, and errors carrying the link's status.
func _check_calls(link, session_id: String, width: int, height: int) -> String:
	var frame: Dictionary = link.request("step", {"session_id": session_id, "seq": 500, "turn_pitch_deg": 2.0})
	if frame.type != "step" or frame.seq != 500 or frame.rgb.size() != width * height * 3:
		return "step: %s" % (GwmLink.error_text(frame) if frame.type == "error" else str(frame.keys()))
	var forked: Dictionary = link.request("fork", {"session_id": session_id})
	if forked.type == "error":
		return "fork: " + GwmLink.error_text(forked)
	var saved: Dictionary = link.request("save_world", {"session_id": session_id})
	if saved.type == "error" or saved.world.size() < 65536:
		return "save_world: %s" % GwmLink.error_text(saved)
	var loaded: Dictionary = link.request("load_world", {
		"protocol_version": GwmLink.PROTOCOL_VERSION, "world": saved.world})
	if loaded.type == "error" or loaded.session.width != width or loaded.session.steps != frame.index:
		return "load_world: %s" % (GwmLink.error_text(loaded) if loaded.type == "error" else str(loaded.session))
	var geometry: Dictionary = link.request("export_geometry", {"session_id": session_id})
	if geometry.type == "error" or geometry.point_count <= 0:
		return "export_geometry: %s" % GwmLink.error_text(geometry)
	if geometry.ply.subarray(0, 2).get_string_from_ascii() != "ply":  # bytes 0..2, inclusive
		return "export_geometry: not a PLY file"
	print("ok step, fork, save_world (%d bytes, sent back to load_world), export_geometry (%d points)" % [
		saved.world.size(), geometry.point_count])
	var failure := _check_reset_and_glb(link, session_id, width, height)
	if failure != "":
		return failure
	for id in [forked.session.session_id, loaded.session.session_id, session_id]:
		var closed: Dictionary = link.request("close_session", {"session_id": id})
		if closed.type == "error":
			return "close_session: " + GwmLink.error_text(closed)
	var gone: Dictionary = link.request("step", {"session_id": session_id})
	if gone.type != "error" or gone.code != 5 or gone.code_name != "NOT_FOUND":
		return "step on a closed session: %s" % str(gone)
	var misspelt: Dictionary = link.request("step", {"session_id": session_id, "move_forwards_m": 1.0})
	if misspelt.code_name != "INVALID_ARGUMENT" or misspelt.message.find("move_forwards_m") < 0:
		return "a misspelt field: %s" % str(misspelt)
	print("ok errors: %s / %s" % [GwmLink.error_text(gone), GwmLink.error_text(misspelt)])
	return ""


# Protocol 1.1.0: the world's scale, reset to the start pose, and the world fetched as a .glb,
# parsed into an ArrayMesh and a ConcavePolygonShape within its face budget.
func _check_reset_and_glb(link, session_id: String, width: int, height: int) -> String:
	var walker: Dictionary = link.request("create_session", {
		"protocol_version": GwmLink.PROTOCOL_VERSION, "seed_image": _read_bytes(_options.png),
		"width": width, "height": height, "fov_deg": 60.0, "scale_factor": 2.0, "walk": true})
	if walker.type == "error":
		return "create_session with scale_factor and walk: " + GwmLink.error_text(walker)
	var info: Dictionary = walker.session
	if not info.walk or info.walk_speed_mps <= 0.0 or info.turn_rate_dps <= 0.0 or info.median_depth_m <= 0.0:
		return "session scale: %s" % str(info)
	link.request("close_session", {"session_id": info.session_id})
	print("ok scale: median depth %.2f m, walk %.2f m/s, turn %.0f deg/s, camera height %s" % [
		info.median_depth_m, info.walk_speed_mps, info.turn_rate_dps,
		("%.2f m" % info.camera_height_m) if info.has("camera_height_m") else "absent"])
	var back: Dictionary = link.request("reset", {"session_id": session_id, "seq": 900})
	if back.type != "reset" or back.seq != 900 or back.rgb.size() != width * height * 3:
		return "reset: %s" % (GwmLink.error_text(back) if back.type == "error" else str(back.keys()))
	for i in range(16):
		if back.pose[i] != (1.0 if i % 5 == 0 else 0.0):
			return "reset: pose %s is not the start" % str(back.pose)
	print("ok reset: the start pose, frame %d" % back.index)
	var budget := 1000
	var exported: Dictionary = link.request("export_geometry", {
		"session_id": session_id, "format": 2, "collision_faces": budget})
	if exported.type == "error" or exported.glb.size() == 0 or exported.ply.size() != 0:
		return "export_geometry glb: %s" % GwmLink.error_text(exported)
	var meshes := GwmGlb.read_meshes(exported.glb)
	if meshes.has("error"):
		return "glb: " + meshes.error
	if not meshes.has(GwmGlb.WORLD_MESH) or not meshes.has(GwmGlb.COLLISION_MESH):
		return "glb meshes: %s" % str(meshes.keys())
	var world: Dictionary = meshes[GwmGlb.WORLD_MESH]
	var collision: Dictionary = meshes[GwmGlb.COLLISION_MESH]
	var triangles: int = world.indices.size() / 3
	var solid: int = collision.indices.size() / 3
	if triangles != exported.face_count or world.positions.size() != exported.point_count:
		return "glb world mesh: %d triangles, %d vertices" % [triangles, world.positions.size()]
	if world.colors.size() != world.positions.size() or not collision.colors.empty():
		return "glb colours: %d for %d vertices" % [world.colors.size(), world.positions.size()]
	if solid != exported.collision_face_count or solid == 0 or solid > budget:
		return "glb collision mesh: %d triangles for a budget of %d" % [solid, budget]
	var ahead := 0
	for v in world.positions:
		if v.z < 0.0:  # the seed camera looked down -z, as Godot's cameras do
			ahead += 1
	if ahead < world.positions.size() * 0.9:
		return "glb: only %d of %d vertices ahead of the start" % [ahead, world.positions.size()]
	var mesh := GwmGlb.to_array_mesh(world)
	var shape := GwmGlb.to_shape(collision)
	if mesh.get_surface_count() != 1 or shape.get_faces().size() != solid * 3:
		return "glb: ArrayMesh %d surfaces, ConcavePolygonShape %d faces" % [
			mesh.get_surface_count(), shape.get_faces().size()]
	print("ok export_geometry glb: %d triangles with colours, collision %d of at most %d, %d bytes" % [
		triangles, solid, budget, exported.glb.size()])
	return ""


# --- files ---------------------------------------------------------------------------------

func _read_bytes(path: String) -> PoolByteArray:
	var file := File.new()
	if file.open(path, File.READ) != OK:
		return PoolByteArray()
	var data := file.get_buffer(file.get_len())
	file.close()
	return data


func _hex(data: PoolByteArray) -> String:
	return data.hex_encode() if data.size() <= 64 else "%d bytes" % data.size()
