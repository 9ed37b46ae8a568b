"""Staff and their managers from content/staff.yaml: validated, every problem reported at once."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from content.errors import Checker, ContentError, Map, load_yaml, read_text

DEFAULT_STAFF = Path(__file__).with_name("staff.yaml")
TOP_KEYS = ("staff",)
MEMBER_KEYS = ("userid", "name", "manager", "team")
USERID_LIMIT = 64
NAME_LIMIT = 64
_USERID = re.compile(r"[A-Za-z0-9_.@-]+\Z")


@dataclass(frozen=True)
class StaffMember:
    """One WeCom member: id, display name, manager's userid and team."""

    userid: str
    name: str
    manager: str | None = None
    team: str | None = None


@dataclass(frozen=True)
class StaffBook:
    """Every member in the file, by userid, in file order."""

    members: dict[str, StaffMember]


def load_staff(path: str | Path = DEFAULT_STAFF) -> StaffBook:
    """Load and validate a staff file; raise ContentError listing every problem."""
    data = load_yaml(path, read_text(path))
    check = Checker(str(path))
    check.keys(data, "", TOP_KEYS, required=TOP_KEYS)
    read = [(n, _member(check, item, f"staff[{n}]"), item) for n, item in check.items(data, "staff")]
    check.unique([(item["userid"], item.line_of("userid")) for _, _, item in read
                  if isinstance(item.get("userid"), str)], "staff.userid")
    userids = list(dict.fromkeys(item["userid"] for _, _, item in read if isinstance(item.get("userid"), str)))
    found = [(n, member, item) for n, member, item in read if member is not None]
    for n, member, item in found:
        if member.manager is None:
            continue
        line = item.line_of("manager")
        if member.manager == member.userid:
            check.add(line, f"staff[{n}].manager", f"'{member.userid}' cannot be their own manager")
        else:
            check.member(member.manager, userids, line, f"staff[{n}].manager", "manager")
    members = {m.userid: m for _, m, _ in found}
    _check_cycles(check, members, {m.userid: item.line_of("manager") for _, m, item in found})
    if check.problems:
        raise ContentError(sorted(check.problems, key=lambda p: p.row or 0))
    return StaffBook(members)


def _member(check: Checker, item: Map, where: str) -> StaffMember | None:
    """Read one member block, reporting each bad field."""
    check.keys(item, where, MEMBER_KEYS, required=("userid", "name"))
    userid = check.text(item, "userid", f"{where}.userid", limit=USERID_LIMIT)
    if userid is not None and not _USERID.match(userid):
        check.add(item.line_of("userid"), f"{where}.userid", f"'{userid}' may hold only letters, digits and _ . @ -")
        userid = None
    name = check.text(item, "name", f"{where}.name", limit=NAME_LIMIT)
    manager = check.text(item, "manager", f"{where}.manager", limit=USERID_LIMIT)
    team = check.text(item, "team", f"{where}.team", limit=NAME_LIMIT)
    if userid is None or name is None:
        return None
    return StaffMember(userid, name.strip(), manager, team)


def _check_cycles(check: Checker, members: dict[str, StaffMember], lines: dict[str, int]) -> None:
    """Report managers who end up managing themselves through others (a → b → a)."""
    for start in members:
        seen, current = [start], members[start].manager
        while current in members and current not in seen:
            seen.append(current)
            current = members[current].manager
        if current == start and len(seen) > 1:
            check.add(lines[start], "staff.manager", f"managers form a loop: {' → '.join([*seen, start])}")
