@tool
class_name GwmFrame
extends RefCounted
## Frames and seeds of the engine link as Godot images and transforms.
##
## Conventions (docs/ARCHITECTURE.md) match Godot's: right-handed, metres, +Y up, the camera
## looking down its -Z. A pose is a world-from-camera matrix, 16 doubles in row-major order, so
## a Transform3D converts without any axis flip. Depth is metric z-depth (distance along the
## view axis, not along the ray). Images are row-major, top row first, as Godot's.

## RgbEncoding and DepthEncoding of world.proto.
const RGB_RAW := 1
const RGB_JPEG := 2
const RGB_PNG := 3
const DEPTH_FLOAT32 := 1
const DEPTH_FLOAT16 := 2
const DEPTH_UINT16_MM := 3


## The frame's colour image (RGB8), or null for an encoding this build cannot read.
static func rgb_image(frame: Dictionary, right_eye := false) -> Image:
	var data: PackedByteArray = frame["right_rgb" if right_eye else "rgb"]
	var image: Image = null
	match int(frame.rgb_encoding):
		RGB_RAW:
			image = Image.create_from_data(frame.width, frame.height, false, Image.FORMAT_RGB8, data)
		RGB_JPEG:
			image = Image.new()
			if image.load_jpg_from_buffer(data) != OK:
				image = null
		RGB_PNG:
			image = Image.new()
			if image.load_png_from_buffer(data) != OK:
				image = null
	return image


## The frame's depth as a float image in metres, for shaders: FORMAT_RF for float32 and
## millimetre depth, FORMAT_RH (half float) for float16 depth. Unknown (0 mm) stays 0.
static func depth_image(frame: Dictionary, right_eye := false) -> Image:
	var data: PackedByteArray = frame["right_depth" if right_eye else "depth"]
	var width: int = frame.width
	var height: int = frame.height
	match int(frame.depth_encoding):
		DEPTH_FLOAT32:
			return Image.create_from_data(width, height, false, Image.FORMAT_RF, data)
		DEPTH_FLOAT16:
			return Image.create_from_data(width, height, false, Image.FORMAT_RH, data)
		DEPTH_UINT16_MM:
			var metres := PackedFloat32Array()
			metres.resize(width * height)
			for i in range(metres.size()):
				metres[i] = data.decode_u16(2 * i) / 1000.0
			return Image.create_from_data(
				width, height, false, Image.FORMAT_RF, metres.to_byte_array())
	return null


## A pose of the link (16 numbers, row-major world-from-camera) as a Transform3D.
static func pose_to_transform(pose: Array) -> Transform3D:
	var basis := Basis(
		Vector3(pose[0], pose[4], pose[8]),
		Vector3(pose[1], pose[5], pose[9]),
		Vector3(pose[2], pose[6], pose[10]))
	return Transform3D(basis, Vector3(pose[3], pose[7], pose[11]))


## A Transform3D as a pose of the link. The daemon takes rigid transforms only, so scale (an
## XROrigin3D's world scale, a scaled parent) is dropped.
static func pose_from_transform(transform: Transform3D) -> Array:
	var b := transform.basis.orthonormalized()
	var o := transform.origin
	return [
		b.x.x, b.y.x, b.z.x, o.x,
		b.x.y, b.y.y, b.z.y, o.y,
		b.x.z, b.y.z, b.z.z, o.z,
		0.0, 0.0, 0.0, 1.0,
	]


## CreateSessionRequest seed fields for [param image] (sent raw, as RGB8) and optional
## [param depth] (metric z-depth, any float format; resized to the image's size if needed).
static func seed_fields(image: Image, depth: Image = null) -> Dictionary:
	var rgb := image.duplicate() as Image
	if rgb.is_compressed():
		rgb.decompress()
	rgb.clear_mipmaps()
	rgb.convert(Image.FORMAT_RGB8)
	var fields := {
		"seed_image": rgb.get_data(), "seed_image_encoding": RGB_RAW,
		"seed_image_width": rgb.get_width(), "seed_image_height": rgb.get_height(),
	}
	if depth != null:
		var metres := depth.duplicate() as Image
		metres.clear_mipmaps()
		metres.convert(Image.FORMAT_RF)
		if metres.get_size() != rgb.get_size():
			metres.resize(rgb.get_width(), rgb.get_height(), Image.INTERPOLATE_NEAREST)
		fields["seed_depth"] = metres.get_data()
		fields["seed_depth_encoding"] = DEPTH_FLOAT32
	return fields


## The Godot transform of the camera that saw [param frame], for a world whose origin (the
## seed view) sits at [param anchor].
static func camera_transform(frame: Dictionary, anchor := Transform3D.IDENTITY) -> Transform3D:
	return anchor * pose_to_transform(frame.pose)
