"""Adam-like test controller for eve-agent's integration tests (see README.md)."""
from .device import Response, TestDevice, VerifyError, check_chain, make_gzip  # noqa: F401
from .server import Controller, Device, Record  # noqa: F401
