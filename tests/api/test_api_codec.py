"""Encrypted Temporal payloads (P7, R20.2): the codec (config/codec.py), histories that show no
confidential text to a reader without the key, and the codec server for the Temporal UI."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest
from conftest import DATA_CONVERTER, TEST_KEYS, readable
from google.protobuf import json_format
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from support import login
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer
from timeskip import award_api, env, to_public_notice

from config import constants as c
from config.codec import ENCODING, KEY_ID, EncryptionCodec, KeyRing, PayloadDecryptError, payloads_in
from config.settings import Settings
from devstack.scenario import expect
from worker.main import WORKFLOWS, workflow_runner

__all__ = ["env"]  # the time-skipping server fixture (tests/timeskip.py)

COMMENT = "过程管理有待加强"  # every expert's score comment in devstack.scenario.document_review
OBJECTOR, CONTACT = "欧阳保密", "13912345678"


def plain(text: str) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(text).encode())


def as_json(*payloads: Payload) -> dict[str, Any]:
    return json_format.MessageToDict(Payloads(payloads=list(payloads)))


@pytest.mark.req("P7")
@pytest.mark.req("R20.2")
async def test_codec_round_trips_rotates_and_refuses_tampering() -> None:
    old = KeyRing.generate("2027a")
    rotated = old.rotated("2027b")
    p = plain("评审意见：" + COMMENT)

    sealed = await EncryptionCodec(old).encode([p])
    assert sealed[0].metadata["encoding"] == ENCODING and sealed[0].metadata[KEY_ID] == b"2027a"
    assert COMMENT.encode() not in sealed[0].SerializeToString()
    assert await EncryptionCodec(old).decode(sealed) == [p]

    # rotation: the new key encrypts, the old one still decrypts what it encrypted
    assert (await EncryptionCodec(rotated).encode([p]))[0].metadata[KEY_ID] == b"2027b"
    assert await EncryptionCodec(rotated).decode(sealed) == [p]
    # a ring without the key cannot read it
    with pytest.raises(PayloadDecryptError) as unknown:
        await EncryptionCodec(KeyRing.generate("2027a-other")).decode(sealed)
    assert unknown.value.code == "PAYLOAD_KEY_UNKNOWN"

    # one flipped bit, or a payload relabelled with another key id, fails authentication
    flipped = Payload()
    flipped.CopyFrom(sealed[0])
    flipped.data = flipped.data[:-1] + bytes([flipped.data[-1] ^ 1])
    relabelled = Payload()
    relabelled.CopyFrom(sealed[0])
    relabelled.metadata[KEY_ID] = b"2027b"
    for bad in (flipped, relabelled):
        with pytest.raises(PayloadDecryptError) as tampered:
            await EncryptionCodec(rotated).decode([bad])
        assert tampered.value.code == "PAYLOAD_TAMPERED"

    # payloads recorded before encryption pass through (old histories still replay)
    assert await EncryptionCodec(rotated).decode([p]) == [p]


@pytest.mark.req("P7")
@pytest.mark.req("R20.2")
async def test_raw_history_shows_no_score_comment_objector_or_contact(
    env: WorkflowEnvironment,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    temporal_client: Client,
) -> None:
    async with award_api(env, settings, sessions, temporal_client) as api:
        n = await to_public_notice(env, api, settings)
        sc = n.scenario
        a1 = sorted(sc.applications.values())[0]
        body = {"application_id": a1, "facts": "获奖证明与实际不符", "name": OBJECTOR, "contact": CONTACT}
        filed = expect(await api.post(f"/public/objections/{sc.year}", json=body), 201)

        ids = [c.cycle_workflow_id(sc.year), c.objection_workflow_id(filed["objection_id"])]
        ids += [c.application_workflow_id(a) for a in sc.applications.values()]
        raw_bytes, payloads, readable_text = b"", [], ""
        replayer = Replayer(
            workflows=WORKFLOWS, data_converter=DATA_CONVERTER, workflow_runner=workflow_runner()
        )
        for workflow_id in ids:
            # fetched by a client without the codec: what the Temporal database and UI hold
            history = await env.client.get_workflow_handle(workflow_id).fetch_history()
            raw_bytes += history.to_json().encode() + b"".join(e.SerializeToString() for e in history.events)
            for e in history.events:
                payloads += payloads_in(e)
            # both replay: encrypted as stored, and decrypted as kept under tests/histories
            await replayer.replay_workflow(history)
            await replayer.replay_workflow(readable(history))
            readable_text += "".join(
                p.data.decode(errors="replace") for e in readable(history).events for p in payloads_in(e)
            )
        for secret in (COMMENT, OBJECTOR, CONTACT):
            assert secret.encode() not in raw_bytes, secret
            assert base64.b64encode(secret.encode()) not in raw_bytes, secret
        assert payloads and all(p.metadata.get("encoding") == ENCODING for p in payloads)
        # and the comment did pass through Temporal: the key reads it
        assert COMMENT in readable_text


@pytest.mark.req("P7")
@pytest.mark.req("R20.2")
async def test_codec_server_decodes_for_the_office_only(api: httpx.AsyncClient, settings: Settings) -> None:
    sealed = await DATA_CONVERTER.encode([{"comment": COMMENT}])
    request = as_json(*sealed)

    assert (await api.post("/codec/decode", json=request)).status_code == 401
    assert (
        await api.post("/codec/decode", json=request, headers={"Authorization": "Bearer x"})
    ).status_code == 401
    admin = await login(api, "admin", "test-accounts-key-1")
    r = await api.post("/codec/decode", json=request, headers=admin)
    assert r.status_code == 403 and r.json()["code"] == "FORBIDDEN", r.text

    from devstack.scenario import Scenario

    office = await login(api, settings.bootstrap_office_username, settings.bootstrap_office_password)
    sc = Scenario(api, office, 2099, admin=admin)
    await sc.enterprise(1, "鹿城编解码测试有限公司")
    r = await api.post("/codec/decode", json=request, headers=sc.enterprise_heads[1])
    assert r.status_code == 403, r.text

    r = await api.post("/codec/decode", json=request, headers=office)
    decoded = json_format.Parse(r.text, Payloads()).payloads
    assert r.status_code == 200 and json.loads(decoded[0].data) == {"comment": COMMENT}
    # encode, then decode again; plain payloads pass through decode
    r = await api.post("/codec/encode", json=as_json(plain("x")), headers=office)
    again = json_format.ParseDict(expect(r, 200), Payloads()).payloads
    assert again[0].metadata["encoding"] == ENCODING
    r = await api.post("/codec/decode", json=as_json(*again, plain("y")), headers=office)
    assert [json.loads(p.data) for p in json_format.Parse(r.text, Payloads()).payloads] == ["x", "y"]

    # the Temporal UI's origin may call it (CORS), another origin may not
    ui = settings.codec_cors_origins[0]
    pre = {
        "Origin": ui,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    }
    r = await api.options("/codec/decode", headers=pre)
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == ui
    r = await api.options("/codec/decode", headers={**pre, "Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in r.headers
    r = await api.options("/applications", headers=pre)  # no CORS anywhere else
    assert "access-control-allow-origin" not in r.headers

    # the UI's way in: a cookie set by POST /codec/session
    r = await api.post("/codec/session", headers=office)
    assert r.status_code == 204 and "httponly" in r.headers["set-cookie"].lower()
    cookie = r.headers["set-cookie"].split(";")[0]
    r = await api.post("/codec/decode", json=request, headers={"Cookie": cookie})
    assert r.status_code == 200, r.text
    api.cookies.clear()

    # malformed requests: 400 with a stable code, never a 500
    tampered = as_json(*sealed)
    data = bytearray(base64.b64decode(tampered["payloads"][0]["data"]))
    data[-1] ^= 1
    tampered["payloads"][0]["data"] = base64.b64encode(bytes(data)).decode()
    for bad, code in [
        (tampered, "PAYLOAD_TAMPERED"),
        ({"payloads": [{"data": "not base64!"}]}, "CODEC_REQUEST_INVALID"),
        ({"payloads": "x"}, "CODEC_REQUEST_INVALID"),
        ({"nonsense": []}, "CODEC_REQUEST_INVALID"),
        ([1, 2], "CODEC_REQUEST_INVALID"),
    ]:
        r = await api.post("/codec/decode", json=bad, headers=office)
        assert r.status_code == 400 and r.json()["code"] == code, (bad, r.text)
        assert r.json()["message_zh"] and r.json()["message_en"]
    r = await api.post("/codec/decode", content=b"\xff{", headers=office)
    assert r.status_code == 400 and r.json()["code"] == "CODEC_REQUEST_INVALID"


@pytest.mark.req("P7")
def test_production_refuses_to_start_without_payload_keys() -> None:
    base = dict(
        environment="production",
        jwt_secret="a" * 8 + "Z9" * 20,
        database_url="postgresql+asyncpg://x@y/z",
        temporal_address="t:7233",
    )
    with pytest.raises(RuntimeError, match="AWARD_PAYLOAD_KEYS"):
        Settings(**base).check()  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="AES-256"):
        Settings(**base, payload_keys="k1:" + base64.b64encode(b"short").decode()).check()  # type: ignore[arg-type]
    Settings(**base, payload_keys=",".join(TEST_KEYS.lines())).check()  # type: ignore[arg-type]
    assert str(TEST_KEYS.lines()[0]) not in repr(Settings(**base, payload_keys=TEST_KEYS.lines()[0]))  # type: ignore[arg-type]
