@tool
extends EditorPlugin
## Adds the gwm-engine dock. The nodes (GwmWorldView, GwmCameraInput, GwmLink, GwmCapture)
## register themselves through class_name.

const Dock := preload("res://addons/gwm_engine/dock.gd")

var _dock: Control


func _enter_tree() -> void:
	_dock = Dock.new()
	_dock.name = "GWM Engine"
	add_control_to_dock(DOCK_SLOT_RIGHT_UL, _dock)


func _exit_tree() -> void:
	remove_control_from_docks(_dock)
	_dock.queue_free()
