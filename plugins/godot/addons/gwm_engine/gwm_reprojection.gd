@icon("res://addons/gwm_engine/icon.svg")
class_name GwmReprojection
extends MeshInstance3D
## The newest frame of a [GwmWorldView] as geometry: a grid mesh displaced by the frame's depth
## (gwm_reprojection.gdshader), placed where the frame's camera stood. Any camera then draws it
## from where it is now, every display frame: set [member GwmCameraInput.camera] to the camera
## that renders the scene and mouse look, turns and small moves answer at display rate while
## new frames replace the old at the daemon's rate. In XR each eye draws it from its own pose.

const SHADER := preload("res://addons/gwm_engine/gwm_reprojection.gdshader")
## How far the world may reach from the frame's camera (metres), for culling.
const REACH_M := 1000.0

@export var view: GwmWorldView
## Pixels between grid vertices: 1 follows depth at every pixel; 2 or more draw fewer triangles
## (colour keeps every pixel either way).
@export_range(1, 8) var grid_step := 1
## Corners whose depths differ by more than this ratio lie on different surfaces: the cell
## between them is cut.
@export var tear_ratio := 1.12

var _material: ShaderMaterial
var _grid_size := Vector2i.ZERO


func _ready() -> void:
	_material = ShaderMaterial.new()
	_material.shader = SHADER
	material_override = _material
	# The shader moves every vertex: the mesh's own bounds say nothing of where it ends up.
	custom_aabb = AABB(Vector3.ONE * -REACH_M, Vector3.ONE * 2.0 * REACH_M)
	if view != null:
		view.frame_received.connect(_on_frame)


func _on_frame(frame: Dictionary) -> void:
	var size := Vector2i(frame.width, frame.height)
	if size != _grid_size:
		mesh = grid(size, grid_step)
		_grid_size = size
	global_transform = view.camera_transform
	_material.set_shader_parameter("gwm_rgb", view.rgb_texture)
	_material.set_shader_parameter("gwm_depth", view.depth_texture)
	_material.set_shader_parameter("intrinsics",
		Vector4(frame.fx_px, frame.fy_px, frame.cx_px, frame.cy_px))
	_material.set_shader_parameter("tear_ratio", tear_ratio)


## A grid of (size - 1) / step + 1 vertices a side; UV 0..1 spans the first to the last pixel
## centre (the shader places each vertex from it).
static func grid(size: Vector2i, step: int) -> ArrayMesh:
	var columns := (size.x - 2) / step + 2
	var rows := (size.y - 2) / step + 2
	var uvs := PackedVector2Array()
	var vertices := PackedVector3Array()
	uvs.resize(columns * rows)
	vertices.resize(columns * rows)
	for j in rows:
		for i in columns:
			uvs[j * columns + i] = Vector2(
				minf(float(i * step) / (size.x - 1), 1.0), minf(float(j * step) / (size.y - 1), 1.0))
	var indices := PackedInt32Array()
	indices.resize((columns - 1) * (rows - 1) * 6)
	var n := 0
	for j in rows - 1:
		for i in columns - 1:
			var v := j * columns + i
			for corner in [v, v + columns, v + 1, v + 1, v + columns, v + columns + 1]:
				indices[n] = corner
				n += 1
	var arrays := []
	arrays.resize(Mesh.ARRAY_MAX)
	arrays[Mesh.ARRAY_VERTEX] = vertices
	arrays[Mesh.ARRAY_TEX_UV] = uvs
	arrays[Mesh.ARRAY_INDEX] = indices
	var grid_mesh := ArrayMesh.new()
	grid_mesh.add_surface_from_arrays(Mesh.PRIMITIVE_TRIANGLES, arrays)
	return grid_mesh
