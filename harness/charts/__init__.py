"""Render charts with the real helm binaries and validate what they produce."""
