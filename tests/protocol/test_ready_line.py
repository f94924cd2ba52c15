from gwm_engine.protocol.ready_line import format_ready_line, parse_ready_line

ENDPOINTS = {"grpc": "[::1]:50051", "link": "ws://[::1]:50052/link", "playground": "http://[::1]:50052/"}


def test_the_ready_line_round_trips_among_other_output():
    text = "INFO starting\ngwm-engine serving gwm.v1 on [::1]:50051\n" + format_ready_line(ENDPOINTS) + "\nINFO later\n"
    assert parse_ready_line(text) == ENDPOINTS


def test_nothing_is_read_until_the_line_is_complete():
    line = format_ready_line(ENDPOINTS)
    assert parse_ready_line("gwm-engine serving gwm.v1 on [::1]:50051\n") is None
    assert parse_ready_line(line[:-5]) is None  # a write caught halfway
    assert parse_ready_line(line) is None  # no newline yet
