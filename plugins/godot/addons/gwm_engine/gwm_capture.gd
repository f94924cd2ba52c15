@tool
class_name GwmCapture
extends Node
## What a Camera3D sees, colour and metric z-depth, rendered offscreen to seed a world.
##
## [codeblock]
## var capture := GwmCapture.new()
## add_child(capture)
## var shot := await capture.capture(camera, Vector2i(512, 384))
## var fields := GwmFrame.seed_fields(shot.rgb, shot.depth)
## [/codeblock]
## Depth needs a float viewport (HDR 2D) and the depth texture, i.e. the Forward+ renderer; with
## Mobile or Compatibility [code]depth[/code] is null and the daemon estimates depth itself.
## While it renders (two frames), a screen quad lives on [member capture_layer]: the source
## camera is kept from seeing it, other cameras that render that layer would see it flash.

const DEPTH_SHADER := preload("res://addons/gwm_engine/depth_capture.gdshader")

## A render layer (1..20) nothing else in the scene needs during a capture.
@export_range(1, 20) var capture_layer := 20


## Renders [param camera]'s view at [param size] and returns
## [code]{"rgb": Image (RGB8), "depth": Image (FORMAT_RF metres) or null}[/code];
## [code]{}[/code] when the camera cannot be captured. The temporary viewports are children of
## this node, which must be inside the scene tree.
func capture(camera: Camera3D, size: Vector2i, with_depth := true) -> Dictionary:
	if camera == null or not camera.is_inside_tree() or not is_inside_tree():
		push_error("GwmCapture: the camera and this node must be inside the scene tree")
		return {}
	if camera.projection != Camera3D.PROJECTION_PERSPECTIVE:
		push_error("GwmCapture: only perspective cameras can seed a world")
		return {}
	var layer_bit := 1 << (capture_layer - 1)
	var colour := _viewport(camera, size, false, camera.cull_mask & ~layer_bit)
	add_child(colour)
	var depth: SubViewport = null
	if with_depth:
		depth = _viewport(camera, size, true, camera.cull_mask | layer_bit)
		depth.get_child(0).add_child(_depth_quad(camera.far, layer_bit))
		add_child(depth)
	var source_mask := camera.cull_mask
	camera.cull_mask = source_mask & ~layer_bit
	# Two frames: the viewports render in the frame they entered, a first use of the shader
	# may still be compiling then.
	await RenderingServer.frame_post_draw
	await RenderingServer.frame_post_draw
	camera.cull_mask = source_mask
	var result := {"rgb": _read_colour(colour), "depth": null}
	colour.queue_free()
	if depth != null:
		result.depth = _read_depth(depth, camera.far)
		depth.queue_free()
	return result


## The camera's vertical field of view (degrees) for an image of [param size]: Camera3D.fov is
## horizontal when the camera keeps its width.
static func vertical_fov_deg(camera: Camera3D, size: Vector2i) -> float:
	if camera.keep_aspect == Camera3D.KEEP_HEIGHT:
		return camera.fov
	var half := tan(deg_to_rad(camera.fov) / 2.0) * float(size.y) / float(size.x)
	return rad_to_deg(2.0 * atan(half))


static func _viewport(camera: Camera3D, size: Vector2i, hdr: bool, mask: int) -> SubViewport:
	var viewport := SubViewport.new()
	viewport.size = size
	viewport.world_3d = camera.get_world_3d()
	# Linear, unclamped half floats instead of 8-bit sRGB: the depth pass writes numbers.
	viewport.use_hdr_2d = hdr
	viewport.render_target_update_mode = SubViewport.UPDATE_ALWAYS
	var eye := Camera3D.new()
	eye.transform = camera.global_transform
	eye.fov = camera.fov
	eye.keep_aspect = camera.keep_aspect
	eye.near = camera.near
	eye.far = camera.far
	eye.h_offset = camera.h_offset
	eye.v_offset = camera.v_offset
	eye.cull_mask = mask
	if hdr:
		eye.environment = Environment.new()  # no fog, glow or tonemap curve on the numbers
	else:
		eye.environment = camera.environment
		eye.attributes = camera.attributes
	eye.current = true
	viewport.add_child(eye)
	return viewport


static func _depth_quad(far: float, layer_bit: int) -> MeshInstance3D:
	var material := ShaderMaterial.new()
	material.shader = DEPTH_SHADER
	material.set_shader_parameter("far_m", far)
	var quad := QuadMesh.new()
	quad.size = Vector2(2.0, 2.0)
	var instance := MeshInstance3D.new()
	instance.mesh = quad
	instance.material_override = material
	instance.layers = layer_bit
	instance.cast_shadow = GeometryInstance3D.SHADOW_CASTING_SETTING_OFF
	# The vertex shader places it on the screen, wherever the camera's culling thinks it is.
	instance.extra_cull_margin = 16384.0
	return instance


static func _read_colour(viewport: SubViewport) -> Image:
	var image := viewport.get_texture().get_image()
	image.convert(Image.FORMAT_RGB8)
	return image


static func _read_depth(viewport: SubViewport, far: float) -> Image:
	var image := viewport.get_texture().get_image()
	if not (image.get_format() in [Image.FORMAT_RGBAH, Image.FORMAT_RGBAF, Image.FORMAT_RGBH]):
		push_warning("GwmCapture: no float viewport (%s renderer?); seeding without depth" % [
			ProjectSettings.get_setting("rendering/renderer/rendering_method")])
		return null
	image.convert(Image.FORMAT_RF)
	var metres := image.get_data().to_float32_array()
	for i in range(metres.size()):
		metres[i] *= far
	return Image.create_from_data(
		image.get_width(), image.get_height(), false, Image.FORMAT_RF, metres.to_byte_array())
