"""lightcode: map LLM inference onto hybrid photonic-electronic hardware.

The public Python API; the CLI is a thin layer over these functions.
"""

from lightcode.errors import LightcodeError

__version__ = "0.1.0"


def capture(model, **kwargs):
    """Capture MODEL (preset name or config.json path) into an OpGraph. See `frontend.capture.capture`."""
    from lightcode.frontend.capture import capture as _capture

    return _capture(model, **kwargs)


__all__ = ["capture", "LightcodeError", "__version__"]
