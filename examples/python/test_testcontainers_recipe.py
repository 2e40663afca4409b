"""The Testcontainers recipe's own code, run as far as a machine without Docker
allows: its readiness wait against the server these suites already use, its
URL from a container's mapped port, and the Testcontainers API it calls."""

import os

import pytest

from testcontainers_extend_mock import base_url, wait_ready

MOCK = os.environ.get("EXTEND_MOCK_URL", "http://127.0.0.1:8080")


class Started:
    """What Testcontainers' DockerContainer answers once started."""

    def get_container_host_ip(self):
        return "localhost"

    def get_exposed_port(self, port):
        assert port == 8080
        return "49153"


def test_the_url_comes_from_the_mapped_port():
    assert base_url(Started()) == "http://localhost:49153"


def test_it_waits_for_a_ready_server():
    wait_ready(MOCK, timeout=5)


def test_it_gives_up_on_a_server_that_never_answers():
    with pytest.raises(TimeoutError):
        wait_ready("http://127.0.0.1:9", timeout=0.3)


def test_the_testcontainers_calls_exist():
    from testcontainers.core.container import DockerContainer

    for method in ["with_exposed_ports", "with_env", "get_container_host_ip", "get_exposed_port"]:
        assert callable(getattr(DockerContainer, method)), method
