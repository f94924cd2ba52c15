# Godot 3 port of the addon's GwmGlb reader (addons/gwm_engine/gwm_glb.gd): the .glb of
# ExportGeometry (format "glb") as mesh arrays, an ArrayMesh and a ConcavePolygonShape. Godot 3
# has no PackedByteArray.decode_*, so numbers are read through a StreamPeerBuffer.
extends Reference

const WORLD_MESH = "world"
const COLLISION_MESH = "collision"
const _MAGIC = 0x46546C67  # "glTF"
const _JSON_CHUNK = 0x4E4F534A
const _BIN_CHUNK = 0x004E4942
const _FLOAT = 5126
const _UNSIGNED_BYTE = 5121
const _UNSIGNED_INT = 5125


# The triangle meshes of `glb` by name: {"positions": PoolVector3Array, "colors": PoolColorArray
# (empty without COLOR_0), "indices": PoolIntArray (clockwise: Godot's front face)}; or
# {"error": "what is wrong"}.
static func read_meshes(glb: PoolByteArray) -> Dictionary:
	var reader := StreamPeerBuffer.new()
	reader.data_array = glb
	reader.big_endian = false
	if glb.size() < 20 or reader.get_u32() != _MAGIC:
		return {"error": "not a glTF binary: no 'glTF' header"}
	if reader.get_u32() != 2 or reader.get_u32() != glb.size():
		return {"error": "not a glTF 2.0 binary of %d bytes" % glb.size()}
	var json_length := reader.get_u32()
	if reader.get_u32() != _JSON_CHUNK or 20 + json_length > glb.size():
		return {"error": "the first glTF chunk is not JSON"}
	var parsed := JSON.parse(glb.subarray(20, 20 + json_length - 1).get_string_from_utf8())
	if parsed.error != OK or typeof(parsed.result) != TYPE_DICTIONARY:
		return {"error": "the glTF JSON chunk does not parse"}
	var doc: Dictionary = parsed.result
	var bin_at := 20 + json_length
	if bin_at + 8 > glb.size():
		return {"error": "no BIN chunk"}
	reader.seek(bin_at)
	var bin_length := reader.get_u32()
	if reader.get_u32() != _BIN_CHUNK or bin_at + 8 + bin_length > glb.size():
		return {"error": "the second glTF chunk is not BIN"}
	bin_at += 8
	var meshes := {}
	for mesh in doc.get("meshes", []):
		var name := str(mesh.get("name", ""))
		var primitives: Array = mesh.get("primitives", [])
		if primitives.size() != 1 or int(primitives[0].get("mode", 4)) != 4:
			return {"error": "mesh '%s' is not one triangle list" % name}
		var attributes: Dictionary = primitives[0].get("attributes", {})
		if not attributes.has("POSITION") or not primitives[0].has("indices"):
			return {"error": "mesh '%s' has no POSITION or indices" % name}
		var at := _view(doc, bin_at, bin_length, int(attributes.POSITION), "VEC3", _FLOAT, 12)
		if at[0] < 0:
			return {"error": "mesh '%s': no float32 VEC3 POSITION in the BIN chunk" % name}
		var positions := PoolVector3Array()
		reader.seek(at[0])
		for _i in range(at[1]):
			var x := reader.get_float()
			var y := reader.get_float()
			positions.append(Vector3(x, y, reader.get_float()))
		var colors := PoolColorArray()
		if attributes.has("COLOR_0"):
			at = _view(doc, bin_at, bin_length, int(attributes.COLOR_0), "VEC4", _UNSIGNED_BYTE, 4)
			if at[0] < 0 or at[1] != positions.size():
				return {"error": "mesh '%s': COLOR_0 is not RGBA8 per vertex" % name}
			reader.seek(at[0])
			for _i in range(at[1]):
				var r := reader.get_u8()
				var g := reader.get_u8()
				var b := reader.get_u8()
				colors.append(Color8(r, g, b, reader.get_u8()))
		at = _view(doc, bin_at, bin_length, int(primitives[0].indices), "SCALAR", _UNSIGNED_INT, 4)
		if at[0] < 0 or at[1] == 0 or at[1] % 3 != 0:
			return {"error": "mesh '%s': indices are not uint32 triangles" % name}
		var indices := PoolIntArray()
		reader.seek(at[0])
		for _t in range(at[1] / 3):
			# glTF's front faces wind counter-clockwise, Godot's clockwise: swap two corners.
			var a := reader.get_u32()
			var b := reader.get_u32()
			var c := reader.get_u32()
			for i in [a, c, b]:
				if i >= positions.size():
					return {"error": "mesh '%s': index %d past its %d vertices" % [name, i, positions.size()]}
				indices.append(i)
		meshes[name] = {"positions": positions, "colors": colors, "indices": indices}
	return meshes


static func to_array_mesh(mesh: Dictionary) -> ArrayMesh:
	var arrays := []
	arrays.resize(Mesh.ARRAY_MAX)
	arrays[Mesh.ARRAY_VERTEX] = mesh.positions
	if not mesh.colors.empty():
		arrays[Mesh.ARRAY_COLOR] = mesh.colors
	arrays[Mesh.ARRAY_INDEX] = mesh.indices
	var out := ArrayMesh.new()
	out.add_surface_from_arrays(Mesh.PRIMITIVE_TRIANGLES, arrays)
	return out


static func to_shape(mesh: Dictionary) -> ConcavePolygonShape:
	var faces := PoolVector3Array()
	for i in mesh.indices:
		faces.append(mesh.positions[i])
	var shape := ConcavePolygonShape.new()
	shape.set_faces(faces)
	return shape


# [start byte in the file, element count] of a tightly packed accessor, or [-1, 0] when it is
# not of the expected type or does not fit the BIN chunk.
static func _view(doc: Dictionary, bin_at: int, bin_length: int, index: int, type: String, component: int, size: int) -> Array:
	var accessors: Array = doc.get("accessors", [])
	if index < 0 or index >= accessors.size():
		return [-1, 0]
	var accessor: Dictionary = accessors[index]
	if accessor.get("type", "") != type or int(accessor.get("componentType", 0)) != component:
		return [-1, 0]
	var views: Array = doc.get("bufferViews", [])
	var view_index := int(accessor.get("bufferView", -1))
	if view_index < 0 or view_index >= views.size() or int(views[view_index].get("byteStride", 0)) != 0:
		return [-1, 0]
	var start := int(views[view_index].get("byteOffset", 0)) + int(accessor.get("byteOffset", 0))
	var count := int(accessor.get("count", 0))
	if start + count * size > bin_length:
		return [-1, 0]
	return [bin_at + start, count]
