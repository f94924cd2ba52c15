"""The one exception type bad input raises, so every transport can map it to a clear status."""


class InvalidInput(ValueError):
    """Raised for input a caller can fix: bad images, shapes, non-finite numbers, sizes."""
