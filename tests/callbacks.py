"""Helpers to build signed WeCom callbacks for tests."""
from __future__ import annotations

import itertools

from app.wecom.crypto import CallbackCrypto
from app.wecom.envelope import seal_envelope

_nonces = itertools.count(1)


def sample_xml(vectors: dict, name: str, corp_id: str = "wx5823bf96d3bd56c7") -> str:
    """Return a sample event's XML addressed to the corp."""
    return vectors["sample_events"][name].replace("toUser", corp_id)


def post_event(client, crypto: CallbackCrypto, xml: str):
    """POST the XML as a freshly encrypted and signed callback (a new nonce each time, like a WeCom retry).

    Returns once the relay has handed the stored event to the queue.
    """
    n = next(_nonces)
    args, body = seal_envelope(crypto, xml, str(1700000000 + n), f"nonce{n}")
    response = client.post("/wecom/callback", query_string=args, data=body, content_type="text/xml")
    assert client.application.extensions["scrm"].relay.wait_idle(10)
    return response
