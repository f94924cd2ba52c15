extends Node3D
## The addon's demo: when the scene starts, GwmWorldView seeds a world from the camera's view
## (colour and depth) and shows the stream over the scene; GwmCameraInput walks it.
##
## The shared controls (plugins/controls.json): WASD move, E/Q up and down, the arrows turn and
## look, Shift runs, R resets, click to steer with the mouse (Esc releases it). Tab: the scene,
## the stream as a flat image, or the stream reprojected (GwmReprojection: the newest frame as
## geometry, drawn from the camera every display frame). N: seed again from the camera. F5: save
## the world, F9: load it back. G: export its point cloud as PLY.

const WORLD_PATH := "user://demo_world.gwm"
const PLY_PATH := "user://demo_world.ply"

var _frames := 0
var _fps := 0.0
var _fps_started_ms := 0

@onready var _view: GwmWorldView = $WorldView
@onready var _stream: TextureRect = $UI/Stream
@onready var _status: Label = $UI/Status
@onready var _camera: Camera3D = $Camera
@onready var _reprojection: GwmReprojection = $Reprojection


func _ready() -> void:
	_view.session_started.connect(_on_session_started)
	_view.frame_received.connect(_on_frame)
	_view.failed.connect(_on_failed)
	_say("Connecting to %s (start the daemon with: gwm-engine serve)" % _view.url)


func _unhandled_input(event: InputEvent) -> void:
	if event is InputEventMouseButton and event.is_pressed():
		Input.mouse_mode = Input.MOUSE_MODE_CAPTURED
	elif event.is_action_pressed("ui_cancel"):
		Input.mouse_mode = Input.MOUSE_MODE_VISIBLE
	var key := event as InputEventKey
	if key == null or not key.pressed or key.echo:
		return
	match key.physical_keycode:
		KEY_TAB:
			# scene -> flat stream -> reprojected stream -> scene
			var flat := _stream.visible
			_stream.visible = not flat and not _reprojection.visible
			_reprojection.visible = flat
		KEY_N:
			_view.seed_from_camera(_camera)
		KEY_F5:
			_save()
		KEY_F9:
			_load()
		KEY_G:
			_export()


func _on_session_started(session: Dictionary) -> void:
	_say("Session %s, %dx%d" % [session.session_id, session.width, session.height])


func _on_frame(frame: Dictionary) -> void:
	_frames += 1
	var now := Time.get_ticks_msec()
	if now - _fps_started_ms >= 1000:
		_fps = _frames * 1000.0 / (now - _fps_started_ms)
		_frames = 0
		_fps_started_ms = now
	# client_time_us echoes the send time of the last action in the frame (GwmPlayStream uses
	# Time.get_ticks_usec), so the difference is the action-to-frame latency.
	var latency_ms := 0.0
	if frame.seq > 0:
		latency_ms = (Time.get_ticks_usec() - frame.client_time_us) / 1000.0
	_say("frame %d  %dx%d  %.0f fps  %.0f ms\n%s" % [
		frame.index, frame.width, frame.height, _fps, latency_ms,
		"WASD, E/Q up/down, arrows, Shift run, R reset, click for mouse look; "
		+ "Tab scene/stream/reprojected, N reseed, F5 save, F9 load, G export PLY"])


func _on_failed(message: String) -> void:
	_say(message)


func _save() -> void:
	var world := await _view.save_world()
	if world.is_empty():
		return
	var file := FileAccess.open(WORLD_PATH, FileAccess.WRITE)
	file.store_buffer(world)
	file.close()
	_say("Saved %s (%d bytes)" % [ProjectSettings.globalize_path(WORLD_PATH), world.size()])


func _load() -> void:
	if not FileAccess.file_exists(WORLD_PATH):
		_say("Nothing saved yet (F5 saves)")
		return
	await _view.load_world(FileAccess.get_file_as_bytes(WORLD_PATH))


func _export() -> void:
	var ply := await _view.export_geometry()
	if ply.is_empty():
		return
	var file := FileAccess.open(PLY_PATH, FileAccess.WRITE)
	file.store_buffer(ply)
	file.close()
	_say("Exported %s" % ProjectSettings.globalize_path(PLY_PATH))


func _say(text: String) -> void:
	_status.text = text
