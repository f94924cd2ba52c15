@icon("res://addons/gwm_engine/icon.svg")
class_name GwmCameraInput
extends Node
## Walks a [GwmWorldView]: InputMap actions move and turn at the session's suggested walk speed
## and turn rate (its scale, times [member speed_scale]; per second, so the walk is the same at
## any frame rate), the mouse turns while captured, and with [member xr_camera] set the
## headset's pose drives the view as an absolute pose.
##
## Missing actions are added with the default mapping every gwm-engine client shares
## (plugins/controls.json): WASD move, E up and Q down, the arrows turn and look, Shift runs,
## R resets; on a gamepad the left stick moves, the right stick looks, the right and left
## shoulders go up and down, the left stick press runs and Select (Back) resets.
##
## With [member camera] set, that camera follows the walk every display frame: it is placed
## where the newest frame was seen plus every action sent since (the daemon applies them the
## same way), so a [GwmReprojection] drawn by it answers turns at display rate.

## The default keys (physical key codes) of each action, named as in plugins/controls.json.
const DEFAULT_KEYS := {
	"forward": [KEY_W], "back": [KEY_S], "left": [KEY_A], "right": [KEY_D],
	"up": [KEY_E], "down": [KEY_Q],
	"turn_left": [KEY_LEFT], "turn_right": [KEY_RIGHT], "look_up": [KEY_UP], "look_down": [KEY_DOWN],
	"run": [KEY_SHIFT], "reset": [KEY_R],
}
## The default gamepad axes (axis, direction) and buttons of each action.
const DEFAULT_PAD_AXES := {
	"forward": [JOY_AXIS_LEFT_Y, -1.0], "back": [JOY_AXIS_LEFT_Y, 1.0],
	"left": [JOY_AXIS_LEFT_X, -1.0], "right": [JOY_AXIS_LEFT_X, 1.0],
	"turn_left": [JOY_AXIS_RIGHT_X, -1.0], "turn_right": [JOY_AXIS_RIGHT_X, 1.0],
	"look_up": [JOY_AXIS_RIGHT_Y, -1.0], "look_down": [JOY_AXIS_RIGHT_Y, 1.0],
}
const DEFAULT_PAD_BUTTONS := {
	"up": JOY_BUTTON_RIGHT_SHOULDER, "down": JOY_BUTTON_LEFT_SHOULDER,
	"run": JOY_BUTTON_LEFT_STICK, "reset": JOY_BUTTON_BACK,
}
const RUN_MULTIPLIER := 3.0
const MOUSE_DEGREES_PER_PIXEL := 0.15
const PITCH_LIMIT_DEG := 89.0

## The view to drive.
@export var view: GwmWorldView
## Multiplies the session's suggested walk speed (and the square root of it, its turn rate).
@export_range(0.1, 10.0) var speed_scale := 1.0
## Used when the daemon suggests none (before protocol 1.1.0).
@export var fallback_walk_speed_mps := 1.5
@export var fallback_turn_rate_dps := 90.0
## Degrees per pixel of mouse motion while the mouse is captured; 0 ignores the mouse.
@export var mouse_degrees_per_pixel := MOUSE_DEGREES_PER_PIXEL
## Moved to the predicted camera pose every frame (optional; see the class description).
@export var camera: Camera3D
## When set, its global transform is sent every frame instead of the actions.
@export var xr_camera: XRCamera3D
@export var add_missing_actions := true
## The actions are this prefix and the names of [constant DEFAULT_KEYS] (gwm_forward, ...).
@export var action_prefix := "gwm_"

var _mouse_turn := Vector2.ZERO
## Actions sent that the newest frame does not include yet: [seq, offset, turn].
var _unanswered: Array = []


func _ready() -> void:
	if add_missing_actions:
		for name in DEFAULT_KEYS:
			_add_action(_action(name), DEFAULT_KEYS[name], DEFAULT_PAD_AXES.get(name, []),
				DEFAULT_PAD_BUTTONS.get(name, -1))
	if view != null:
		view.frame_received.connect(_on_frame)


func _unhandled_input(event: InputEvent) -> void:
	var motion := event as InputEventMouseMotion
	if motion != null and Input.mouse_mode == Input.MOUSE_MODE_CAPTURED:
		_mouse_turn += motion.relative
	elif event.is_action_pressed(_action("reset"), false):
		reset()
	elif event is InputEventKey and event.pressed and event.physical_keycode == KEY_ESCAPE:
		Input.mouse_mode = Input.MOUSE_MODE_VISIBLE


## Back to the start pose; the camera follows with the frame there.
func reset() -> void:
	if view != null and view.has_session():
		_unanswered.clear()
		view.reset()


## Walk speed (m/s) and turn rate (degrees/s) now: the session's, times [member speed_scale].
func speeds() -> Vector2:
	var session := view.session if view != null else {}
	var walk: float = session.get("walk_speed_mps", 0.0)
	var turn: float = session.get("turn_rate_dps", 0.0)
	if walk <= 0.0:
		walk = fallback_walk_speed_mps
	if turn <= 0.0:
		turn = fallback_turn_rate_dps
	return Vector2(walk * speed_scale, turn * sqrt(speed_scale))


func _process(delta: float) -> void:
	if view == null or not view.has_session():
		_mouse_turn = Vector2.ZERO
		return
	if xr_camera != null:
		view.set_pose(xr_camera.global_transform)
		return
	var rates := speeds()
	var run := RUN_MULTIPLIER if Input.is_action_pressed(_action("run")) else 1.0
	var offset := Vector3(
		Input.get_axis(_action("left"), _action("right")),
		Input.get_axis(_action("down"), _action("up")),
		Input.get_axis(_action("back"), _action("forward"))) * rates.x * run * delta
	# Yaw + turns left and pitch + looks up, so mouse motion right and down count negative.
	var turn := Vector3(
		Input.get_axis(_action("turn_right"), _action("turn_left")) * rates.y * delta
			- _mouse_turn.x * mouse_degrees_per_pixel,
		Input.get_axis(_action("look_down"), _action("look_up")) * rates.y * delta
			- _mouse_turn.y * mouse_degrees_per_pixel,
		0.0)
	_mouse_turn = Vector2.ZERO
	if offset != Vector3.ZERO or turn != Vector3.ZERO:
		var seq := view.move(offset, turn)
		if seq > 0:
			_unanswered.append([seq, offset, turn])
	_place_camera()


func _on_frame(frame: Dictionary) -> void:
	var seq: int = frame.get("seq", 0)
	while not _unanswered.is_empty() and _unanswered[0][0] <= seq:
		_unanswered.pop_front()
	_place_camera()


## The newest frame's camera and the actions sent since, applied as the daemon applies them.
func _place_camera() -> void:
	if camera == null or view.frame.is_empty():
		return
	var pose := view.anchor.affine_inverse() * view.camera_transform
	for sent in _unanswered:
		pose = apply_action(pose, sent[1], sent[2])
	camera.global_transform = view.anchor * pose
	camera.fov = view.session.get("fov_deg", camera.fov)


## gwm_engine/geometry/actions.py in Godot's terms (the world's axes are Godot's): the turns
## are added to the pose's yaw, pitch and roll (Euler order YXZ, pitch clamped), then the move
## (right, up, forward) goes in the turned camera frame.
static func apply_action(pose: Transform3D, offset: Vector3, turn: Vector3) -> Transform3D:
	var angles := pose.basis.get_euler(EULER_ORDER_YXZ)  # (pitch, yaw, roll), radians
	var pitch := clampf(angles.x + deg_to_rad(turn.y), -deg_to_rad(PITCH_LIMIT_DEG),
		deg_to_rad(PITCH_LIMIT_DEG))
	var basis := Basis.from_euler(
		Vector3(pitch, angles.y + deg_to_rad(turn.x), angles.z + deg_to_rad(turn.z)), EULER_ORDER_YXZ)
	return Transform3D(basis, pose.origin + basis * Vector3(offset.x, offset.y, -offset.z))


func _action(name: String) -> StringName:
	return StringName(action_prefix + name)


static func _add_action(action: StringName, keys: Array, axis: Array, button: int) -> void:
	if InputMap.has_action(action):
		return
	InputMap.add_action(action)
	for key in keys:
		var event := InputEventKey.new()
		event.physical_keycode = key
		InputMap.action_add_event(action, event)
	if not axis.is_empty():
		var motion := InputEventJoypadMotion.new()
		motion.axis = axis[0]
		motion.axis_value = axis[1]
		InputMap.action_add_event(action, motion)
	if button >= 0:
		var press := InputEventJoypadButton.new()
		press.button_index = button
		InputMap.action_add_event(action, press)
