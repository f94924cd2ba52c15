# The engine link's msgpack subset (proto/ENGINE_LINK.md, "The msgpack subset") for Godot 3.2+:
# a port of the Godot 4 addon's GwmMsgpack (addons/gwm_engine/gwm_msgpack.gd); keep the two in
# step. Values map to GDScript as bool, int, float, String, PoolByteArray (bin), Array and
# Dictionary (string keys, wire order kept). Pool arrays encode as arrays.
# GDScript floats are doubles, so the encoder writes float64; wrap a value in F32 to send float32.
# GDScript ints are signed 64-bit: a uint64 of 2^63 or more is refused rather than wrapped
# negative (the link only sends such values back when a client sent them first).
extends Reference

# Link messages nest three deep; refusing deep input keeps hostile bytes off the stack.
const MAX_DEPTH = 16
const _ARRAY_TYPES = [
	TYPE_ARRAY, TYPE_REAL_ARRAY, TYPE_INT_ARRAY, TYPE_STRING_ARRAY,
]


# A number to send (or, decoded with keep_float_width, one that came) as float32.
class F32:
	extends Reference
	var value: float

	func _init(v: float) -> void:
		value = v


# What `decode` returns: the value, or why there is none.
class Decoded:
	extends Reference
	var value = null
	var error := ""


# `value` as msgpack, smallest forms. Values outside the subset are programming errors:
# they print an error and give an empty array (every real message encodes to some bytes).
static func encode(value) -> PoolByteArray:
	var out := StreamPeerBuffer.new()
	out.big_endian = true
	var error := _encode(value, out)
	if error != "":
		push_error("gwm msgpack: " + error)
		return PoolByteArray()
	return out.data_array


static func _encode(value, out: StreamPeerBuffer) -> String:
	if typeof(value) in _ARRAY_TYPES:
		_header(value.size(), out, 0x90, 15, [-1, 0xDC, 0xDD])
		for item in value:
			var error := _encode(item, out)
			if error != "":
				return error
		return ""
	match typeof(value):
		TYPE_BOOL:
			out.put_u8(0xC3 if value else 0xC2)
		TYPE_INT:
			_encode_int(value, out)
		TYPE_REAL:
			out.put_u8(0xCB)
			if is_nan(value):  # every NaN as the canonical quiet NaN (ENGINE_LINK.md, "Golden vectors")
				out.put_data(PoolByteArray([0x7F, 0xF8, 0, 0, 0, 0, 0, 0]))
			else:
				out.put_double(value)
		TYPE_STRING:
			var data: PoolByteArray = value.to_utf8()
			_header(data.size(), out, 0xA0, 31, [0xD9, 0xDA, 0xDB])
			out.put_data(data)
		TYPE_RAW_ARRAY:
			_header(value.size(), out, -1, -1, [0xC4, 0xC5, 0xC6])
			out.put_data(value)
		TYPE_DICTIONARY:
			_header(value.size(), out, 0x80, 15, [-1, 0xDE, 0xDF])
			for key in value:
				if typeof(key) != TYPE_STRING:
					return "map keys must be strings, got %s" % str(key)
				var error := _encode(key, out)
				if error == "":
					error = _encode(value[key], out)
				if error != "":
					return error
		TYPE_OBJECT:
			if not value is F32:
				return "%s is not in the link's msgpack subset" % str(value)
			out.put_u8(0xCA)
			if is_nan(value.value):
				out.put_data(PoolByteArray([0x7F, 0xC0, 0, 0]))
			else:
				out.put_float(value.value)
		_:
			return "type %d (%s) is not in the link's msgpack subset" % [typeof(value), str(value)]
	return ""


static func _encode_int(value: int, out: StreamPeerBuffer) -> void:
	if value >= 0 and value <= 0x7F:
		out.put_u8(value)
	elif value >= -32 and value < 0:
		out.put_8(value)
	elif value >= 0:
		if value <= 0xFF:
			out.put_u8(0xCC)
			out.put_u8(value)
		elif value <= 0xFFFF:
			out.put_u8(0xCD)
			out.put_u16(value)
		elif value <= 0xFFFFFFFF:
			out.put_u8(0xCE)
			out.put_u32(value)
		else:
			out.put_u8(0xCF)
			out.put_u64(value)
	elif value >= -0x80:
		out.put_u8(0xD0)
		out.put_8(value)
	elif value >= -0x8000:
		out.put_u8(0xD1)
		out.put_16(value)
	elif value >= -0x80000000:
		out.put_u8(0xD2)
		out.put_32(value)
	else:
		out.put_u8(0xD3)
		out.put_64(value)


# A fix form when `length` fits `fix_max` (`fix_first` < 0: none), else the first of the 8-,
# 16- and 32-bit forms in `sized` (-1: no such form) that holds it.
static func _header(length: int, out: StreamPeerBuffer, fix_first: int, fix_max: int, sized: Array) -> void:
	if fix_first >= 0 and length <= fix_max:
		out.put_u8(fix_first | length)
	elif sized[0] >= 0 and length <= 0xFF:
		out.put_u8(sized[0])
		out.put_u8(length)
	elif length <= 0xFFFF:
		out.put_u8(sized[1])
		out.put_u16(length)
	else:
		out.put_u8(sized[2])
		out.put_u32(length)


# One msgpack object from `data`; on failure `Decoded.error` says why. With `keep_float_width`,
# float32 numbers come back as F32.
static func decode(data: PoolByteArray, keep_float_width := false) -> Decoded:
	var input := StreamPeerBuffer.new()
	input.big_endian = true
	input.data_array = data
	var result := Decoded.new()
	var state := {"error": "", "f32": keep_float_width}
	var value = _decode(input, 0, state)
	if state.error == "" and input.get_available_bytes() > 0:
		state.error = "%d trailing bytes" % input.get_available_bytes()
	result.error = state.error
	if result.error == "":
		result.value = value
	return result


static func _need(input: StreamPeerBuffer, count: int, state: Dictionary) -> bool:
	if input.get_available_bytes() < count:
		state.error = "truncated: need %d bytes at offset %d, have %d" % [
			count, input.get_position(), input.get_available_bytes()]
		return false
	return true


static func _decode(input: StreamPeerBuffer, depth: int, state: Dictionary):
	if depth > MAX_DEPTH:
		state.error = "nested deeper than %d" % MAX_DEPTH
		return null
	if not _need(input, 1, state):
		return null
	var first := input.get_u8()
	if first <= 0x7F:
		return first
	if first >= 0xE0:
		return first - 0x100
	if first >= 0xA0 and first <= 0xBF:
		return _text(input, first & 0x1F, state)
	if first >= 0x90 and first <= 0x9F:
		return _array(input, first & 0x0F, depth, state)
	if first >= 0x80 and first <= 0x8F:
		return _map(input, first & 0x0F, depth, state)
	return _decode_sized(input, first, depth, state)


static func _decode_sized(input: StreamPeerBuffer, first: int, depth: int, state: Dictionary):
	var value = null
	match first:
		0xC2, 0xC3:
			value = first == 0xC3
		0xCA:
			if _need(input, 4, state):
				var f32 := input.get_float()
				value = F32.new(f32) if state.f32 else f32
		0xCB:
			if _need(input, 8, state):
				value = input.get_double()
		0xC4, 0xC5, 0xC6:
			var length := _length(input, first - 0xC4, state)
			if length >= 0 and _need(input, length, state):
				value = input.get_data(length)[1]
		0xD9, 0xDA, 0xDB:
			var length := _length(input, first - 0xD9, state)
			if length >= 0:
				value = _text(input, length, state)
		0xDC, 0xDD:
			var length := _length(input, first - 0xDB, state)
			if length >= 0:
				value = _array(input, length, depth, state)
		0xDE, 0xDF:
			var length := _length(input, first - 0xDD, state)
			if length >= 0:
				value = _map(input, length, depth, state)
		_:
			value = _integer(input, first, state)
	return value


static func _integer(input: StreamPeerBuffer, first: int, state: Dictionary):
	var sizes := {0xCC: 1, 0xCD: 2, 0xCE: 4, 0xCF: 8, 0xD0: 1, 0xD1: 2, 0xD2: 4, 0xD3: 8}
	if not sizes.has(first):
		state.error = "byte 0x%02x at offset %d is outside the link's msgpack subset" % [
			first, input.get_position() - 1]
		return null
	if not _need(input, sizes[first], state):
		return null
	var value := 0
	match first:
		0xCC:
			value = input.get_u8()
		0xCD:
			value = input.get_u16()
		0xCE:
			value = input.get_u32()
		0xCF:
			value = input.get_u64()
			if value < 0:
				state.error = "uint64 above 2^63-1 does not fit a GDScript int"
				return null
		0xD0:
			value = input.get_8()
		0xD1:
			value = input.get_16()
		0xD2:
			value = input.get_32()
		_:
			value = input.get_64()
	return value


# The length after a sized header: `width` 0, 1, 2 for 8-, 16-, 32-bit; -1 if truncated.
static func _length(input: StreamPeerBuffer, width: int, state: Dictionary) -> int:
	if not _need(input, [1, 2, 4][width], state):
		return -1
	if width == 0:
		return input.get_u8()
	return input.get_u16() if width == 1 else input.get_u32()


static func _text(input: StreamPeerBuffer, length: int, state: Dictionary):
	if not _need(input, length, state):
		return null
	var raw: PoolByteArray = input.get_data(length)[1]
	return raw.get_string_from_utf8()


# Every element takes at least one byte, so a lying length fails here instead of looping.
static func _array(input: StreamPeerBuffer, length: int, depth: int, state: Dictionary):
	if not _need(input, length, state):
		return null
	var items := []
	for _i in range(length):
		var item = _decode(input, depth + 1, state)
		if state.error != "":
			return null
		items.append(item)
	return items


static func _map(input: StreamPeerBuffer, length: int, depth: int, state: Dictionary):
	if not _need(input, 2 * length, state):
		return null
	var result := {}
	for _i in range(length):
		var key = _decode(input, depth + 1, state)
		if state.error != "":
			return null
		if typeof(key) != TYPE_STRING:
			state.error = "map keys must be strings, got %s" % str(key)
			return null
		if result.has(key):
			state.error = "duplicate map key '%s'" % key
			return null
		result[key] = _decode(input, depth + 1, state)
		if state.error != "":
			return null
	return result
