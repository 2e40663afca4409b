"""The control plane (``/_mock/``) of one sandbox, as plain Python.

Standard library only (``urllib``): the plugin adds no dependency that could
clash with a suite's own pins, and the server is local plain HTTP with JSON
bodies, which is all these calls need. Proxy variables are ignored: the
control plane is never reached through a proxy.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Optional, Union

if TYPE_CHECKING:  # the SDK is optional: the wheel's `sdk` extra, or `pip install extend-ai`
    from extend_ai import Extend

#: The key ``api_key`` prefers: the built-in fixtures' ``sk_test_acme``.
DEFAULT_KEY = "acme-workspace"

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))

Json = Any


class ExtendMockError(Exception):
    """A control-plane call was refused, or the server could not be
    started or reached. ``status``, ``code`` and ``body`` are the server's
    answer when there was one."""

    def __init__(
        self, message: str, *, status: Optional[int] = None, code: Optional[str] = None, body: Json = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.body = body


def _query(params: Mapping[str, Any]) -> str:
    kept = {k: v for k, v in params.items() if v is not None}
    return "?" + urllib.parse.urlencode(kept) if kept else ""


class ExtendMock:
    """The control plane of one sandbox of an extend-mock server (``sandbox``
    None: the server's own, default state).

    ``url`` is the server's base URL, the one to give an SDK; ``keys`` maps
    each API key's fixture name to its token (``{"acme-workspace":
    "sk_test_acme.<sandbox>", ...}``). Every method raises ``ExtendMockError``
    with the server's message when it refuses. Answers are the server's JSON,
    with its field names (``failureReason``, ``requestId``, ...).
    """

    def __init__(
        self,
        url: str,
        sandbox: Optional[str] = None,
        *,
        keys: Optional[Mapping[str, str]] = None,
        admin_token: Optional[str] = None,
        timeout: float = 30.0,
        diagnose: Optional[Callable[[], str]] = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.sandbox = sandbox
        self.admin_token = admin_token if admin_token is not None else os.environ.get("EXTEND_MOCK_ADMIN_TOKEN")
        self.timeout = timeout
        self._keys: Optional[list[dict[str, Any]]] = (
            [{"name": name, "token": token} for name, token in keys.items()] if keys is not None else None
        )
        self._diagnose = diagnose

    # -- sandboxes and keys -------------------------------------------------

    @classmethod
    def create_sandbox(
        cls,
        url: str,
        name: Optional[str] = None,
        *,
        fixtures: Optional[Mapping[str, Any]] = None,
        **options: Any,
    ) -> "ExtendMock":
        """Makes a sandbox (``POST /_mock/sandboxes``) from the server's
        start-up fixtures, or from the fixture document ``fixtures``, and
        answers its control plane. ``name`` defaults to the server's
        (``sbx_1``, ...); ``options`` are the constructor's."""
        mock = cls(url, **options)
        made = mock._call("POST", "/sandboxes" + _query({"name": name}), fixtures)
        mock.sandbox = made["sandbox"]
        mock._keys = list(made["apiKeys"])
        return mock

    def delete_sandbox(self) -> None:
        """Drops this sandbox and everything in it (``DELETE /_mock/sandboxes/{name}``)."""
        if self.sandbox is None:
            raise ExtendMockError("the default sandbox cannot be deleted")
        self._call("DELETE", f"/sandboxes/{urllib.parse.quote(self.sandbox)}")

    @property
    def keys(self) -> dict[str, str]:
        """Key name -> token, for every API key of the sandbox."""
        return {key["name"]: key["token"] for key in self._key_list() if key.get("name")}

    @property
    def api_key(self) -> str:
        """The token ``client()`` uses: ``acme-workspace``'s, else the first
        workspace key's."""
        keys = self._key_list()
        for key in keys:
            if key.get("name") == DEFAULT_KEY:
                return str(key["token"])
        for key in keys:
            if key.get("scope", "workspace") == "workspace":
                return str(key["token"])
        raise ExtendMockError(f"sandbox {self.sandbox or 'default'} has no workspace key")

    def _key_list(self) -> list[dict[str, Any]]:
        if self._keys is None:
            shown = self._call("GET", f"/sandboxes/{urllib.parse.quote(self.sandbox or 'default')}")
            self._keys = list(shown["apiKeys"])
        return self._keys

    def client(self, key: Optional[str] = None, **options: Any) -> "Extend":
        """An ``extend_ai.Extend`` on this server with the sandbox's key
        named ``key`` (default ``api_key``); ``options`` go to ``Extend``."""
        try:
            from extend_ai import Extend
        except ImportError as e:
            raise ExtendMockError(
                "the Extend SDK is not installed: pip install extend-ai (the wheel's `sdk` extra)"
            ) from e
        if key is None:
            token = self.api_key
        else:
            keys = self.keys
            if key not in keys:
                raise ExtendMockError(f"no key named {key!r} in sandbox {self.sandbox}: {sorted(keys)}")
            token = keys[key]
        return Extend(token=token, base_url=self.url, **options)

    # -- runs ----------------------------------------------------------------

    def finish(self, run_id: str, output: Optional[Mapping[str, Any]] = None, credits: Optional[float] = None) -> Json:
        """Ends a PROCESSING or PENDING run now as PROCESSED, serving exactly
        ``output`` when given (e.g. ``{"value": {...}, "metadata": {}}`` for an
        extract run), else one made from its config. Answers the full run."""
        body = {k: v for k, v in {"output": output, "credits": credits}.items() if v is not None}
        return self._call("POST", f"/processor_runs/{urllib.parse.quote(run_id)}/finish", body)

    def fail(self, run_id: str, reason: Optional[str] = None, message: Optional[str] = None) -> Json:
        """Ends a PROCESSING or PENDING run now as FAILED with ``reason``
        (default ``FILE_PARSING_ERROR``) and ``message`` (default the reason's
        own). Answers the full run."""
        body = {k: v for k, v in {"failureReason": reason, "failureMessage": message}.items() if v is not None}
        return self._call("POST", f"/processor_runs/{urllib.parse.quote(run_id)}/fail", body)

    def hold(self, run_id: str) -> Json:
        """Keeps a run PROCESSING past its time, until it is finished, failed,
        cancelled or deleted. Answers the full run."""
        return self._call("POST", f"/processor_runs/{urllib.parse.quote(run_id)}/hold")

    def rule(
        self,
        *,
        processor_id: Optional[str] = None,
        file_name_contains: Optional[str] = None,
        output: Optional[Mapping[str, Any]] = None,
        failure_reason: Optional[str] = None,
        failure_message: Optional[str] = None,
        hold: bool = False,
    ) -> Json:
        """Decides how every run made from now on that matches
        (``processor_id``, ``file_name_contains``, or both) ends: with
        ``output``, with ``failure_reason``, or held. Answers the rule."""
        body = {
            "processorId": processor_id,
            "fileNameContains": file_name_contains,
            "output": output,
            "failureReason": failure_reason,
            "failureMessage": failure_message,
            "hold": True if hold else None,
        }
        return self._call("POST", "/rules", {k: v for k, v in body.items() if v is not None})["rule"]

    def rules(self) -> list[Json]:
        """The rules, in the order they are tried."""
        return list(self._call("GET", "/rules")["rules"])

    def clear_rules(self) -> int:
        """Removes every rule; answers how many there were."""
        return int(self._call("DELETE", "/rules")["cleared"])

    # -- faults --------------------------------------------------------------

    def fault(
        self,
        status: Optional[int] = None,
        *,
        path: Optional[str] = None,
        method: Optional[str] = None,
        count: int = 1,
        delay_ms: Optional[int] = None,
        retry_after: Optional[int] = None,
    ) -> Json:
        """Makes the next ``count`` API requests that match ``method`` and
        ``path`` (an exact API path such as ``/extract_runs``; both optional)
        answer ``status`` in the API's error shape, and/or wait ``delay_ms``
        first. 429 and 503 carry ``Retry-After`` (``retry_after``, default 1 s).
        Answers the fault."""
        body = {
            "status": status,
            "path": path,
            "method": method,
            "count": count,
            "delayMs": delay_ms,
            "retryAfter": retry_after,
        }
        return self._call("POST", "/faults", {k: v for k, v in body.items() if v is not None})

    def faults(self) -> list[Json]:
        """The faults not yet used up."""
        return list(self._call("GET", "/faults")["faults"])

    def clear_faults(self) -> int:
        """Removes every fault; answers how many there were."""
        return int(self._call("DELETE", "/faults")["cleared"])

    # -- the journal -----------------------------------------------------------

    def requests(
        self,
        *,
        method: Optional[str] = None,
        path: Optional[str] = None,
        status: Optional[int] = None,
        key_name: Optional[str] = None,
        workspace_id: Optional[str] = None,
        request_id: Optional[str] = None,
    ) -> list[Json]:
        """The journal: the API requests this sandbox answered, oldest first,
        each ``{sequence, time, method, path, query, status, requestId,
        keyName, workspaceId, durationMs}``, filtered by what is given
        (``path`` is the whole path)."""
        query = _query(
            {
                "method": method,
                "path": path,
                "status": status,
                "keyName": key_name,
                "workspaceId": workspace_id,
                "requestId": request_id,
            }
        )
        return list(self._call("GET", "/requests" + query)["requests"])

    def request(self, request_id: str) -> Json:
        """One journal entry with ``requestBody`` and ``responseBody`` (when kept)."""
        return self._call("GET", f"/requests/{urllib.parse.quote(request_id)}")

    def clear_requests(self) -> int:
        """Empties the journal; answers how many entries it had."""
        return int(self._call("DELETE", "/requests")["cleared"])

    # -- webhooks ------------------------------------------------------------

    def deliveries(
        self,
        *,
        endpoint_id: Optional[str] = None,
        event_id: Optional[str] = None,
        event_type: Optional[str] = None,
        run_id: Optional[str] = None,
        state: Optional[str] = None,
    ) -> list[Json]:
        """Every webhook delivery kept (all pages), oldest first, with its
        attempts; ``state`` is ``pending``, ``delivered``, ``failed`` or ``dropped``."""
        filters = {
            "endpointId": endpoint_id,
            "eventId": event_id,
            "eventType": event_type,
            "runId": run_id,
            "state": state,
        }
        deliveries: list[Json] = []
        after: Optional[str] = None
        while True:
            page = self._call("GET", "/webhooks/deliveries" + _query({**filters, "limit": 1000, "after": after}))
            deliveries += page["deliveries"]
            after = page.get("nextAfter")
            if not after:
                return deliveries

    # -- state -----------------------------------------------------------------

    def reset(self, what: Union[str, Iterable[str], None] = None) -> Json:
        """Back to the sandbox's first state: by default its runs and
        everything else it holds, and its rules; ``what`` picks among
        ``state``, ``journal``, ``faults``, ``rules``, ``deliveries`` (or ``all``)."""
        if what is not None and not isinstance(what, str):
            what = ",".join(what)
        return self._call("POST", "/reset" + _query({"what": what}))

    def fixtures(self) -> Json:
        """The whole state as a fixture document (``GET /_mock/fixtures``)."""
        return self._call("GET", "/fixtures")

    def load_fixtures(self, document: Mapping[str, Any]) -> Json:
        """Replaces the whole state with ``document`` (``PUT /_mock/fixtures``).
        Its keys get the sandbox's suffix: read them again from ``keys``."""
        answer = self._call("PUT", "/fixtures", document)
        self._keys = None
        return answer

    # -- anything else -----------------------------------------------------------

    def call(self, method: str, path: str, body: Json = None) -> Json:
        """Any other control-plane route of this sandbox, e.g.
        ``call("POST", "/workflow_runs/<id>/approve", {"reviewer": "ana"})``;
        ``path`` is under ``/_mock`` and may carry a query."""
        return self._call(method, path, body)

    def _call(self, method: str, path: str, body: Json = None) -> Json:
        url = f"{self.url}/_mock{path}"
        headers = {"accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["content-type"] = "application/json"
        if self.sandbox is not None:
            headers["x-extend-mock-sandbox"] = self.sandbox
        if self.admin_token:
            headers["authorization"] = f"Bearer {self.admin_token}"
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with _OPENER.open(request, timeout=self.timeout) as answer:
                raw = answer.read()
        except urllib.error.HTTPError as e:
            raw = e.read()
            try:
                error = json.loads(raw)
            except ValueError:
                error = raw.decode(errors="replace")
            code = error.get("code") if isinstance(error, dict) else None
            message = error.get("message") if isinstance(error, dict) else error
            where = f" (sandbox {self.sandbox})" if self.sandbox else ""
            raise ExtendMockError(
                f"{method} /_mock{path}{where}: {e.code} {code or e.reason}: {message}",
                status=e.code,
                code=code,
                body=error,
            ) from None
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", e)
            problem = self._diagnose() if self._diagnose else ""
            raise ExtendMockError(
                f"{method} {url}: extend-mock does not answer ({reason})" + (f"; {problem}" if problem else "")
            ) from None
        try:
            return json.loads(raw) if raw else None
        except ValueError as e:
            raise ExtendMockError(f"{method} /_mock{path}: the answer is not JSON: {raw[:200]!r}") from e

    def __repr__(self) -> str:
        return f"<extend_mock.ExtendMock {self.url} sandbox={self.sandbox or 'default'}>"
