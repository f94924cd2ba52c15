@icon("res://addons/gwm_engine/icon.svg")
class_name GwmWorldView
extends Node
## Streams a gwm-engine world into the scene.
##
## Seed it from a Texture2D or from what a Camera3D sees (colour, and depth with Forward+), then
## walk it with [method move] (see [GwmCameraInput]) or drive it with absolute poses
## ([method set_pose], e.g. an XR head). Frames land in [member rgb_texture] (RGB8) and
## [member depth_texture] (float metres, FORMAT_RF: sample .r in a shader) and on [member target]:
## a node with a [code]texture[/code] property (TextureRect, Sprite2D, Sprite3D) shows the colour;
## a GeometryInstance3D (a quad) gets an unshaded material with it, or, when its
## material_override is a ShaderMaterial, the uniforms [code]gwm_rgb[/code] and
## [code]gwm_depth[/code].
## Failures come by [signal failed] with the link's status and message.

signal session_started(session: Dictionary)
signal frame_received(frame: Dictionary)
signal failed(message: String)

@export var url := GwmLink.DEFAULT_URL
@export var token := ""
## Output size of the stream (pixels); GetInfo reports the daemon's limits.
@export var size := Vector2i(512, 384)
## Vertical field of view of the stream (degrees). A camera seed uses the camera's.
@export_range(10.0, 150.0) var fov_deg := 60.0
## Seeds the world on start when set (and no seed_camera is).
@export var seed_texture: Texture2D
## Seeds the world on start from this camera's view, colour and depth.
@export var seed_camera: Camera3D
## Send the camera's depth with its colour (needs Forward+); otherwise the daemon estimates it.
@export var seed_with_depth := true
## Connect and seed in _ready.
@export var auto_start := true
## Where the colour stream is shown (optional).
@export var target: Node

var link: GwmLink
var capture: GwmCapture
## SessionInfo of the current session (session_id, width, height, pose, ...).
var session := {}
## The last frame (Frame fields of world.proto).
var frame := {}
var rgb_texture: ImageTexture
var depth_texture: ImageTexture
## Where the world's origin (the seed view) sits in this scene: a camera seed puts it at the
## camera; an image seed at the first absolute pose, levelled (see [method set_pose]).
var anchor := Transform3D.IDENTITY
## Godot transform of the camera that saw the last frame.
var camera_transform := Transform3D.IDENTITY

var _stream: GwmPlayStream
var _anchor_pending := false
var _material: StandardMaterial3D


func _ready() -> void:
	link = GwmLink.new()
	link.name = "Link"
	add_child(link)
	link.closed.connect(_on_link_closed)
	capture = GwmCapture.new()
	capture.name = "Capture"
	add_child(capture)
	if auto_start:
		start()


## Connect (if needed) and seed from [member seed_camera] or [member seed_texture].
func start() -> bool:
	var connected := await connect_link()
	if not connected:
		return false
	if seed_camera != null:
		return await seed_from_camera(seed_camera)
	if seed_texture != null:
		return await seed_from_texture(seed_texture)
	return true


func connect_link() -> bool:
	if link.is_open():
		return true
	return _check(await link.open(url, token))


func has_session() -> bool:
	return session.has("session_id")


func seed_from_texture(texture: Texture2D) -> bool:
	return await seed_from_image(texture.get_image())


## Seed from [param image] and optional metric z-depth. [param image_anchor] is where the
## image's camera stands in this scene; left at identity, the first absolute pose places it.
func seed_from_image(
	image: Image, depth: Image = null, image_anchor := Transform3D.IDENTITY
) -> bool:
	var fields := GwmFrame.seed_fields(image, depth)
	fields.merge({"width": size.x, "height": size.y, "fov_deg": fov_deg})
	return await _create(fields, image_anchor, image_anchor == Transform3D.IDENTITY)


func seed_from_camera(camera: Camera3D) -> bool:
	var shot := await capture.capture(camera, size, seed_with_depth)
	if shot.is_empty():
		return _fail("cannot capture %s" % camera.name)
	fov_deg = GwmCapture.vertical_fov_deg(camera, size)
	var fields := GwmFrame.seed_fields(shot.rgb, shot.depth)
	fields.merge({"width": size.x, "height": size.y, "fov_deg": fov_deg})
	return await _create(fields, _rigid(camera.global_transform), false)


## Walk: [param offset] (right, up, forward) metres in the camera frame, [param turn] (yaw,
## pitch, roll) degrees; sent on the play stream, which the daemon coalesces. Returns the
## action's seq (frames echo the seq of the last action they include), 0 if it was not sent.
func move(offset: Vector3, turn := Vector3.ZERO) -> int:
	if _open_stream():
		return _stream.move(offset, turn)
	return 0


## Back to the start pose, where the seed was seen. Daemons since protocol 1.1.0 reset the
## session themselves (the seed's exact frame; walk mode's reset); older ones are sent the
## start pose as an absolute pose.
func reset() -> bool:
	if not has_session():
		return false
	var version := str(link.server.get("protocol_version", "1.0")).split(".")
	if version.size() >= 2 and (int(version[0]) > 1 or int(version[1]) >= 1):
		var reply := await link.reset(session.session_id)
		if not _check(reply):
			return false
		_show(reply.body)
		return true
	if _open_stream():
		return _stream.send_action({"pose": session.pose}) > 0
	return false


## Put the camera at [param world_transform] (this scene's coordinates, e.g. an XRCamera3D's
## global transform). After an image seed the first pose becomes the anchor, levelled to keep
## the world upright, so the seed view starts where the head is.
func set_pose(world_transform: Transform3D) -> void:
	if _anchor_pending:
		anchor = _level(world_transform)
		_anchor_pending = false
	if _open_stream():
		_stream.set_pose(anchor.affine_inverse() * _rigid(world_transform))


## A copy of the world in a new session, which this view then shows; returns its id ("" on
## failure).
func fork() -> String:
	var reply := await link.fork(session.get("session_id", ""))
	if not _check(reply):
		return ""
	_switch(reply.body.session)
	move(Vector3.ZERO)  # a new session has no frame yet: an all-zero action renders the view
	return session.session_id


## The world file of the session (empty on failure), for [method load_world].
func save_world() -> PackedByteArray:
	var reply := await link.save_world(session.get("session_id", ""))
	return reply.body.world if _check(reply) else PackedByteArray()


## Show a world from a file of [method save_world], in a new session.
func load_world(world: PackedByteArray) -> bool:
	var reply := await link.load_world(world)
	if not _check(reply):
		return false
	_switch(reply.body.session)
	move(Vector3.ZERO)
	return true


## The world as a binary PLY point cloud (float32 x y z, uchar r g b, in the world's metres,
## relative to [member anchor]); empty on failure.
func export_geometry() -> PackedByteArray:
	var reply := await link.export_geometry(session.get("session_id", ""))
	return reply.body.ply if _check(reply) else PackedByteArray()


func close_session() -> void:
	if has_session():
		var id: String = session.session_id
		_switch({})
		_check(await link.close_session(id))


func _create(fields: Dictionary, world_anchor: Transform3D, anchor_pending: bool) -> bool:
	var connected := await connect_link()
	if not connected:
		return false
	var reply := await link.create_session(fields)
	if not _check(reply):
		return false
	anchor = world_anchor
	_anchor_pending = anchor_pending
	_switch(reply.body.session)
	_show(reply.body.first_frame)
	return true


func _switch(new_session: Dictionary) -> void:
	if _stream != null:
		_stream.end()
		_stream = null
	session = new_session
	if has_session():
		session_started.emit(session)


func _open_stream() -> bool:
	if not has_session() or not link.is_open():
		return false
	if _stream == null or not _stream.active:
		_stream = link.play(session.session_id)
		_stream.frame_received.connect(_show)
		_stream.ended.connect(_on_stream_ended.bind(_stream))
	return true


func _on_stream_ended(reply: GwmReply, stream: GwmPlayStream) -> void:
	if stream == _stream:
		_stream = null
	_check(reply)


func _show(new_frame: Dictionary) -> void:
	var rgb := GwmFrame.rgb_image(new_frame)
	var depth := GwmFrame.depth_image(new_frame)
	if rgb == null or depth == null:
		_fail("a frame in an encoding this build cannot show")
		return
	frame = new_frame
	camera_transform = GwmFrame.camera_transform(frame, anchor)
	# Updating in place keeps materials and shaders that hold the textures; a new size or
	# format needs new textures.
	if _fits(rgb_texture, rgb) and _fits(depth_texture, depth):
		rgb_texture.update(rgb)
		depth_texture.update(depth)
	else:
		rgb_texture = ImageTexture.create_from_image(rgb)
		depth_texture = ImageTexture.create_from_image(depth)
		_attach()
	frame_received.emit(frame)


func _attach() -> void:
	if target == null:
		return
	if "texture" in target:
		target.set("texture", rgb_texture)
		return
	var geometry := target as GeometryInstance3D
	if geometry == null:
		return
	var shader := geometry.material_override as ShaderMaterial
	if shader != null:
		shader.set_shader_parameter("gwm_rgb", rgb_texture)
		shader.set_shader_parameter("gwm_depth", depth_texture)
		return
	if _material == null:
		_material = StandardMaterial3D.new()
		_material.shading_mode = BaseMaterial3D.SHADING_MODE_UNSHADED
		geometry.material_override = _material
	_material.albedo_texture = rgb_texture


func _on_link_closed(code: int, reason: String) -> void:
	_fail("the link closed (code %d) %s" % [code, reason])


func _check(reply: GwmReply) -> bool:
	return reply.is_ok() or _fail(reply.error_text())


func _fail(message: String) -> bool:
	push_warning("GwmWorldView: " + message)
	failed.emit(message)
	return false


static func _fits(texture: ImageTexture, image: Image) -> bool:
	return texture != null and texture.get_size() == Vector2(image.get_size()) \
		and texture.get_format() == image.get_format()


## The daemon takes rigid poses: no scale.
static func _rigid(transform: Transform3D) -> Transform3D:
	return Transform3D(transform.basis.orthonormalized(), transform.origin)


## Position and heading only, so the world's up stays up.
static func _level(transform: Transform3D) -> Transform3D:
	var forward := -transform.basis.z
	var yaw := atan2(-forward.x, -forward.z)
	return Transform3D(Basis(Vector3.UP, yaw), transform.origin)
