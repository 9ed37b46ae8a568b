"""A local WeCom: the real server API protocol and platform limits, plus control endpoints for tests."""
from sandbox.config import SandboxConfig
from sandbox.server import SandboxServer, create_sandbox_app
from sandbox.state import SandboxState

__all__ = ["SandboxConfig", "SandboxServer", "SandboxState", "create_sandbox_app"]
