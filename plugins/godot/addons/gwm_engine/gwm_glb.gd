@tool
class_name GwmGlb
extends RefCounted
## The .glb of ExportGeometry (format "glb", protocol 1.1.0) as Godot geometry: mesh "world"
## (the world's surfaces with vertex colours) and mesh "collision" (the same surfaces, coarser,
## within the face budget asked for).
##
## [codeblock]
## var reply := await link.export_geometry(session_id, "glb", 5000)
## var error := GwmGlb.build(reply.body.glb, $World)  # adds GwmWorldMesh and GwmWorldCollider
## [/codeblock]
##
## The daemon writes glTF 2.0 as gwm_engine/world/mesh.py does: triangle lists with float32
## POSITION (world metres), RGBA8 COLOR_0 and uint32 indices, nodes without transforms. The
## world's frame is Godot's (right-handed, +y up), so positions are used as they are. This reader
## takes only that subset; plugins/godot/godot3/gwm_glb.gd is its Godot 3 port, run by the tests.

const WORLD_MESH := "world"
const COLLISION_MESH := "collision"
const _MAGIC := 0x46546C67  # "glTF"
const _JSON_CHUNK := 0x4E4F534A
const _BIN_CHUNK := 0x004E4942
const _FLOAT := 5126
const _UNSIGNED_BYTE := 5121
const _UNSIGNED_INT := 5125


## The triangle meshes of [param glb] by name: each a Dictionary with "positions"
## (PackedVector3Array), "colors" (PackedColorArray, empty without COLOR_0) and "indices"
## (PackedInt32Array, three per triangle, wound clockwise: Godot's front face). On a malformed
## file: {"error": "what is wrong"}.
static func read_meshes(glb: PackedByteArray) -> Dictionary:
	if glb.size() < 20 or glb.decode_u32(0) != _MAGIC:
		return {"error": "not a glTF binary: no 'glTF' header"}
	if glb.decode_u32(4) != 2 or glb.decode_u32(8) != glb.size():
		return {"error": "not a glTF 2.0 binary of %d bytes" % glb.size()}
	var json_length := glb.decode_u32(12)
	if glb.decode_u32(16) != _JSON_CHUNK or 20 + json_length > glb.size():
		return {"error": "the first glTF chunk is not JSON"}
	var doc = JSON.parse_string(glb.slice(20, 20 + json_length).get_string_from_utf8())
	if not doc is Dictionary:
		return {"error": "the glTF JSON chunk does not parse"}
	var bin_at := 20 + json_length
	var bin := PackedByteArray()
	if bin_at + 8 <= glb.size():
		var bin_length := glb.decode_u32(bin_at)
		if glb.decode_u32(bin_at + 4) != _BIN_CHUNK or bin_at + 8 + bin_length > glb.size():
			return {"error": "the second glTF chunk is not BIN"}
		bin = glb.slice(bin_at + 8, bin_at + 8 + bin_length)
	var meshes := {}
	for mesh in doc.get("meshes", []):
		var primitives: Array = mesh.get("primitives", [])
		if primitives.size() != 1 or int(primitives[0].get("mode", 4)) != 4:
			return {"error": "mesh '%s' is not one triangle list" % mesh.get("name", "")}
		var attributes: Dictionary = primitives[0].get("attributes", {})
		if not attributes.has("POSITION") or not primitives[0].has("indices"):
			return {"error": "mesh '%s' has no POSITION or indices" % mesh.get("name", "")}
		var name := str(mesh.get("name", ""))
		var floats := _view(doc, bin, int(attributes.POSITION), "VEC3", _FLOAT, 12)
		if floats.is_empty():
			return {"error": "mesh '%s': no float32 VEC3 POSITION in the BIN chunk" % name}
		var xyz := floats.to_float32_array()
		var positions := PackedVector3Array()
		positions.resize(xyz.size() / 3)
		for i in range(positions.size()):
			positions[i] = Vector3(xyz[3 * i], xyz[3 * i + 1], xyz[3 * i + 2])
		var colors := PackedColorArray()
		if attributes.has("COLOR_0"):
			var rgba := _view(doc, bin, int(attributes.COLOR_0), "VEC4", _UNSIGNED_BYTE, 4)
			if rgba.size() != 4 * positions.size():
				return {"error": "mesh '%s': COLOR_0 is not RGBA8 per vertex" % name}
			colors.resize(rgba.size() / 4)
			for i in range(colors.size()):
				colors[i] = Color8(rgba[4 * i], rgba[4 * i + 1], rgba[4 * i + 2], rgba[4 * i + 3])
		var index_bytes := _view(doc, bin, int(primitives[0].indices), "SCALAR", _UNSIGNED_INT, 4)
		var indices := index_bytes.to_int32_array()
		if indices.is_empty() or indices.size() % 3 != 0:
			return {"error": "mesh '%s': indices are not uint32 triangles" % name}
		for t in range(0, indices.size(), 3):
			# glTF's front faces wind counter-clockwise, Godot's clockwise: swap two corners.
			var b := indices[t + 1]
			indices[t + 1] = indices[t + 2]
			indices[t + 2] = b
		for i in indices:
			if i < 0 or i >= positions.size():
				return {"error": "mesh '%s': index %d past its %d vertices" % [name, i, positions.size()]}
		meshes[name] = {"positions": positions, "colors": colors, "indices": indices}
	return meshes


## An ArrayMesh of one mesh of [method read_meshes].
static func to_array_mesh(mesh: Dictionary) -> ArrayMesh:
	var arrays := []
	arrays.resize(Mesh.ARRAY_MAX)
	arrays[Mesh.ARRAY_VERTEX] = mesh.positions
	if not mesh.colors.is_empty():
		arrays[Mesh.ARRAY_COLOR] = mesh.colors
	arrays[Mesh.ARRAY_INDEX] = mesh.indices
	var out := ArrayMesh.new()
	out.add_surface_from_arrays(Mesh.PRIMITIVE_TRIANGLES, arrays)
	return out


## A ConcavePolygonShape3D of one mesh of [method read_meshes], colliding on both sides (the
## world's surfaces are seen from one side only, and nothing should pass them from behind).
static func to_shape(mesh: Dictionary) -> ConcavePolygonShape3D:
	var faces := PackedVector3Array()
	faces.resize(mesh.indices.size())
	for i in range(faces.size()):
		faces[i] = mesh.positions[mesh.indices[i]]
	var shape := ConcavePolygonShape3D.new()
	shape.set_faces(faces)
	shape.backface_collision = true
	return shape


## Adds the exported world under [param parent]: MeshInstance3D "GwmWorldMesh" (unshaded vertex
## colours, unless [param material] is given) and StaticBody3D "GwmWorldCollider" with a
## CollisionShape3D on the collision mesh, replacing earlier ones. Returns "" or what went wrong.
static func build(glb: PackedByteArray, parent: Node3D, material: Material = null) -> String:
	var meshes := read_meshes(glb)
	if meshes.has("error"):
		return meshes.error
	for old in ["GwmWorldMesh", "GwmWorldCollider"]:
		var node := parent.get_node_or_null(old)
		if node != null:
			parent.remove_child(node)
			node.queue_free()
	if meshes.has(WORLD_MESH):
		var instance := MeshInstance3D.new()
		instance.name = "GwmWorldMesh"
		instance.mesh = to_array_mesh(meshes[WORLD_MESH])
		if material == null:
			var standard := StandardMaterial3D.new()
			standard.vertex_color_use_as_albedo = true
			standard.shading_mode = BaseMaterial3D.SHADING_MODE_UNSHADED
			material = standard
		instance.material_override = material
		parent.add_child(instance)
	if meshes.has(COLLISION_MESH):
		var body := StaticBody3D.new()
		body.name = "GwmWorldCollider"
		var collision := CollisionShape3D.new()
		collision.shape = to_shape(meshes[COLLISION_MESH])
		body.add_child(collision)
		parent.add_child(body)
	return ""


# The bytes of an accessor (tightly packed, as the daemon writes them); empty when it is not of
# the expected type or does not fit the BIN chunk.
static func _view(
	doc: Dictionary, bin: PackedByteArray, index: int, type: String, component: int, size: int
) -> PackedByteArray:
	var accessors: Array = doc.get("accessors", [])
	if index < 0 or index >= accessors.size():
		return PackedByteArray()
	var accessor: Dictionary = accessors[index]
	if accessor.get("type", "") != type or int(accessor.get("componentType", 0)) != component:
		return PackedByteArray()
	var views: Array = doc.get("bufferViews", [])
	var view_index := int(accessor.get("bufferView", -1))
	if view_index < 0 or view_index >= views.size():
		return PackedByteArray()
	if int(views[view_index].get("byteStride", 0)) != 0:  # interleaved: not what the daemon writes
		return PackedByteArray()
	var start := int(views[view_index].get("byteOffset", 0)) + int(accessor.get("byteOffset", 0))
	var length := int(accessor.get("count", 0)) * size
	if start + length > bin.size():
		return PackedByteArray()
	return bin.slice(start, start + length)
