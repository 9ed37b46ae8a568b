"""WeCom endpoints for tokens, contacts, tags, contact ways and welcome messages."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sandbox.endpoints import endpoint
from sandbox.errors import ApiError
from sandbox.records import Follow
from sandbox.rules import check_list, check_text, page

if TYPE_CHECKING:
    from sandbox.state import SandboxState


@endpoint("gettoken", get=True, token=False)
def gettoken(state: "SandboxState", args: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    """Issue an access token for a valid corpid and secret."""
    return state.access.issue_token(args.get("corpid"), args.get("corpsecret"))


@endpoint("externalcontact/get_follow_user_list", get=True)
def follow_user_list(state: "SandboxState", args: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    """List the staff who have customer contact enabled."""
    return {"follow_user": list(state.config.staff)}


@endpoint("externalcontact/list", get=True)
def contact_list(state: "SandboxState", args: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    """List a staff member's external_userids."""
    userid = state.contacts.require_staff(args.get("userid") or body.get("userid"))
    return {"external_userid": state.contacts.customers_of(userid)}


def _contact_json(state: "SandboxState", ext: str) -> dict[str, Any]:
    c = state.contacts.contacts[ext]
    return {"external_userid": c.external_userid, "name": c.name, "type": c.type, "avatar": c.avatar,
            "gender": c.gender, "corp_name": c.corp_name}


def _follow_json(f: Follow) -> dict[str, Any]:
    return {"userid": f.userid, "remark": f.remark, "description": f.description, "createtime": f.createtime,
            "state": f.state, "oper_userid": f.oper_userid, "add_way": f.add_way}


@endpoint("externalcontact/get", get=True)
def contact_get(state: "SandboxState", args: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    """Return one contact with every staff member who follows it."""
    ext = args.get("external_userid") or body.get("external_userid")
    with state.core.lock:
        ext = state.contacts.require_contact(ext).external_userid
        follows = state.contacts.follows_of_contact(ext)
        if not follows:
            raise ApiError(84061)
        return {"external_contact": _contact_json(state, ext),
                "follow_user": [{**_follow_json(f), "tags": [state.tags.tag_json(t) for t in sorted(f.tags)]}
                                for f in follows]}


@endpoint("externalcontact/batch/get_by_user")
def batch_get_by_user(state: "SandboxState", args: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    """Page through the contacts of up to 100 staff (userid_list, or wechatpy's singular userid)."""
    userids = (check_list(body.get("userid_list"), 100, "userid_list")
               or ([body["userid"]] if body.get("userid") else []))
    if not userids:
        raise ApiError(40058, "userid_list is required")
    for u in userids:
        state.contacts.require_staff(u)
    with state.core.lock:
        rows = [state.contacts.follows[(u, e)] for u in dict.fromkeys(userids) for e in state.contacts.customers_of(u)]
        items, cursor = page(rows, body.get("cursor"), body.get("limit"), default=50, maximum=100)
        return {"external_contact_list": [
            {"external_contact": _contact_json(state, f.external_userid),
             "follow_info": {**_follow_json(f), "tag_id": sorted(f.tags)}} for f in items],
            "next_cursor": cursor}


@endpoint("externalcontact/remark")
def remark(state: "SandboxState", args: dict[str, str], body: dict[str, Any]) -> None:
    """Set a staff member's remark and description for a contact."""
    userid = state.contacts.require_staff(body.get("userid"))
    state.contacts.require_contact(body.get("external_userid"))
    with state.core.lock:
        follow = state.contacts.follow_of(userid, body["external_userid"])
        if "remark" in body:
            follow.remark = check_text(body["remark"], 20)
        if "description" in body:
            follow.description = check_text(body["description"], 150)


@endpoint("externalcontact/add_contact_way")
def add_contact_way(state: "SandboxState", args: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    """Create a channel QR code carrying a `state`."""
    return state.contacts.add_contact_way(body)


@endpoint("externalcontact/get_corp_tag_list")
def get_corp_tag_list(state: "SandboxState", args: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    """List corp tag groups and tags."""
    return {"tag_group": state.tags.corp_tag_list(body.get("tag_id") or [], body.get("group_id") or [])}


@endpoint("externalcontact/add_corp_tag")
def add_corp_tag(state: "SandboxState", args: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    """Add corp tags to a group."""
    return {"tag_group": state.tags.add_corp_tag(body)}


@endpoint("externalcontact/edit_corp_tag")
def edit_corp_tag(state: "SandboxState", args: dict[str, str], body: dict[str, Any]) -> None:
    """Rename or reorder a corp tag or group."""
    state.tags.edit_corp_tag(body)


@endpoint("externalcontact/del_corp_tag")
def del_corp_tag(state: "SandboxState", args: dict[str, str], body: dict[str, Any]) -> None:
    """Delete corp tags or groups."""
    state.tags.del_corp_tag(body)


@endpoint("externalcontact/mark_tag")
def mark_tag(state: "SandboxState", args: dict[str, str], body: dict[str, Any]) -> None:
    """Tag or untag a contact for one staff member."""
    state.tags.mark_tag(body)


@endpoint("externalcontact/send_welcome_msg")
def send_welcome_msg(state: "SandboxState", args: dict[str, str], body: dict[str, Any]) -> None:
    """Send the welcome message for a fresh welcome code."""
    state.contacts.send_welcome(body)
