"""wechatpy's enterprise client with a configurable base URL, a shared token and typed errors."""
from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import threading
import time
from typing import Any, Callable, Iterator

import requests
from redis import Redis
from redis.exceptions import LockError
from urllib3.exceptions import NewConnectionError
from wechatpy.enterprise import WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session import SessionStorage
from wechatpy.session.memorystorage import MemoryStorage
from wechatpy.session.redisstorage import RedisStorage

from app.metrics.wecom import counted_call
from app.wecom.errors import BadCredentials, PermanentError, RateLimited, TokenInvalid, Transient, WeComError, error_for

log = logging.getLogger(__name__)

TOKEN_PATH = "gettoken"


def _not_sent(exc: requests.RequestException) -> bool:
    """Tell whether a transport error happened before the request reached the server."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    first = exc.args[0] if exc.args else None
    return isinstance(first, NewConnectionError) or isinstance(getattr(first, "reason", None), NewConnectionError)


def _settle_environment(http: requests.Session, url: str) -> None:
    """Read proxy and CA settings from the environment once, not on every request (requests' default costs
    about a millisecond a call)."""
    http.proxies.update(requests.utils.get_environ_proxies(url))
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle:
        http.verify = bundle
    http.trust_env = False


class WeComClient(WeChatClient):
    """The enterprise client: every URL under `api_base`, one token per (corp, secret) in shared storage."""

    def __init__(self, corp_id: str, secret: str, *, api_base: str, timeout: float,
                 session: SessionStorage | None = None, redis: Redis | None = None,
                 clock: Callable[[], float] = time.time, refresh_margin: float = 300.0) -> None:
        if session is None:
            session = RedisStorage(redis, prefix="wecom") if redis is not None else MemoryStorage()
        super().__init__(corp_id, secret, session=session, timeout=timeout, auto_retry=False)
        self.API_BASE_URL = api_base if api_base.endswith("/") else api_base + "/"
        self.clock = clock
        self.refresh_margin = refresh_margin
        self._redis = redis
        self._local_lock = threading.Lock()
        self._known: dict[str, Any] | None = None
        _settle_environment(self._http, self.API_BASE_URL)

    @property
    def access_token_key(self) -> str:
        """Name the shared token by corp and a digest of the secret (not its first characters)."""
        digest = hashlib.sha256(self.secret.encode()).hexdigest()[:16]
        return f"{self.corp_id}_{digest}_access_token"

    def _record(self) -> dict[str, Any] | None:
        record = self.session.get(self.access_token_key)
        self._known = record if isinstance(record, dict) and record.get("token") else None
        return self._known

    def _fresh(self, record: dict[str, Any] | None) -> bool:
        if record is None:
            return False
        margin = min(self.refresh_margin, float(record.get("ttl") or 0) / 2)
        return float(record.get("expires_at") or 0) - self.clock() > margin

    @property
    def access_token(self) -> str:
        """Return the shared token, fetching one when none is stored or it is about to expire.

        The last record read stays in this process while fresh: WeCom keeps a token valid until it expires, even
        after another process fetched a newer one, and a rejected token is refreshed through the shared store.
        """
        record = self._known if self._fresh(self._known) else self._record()
        if record and self._fresh(record):
            return str(record["token"])
        return self.refresh_access_token(stale=record["token"] if record else None)

    @contextlib.contextmanager
    def _token_lock(self) -> Iterator[None]:
        if self._redis is None:
            with self._local_lock:
                yield
            return
        lock = self._redis.lock(f"wecom:{self.access_token_key}:lock", timeout=30, blocking_timeout=30)
        acquired = False
        try:
            acquired = lock.acquire()
        except LockError:
            log.warning("token lock unavailable for corp %s; fetching without it", self.corp_id)
        try:
            yield
        finally:
            if acquired:
                with contextlib.suppress(LockError):
                    lock.release()

    def refresh_access_token(self, stale: str | None) -> str:
        """Replace the `stale` token unless another process already did; return the current token."""
        with self._token_lock():
            record = self._record()
            if record and record["token"] != stale and self._fresh(record):
                return str(record["token"])
            return str(self.fetch_access_token()["access_token"])

    def fetch_access_token(self) -> dict[str, Any]:
        """Fetch a token from `{api_base}gettoken` and store it for every process."""
        with counted_call(TOKEN_PATH):
            return self._fetch_token()

    def _fetch_token(self) -> dict[str, Any]:
        log.info("fetching access token for corp %s", self.corp_id)
        params = {"corpid": self.corp_id, "corpsecret": self.secret}
        try:
            res = self._http.get(self.API_BASE_URL + TOKEN_PATH, params=params, timeout=self.timeout)
        except requests.RequestException as exc:
            raise Transient(None, type(exc).__name__, TOKEN_PATH, ambiguous=False) from None
        if res.status_code >= 500:
            raise Transient(None, f"HTTP {res.status_code}", TOKEN_PATH, http_status=res.status_code, ambiguous=False)
        try:
            result = res.json()
        except ValueError:
            raise Transient(None, "reply is not JSON", TOKEN_PATH, http_status=res.status_code) from None
        errcode = int(result.get("errcode") or 0)
        if errcode:
            err = error_for(errcode, str(result.get("errmsg", "")), TOKEN_PATH)
            if isinstance(err, TokenInvalid) or errcode == 40013:
                raise BadCredentials(errcode, err.errmsg, TOKEN_PATH)
            raise err
        expires_in = int(result.get("expires_in") or 7200)
        record = {"token": result["access_token"], "expires_at": self.clock() + expires_in, "ttl": expires_in}
        self.session.set(self.access_token_key, record, expires_in)
        self._known = record
        self.expires_at = int(record["expires_at"])
        return result

    def call(self, method: str, path: str, *, params: dict[str, Any] | None = None,
             data: dict[str, Any] | None = None, with_token: bool = True,
             timeout: float | None = None) -> dict[str, Any]:
        """Make one call; on a token error refresh once and repeat it; raise typed WeComErrors."""
        token = self.access_token if with_token else None
        try:
            return self._once(method, path, params, data, token, timeout)
        except TokenInvalid as err:
            if not with_token:
                raise
            log.info("token rejected on %s (errcode %s): refreshing once", path, err.errcode)
            token = self.refresh_access_token(stale=token)
        try:
            return self._once(method, path, params, data, token, timeout)
        except TokenInvalid as err:
            raise BadCredentials(err.errcode, "a fresh access token was rejected", path) from None

    def _once(self, method: str, path: str, params: dict[str, Any] | None, data: dict[str, Any] | None,
              token: str | None, timeout: float | None) -> dict[str, Any]:
        """Make one HTTP attempt, counted per endpoint."""
        with counted_call(path):
            return self._send(method, path, params, data, token, timeout)

    def _send(self, method: str, path: str, params: dict[str, Any] | None, data: dict[str, Any] | None,
              token: str | None, timeout: float | None) -> dict[str, Any]:
        query: Any = dict(params or {})
        if token is not None:
            query["access_token"] = token
        else:
            query = list(query.items())  # a list, not a dict: wechatpy then adds no access_token
        kwargs: dict[str, Any] = {"params": query, "timeout": self.timeout if timeout is None else timeout}
        if data is not None:
            kwargs["data"] = data
        try:
            result = self._request(method, path, **kwargs)
        except WeChatClientException as exc:
            raise self._translate(exc, path) from None
        except requests.RequestException as exc:
            raise Transient(None, type(exc).__name__, path, ambiguous=not _not_sent(exc)) from None
        if not isinstance(result, dict):
            raise Transient(None, "reply is not JSON", path, http_status=getattr(result, "status_code", None))
        return result

    @staticmethod
    def _translate(exc: WeChatClientException, path: str) -> WeComError:
        if exc.errcode is None:
            status = getattr(exc.response, "status_code", None)
            if status == 429:
                return RateLimited(None, "HTTP 429", path, http_status=status)
            if status is not None and status < 500:
                return PermanentError(None, f"HTTP {status}", path, http_status=status)
            return Transient(None, f"HTTP {status}", path, http_status=status, ambiguous=True)
        return error_for(int(exc.errcode), str(exc.errmsg or ""), path)

