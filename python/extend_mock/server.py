"""Finding the ``extend-mock`` binary and running it as a child process."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Optional, Sequence, Union

from .control import ExtendMockError

#: The first line the server prints on standard output once it listens.
BANNER = "extend-mock listening on "

_NAME = "extend-mock.exe" if os.name == "nt" else "extend-mock"


def _executable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def find_binary() -> str:
    """The ``extend-mock`` binary to run.

    In order: ``EXTEND_MOCK_BIN`` when set; the scripts folder of this Python
    (where installing the wheel put its binary: a virtualenv's
    ``bin``, or the user scheme's); the folder of ``sys.executable``; ``PATH``.
    Raises ``ExtendMockError`` saying where it looked.
    """
    explicit = os.environ.get("EXTEND_MOCK_BIN")
    if explicit:
        if not _executable(explicit):
            raise ExtendMockError(f"EXTEND_MOCK_BIN={explicit!r} is not an executable file")
        return explicit
    folders = []
    for scheme in (None, f"{os.name}_user"):
        try:
            folder = sysconfig.get_path("scripts", scheme) if scheme else sysconfig.get_path("scripts")
        except KeyError:
            continue
        if folder:
            folders.append(folder)
    folders.append(os.path.dirname(sys.executable))
    for folder in folders:
        candidate = os.path.join(folder, _NAME)
        if _executable(candidate):
            return candidate
    on_path = shutil.which(_NAME)
    if on_path:
        return on_path
    raise ExtendMockError(
        f"no {_NAME} binary: not in {', '.join(dict.fromkeys(folders))} nor on PATH. "
        "Install the extend-mock wheel (pip install ./python from a checkout), or set EXTEND_MOCK_BIN to a binary, "
        "or EXTEND_MOCK_URL to a running server."
    )


def _healthy(url: str, timeout: float) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"{url}/_mock/health", timeout=timeout) as answer:
            return bool(answer.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _tail(path: Optional[Path], lines: int = 40) -> str:
    if path is None or not path.exists():
        return ""
    text = path.read_text(errors="replace").splitlines()
    return "\n".join(text[-lines:])


class Server:
    """One extend-mock server: a child process this object started
    (``Server.start``), or one already running (``Server.connect``).

    ``url`` is the base URL to give an SDK (``http://127.0.0.1:<port>``).
    Use it as a context manager, or call ``stop()``.
    """

    def __init__(
        self,
        url: str,
        process: Optional[subprocess.Popen[bytes]] = None,
        log_path: Optional[Path] = None,
        _owned_dir: Optional[str] = None,
    ) -> None:
        self.url = url.rstrip("/")
        #: The child process, or None for a server this object did not start.
        self.process = process
        #: The server's standard error (one line per request), or None.
        self.log_path = log_path
        self._owned_dir = _owned_dir

    @classmethod
    def start(
        cls,
        args: Sequence[str] = (),
        *,
        binary: Optional[str] = None,
        host: str = "127.0.0.1",
        timeout: float = 30.0,
        log_dir: Union[str, "os.PathLike[str]", None] = None,
    ) -> "Server":
        """Starts ``binary`` (default ``find_binary()``) on a free port of
        ``host`` with the extra flags ``args`` (e.g. ``["--processing-time=50ms"]``;
        ``--host``/``--port`` among them win over the defaults), reads the URL
        from its banner, and waits until ``/_mock/health`` answers.

        Its standard error goes to ``<log_dir>/server.log`` (a temporary
        folder, removed by ``stop()``, when ``log_dir`` is not given). Raises
        ``ExtendMockError`` with the exit code and the log's end if the server
        exits or does not answer within ``timeout`` seconds.
        """
        binary = binary or find_binary()
        owned: Optional[str] = None
        if log_dir is None:
            owned = tempfile.mkdtemp(prefix="extend-mock-")
            log_dir = owned
        folder = Path(log_dir)
        folder.mkdir(parents=True, exist_ok=True)
        banner_path, log_path = folder / "banner.txt", folder / "server.log"
        command = [binary]
        if not any(a == "--host" or a.startswith("--host=") for a in args):
            command += ["--host", host]
        if not any(a == "--port" or a.startswith("--port=") for a in args):
            command += ["--port", "0"]
        command += list(args)
        with open(banner_path, "wb") as out, open(log_path, "wb") as err:
            try:
                process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
            except OSError as e:
                raise ExtendMockError(f"cannot run {binary}: {e}") from e
        server = cls("", process, log_path, owned)
        try:
            deadline = time.monotonic() + timeout
            while True:
                code = process.poll()
                if code is not None:
                    message = (
                        f"extend-mock exited with code {code} before it listened "
                        f"({' '.join(command)}):\n{_tail(log_path)}"
                    )
                    server._forget()
                    raise ExtendMockError(message)
                banner = banner_path.read_text(errors="replace")
                url = next((line[len(BANNER):].strip() for line in banner.splitlines() if line.startswith(BANNER)), None)
                if url and _healthy(url, timeout=1.0):
                    server.url = url
                    return server
                if time.monotonic() > deadline:
                    message = (
                        f"extend-mock did not answer within {timeout:g} s ({' '.join(command)}):\n"
                        f"{_tail(log_path)}"
                    )
                    server.stop()
                    raise ExtendMockError(message)
                time.sleep(0.02)
        except BaseException:
            # Interrupted (Ctrl-C) or failed while waiting: no server left behind.
            if server.process is not None and server.process.poll() is None:
                server.stop()
            raise

    @classmethod
    def connect(cls, url: str, *, timeout: float = 30.0) -> "Server":
        """A server already running at ``url`` (a container, a shared one),
        once ``/_mock/health`` answers; ``stop()`` leaves it running."""
        url = url.rstrip("/")
        deadline = time.monotonic() + timeout
        while not _healthy(url, timeout=1.0):
            if time.monotonic() > deadline:
                raise ExtendMockError(f"no extend-mock answers at {url}/_mock/health (waited {timeout:g} s)")
            time.sleep(0.1)
        return cls(url)

    def problem(self) -> str:
        """Why the server may not answer: its exit code and the end of its
        log when it has exited, else an empty string."""
        if self.process is None or self.process.poll() is None:
            return ""
        return f"extend-mock exited with code {self.process.returncode}:\n{_tail(self.log_path)}"

    def stop(self, timeout: float = 10.0) -> None:
        """Stops a started server: SIGTERM (it drains, up to its
        ``--drain-timeout``), then a kill after ``timeout`` seconds."""
        process = self.process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._forget()

    def _forget(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        if self._owned_dir is not None:
            shutil.rmtree(self._owned_dir, ignore_errors=True)
            self._owned_dir = None

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        pid = f" pid={self.process.pid}" if self.process is not None else ""
        return f"<extend_mock.Server {self.url}{pid}>"
