"""Login, tokens, password hashing and the login rate limit."""

from __future__ import annotations

import datetime as dt

from server.db.tables import AuthToken, User
from tests.conftest import PASSWORD


async def _login(client, username: str, password: str, lang: str = "en"):
    return await client.post(
        "/api/auth/login",
        json={"username": username, "password": password},
        headers={"Accept-Language": lang},
    )


async def test_login_issues_a_working_token(client, make_user):
    rep = await make_user("rep", name="李伟")
    response = await _login(client, "李伟", PASSWORD)
    assert response.status_code == 201, response.text
    token = response.json()["token"]
    me = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["id"] == rep.id
    assert "password_hash" not in me.json()


async def test_passwords_and_tokens_are_stored_hashed(client, make_user):
    await make_user("rep", name="wang")
    token = (await _login(client, "wang", PASSWORD)).json()["token"]
    stored = await User.select(User.password_hash).where(User.username == "wang").first()
    assert stored["password_hash"].startswith("$argon2")
    assert not await AuthToken.exists().where(AuthToken.token_hash == token)


async def test_wrong_password_is_401_in_the_users_language(client, make_user):
    await make_user("rep", name="zhao")
    response = await _login(client, "zhao", "wrong-password", lang="zh-CN")
    assert response.status_code == 401
    assert response.json()["message"] == "用户名或密码错误。"
    unknown = await _login(client, "nobody", "whatever1", lang="en")
    assert unknown.json()["message"] == "Wrong username or password."


async def test_repeated_failures_are_rate_limited(client, make_user):
    await make_user("rep", name="qian")
    for _ in range(5):
        assert (await _login(client, "qian", "bad-password")).status_code == 401
    limited = await _login(client, "qian", PASSWORD)
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0


async def test_expired_token_is_rejected(make_user):
    rep = await make_user("rep")
    past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    await AuthToken.update({AuthToken.expires_at: past}).where(AuthToken.user == rep.id)
    assert (await rep.get("/api/customers")).status_code == 401


async def test_logout_revokes_the_token(make_user):
    rep = await make_user("rep")
    assert (await rep.post("/api/auth/logout")).status_code == 204
    assert (await rep.get("/api/customers")).status_code == 401


async def test_health_and_schema_are_public(client):
    assert (await client.get("/health")).json() == {"status": "ok"}
    schema = await client.get("/schema/openapi.json")
    assert schema.status_code == 200
    assert "/api/customers" in schema.json()["paths"]
