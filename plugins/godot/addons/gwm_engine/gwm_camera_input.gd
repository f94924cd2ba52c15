@icon("res://addons/gwm_engine/icon.svg")
class_name GwmCameraInput
extends Node
## Walks a [GwmWorldView]: InputMap actions move and turn at fixed speeds (metres and degrees
## per second, so the walk is the same at any frame rate), the mouse turns while captured, and
## with [member xr_camera] set the headset's pose drives the view as an absolute pose.
##
## Missing actions are added with default keys: WASD move, R/F up and down, Q/E or the left and
## right arrows turn, the up and down arrows look up and down.

## The view to drive.
@export var view: GwmWorldView
@export var move_speed_mps := 1.5
@export var turn_speed_dps := 90.0
## Degrees per pixel of mouse motion while the mouse is captured; 0 ignores the mouse.
@export var mouse_degrees_per_pixel := 0.15
## When set, its global transform is sent every frame instead of the actions.
@export var xr_camera: XRCamera3D
@export var add_missing_actions := true

@export_group("Actions")
@export var forward_action := &"gwm_forward"
@export var back_action := &"gwm_back"
@export var left_action := &"gwm_left"
@export var right_action := &"gwm_right"
@export var up_action := &"gwm_up"
@export var down_action := &"gwm_down"
@export var turn_left_action := &"gwm_turn_left"
@export var turn_right_action := &"gwm_turn_right"
@export var look_up_action := &"gwm_look_up"
@export var look_down_action := &"gwm_look_down"

var _mouse_turn := Vector2.ZERO


func _ready() -> void:
	if add_missing_actions:
		var keys := {
			forward_action: [KEY_W], back_action: [KEY_S],
			left_action: [KEY_A], right_action: [KEY_D],
			up_action: [KEY_R], down_action: [KEY_F],
			turn_left_action: [KEY_Q, KEY_LEFT], turn_right_action: [KEY_E, KEY_RIGHT],
			look_up_action: [KEY_UP], look_down_action: [KEY_DOWN],
		}
		for action in keys:
			_add_action(action, keys[action])


func _unhandled_input(event: InputEvent) -> void:
	var motion := event as InputEventMouseMotion
	if motion != null and Input.mouse_mode == Input.MOUSE_MODE_CAPTURED:
		_mouse_turn += motion.relative


func _process(delta: float) -> void:
	if view == null or not view.has_session():
		_mouse_turn = Vector2.ZERO
		return
	if xr_camera != null:
		view.set_pose(xr_camera.global_transform)
		return
	var offset := Vector3(
		Input.get_axis(left_action, right_action),
		Input.get_axis(down_action, up_action),
		Input.get_axis(back_action, forward_action)) * move_speed_mps * delta
	# Yaw + turns left and pitch + looks up, so mouse motion right and down count negative.
	var turn := Vector3(
		Input.get_axis(turn_right_action, turn_left_action) * turn_speed_dps * delta
			- _mouse_turn.x * mouse_degrees_per_pixel,
		Input.get_axis(look_down_action, look_up_action) * turn_speed_dps * delta
			- _mouse_turn.y * mouse_degrees_per_pixel,
		0.0)
	_mouse_turn = Vector2.ZERO
	if offset != Vector3.ZERO or turn != Vector3.ZERO:
		view.move(offset, turn)


static func _add_action(action: StringName, keys: Array) -> void:
	if InputMap.has_action(action):
		return
	InputMap.add_action(action)
	for key in keys:
		var event := InputEventKey.new()
		event.physical_keycode = key
		InputMap.action_add_event(action, event)
