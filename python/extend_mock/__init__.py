"""extend-mock for Python: the emulator's binary, a way to run it, its control
plane as plain Python, and a pytest plugin (``extend_mock.plugin``, loaded by
pytest on its own once this package is installed).

Outside pytest::

    from extend_mock import Server, ExtendMock

    with Server.start() as server:
        mock = ExtendMock.create_sandbox(server.url)
        client = mock.client()              # extend_ai.Extend on the sandbox's key
        ...
"""

from .control import ExtendMock, ExtendMockError
from .server import Server, find_binary

__all__ = ["ExtendMock", "ExtendMockError", "Server", "find_binary"]
