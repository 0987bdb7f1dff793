from __future__ import annotations

import pytest
from django.test import Client

from dantoc.accounts.services import issue_token

pytestmark = pytest.mark.django_db


def test_me_without_token_is_401_json(client: Client) -> None:
    r = client.get("/api/v1/me")
    assert r.status_code == 401
    assert "detail" in r.json()


def test_me_with_bad_token_is_401(client: Client, users) -> None:
    r = client.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer nope")
    assert r.status_code == 401


def test_me_with_commune_token_shows_the_commune(client: Client, users, tree) -> None:
    token = issue_token(users.commune)
    r = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert r.status_code == 200
    body = r.json()
    assert body["username"] == "xa"
    assert body["role"] == "officer"
    assert body["scope"]["code"] == tree.xa_loc_binh.code
    assert body["scope"]["level"] == "commune"
    assert "Lộc Bình" in body["scope"]["name"]


def test_token_endpoint(client: Client, users) -> None:
    r = client.post(
        "/api/v1/auth/token",
        {"username": "xa", "password": "dantoc-test-pw"},
        content_type="application/json",
    )
    assert r.status_code == 200
    token = r.json()["token"]
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}").json()["username"] == "xa"
    bad = client.post(
        "/api/v1/auth/token", {"username": "xa", "password": "wrong"}, content_type="application/json"
    )
    assert bad.status_code == 401


def test_openapi_is_public(client: Client) -> None:
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    assert "/api/v1/me" in r.json()["paths"]
