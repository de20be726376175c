"""HTTP interactions end to end: a signed POST to the real RESTBot behind the 401 layer, the answer
observed on the fake Discord's callback route."""

from __future__ import annotations

import json
import time

from tests.discord.conftest import HttpHarness
from tests.fakes.discord import MANAGE_GUILD, SEND_MESSAGES, Signer


async def test_health_is_answered_ephemerally_through_the_callback_route(http: HttpHarness) -> None:
    payload = http.command("admin health", permissions=MANAGE_GUILD)

    status, body = await http.post(payload)
    content, flags = await http.content_of(payload)

    assert status == 204
    assert body == b""
    assert content.startswith("Up for ")
    assert "(http mode)" in content
    assert flags & 64


async def test_a_ping_gets_a_pong(http: HttpHarness) -> None:
    status, body = await http.post({"type": 1, "id": "1", "application_id": "1", "token": "t"})

    assert status == 200
    assert json.loads(body) == {"type": 1}


async def test_a_bad_signature_is_refused_with_401_and_not_dispatched(http: HttpHarness) -> None:
    payload = http.command("admin health", permissions=MANAGE_GUILD)
    raw = Signer.body(payload)
    forged = Signer().headers(raw)  # signed by a key Discord never had

    status, _ = await http.post(payload, headers=forged)

    assert status == 401
    assert payload["id"] not in http.fake.callbacks


async def test_missing_signature_headers_are_refused_with_401(http: HttpHarness) -> None:
    payload = http.command("admin health", permissions=MANAGE_GUILD)

    status, _ = await http.post(payload, headers={"Content-Type": "application/json"})

    assert status == 401


async def test_a_tampered_body_is_refused_with_401(http: HttpHarness) -> None:
    payload = http.command("admin health", permissions=MANAGE_GUILD)
    headers = http.signer.headers(Signer.body(payload))
    payload["member"]["permissions"] = str(1 << 3)

    status, _ = await http.post(payload, headers=headers)

    assert status == 401


async def test_a_stale_signed_request_is_refused_with_401(http: HttpHarness) -> None:
    payload = http.command("admin health", permissions=MANAGE_GUILD)
    raw = Signer.body(payload)
    old = str(int(time.time()) - 3600)

    status, _ = await http.post(payload, body=raw, headers=http.signer.headers(raw, timestamp=old))

    assert status == 401


async def test_a_non_json_request_is_refused_with_415(http: HttpHarness) -> None:
    raw = b"type=1"
    headers = http.signer.headers(raw) | {"Content-Type": "application/x-www-form-urlencoded"}

    status, _ = await http.post(None, body=raw, headers=headers)

    assert status == 415


async def test_the_same_interaction_delivered_twice_is_answered_once(http: HttpHarness) -> None:
    payload = http.command("admin health", permissions=MANAGE_GUILD)
    raw = Signer.body(payload)
    headers = http.signer.headers(raw)

    first, _ = await http.post(payload, body=raw, headers=headers)
    await http.fake.wait_for(lambda: payload["id"] in http.fake.callbacks)
    second, _ = await http.post(payload, body=raw, headers=headers)

    assert (first, second) == (204, 204)
    assert len(http.fake.callbacks[payload["id"]]) == 1
    assert len(http.fake.requests_to("POST", f"/interactions/{payload['id']}/")) == 1


async def test_a_member_without_manage_server_is_told_why(http: HttpHarness) -> None:
    payload = http.command("admin health", permissions=SEND_MESSAGES)

    content, flags = await http.content_of(payload)

    assert content == "You need the Manage Server permission to use this command."
    assert flags & 64


async def test_admin_commands_refuse_direct_messages(http: HttpHarness) -> None:
    payload = http.command("admin health", guild_id=None)

    content, _ = await http.content_of(payload)

    assert content == "This command works only inside a server."


async def test_serve_mode_syncs_commands_at_start(http: HttpHarness) -> None:
    names = [c["name"] for c in http.fake.commands[None]]

    assert names == ["admin"]
    assert http.fake.requests_to("GET", "/oauth2/applications/@me")
