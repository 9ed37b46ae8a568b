"""WeCom failures as typed exceptions, chosen from one errcode table."""
from __future__ import annotations


class WeComError(Exception):
    """A failed WeCom call: errcode, errmsg and endpoint, never the request body."""

    retryable = False

    def __init__(self, errcode: int | None, errmsg: str, endpoint: str, *, http_status: int | None = None) -> None:
        super().__init__(f"{endpoint}: errcode={errcode} {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg
        self.endpoint = endpoint
        self.http_status = http_status


class RateLimited(WeComError):
    """WeCom (45009, 45033) or our own limiter refused the call: back off and retry."""

    retryable = True

    def __init__(self, errcode: int | None, errmsg: str, endpoint: str, *, http_status: int | None = None,
                 retry_after: float | None = None, local: bool = False) -> None:
        super().__init__(errcode, errmsg, endpoint, http_status=http_status)
        self.retry_after = retry_after
        self.local = local


class Transient(WeComError):
    """A failure worth retrying; `ambiguous` when the request may have taken effect."""

    retryable = True

    def __init__(self, errcode: int | None, errmsg: str, endpoint: str, *, http_status: int | None = None,
                 ambiguous: bool = True) -> None:
        super().__init__(errcode, errmsg, endpoint, http_status=http_status)
        self.ambiguous = ambiguous


class OutcomeUnknown(Transient):
    """A create call failed ambiguously and no trace of it was found: check again before repeating it."""

    def __init__(self, errcode: int | None, errmsg: str, endpoint: str, *, since: float,
                 http_status: int | None = None) -> None:
        super().__init__(errcode, errmsg, endpoint, http_status=http_status, ambiguous=True)
        self.since = since


class TokenInvalid(WeComError):
    """The access token was rejected (40014, 42001, 40001): refresh once and retry."""


class PermanentError(WeComError):
    """A definite rejection: retrying the same call cannot succeed."""


class BadCredentials(PermanentError):
    """gettoken refused the corp id or secret (or a fresh token was rejected again)."""


class InvalidUser(PermanentError):
    """The staff userid is unknown (40003, 60111)."""


class InvalidExternalUser(PermanentError):
    """The external_userid is unknown (40096)."""


class NotFriend(PermanentError):
    """Staff and contact have no relation (84061)."""


class WelcomeCodeUsed(PermanentError):
    """The welcome code was already used (41051)."""


class WelcomeCodeExpired(PermanentError):
    """The welcome code is invalid or past its 20-second window (41050)."""


class IpNotAllowed(PermanentError):
    """The server IP is not in the app's trusted IP list (60020)."""


class TagExists(PermanentError):
    """A corp tag with that name already exists in the group (40071)."""


class InvalidTag(PermanentError):
    """The tag or tag group id is unknown (40068)."""


ERRORS: dict[int, type[WeComError]] = {
    -1: Transient,
    45009: RateLimited,
    45033: RateLimited,
    40001: TokenInvalid,
    40014: TokenInvalid,
    42001: TokenInvalid,
    40003: InvalidUser,
    60111: InvalidUser,
    40096: InvalidExternalUser,
    84061: NotFriend,
    41051: WelcomeCodeUsed,
    41050: WelcomeCodeExpired,
    60020: IpNotAllowed,
    40071: TagExists,
    40068: InvalidTag,
}


def error_for(errcode: int, errmsg: str, endpoint: str, *, http_status: int | None = None) -> WeComError:
    """Return the typed exception for a WeCom errcode (PermanentError when the code is not in the table)."""
    cls = ERRORS.get(errcode, PermanentError)
    return cls(errcode, errmsg, endpoint, http_status=http_status)
