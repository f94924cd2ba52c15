@tool
extends VBoxContainer
## The editor dock: connect to a daemon, seed a world from the 3D editor viewport's camera, walk
## it one step per click, and save the world file.

const STEP_M := 0.25
const TURN_DEG := 10.0
## Label, (right, up, forward) metres, (yaw, pitch, roll) degrees of each walk button.
const WALK := [
	["Turn left", Vector3.ZERO, Vector3(TURN_DEG, 0, 0)],
	["Forward", Vector3(0, 0, STEP_M), Vector3.ZERO],
	["Turn right", Vector3.ZERO, Vector3(-TURN_DEG, 0, 0)],
	["Left", Vector3(-STEP_M, 0, 0), Vector3.ZERO],
	["Back", Vector3(0, 0, -STEP_M), Vector3.ZERO],
	["Right", Vector3(STEP_M, 0, 0), Vector3.ZERO],
	["Look up", Vector3.ZERO, Vector3(0, TURN_DEG, 0)],
	["Up", Vector3(0, STEP_M, 0), Vector3.ZERO],
	["Look down", Vector3.ZERO, Vector3(0, -TURN_DEG, 0)],
]

var _link: GwmLink
var _capture: GwmCapture
var _url: LineEdit
var _width: SpinBox
var _height: SpinBox
var _depth: CheckBox
var _preview: TextureRect
var _status: Label
var _walk_buttons: Array[Button] = []
var _save_button: Button
var _save_dialog: EditorFileDialog
var _session_id := ""


func _ready() -> void:
	_link = GwmLink.new()
	add_child(_link)
	_capture = GwmCapture.new()
	add_child(_capture)
	_build()
	_set_session("")


func _build() -> void:
	var row := HBoxContainer.new()
	_url = LineEdit.new()
	_url.text = GwmLink.DEFAULT_URL
	_url.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	row.add_child(_url)
	row.add_child(_button("Connect", _on_connect))
	add_child(row)

	row = HBoxContainer.new()
	_width = _spin(512)
	_height = _spin(384)
	_depth = CheckBox.new()
	_depth.text = "depth"
	_depth.button_pressed = true
	_depth.tooltip_text = "Send the viewport's depth with its colour (Forward+ only)"
	for control in [_width, _height, _depth]:
		row.add_child(control)
	add_child(row)
	add_child(_button("Seed from the 3D viewport", _on_seed))

	var grid := GridContainer.new()
	grid.columns = 3
	for walk in WALK:
		var button := _button(walk[0], _on_walk.bind(walk[1], walk[2]))
		button.size_flags_horizontal = Control.SIZE_EXPAND_FILL
		_walk_buttons.append(button)
		grid.add_child(button)
	add_child(grid)

	_preview = TextureRect.new()
	_preview.custom_minimum_size = Vector2(0, 192)
	_preview.expand_mode = TextureRect.EXPAND_IGNORE_SIZE
	_preview.stretch_mode = TextureRect.STRETCH_KEEP_ASPECT_CENTERED
	add_child(_preview)

	_save_button = _button("Save world...", _on_save)
	add_child(_save_button)
	_save_dialog = EditorFileDialog.new()
	_save_dialog.file_mode = EditorFileDialog.FILE_MODE_SAVE_FILE
	_save_dialog.access = EditorFileDialog.ACCESS_FILESYSTEM
	_save_dialog.add_filter("*.gwm", "gwm-engine world")
	_save_dialog.file_selected.connect(_on_save_path)
	add_child(_save_dialog)

	_status = Label.new()
	_status.autowrap_mode = TextServer.AUTOWRAP_WORD_SMART
	add_child(_status)


func _button(text: String, pressed: Callable) -> Button:
	var button := Button.new()
	button.text = text
	button.pressed.connect(pressed)
	return button


func _spin(value: int) -> SpinBox:
	var spin := SpinBox.new()
	spin.min_value = 16
	spin.max_value = 2048
	spin.value = value
	spin.suffix = "px"
	return spin


func _on_connect() -> void:
	_say("Connecting...")
	var reply := await _link.open(_url.text)
	_set_session("")
	if _report(reply):
		_say("Connected: gwm-engine %s, protocol %s" % [
			reply.body.server_version, reply.body.protocol_version])


func _on_seed() -> void:
	var viewport := EditorInterface.get_editor_viewport_3d(0)
	var camera: Camera3D = null
	if viewport != null:
		camera = viewport.get_camera_3d()
	if camera == null:
		_say("Open a 3D scene first: the seed is what the 3D viewport's camera sees.")
		return
	if not _link.is_open():
		await _on_connect()
		if not _link.is_open():
			return
	var size := Vector2i(int(_width.value), int(_height.value))
	_say("Capturing the viewport...")
	var shot := await _capture.capture(camera, size, _depth.button_pressed)
	if shot.is_empty():
		_say("Could not capture the viewport's camera.")
		return
	var fields := GwmFrame.seed_fields(shot.rgb, shot.depth)
	fields.merge({"width": size.x, "height": size.y,
		"fov_deg": GwmCapture.vertical_fov_deg(camera, size)})
	var reply := await _link.create_session(fields)
	if _report(reply):
		_set_session(reply.body.session.session_id)
		_show(reply.body.first_frame)
		_say("Seeded from the viewport%s." % [
			" with depth" if shot.depth != null else " (depth estimated by the daemon)"])


func _on_walk(offset: Vector3, turn: Vector3) -> void:
	var reply := await _link.step(_session_id, {
		"move_right_m": offset.x, "move_up_m": offset.y, "move_forward_m": offset.z,
		"turn_yaw_deg": turn.x, "turn_pitch_deg": turn.y, "turn_roll_deg": turn.z,
	})
	if _report(reply):
		_show(reply.body)
		_say("Step %d" % reply.body.index)


func _on_save() -> void:
	_save_dialog.popup_centered_ratio(0.6)


func _on_save_path(path: String) -> void:
	var reply := await _link.save_world(_session_id)
	if not _report(reply):
		return
	var file := FileAccess.open(path, FileAccess.WRITE)
	if file == null:
		_say("Cannot write %s: %s" % [path, error_string(FileAccess.get_open_error())])
		return
	file.store_buffer(reply.body.world)
	file.close()
	_say("Saved %s (%d bytes)" % [path, reply.body.world.size()])


func _show(frame: Dictionary) -> void:
	var image := GwmFrame.rgb_image(frame)
	if image != null:
		_preview.texture = ImageTexture.create_from_image(image)


func _set_session(session_id: String) -> void:
	_session_id = session_id
	for button in _walk_buttons:
		button.disabled = session_id == ""
	_save_button.disabled = session_id == ""


func _report(reply: GwmReply) -> bool:
	if not reply.is_ok():
		_say(reply.error_text())
	return reply.is_ok()


func _say(text: String) -> void:
	_status.text = text
