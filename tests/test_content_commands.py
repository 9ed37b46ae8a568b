"""`scrm content validate|load|diff|preview` and the preview API, as a marketer uses them."""
from __future__ import annotations

from pathlib import Path

from app.store.content_versions import store_version
from content.calendars import DEFAULT_CALENDAR
from jobs.periodic.reconcile import reconcile_contacts
from tests.processes import run
from tests.settings import ADMIN_TOKEN

GOOD = Path(DEFAULT_CALENDAR)
BAD_CSV = ("sequence,step_id,touchpoint,day,at,text\n"
           "s1,a,private,1,25:00,你好\n"
           "s1,b,email,2,10:00,你好\n")


def test_validate_reports_every_problem_and_loads_nothing(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(BAD_CSV, encoding="utf-8")
    result = run(["content", "validate", str(bad)], tmp_path)
    assert result.returncode == 1
    assert "bad.csv:2: at: expected HH:MM, got '25:00'" in result.stderr
    assert "bad.csv:3: touchpoint" in result.stderr
    assert "nothing loaded" in result.stderr
    assert run(["content", "validate", str(GOOD)], tmp_path).returncode == 0
    refused = run(["content", "load", str(GOOD), str(bad)], tmp_path)
    assert refused.returncode == 1
    assert "nothing loaded" in refused.stderr
    assert "no content version" in run(["content", "diff"], tmp_path).stderr


def test_load_diff_and_preview_from_the_command_line(tmp_path):
    first = run(["content", "load", str(GOOD), "--by", "marketer"], tmp_path)
    assert first.returncode == 0
    assert "version 1 stored; active" in first.stdout
    again = run(["content", "load", str(GOOD)], tmp_path)
    assert "unchanged" in again.stdout
    edited = tmp_path / "saas_nurture_30d.yaml"
    edited.write_text(GOOD.read_text(encoding="utf-8").replace("加上微信还没正式打个招呼", "加上微信还没来得及打招呼"),
                      encoding="utf-8")
    assert "version 2 stored" in run(["content", "load", str(edited)], tmp_path).stdout
    diff = run(["content", "diff"], tmp_path)
    assert diff.returncode == 0
    assert "version 1 -> 2: 1 change(s)" in diff.stdout
    assert "~ changed step saas_nurture_30d/p01_hello: text" in diff.stdout
    preview = run(["content", "preview", "--days", "3"], tmp_path)
    assert preview.returncode == 0
    assert preview.stdout.count("== ") == 3


def test_preview_api_lists_sends_by_day_and_contact(world):
    for i in range(30):
        world.state.contacts.add_prospect(("zhangsan", "lisi", "wangwu")[i % 3], state="webinar_0302", emit=False)
    reconcile_contacts(world.services)
    world.drain()
    auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    assert world.client.get("/api/content/preview", headers=auth).status_code == 409
    with world.services.sessions() as session:
        store_version(session, [GOOD], "test")
        session.commit()
    assert world.client.get("/api/content/preview?days=0", headers=auth).status_code == 400
    assert world.client.get("/api/content/preview").status_code == 401
    body = world.client.get("/api/content/preview?days=4", headers=auth).get_json()
    sends = [send for day in body["days"] for send in day["sends"]]
    private = [s for s in sends if s["touchpoint"] == "private"]
    assert {s["step"] for s in private} >= {"p01_hello", "p03_pain"}
    assert sum(s["recipients"] for s in private if s["step"] == "p01_hello") == 30
    assert {s["by"] for s in private} == {"zhangsan", "lisi", "wangwu"}
    assert all("08:00" <= s["at"] < "21:00" for s in sends)
    one = world.client.get("/api/content/preview?days=4&contact=1", headers=auth).get_json()
    assert [s["step"] for d in one["days"] for s in d["sends"] if s["touchpoint"] == "private"] == [
        "p01_hello", "p03_pain"]
    versions = world.client.get("/api/content/versions", headers=auth).get_json()["versions"]
    assert [(v["id"], v["active"], v["files"]) for v in versions] == [(1, True, ["saas_nurture_30d.yaml"])]
