@tool
class_name GwmReply
extends RefCounted
## One reply of the engine link: a message body, or an error carrying the link's status.
##
## Errors mirror gRPC status codes, number and name (proto/ENGINE_LINK.md, "Errors"). Failures
## on this side (no connection, a timeout, an unreadable message) take the same shape with the
## matching status, so a caller checks one thing: [method is_ok].

const DEADLINE_EXCEEDED := 4
const INTERNAL := 13
const UNAVAILABLE := 14
const _CODE_NAMES := {
	DEADLINE_EXCEEDED: "DEADLINE_EXCEEDED", INTERNAL: "INTERNAL", UNAVAILABLE: "UNAVAILABLE"
}

## The message type: the request's, "error", or "play_end" when a play stream finished.
var type := ""
## The request id it answers (0 for a message the daemon could not read at all).
var id := 0
## The reply's fields, named as in world.proto (for an error: code, code_name, message).
var body := {}
var code := 0
var code_name := ""
var message := ""


static func from_message(fields: Dictionary) -> GwmReply:
	var reply := GwmReply.new()
	reply.type = str(fields.get("type", ""))
	reply.id = int(fields.get("id", 0))
	reply.body = fields.duplicate()
	reply.body.erase("type")
	reply.body.erase("id")
	if reply.type == "error":
		reply.code = int(fields.get("code", 0))
		reply.code_name = str(fields.get("code_name", ""))
		reply.message = str(fields.get("message", ""))
	return reply


## A failure on this side, with one of this class's status constants.
static func failure(request_id: int, status: int, text: String) -> GwmReply:
	return from_message({
		"type": "error", "id": request_id, "code": status,
		"code_name": _CODE_NAMES.get(status, "UNKNOWN"), "message": text,
	})


func is_ok() -> bool:
	return type != "error"


## "CODE_NAME (code): message" for an error, "" otherwise.
func error_text() -> String:
	if is_ok():
		return ""
	return "%s (%d): %s" % [code_name, code, message]
