"""IFC Desktop: drop IFC files, keep every version, compare and revert."""

__version__ = "0.1.0"
APP_NAME = "IFC Desktop"
