"""What fault tests send and read: signed callbacks over real HTTP, and the state of the inbox and outbox."""
from __future__ import annotations

import itertools
import time
from collections import Counter
from typing import Callable

import requests
from sqlalchemy import func, select

from app.store.models import Contact, InboxEvent, OutboxAction
from app.wecom.envelope import parse_flat_xml, seal_envelope
from bench.system import System
from sandbox.callbacks import event_xml

_nonces = itertools.count(1)


def add_event_fields(system: System, userid: str, external_userid: str) -> dict[str, object]:
    """The fields of an add_external_contact event (no welcome code), as WeCom would send them."""
    return {"ToUserName": system.settings.wecom_corp_id, "FromUserName": "sys", "CreateTime": int(time.time()),
            "MsgType": "event", "Event": "change_external_contact", "ChangeType": "add_external_contact",
            "UserID": userid, "ExternalUserID": external_userid, "State": ""}


def post_signed(system: System, fields: dict[str, object], timeout: float = 10.0) -> int:
    """POST one event to gunicorn as WeCom does (encrypted, signed, a fresh nonce); return the HTTP status."""
    n = next(_nonces)
    args, body = seal_envelope(system.services.crypto, event_xml(fields), str(int(time.time())), f"fault{n}")
    try:
        reply = requests.post(system.callback_url, params=args, data=body, timeout=timeout,
                              headers={"Content-Type": "text/xml"})
    except requests.RequestException:
        return 0
    return reply.status_code


def wait_equal(system: System, read: Callable[[], object], expected: object, timeout: float, what: str) -> None:
    """Wait until `read()` equals `expected`; the timeout error shows the last value read."""
    last: list[object] = [None]

    def check() -> bool:
        last[0] = read()
        return last[0] == expected

    try:
        system.wait_for(check, timeout, what)
    except TimeoutError as exc:
        raise TimeoutError(f"{exc}: last {last[0]!r}, expected {expected!r}") from None


def inbox_statuses(system: System) -> Counter:
    """How many inbox rows are in each status."""
    with system.services.sessions() as session:
        return Counter(dict(session.execute(select(InboxEvent.status, func.count()).group_by(InboxEvent.status)).all()))


def outbox_statuses(system: System) -> Counter:
    """How many outbox actions are in each status."""
    with system.services.sessions() as session:
        return Counter(dict(session.execute(select(OutboxAction.status, func.count())
                                            .group_by(OutboxAction.status)).all()))


def inbox_external_userids(system: System) -> list[str]:
    """The ExternalUserID of every stored inbox event, parsed back from its stored payload."""
    with system.services.sessions() as session:
        payloads = session.execute(select(InboxEvent.payload)).scalars().all()
    return [parse_flat_xml(p.encode("utf-8")).get("ExternalUserID", "") for p in payloads]


def incomplete_inbox_rows(system: System) -> list[int]:
    """Ids of inbox rows missing anything a stored callback must have (payload that parses, key, kind, time)."""
    bad = []
    with system.services.sessions() as session:
        for row in session.execute(select(InboxEvent)).scalars():
            try:
                fields = parse_flat_xml(row.payload.encode("utf-8"))
            except Exception:  # noqa: BLE001 - an unparseable payload is exactly what we look for
                bad.append(row.id)
                continue
            if not (row.dedupe_key and row.kind and row.corp_id and row.received_at and fields.get("Event")):
                bad.append(row.id)
    return bad


def contacts_by_external_userid(system: System) -> dict[str, Contact]:
    """Every stored contact by its external userid."""
    with system.services.sessions() as session:
        return {c.external_userid: c for c in session.execute(select(Contact)).scalars()}


def outbox_rows(system: System, kind: str) -> list[OutboxAction]:
    """Every outbox action of a kind, oldest first."""
    with system.services.sessions() as session:
        return list(session.execute(select(OutboxAction).where(OutboxAction.kind == kind)
                                    .order_by(OutboxAction.id)).scalars())

