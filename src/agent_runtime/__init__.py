"""An async server that hosts LangGraph agents and speaks the LangGraph API."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("agent-runtime")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

__all__ = ["__version__"]
