"""Runnable examples of the RenderTrust Python SDK."""
