"""A pytest fixture that starts extend-mock with Testcontainers (pip install
testcontainers) and hands the test its base URL.

    from testcontainers_extend_mock import extend_mock_url  # the fixture

    def test_something(extend_mock_url):
        client = Extend(token="sk_test_acme", base_url=extend_mock_url)

Build the image first: docker build -t extend-mock:local .
"""

import time

import httpx
import pytest

IMAGE = "extend-mock:local"
PORT = 8080


def base_url(container) -> str:
    """Where the container's port 8080 is reachable from the test."""
    return f"http://{container.get_container_host_ip()}:{container.get_exposed_port(PORT)}"


def wait_ready(url: str, timeout: float = 30.0) -> None:
    """Waits until GET /_mock/health answers 200: the store is loaded and the port is up."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{url}/_mock/health", timeout=2.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"extend-mock at {url} was not ready within {timeout} s")
        time.sleep(0.1)


@pytest.fixture(scope="session")
def extend_mock_url():
    from testcontainers.core.container import DockerContainer

    container = DockerContainer(IMAGE).with_exposed_ports(PORT).with_env(
        "EXTEND_MOCK_PROCESSING_TIME", "200ms"
    )
    with container:
        url = base_url(container)
        wait_ready(url)
        yield url
