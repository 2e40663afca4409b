"""The Docker recipes, checked as far as a machine without Docker allows: the
compose file parses and wires the suite to a healthy extend-mock."""

import os
import shlex
import subprocess
import sys
import urllib.parse

import yaml

from conftest import MOCK, ROOT


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


def test_the_compose_suite_runs_as_compose_wires_it():
    """The tests service's own command, environment and working folder, run
    against this server as compose would wire it: extend-mock reached by a
    host name, the webhook receivers registered by a host name (compose's
    `extend-mock` and `tests` become `localhost`, a name, not an address),
    listening where RECEIVER_BIND says (loopback here, every interface there)."""
    with open(os.path.join(ROOT, "examples", "docker", "compose.yaml")) as f:
        compose = yaml.safe_load(f)
    tests = compose["services"]["tests"]
    env = dict(tests["environment"])
    assert env["EXTEND_MOCK_URL"] == "http://extend-mock:8080"
    assert (env["RECEIVER_BIND"], env["RECEIVER_HOST"]) == ("0.0.0.0", "tests")
    port = urllib.parse.urlsplit(MOCK).port
    env["EXTEND_MOCK_URL"] = f"http://localhost:{port}"
    env["RECEIVER_HOST"] = "localhost"
    env["RECEIVER_BIND"] = "127.0.0.1"  # tests here listen on loopback only
    source = tests["volumes"][0].split(":")[0]
    suite = os.path.normpath(os.path.join(ROOT, "examples", "docker", source))
    # The image's python is this venv's: its pip finds everything installed.
    path = os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"]
    done = subprocess.run(
        shlex.split(tests["command"]), cwd=suite, capture_output=True, text=True,
        env={**os.environ, **env, "PATH": path}, timeout=600,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert " passed" in done.stdout, done.stdout[-2000:]
