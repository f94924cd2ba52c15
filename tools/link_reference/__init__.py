"""The engine link's reference codec (msgpack_subset) and the golden-vector generator the plugin codecs are tested against."""
