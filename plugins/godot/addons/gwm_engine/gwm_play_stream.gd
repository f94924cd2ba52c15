@tool
class_name GwmPlayStream
extends RefCounted
## A play stream (gRPC Play on the engine link), from [method GwmLink.play].
##
## Send actions as often as you like: the daemon coalesces what arrives while it renders (latest
## action wins), so a fast sender gets fewer, fresher frames, never a backlog. Each frame echoes
## the [code]seq[/code] and [code]client_time_us[/code] of the last action it includes.
## An error ends the stream (the session stays usable: open a new stream).

## A frame: Frame fields of world.proto (rgb, depth, pose, seq, ...); see [GwmFrame].
signal frame_received(frame: Dictionary)
## The stream is over: [param reply] is play_end's reply after [method end], or the error that
## ended it.
signal ended(reply: GwmReply)

## The stream's request id on the link.
var id := 0
var session_id := ""
## The seq of the last action sent (actions are numbered from 1).
var last_seq := 0
## False once the stream ended; it then takes no more actions.
var active := true

var _link: GwmLink
var _started := false
var _ending := false


func _init(link: GwmLink, stream_id: int, session: String) -> void:
	_link = link
	id = stream_id
	session_id = session


## Send one action: Action fields of world.proto (move_right_m, move_up_m, move_forward_m,
## turn_yaw_deg, turn_pitch_deg, turn_roll_deg, or pose). seq and client_time_us are filled in.
## Returns the seq, or 0 when the stream is over or the send failed.
func send_action(action: Dictionary) -> int:
	if not active or _ending:
		return 0
	var fields := action.duplicate()
	fields["seq"] = last_seq + 1
	fields["client_time_us"] = Time.get_ticks_usec()
	if not _started:
		fields["session_id"] = session_id
	if _link.send("play", fields, id) == 0:
		return 0
	_started = true
	last_seq += 1
	return last_seq


## A relative action: [param offset] is (right, up, forward) metres in the camera frame (forward
## is the view direction, Godot's -Z); [param turn] is (yaw, pitch, roll) degrees, yaw + turning
## left, pitch + looking up, roll + tilting the image counter-clockwise.
func move(offset: Vector3, turn := Vector3.ZERO) -> int:
	return send_action({
		"move_right_m": offset.x, "move_up_m": offset.y, "move_forward_m": offset.z,
		"turn_yaw_deg": turn.x, "turn_pitch_deg": turn.y, "turn_roll_deg": turn.z,
	})


## An absolute camera pose in the world's frame (e.g. an XR head pose); see [GwmFrame].
func set_pose(pose: Transform3D) -> int:
	return send_action({"pose": GwmFrame.pose_from_transform(pose)})


## Half-close: the pending action is answered, then [signal ended] comes with play_end.
func end() -> void:
	if not active or _ending:
		return
	_ending = true
	if not _started:
		deliver(GwmReply.from_message({"type": "play_end", "id": id}))
	elif _link.send("play_end", {}, id) == 0:
		deliver(GwmReply.failure(id, GwmReply.UNAVAILABLE, "could not send play_end"))


## Called by [GwmLink] with each message for this stream.
func deliver(reply: GwmReply) -> void:
	if not active:
		return
	if reply.type == "play":
		frame_received.emit(reply.body)
		return
	active = false
	ended.emit(reply)
