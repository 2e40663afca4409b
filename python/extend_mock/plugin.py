"""The pytest plugin, registered through the ``pytest11`` entry point: once
``extend-mock`` is installed, these fixtures are there, no conftest needed.

Fixtures:

``extend_mock_server`` (session)
    The server: the packaged binary started on a free loopback port (each
    pytest-xdist worker starts its own), stopped at the end; or, with
    ``EXTEND_MOCK_URL`` (or ``--extend-mock-url``), a server already running.
``extend_mock`` (function)
    An ``ExtendMock``: a fresh sandbox of that server for this test, from the
    server's start-up fixtures (or the document of an
    ``@pytest.mark.extend_mock(fixtures=...)`` marker), dropped after it.
``extend_client`` (function)
    ``extend_ai.Extend`` on that sandbox's ``acme-workspace`` key.

Options: ``--extend-mock-arg=ARG`` (repeatable) or the ini option
``extend_mock_args`` pass flags to the server it starts, e.g.
``--extend-mock-arg=--processing-time=50ms``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Mapping

import pytest

from .control import ExtendMock, ExtendMockError
from .server import Server, find_binary

if TYPE_CHECKING:
    from extend_ai import Extend


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("extend-mock", "extend-mock server for the extend_mock fixtures")
    group.addoption(
        "--extend-mock-arg",
        action="append",
        default=[],
        dest="extend_mock_args",
        metavar="ARG",
        help="a flag for the extend-mock server the plugin starts (repeatable), "
        "e.g. --extend-mock-arg=--processing-time=50ms",
    )
    group.addoption(
        "--extend-mock-url",
        default=None,
        dest="extend_mock_url",
        metavar="URL",
        help="use the extend-mock server at URL instead of starting one (default: $EXTEND_MOCK_URL)",
    )
    parser.addini(
        "extend_mock_args", type="args", default=[], help="flags for the extend-mock server the plugin starts"
    )
    parser.addini("extend_mock_timeout", default="30", help="seconds to wait for extend-mock to answer (default 30)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "extend_mock(fixtures): make this test's sandbox from a fixture document (a dict, or a path to a JSON file)",
    )


def pytest_report_header(config: pytest.Config) -> str:
    url = config.getoption("extend_mock_url") or os.environ.get("EXTEND_MOCK_URL")
    if url:
        return f"extend-mock: the server at {url}"
    try:
        return f"extend-mock: {find_binary()} (started when a test asks for it)"
    except ExtendMockError as e:
        return f"extend-mock: {e}"


@contextlib.contextmanager
def _as_failure() -> Iterator[None]:
    """A setup problem as one clear line in the report, not a traceback into the plugin."""
    try:
        yield
    except ExtendMockError as e:
        try:
            pytest.fail(f"extend-mock: {e}", pytrace=False)
        except pytest.fail.Exception as failed:
            raise failed from None


@pytest.fixture(scope="session")
def extend_mock_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The extend-mock server of this session (of this xdist worker)."""
    config = request.config
    timeout = float(config.getini("extend_mock_timeout"))
    url = config.getoption("extend_mock_url") or os.environ.get("EXTEND_MOCK_URL")
    with _as_failure():
        if url:
            server = Server.connect(url, timeout=timeout)
        else:
            args = [*config.getini("extend_mock_args"), *config.getoption("extend_mock_args")]
            server = Server.start(args, timeout=timeout, log_dir=tmp_path_factory.mktemp("extend-mock"))
    try:
        yield server
    finally:
        server.stop()


def _sandbox_name(node_name: str) -> str:
    """The test's name, made a sandbox name (letters, digits, - and _, at
    most 64), and a random part: unique on a server shared by many runs."""
    readable = re.sub(r"[^A-Za-z0-9_-]+", "-", node_name).strip("-")[:40]
    return f"{readable}-{uuid.uuid4().hex[:12]}"


def _marked_fixtures(request: pytest.FixtureRequest) -> Mapping[str, Any] | None:
    marker = request.node.get_closest_marker("extend_mock")
    if marker is None:
        return None
    document = marker.kwargs.get("fixtures", marker.args[0] if marker.args else None)
    if isinstance(document, (str, os.PathLike)):
        path = Path(document)
        if not path.is_absolute():
            path = Path(request.node.path).parent / path
        document = json.loads(path.read_text())
    if not isinstance(document, Mapping):
        raise pytest.UsageError("@pytest.mark.extend_mock takes fixtures=<dict or path to a JSON file>")
    return document


@pytest.fixture
def extend_mock(extend_mock_server: Server, request: pytest.FixtureRequest) -> Iterator[ExtendMock]:
    """A fresh sandbox for this test and its control plane: ``finish``,
    ``fail``, ``hold``, ``rule``, ``fault``, ``requests``, ``deliveries``,
    ``reset``, ``keys``, ``url``, ``client()``."""
    with _as_failure():
        mock = ExtendMock.create_sandbox(
            extend_mock_server.url,
            _sandbox_name(request.node.name),
            fixtures=_marked_fixtures(request),
            diagnose=extend_mock_server.problem,
        )
    yield mock
    with _as_failure():
        mock.delete_sandbox()


@pytest.fixture
def extend_client(extend_mock: ExtendMock) -> "Extend":
    """The official SDK's client on this test's sandbox (``extend-ai`` must be installed)."""
    with _as_failure():
        return extend_mock.client()
