"""Answer "did my create call take effect?" by listing what WeCom holds, before any repeat.

A match needs the same text in the time window and the same executors, confirmed through the task's own
sender list, so a task for another staff member is never adopted as ours.
"""
from __future__ import annotations

import logging
from typing import Any, Callable, Iterator, Sequence

log = logging.getLogger(__name__)

Post = Callable[[str, dict[str, Any]], dict[str, Any]]
MONTH = 30 * 86400


def pages(post: Post, path: str, body: dict[str, Any], key: str) -> Iterator[dict[str, Any]]:
    """Yield the `key` rows of every page of a cursor-paged POST."""
    cursor = ""
    while True:
        reply = post(path, {**body, "cursor": cursor})
        yield from reply.get(key) or []
        cursor = reply.get("next_cursor") or ""
        if not cursor:
            return


def _window(start: float, end: float) -> tuple[int, int]:
    lo, hi = int(start), int(end) + 1
    return max(lo, hi - MONTH), hi


def _text(item: dict[str, Any]) -> str:
    return str((item.get("text") or {}).get("content") or "")


def find_msg_template(post: Post, *, sender: str, text: str, start: float, end: float) -> str | None:
    """Return the msgid of a single-chat mass-send task for `sender` with `text` created in [start, end]."""
    lo, hi = _window(start, end)
    body = {"chat_type": "single", "start_time": lo, "end_time": hi, "creator": sender, "filter_type": 0,
            "limit": 100}
    for item in pages(post, "externalcontact/get_groupmsg_list_v2", body, "group_msg_list"):
        if _text(item) != text or item.get("creator") not in (None, "", sender):
            continue
        msgid = str(item["msgid"])
        task = {"msgid": msgid, "limit": 1000}
        senders = {row.get("userid") for row in pages(post, "externalcontact/get_groupmsg_task", task, "task_list")}
        if sender in senders:
            log.info("adopting mass-send task %s for sender %s", msgid, sender)
            return msgid
    return None


def find_moment(post: Post, *, text: str, senders: Sequence[str], start: float, end: float) -> str | None:
    """Return the moment_id of an enterprise Moments post with `text` whose executors are among `senders`."""
    lo, hi = _window(start, end)
    body: dict[str, Any] = {"start_time": lo, "end_time": hi, "filter_type": 0, "limit": 20}
    if senders:
        body["creator"] = senders[0]
    for item in pages(post, "externalcontact/get_moment_list", body, "moment_list"):
        if _text(item) != text:
            continue
        moment_id = str(item["moment_id"])
        if senders:
            task = {"moment_id": moment_id, "limit": 1000}
            executors = {row.get("userid") for row in pages(post, "externalcontact/get_moment_task", task,
                                                              "task_list")}
            if not executors or not executors <= set(senders):
                continue
        log.info("adopting moment %s", moment_id)
        return moment_id
    return None
