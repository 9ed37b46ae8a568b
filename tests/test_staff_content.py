"""content/staff.yaml: the shipped file loads, bad files name every problem with its line, sync upserts the table."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from app.store.models import Staff
from content.errors import ContentError
from content.staff import load_staff
from jobs.periodic.staff_sync import sync_staff

GOOD = """\
staff:
  - userid: zhangsan
    name: 张三
    manager: manager_li
    team: 华东销售
  - userid: manager_li
    name: 李经理
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "staff.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ContentError) as caught:
        load_staff(write(tmp_path, text))
    return [str(p) for p in caught.value.problems]


def test_shipped_staff_and_managers():
    book = load_staff()
    assert list(book.members) == ["zhangsan", "lisi", "wangwu", "zhaoliu", "sunqi", "manager_li"]
    assert {m.manager for m in book.members.values()} == {"manager_li", None}
    assert book.members[book.members["zhaoliu"].manager or ""].name == "李经理"
    assert book.members["manager_li"].manager is None
    assert book.members["sunqi"].name == "孙七"


def test_every_problem_is_reported_with_its_line(tmp_path):
    found = problems(tmp_path, """\
staff:
  - userid: zhangsan
    name: 张三
    manager: manager_lee
  - userid: zhangsan
    name: 张三二
  - userid: lisi
    manager: lisi
    title: 销售
  - userid: "wang wu"
    name: 王五
""")
    path = str(tmp_path / "staff.yaml")
    assert found == [
        f"{path}:4: staff[1].manager: unknown manager 'manager_lee'; expected one of: zhangsan, lisi, wang wu",
        f"{path}:5: staff.userid: duplicate 'zhangsan' (first on line 2)",
        f"{path}:7: staff[3].name: missing",
        f"{path}:9: staff[3].title: unknown key; expected one of: userid, name, manager, team",
        f"{path}:10: staff[4].userid: 'wang wu' may hold only letters, digits and _ . @ -",
    ]


def test_self_management_and_loops_are_refused(tmp_path):
    found = problems(tmp_path, """\
staff:
  - {userid: a, name: 甲, manager: a}
  - {userid: b, name: 乙, manager: c}
  - {userid: c, name: 丙, manager: b}
""")
    assert any("staff[1].manager: 'a' cannot be their own manager" in p for p in found)
    assert any("managers form a loop: b → c → b" in p for p in found)


def test_not_a_mapping_and_missing_list(tmp_path):
    assert any("staff: missing" in p for p in problems(tmp_path, "people: []\n"))
    assert any("expected a mapping" in p for p in problems(tmp_path, "- zhangsan\n"))


def test_sync_upserts_names_and_managers(services, tmp_path):
    assert sync_staff(services) == 6
    assert sync_staff(services) == 6
    changed = write(tmp_path, GOOD.replace("张三", "张三丰"))
    assert sync_staff(services, changed) == 2
    with services.sessions() as session:
        rows = {s.userid: (s.name, s.manager_userid) for s in session.execute(select(Staff)).scalars()}
    assert len(rows) == 6
    assert rows["zhangsan"] == ("张三丰", "manager_li")
    assert rows["lisi"] == ("李四", "manager_li")
    assert rows["manager_li"] == ("李经理", None)
