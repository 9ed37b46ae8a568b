"""The console's JSON API: the OpenAPI document, calendar uploads with every problem in place, version activation
and comparison, nurture stop/restart, "contacted", and the dashboard and sidebar data."""
from __future__ import annotations

from io import BytesIO
from pathlib import Path

from openapi_spec_validator import validate

from tests.settings import ADMIN_TOKEN, FIXTURES

CALENDAR = Path(__file__).parents[1] / "content" / "sequences" / "saas_nurture_30d.yaml"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}



def test_openapi_documents_every_api_operation_with_security_and_responses(app):
    spec = app.test_client().get("/api/openapi.json").get_json()
    validate(spec)
    documented = {(path, method) for path, ops in spec["paths"].items() for method in ops}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            path = rule.rule.replace("<int:", "{").replace("<", "{").replace(">", "}")
            for method in rule.methods & METHODS:
                assert (path, method.lower()) in documented, f"{method} {rule.rule} is not documented"
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            assert "security" in op, f"{method} {path}"
            assert op["responses"], f"{method} {path}"
            protected = op["security"] != []
            assert protected == ("401" in op["responses"]), f"{method} {path}: 401 iff protected"
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {"type": "http", "scheme": "bearer"}


def test_uploading_calendars_shows_every_problem_then_stores_previews_activates_and_compares(cw):
    client, marketer = cw.world.client, {"Authorization": f"Bearer {cw.tokens['marketer']}"}
    bad = (FIXTURES / "calendars" / "five_errors.csv").read_bytes()
    answer = client.post("/api/content/versions", headers=marketer,
                         data={"files": [(BytesIO(CALENDAR.read_bytes()), "../../etc/日历.yaml")]})
    assert answer.status_code == 201, answer.get_json()
    first = answer.get_json()["id"]
    answer = client.post("/api/content/versions", headers=marketer, data={"files": [(BytesIO(bad), "five_errors.csv")]},
                         content_type="multipart/form-data")
    assert answer.status_code == 422
    problems = answer.get_json()["problems"]
    assert len(problems) == 5
    assert all(p["file"] == "five_errors.csv" and p["row"] and p["field"] for p in problems)
    assert client.post("/api/content/versions", headers=marketer, data={"files": [(BytesIO(b"x"), "notes.txt")]},
                       content_type="multipart/form-data").get_json()["problems"][0]["message"].startswith("只支持")
    versions = client.get("/api/content/versions", headers=marketer).get_json()["versions"]
    assert [v["id"] for v in versions] == [first]
    assert not versions[0]["active"]
    assert versions[0]["files"] == ["日历.yaml"]
    preview = client.get(f"/api/content/preview?days=14&version={first}", headers=marketer).get_json()
    assert len(preview["days"]) == 14
    assert sum(len(d["sends"]) for d in preview["days"]) > 0
    assert client.get("/api/content/preview", headers=marketer).status_code == 409
    assert client.post(f"/api/content/versions/{first}/activate", headers=marketer).get_json()["versions"][0]["active"]
    edited = (CALENDAR.read_text(encoding="utf-8")
              .replace("name: SaaS 线索 30 天培育", "name: SaaS 线索 30 天培育（新版）", 1)
              .replace("- id: p03_pain", "- id: p03_pain_v2", 1))
    second = client.post("/api/content/versions?activate=1", headers=marketer,
                         data={"files": [(BytesIO(edited.encode()), "saas.yaml")]},
                         content_type="multipart/form-data").get_json()
    changes = client.get(f"/api/content/diff?from={first}&to={second['id']}", headers=marketer).get_json()["changes"]
    assert changes == ["~ changed sequence saas_nurture_30d: name", "- removed step saas_nurture_30d/p03_pain",
                       "+ added step saas_nurture_30d/p03_pain_v2 (private, day 3)"]
    assert client.get(f"/api/content/diff?from={first}&to=999", headers=marketer).status_code == 404
    assert client.post("/api/content/versions/999/activate", headers=marketer).status_code == 404


def test_contact_actions_stop_restart_and_contacted_are_recorded(cw):
    client, own = cw.world.client, {"Authorization": f"Bearer {cw.tokens['zhangsan']}"}
    lead = client.get(f"/api/contacts/{cw.hot_lead}", headers=own).get_json()
    assert lead["nurture_stopped"] == "hot_lead"
    assert lead["lead_status"] == "sql"
    sidebar = client.get(f"/api/sidebar/{cw.hot_lead}", headers=own).get_json()
    assert sidebar["open_alerts"][0]["id"] == cw.alert
    assert sidebar["contact"]["stage"]["name"]
    assert client.post(f"/api/contacts/{cw.hot_lead}/contacted", headers=own).get_json() == {"acked": 1}
    assert client.post(f"/api/contacts/{cw.hot_lead}/contacted", headers=own).get_json() == {"acked": 0}
    acked = [a for a in client.get("/api/leads", headers=own).get_json()["leads"] if a["id"] == cw.alert][0]
    assert acked["acked_by"] == "zhangsan"
    restarted = client.post(f"/api/contacts/{cw.hot_lead}/nurture", headers=own, json={"action": "restart"}).get_json()
    assert restarted == {"changed": True, "nurture_stopped": None, "lead_status": "mql"}
    stopped = client.post(f"/api/contacts/{cw.quiet}/nurture", headers=own, json={"action": "stop"}).get_json()
    assert stopped == {"changed": True, "nurture_stopped": "by_staff", "lead_status": "new"}
    assert client.post(f"/api/contacts/{cw.quiet}/nurture", headers=own, json={"action": "pause"}).status_code == 400
    timeline = client.get(f"/api/contacts/{cw.hot_lead}", headers=own).get_json()["timeline"]
    kinds = [item["type"] for item in timeline]
    assert "lead_contacted" in kinds
    assert "nurture_restarted" in kinds
    assert any(i["type"] == "lead_status_change" and i["detail"]["actor"] == "zhangsan" for i in timeline)
    stage = client.post(f"/api/contacts/{cw.quiet}/stage", headers=own, json={"stage": "product_selection", "by": "x"})
    assert stage.get_json()["changes"][0]["to"] == "product_selection"
    changes = [i for i in stage.get_json()["contact"]["timeline"] if i["type"] == "stage_change"]
    assert changes[-1]["detail"]["actor"] == "zhangsan"


def test_dashboard_and_contact_search_answer_with_filters(cw):
    client = cw.world.client
    data = client.get("/api/dashboard?days=30", headers=ADMIN).get_json()
    assert sum(f["contacts"] for f in data["funnel"]) == 3
    assert data["hot_leads"] == {
        "today": 2, "open": 2, "contacted": 0, "median_response_minutes": None, "max_response_minutes": None,
        "longest_waiting_minutes": data["hot_leads"]["longest_waiting_minutes"]}
    assert data["by_channel"][0]["total"] == 3
    assert len(data["conversion"]) == len(data["funnel"]) - 1
    assert client.get("/api/dashboard?days=5", headers=ADMIN).status_code == 400
    search = client.get("/api/contacts?stage=product_selection&min_score=0", headers=ADMIN).get_json()
    assert {c["id"] for c in search["contacts"]} == {cw.hot_lead, cw.other_team}
    assert client.get("/api/contacts?owner=wangwu", headers=ADMIN).get_json()["total"] == 1
    tagged = client.get("/api/contacts", headers=ADMIN, query_string={"tag": "选择产品"}).get_json()
    assert tagged["total"] == 2
    assert client.get("/api/contacts?min_score=abc", headers=ADMIN).status_code == 400
