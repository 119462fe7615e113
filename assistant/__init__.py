"""hmiqa's Python surface: `from assistant import Assistant`."""
from .facade import Assistant, HmiqaError

__all__ = ["Assistant", "HmiqaError"]
