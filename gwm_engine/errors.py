"""The one exception type bad input raises, so every transport can map it to a clear status,
and plain words for the failures of the libraries that read untrusted bytes."""

import re

import msgpack


class InvalidInput(ValueError):
    """Raised for input a caller can fix: bad images, shapes, non-finite numbers, sizes."""


def msgpack_problem(error: Exception) -> str:
    """What is wrong with bytes msgpack could not read, in plain words: its exceptions often
    carry no text (FormatError) or name its internal limits ("44478 exceeds max_map_len(3)")."""
    text = str(error)
    if isinstance(error, msgpack.ExtraData):
        return "extra bytes follow the first value (one message per WebSocket message, one value per file)"
    if isinstance(error, msgpack.FormatError):
        return "it holds a byte that starts no msgpack value (such as 0xc1) where a value should begin"
    if isinstance(error, msgpack.StackError):
        return "its arrays or maps are nested too deep"
    if isinstance(error, UnicodeDecodeError):
        return "a string in it is not valid UTF-8"
    if "incomplete input" in text or isinstance(error, msgpack.OutOfData):
        return "it ends in the middle of a value (cut short?)"
    if re.search(r"exceeds max_\w+_len", text):
        return "a length in it is larger than the bytes that follow (cut short or corrupt)"
    if "map key" in text:
        return "a map key is not a string"
    return "it is not valid msgpack"
