"""The Docker recipes, checked as far as a machine without Docker allows: the
compose file parses and wires the suite to a healthy extend-mock."""

import os

import yaml

from conftest import ROOT


def test_the_compose_file_waits_for_a_healthy_extend_mock():
    with open(os.path.join(ROOT, "examples", "docker", "compose.yaml")) as f:
        compose = yaml.safe_load(f)
    mock = compose["services"]["extend-mock"]
    assert mock["build"] == "../.."
    assert mock["healthcheck"]["test"] == ["CMD", "/extend-mock", "healthcheck"]
    assert "8080:8080" in mock["ports"]
    tests = compose["services"]["tests"]
    assert tests["depends_on"] == {"extend-mock": {"condition": "service_healthy"}}
    assert tests["environment"]["EXTEND_MOCK_URL"] == "http://extend-mock:8080"
    # The suite it mounts is the examples' one, and it is there.
    source = tests["volumes"][0].split(":")[0]
    suite = os.path.normpath(os.path.join(ROOT, "examples", "docker", source))
    assert os.path.exists(os.path.join(suite, "requirements.txt"))
    assert "pytest" in tests["command"]
    # The processing time it sets is one the server accepts.
    assert mock["environment"]["EXTEND_MOCK_PROCESSING_TIME"] == "200ms"
