"""Customer records through the HTTP API: validation, normalization, search, 360°, audit."""

from __future__ import annotations

from server.db.tables import AuditLog, Customer

VALID = {"name": "北京星辰科技有限公司", "phone": "138-0013-8000", "region": "北京", "grade": "a"}


async def test_create_normalizes_and_shows_national_phone(make_user):
    rep = await make_user("rep")
    response = await rep.post("/api/customers", json=VALID)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["phone"] == "+8613800138000"
    assert body["phone_display"] == "138 0013 8000"
    assert body["region"] == "CN-BJ"
    assert body["grade"] == "A"
    assert body["owner_id"] == rep.id
    assert body["name"] == "北京星辰科技有限公司"  # original kept for display


async def test_full_width_input_is_cleaned(make_user):
    rep = await make_user("rep")
    data = {"name": "  Ａｃｍｅ　Trading  Co., Ltd. ", "phone": "１３８００１３８００１"}
    body = (await rep.post("/api/customers", json=data)).json()
    assert body["name"] == "Acme Trading Co., Ltd."
    assert body["phone"] == "+8613800138001"


async def test_missing_required_fields_are_all_reported_in_chinese(make_user):
    rep = await make_user("rep")
    rep.lang = "zh-CN"
    response = await rep.post("/api/customers", json={"grade": "B"})
    assert response.status_code == 422
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert errors["name"] == "此项为必填项。"
    assert "联系方式" in errors["phone"]


async def test_bad_values_get_field_errors_and_nothing_is_written(make_user):
    rep = await make_user("rep")
    bad = {**VALID, "phone": "12345", "email": "not-an-email", "region": "Atlantis", "grade": "Z"}
    response = await rep.post("/api/customers", json=bad)
    assert response.status_code == 422
    fields = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert fields["phone"] == "Not a valid phone number."
    assert fields["email"] == "Not a valid email address."
    assert fields["region"] == "Unknown region."
    assert fields["grade"].startswith("Must be one of")
    assert await Customer.count() == 0


async def test_wrong_types_and_unknown_fields_are_400_with_field_names(make_user):
    rep = await make_user("rep")
    wrong_type = await rep.post("/api/customers", json={**VALID, "name": 42})
    assert wrong_type.status_code == 400
    assert wrong_type.json()["errors"][0]["field"] == "name"
    unknown = await rep.post("/api/customers", json={**VALID, "colour": "red"})
    assert unknown.status_code == 400
    assert unknown.json()["errors"][0]["field"] == "colour"
    not_json = await rep.post(
        "/api/customers", content=b"{oops", headers={"Content-Type": "application/json"}
    )
    assert not_json.status_code == 400
    assert await Customer.count() == 0


async def test_update_is_partial_and_validated(make_user):
    rep = await make_user("rep")
    created = (await rep.post("/api/customers", json=VALID)).json()
    url = f"/api/customers/{created['id']}"
    updated = await rep.patch(
        url, json={"phone": "+86 139 1111 2222", "tags": ["VIP", "vip ", "重点"]}
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["phone"] == "+8613911112222"
    assert updated.json()["tags"] == ["VIP", "vip", "重点"]
    assert updated.json()["region"] == "CN-BJ"  # untouched
    rejected = await rep.patch(url, json={"phone": "abc", "name": "New name"})
    assert rejected.status_code == 422
    assert (await rep.get(url)).json()["name"] == VALID["name"]  # no partial write


async def test_removing_the_only_contact_method_is_refused(make_user):
    rep = await make_user("rep")
    created = (await rep.post("/api/customers", json=VALID)).json()
    response = await rep.patch(f"/api/customers/{created['id']}", json={"phone": None})
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "contact_method.required"


async def test_search_filters_and_pagination(make_user):
    rep = await make_user("rep")
    rows = [
        {
            "name": "上海光明食品有限公司",
            "phone": "13900000001",
            "region": "上海市",
            "grade": "A",
            "tags": ["展会"],
        },
        {
            "name": "深圳华强电子",
            "phone": "13900000002",
            "region": "Shenzhen",
            "grade": "B",
            "lifecycle": "prospect",
        },
        {
            "name": "Acme Robotics Inc.",
            "email": "sales@acme.example",
            "region": "广东省广州市",
            "grade": "C",
        },
    ]
    for row in rows:
        assert (await rep.post("/api/customers", json=row)).status_code == 201

    async def names(**params) -> list[str]:
        response = await rep.get("/api/customers", params=params)
        assert response.status_code == 200, response.text
        return sorted(item["name"] for item in response.json()["items"])

    assert await names(q="光明") == ["上海光明食品有限公司"]
    assert await names(q="acme") == ["Acme Robotics Inc."]
    assert await names(phone="+86 139-0000-0002") == ["深圳华强电子"]
    assert await names(phone="0000") == ["上海光明食品有限公司", "深圳华强电子"]
    assert await names(region="广东") == [
        "Acme Robotics Inc.",
        "深圳华强电子",
    ]  # province covers cities
    assert await names(region="SH") == ["上海光明食品有限公司"]
    assert await names(grade="b") == ["深圳华强电子"]
    assert await names(stage="prospect") == ["深圳华强电子"]
    assert await names(tag="展会") == ["上海光明食品有限公司"]
    assert len(await names(owner_id=rep.id)) == 3
    page = (await rep.get("/api/customers", params={"per_page": 2, "page": 2})).json()
    assert page["total"] == 3 and len(page["items"]) == 1
    bad = await rep.get("/api/customers", params={"per_page": 1000})
    assert bad.status_code == 400


async def test_360_view_has_every_section(make_user):
    rep = await make_user("rep")
    created = (await rep.post("/api/customers", json=VALID)).json()
    await rep.patch(f"/api/customers/{created['id']}", json={"grade": "B"})
    view = (await rep.get(f"/api/customers/{created['id']}/360")).json()
    assert view["profile"]["grade"] == "B"
    for section in ("contacts", "activities", "deals", "follow_ups", "contracts", "tickets"):
        assert view[section] == []
    assert [h["to_owner"] for h in view["owner_history"]] == [rep.id]
    assert [a["action"] for a in view["audit"]] == ["update", "create"]
    assert view["audit"][0]["before"] == {"grade": "A"}
    assert view["audit"][0]["after"] == {"grade": "B"}


async def test_every_write_is_audited(make_user):
    rep = await make_user("rep")
    created = (await rep.post("/api/customers", json=VALID)).json()
    await rep.patch(f"/api/customers/{created['id']}", json={"address": "朝阳区建国路 1 号"})
    assert (await rep.delete(f"/api/customers/{created['id']}")).status_code == 204
    actions = await AuditLog.select(AuditLog.action, AuditLog.actor).order_by(AuditLog.id)
    assert [(a["action"], a["actor"]) for a in actions] == [
        ("create", rep.id),
        ("update", rep.id),
        ("delete", rep.id),
    ]
    assert (await rep.get(f"/api/customers/{created['id']}")).status_code == 404
