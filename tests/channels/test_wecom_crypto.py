"""WeCom callback crypto: official vectors, refusals, and interop with wechatpy as an oracle."""

from __future__ import annotations

import base64
import json
import struct
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from wechatpy.enterprise.crypto import WeChatCrypto

from bot.channels.wecom import CallbackRejected, WeComCrypto, parse_event
from bot.channels.wecom.crypto import MAX_BODY_BYTES, parse_xml, signature
from core.clock import FakeClock
from tests.fakes.wecom_server import FakeWeCom

# ---- Set A: Tencent's Python sample (sbzhu/weworkapi_python callback/Sample.py) ----------------------
A_TOKEN = "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo"
A_KEY = "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt"
A_CORP = "ww1436e0e65a779aee"
A_ECHO = "fsi1xnbH4yQh0+PJxcOdhhK6TDXkjMyhEPA7xB2TGz6b+g7xyAbEkRxN/3cNXW9qdqjnoVzEtpbhnFyq6SVHyA=="
A_ENCRYPT = (
    "Kl7kjoSf6DMD1zh7rtrHjFaDapSCkaOnwu3bqLc5tAybhhMl9pFeK8NslNPVdMwmBQTNoW4mY7AIjeLvEl3NyeTkAgGzBhzT"
    "tRLNshw2AEew+kkYcD+Fq72Kt00fT0WnN87hGrW8SqGc+NcT3mu87Ha3dz1pSDi6GaUA6A0sqfde0VJPQbZ9U+3JWcoD4Z5j"
    "aU0y9GSh010wsHF8KZD24YhmZH4ch4Ka7ilEbjbfvhKkNL65HHL0J6EYJIZUC2pFrdkJ7MhmEbU2qARR4iQHE7wy24qy0cRX"
    "3Mfp6iELcDNfSsPGjUQVDGxQDCWjayJOpcwocugux082f49HKYg84EpHSGXAyh+/oxwaWbvL6aSDPOYuPDGOCI8jmnKiypE+"
)
A_BODY = (
    "<xml><ToUserName><![CDATA[ww1436e0e65a779aee]]></ToUserName>\n"
    f"<Encrypt><![CDATA[{A_ENCRYPT}]]></Encrypt>\n"
    "<AgentID><![CDATA[1000002]]></AgentID>\n</xml>"
).encode()
A_PLAIN = (
    "<xml><ToUserName>ww1436e0e65a779aee</ToUserName><FromUserName>ChenJiaShun</FromUserName>"
    "<CreateTime>1476422779</CreateTime><MsgType>text</MsgType><Content>你好</Content>"
    "<MsgId>1456453720</MsgId><AgentID>1000002</AgentID></xml>"
)

# ---- Set B: PHP/Go samples -----------------------------------------------------------------------
B_TOKEN, B_KEY, B_CORP = "QDG6eK", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", "wx5823bf96d3bd56c7"
B_ECHO = "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="
B_ENCRYPT = (
    "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911"
    "L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLx"
    "AUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9"
    "nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/u"
    "h9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q=="
)
# The JSON callback format (workweixin/weworkapi_golang json_callback/sample.go, same token/key/receiveid as Set B).
B_JSON_ENCRYPT = (
    "CZWs4CWRpI4VolQlvn4dlEC1alN2MUEY2VklGehgBVLBrlVF7SyT+SV+Toj43l4ayJ9UMGKphktKKmP7B2j/P1ey67XB8PBgS7Wr5/8+w/yWriZv"
    "3Vmoo/MH3/1HsIWZrPQ3N2mJrelStIfI2Y8kLKXA7EhfZgZX4o+ffdkZDM76SEl79Ib9mw7TGjZ9Aw/x/A2VjNbV1E8BtEbRxYYcQippYNw7hr8sF"
    "fa3nW1xLdxokt8QkRX83vK3DFP2F6TQFPL2Tu98UwhcUpPvdJBuu1/yiOQIScppV3eOuLWEsko="
)


def clock_at(ts: int) -> FakeClock:
    return FakeClock(datetime.fromtimestamp(ts, UTC))


def crypto_a(ts: int = 1476422779) -> WeComCrypto:
    return WeComCrypto(A_TOKEN, A_KEY, A_CORP, clock_at(ts))


def test_set_a_verify_url() -> None:
    echo = crypto_a(1476416373).verify_url("012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb", "1476416373", "47744683", A_ECHO)
    assert echo == "1288432023552776189"


def test_verify_url_tolerates_plus_decoded_as_space() -> None:
    """yarl/aiohttp decode an unescaped `+` in a query string as a space; echostr is base64."""
    mangled = A_ECHO.replace("+", " ")
    assert mangled != A_ECHO
    echo = crypto_a(1476416373).verify_url(
        "012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb", "1476416373", "47744683", mangled
    )
    assert echo == "1288432023552776189"


def test_set_a_decrypt_message() -> None:
    inner = crypto_a().decrypt(A_BODY, "0c3914025cb4b4d68103f6bfc8db550f79dcf48e", "1476422779", "1597212914")
    assert inner["FromUserName"] == "ChenJiaShun"
    assert inner["Content"] == "你好"
    inbound = parse_event(inner)
    assert inbound.from_user == "chenjiashun"  # userids are case-insensitive: normalised
    assert inbound.msg_type == "text"
    assert inbound.create_time == 1476422779
    assert inbound.agent_id == 1000002
    assert inbound.dedup_key == "msgid:1456453720"


def test_set_a_encryption_reproduces_official_ciphertext() -> None:
    c = crypto_a()
    assert c.encrypt_b64(A_PLAIN.encode(), random_prefix=b"694ce5a83ae07fe3") == A_ENCRYPT
    assert c.encrypt_b64(b"1288432023552776189", random_prefix=b"8908d0ff052afda0") == A_ECHO


def test_set_b_verify_and_decrypt() -> None:
    c = WeComCrypto(B_TOKEN, B_KEY, B_CORP, clock_at(1409659813))
    assert (
        c.verify_url("5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3", "1409659589", "263014780", B_ECHO)
        == "1616140317555161061"
    )
    body = (
        f"<xml><ToUserName><![CDATA[{B_CORP}]]></ToUserName><Encrypt><![CDATA[{B_ENCRYPT}]]></Encrypt>"
        "<AgentID><![CDATA[218]]></AgentID></xml>"
    )
    inner = c.decrypt(body.encode(), "477715d11cdb4164915debcba66cb864d751f3e6", "1409659813", "1372623149")
    assert (inner["FromUserName"], inner["Content"]) == ("mycreate", "hello")
    assert inner["MsgId"] == "4561255354251345929"
    assert c.encrypt_b64(b"1616140317555161061", random_prefix=b"c41b64491c2468d0") == B_ECHO


def test_set_b_json_callback_format() -> None:
    """WeCom's JSON format: lower-case envelope keys, a JSON plaintext with the XML's names and numbers as
    numbers; both formats come out as the same dict of strings."""
    c = WeComCrypto(B_TOKEN, B_KEY, B_CORP, clock_at(1409659813))
    body = json.dumps({"tousername": B_CORP, "encrypt": B_JSON_ENCRYPT, "agentid": 218}).encode()
    inner = c.decrypt(body, "0623cbc5a8cbee5bcc137c70de99575366fc2af3", "1409659813", "1372623149")
    assert (inner["FromUserName"], inner["Content"], inner["MsgType"]) == ("mycreate", "hello", "text")
    assert (inner["MsgId"], inner["AgentID"], inner["CreateTime"]) == ("4561255354251345929", "218", "1409659813")
    event = parse_event(inner)
    assert (event.from_user, event.content, event.dedup_key) == ("mycreate", "hello", "msgid:4561255354251345929")
    forged = reject(c.decrypt, body, "0" * 40, "1409659813", "1372623149")
    assert forged.status == 403
    assert reject(c.decrypt, b'{"encrypt": ', "x", "1409659813", "1").status == 400


def test_round_trip_and_wechatpy_interop() -> None:
    """Our envelopes decrypt with wechatpy, and wechatpy's with ours: an independent implementation."""
    ts = 1476422779
    ours = crypto_a(ts)
    envelope = ours.encrypt(A_PLAIN, "12345", ts)
    env = parse_xml(envelope)
    theirs = WeChatCrypto(A_TOKEN, A_KEY, A_CORP)
    assert theirs.decrypt_message(envelope, env["MsgSignature"], str(ts), "12345") == A_PLAIN

    reply = theirs.encrypt_message(A_PLAIN, "777", ts)
    env2 = parse_xml(reply)
    body = f"<xml><Encrypt><![CDATA[{env2['Encrypt']}]]></Encrypt></xml>".encode()
    assert ours.decrypt(body, env2["MsgSignature"], str(ts), "777")["Content"] == "你好"


# ---- refusals ------------------------------------------------------------------------------------


def reject(fn, *args) -> CallbackRejected:  # type: ignore[no-untyped-def]
    with pytest.raises(CallbackRejected) as info:
        fn(*args)
    return info.value


def test_forged_signature_is_403() -> None:
    err = reject(crypto_a().decrypt, A_BODY, "0" * 40, "1476422779", "1597212914")
    assert (err.status, err.reason) == (403, "bad_signature")
    err = reject(crypto_a(1476416373).verify_url, "0" * 40, "1476416373", "47744683", A_ECHO)
    assert err.status == 403


def test_stale_or_future_timestamp_is_403() -> None:
    sig, ts, nonce = "0c3914025cb4b4d68103f6bfc8db550f79dcf48e", "1476422779", "1597212914"
    assert reject(crypto_a(1476422779 + 301).decrypt, A_BODY, sig, ts, nonce).reason == "stale_timestamp"
    assert reject(crypto_a(1476422779 - 301).decrypt, A_BODY, sig, ts, nonce).status == 403
    assert reject(crypto_a().decrypt, A_BODY, sig, "not-a-number", nonce).status == 403
    assert reject(crypto_a().decrypt, A_BODY, sig, "9" * 400, nonce).reason == "bad_timestamp"  # no OverflowError
    assert reject(crypto_a().verify_url, sig, "1" * 400, nonce, A_ECHO).status == 403
    # within the window still works
    assert crypto_a(1476422779 + 299).decrypt(A_BODY, sig, ts, nonce)["MsgType"] == "text"


@pytest.mark.parametrize(
    "body",
    [
        b'<!DOCTYPE x [<!ENTITY a "aaaa">]><xml><Encrypt>&a;</Encrypt></xml>',
        b'<?xml version="1.0"?><!doctype xml SYSTEM "file:///etc/passwd"><xml/>',
        b'<xml><!ENTITY x SYSTEM "http://evil/"><Encrypt>x</Encrypt></xml>',
    ],
)
def test_dtd_and_entities_are_400(body: bytes) -> None:
    err = reject(crypto_a().decrypt, body, "x", "1476422779", "1")
    assert (err.status, err.reason) == (400, "dtd_or_entity")


def test_dtd_inside_encrypted_payload_is_400() -> None:
    """A validly signed message whose *inner* XML carries a DTD is refused too."""
    c = crypto_a()
    evil = '<!DOCTYPE a [<!ENTITY b "c">]><xml><Content>&b;</Content></xml>'
    envelope = parse_xml(c.encrypt(evil, "1", 1476422779))
    body = f"<xml><Encrypt>{envelope['Encrypt']}</Encrypt></xml>".encode()
    assert reject(c.decrypt, body, envelope["MsgSignature"], "1476422779", "1").status == 400


def test_oversized_body_is_413() -> None:
    body = b"<xml><Encrypt>" + b"A" * MAX_BODY_BYTES + b"</Encrypt></xml>"
    err = reject(crypto_a().decrypt, body, "x", "1476422779", "1")
    assert (err.status, err.reason) == (413, "body_too_large")


@pytest.mark.parametrize("body", [b"not xml", b"<xml><Encrypt>", b"<xml></xml>", b"\xff\xfe<\x00x\x00"])
def test_malformed_xml_is_400(body: bytes) -> None:
    assert reject(crypto_a().decrypt, body, "x", "1476422779", "1").status == 400


def _signed_body(c: WeComCrypto, encrypt: str, ts: int = 1476422779, nonce: str = "1") -> tuple[bytes, str]:
    body = f"<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>".encode()
    return body, c.sign(ts, nonce, encrypt)


def _raw_aes(plain: bytes, key_b64: str = A_KEY) -> str:
    key = base64.b64decode(key_b64 + "=")
    enc = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(enc.update(plain) + enc.finalize()).decode()


@pytest.mark.parametrize(
    "plain",
    [
        b"\x00" * 63 + b"\x00",  # pad byte 0
        b"\x00" * 63 + b"\x21",  # pad byte 33 > 32
        b"\x00" * 62 + b"\x01\x02",  # pad bytes inconsistent
    ],
)
def test_bad_padding_with_valid_signature_is_400(plain: bytes) -> None:
    c = crypto_a()
    body, sig = _signed_body(c, _raw_aes(plain))
    err = reject(c.decrypt, body, sig, "1476422779", "1")
    assert (err.status, err.reason) == (400, "bad_padding")


def test_garbage_ciphertext_with_valid_signature_is_400() -> None:
    c = crypto_a()
    for encrypt in ["QUJD", "!!!notbase64", base64.b64encode(b"x" * 17).decode()]:
        body, sig = _signed_body(c, encrypt)
        assert reject(c.decrypt, body, sig, "1476422779", "1").status == 400


def test_length_field_overflow_is_400() -> None:
    c = crypto_a()
    plain = b"r" * 16 + struct.pack(">I", 10_000) + b"<xml/>" + A_CORP.encode()
    pad = 32 - len(plain) % 32
    body, sig = _signed_body(c, _raw_aes(plain + bytes([pad]) * pad))
    assert reject(c.decrypt, body, sig, "1476422779", "1").reason == "bad_length"


def test_other_corp_id_is_403() -> None:
    theirs = WeComCrypto(A_TOKEN, A_KEY, "wwSOMEONEELSE", clock_at(1476422779))
    envelope = parse_xml(theirs.encrypt(A_PLAIN, "1", 1476422779))
    body = f"<xml><Encrypt>{envelope['Encrypt']}</Encrypt></xml>".encode()
    err = reject(crypto_a().decrypt, body, envelope["MsgSignature"], "1476422779", "1")
    assert (err.status, err.reason) == (403, "receiveid_mismatch")


def test_signature_helper_matches_vector() -> None:
    expected = "0c3914025cb4b4d68103f6bfc8db550f79dcf48e"
    assert signature(A_TOKEN, "1476422779", "1597212914", A_ENCRYPT) == expected


def test_bad_aes_key_refused_at_construction() -> None:
    with pytest.raises(ValueError):
        WeComCrypto(A_TOKEN, "short", A_CORP, FakeClock())


# ---- fake-built callbacks and parse_event --------------------------------------------------------


def test_fake_text_callback_decrypts() -> None:
    fake = FakeWeCom(clock=FakeClock())
    params, body = fake.callback_text("ZhangSan", "提醒我 ]]> 明天", 42)
    inner = fake.crypto.decrypt(body, params["msg_signature"], params["timestamp"], params["nonce"])
    inbound = parse_event(inner)
    assert (inbound.from_user, inbound.content, inbound.dedup_key) == ("zhangsan", "提醒我 ]]> 明天", "msgid:42")


def test_fake_click_callback_and_dedup_key() -> None:
    fake = FakeWeCom(clock=FakeClock())
    params, body = fake.callback_click("LiSi", "appr-1", "approve:123", "RC-x", create_time=1700000000)
    inner = fake.crypto.decrypt(body, params["msg_signature"], params["timestamp"], params["nonce"])
    inbound = parse_event(inner)
    assert inbound.is_card_click
    assert (inbound.task_id, inbound.event_key, inbound.response_code) == ("appr-1", "approve:123", "RC-x")
    assert inbound.msg_id is None
    assert inbound.dedup_key == "evt:lisi:1700000000:appr-1:approve:123"


def test_fake_verify_params() -> None:
    fake = FakeWeCom(clock=FakeClock())
    q = fake.callback_verify("1234567890")
    echo = fake.crypto.verify_url(q["msg_signature"], q["timestamp"], q["nonce"], q["echostr"])
    assert echo == "1234567890"


def test_selected_items_are_always_lists() -> None:
    """The official template_card_event example; a single SelectedItem/OptionId must still be a list."""
    xml = (
        "<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[FromUser]]></FromUserName>"
        "<CreateTime>123456789</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        "<Event><![CDATA[template_card_event]]></Event><EventKey><![CDATA[key111]]></EventKey>"
        "<TaskId><![CDATA[taskid111]]></TaskId><CardType><![CDATA[vote_interaction]]></CardType>"
        "<ResponseCode><![CDATA[ResponseCode]]></ResponseCode><AgentID>1</AgentID>"
        "<SelectedItems><SelectedItem><QuestionKey><![CDATA[Q1]]></QuestionKey>"
        "<OptionIds><OptionId><![CDATA[O1]]></OptionId></OptionIds></SelectedItem></SelectedItems></xml>"
    )
    inbound = parse_event(parse_xml(xml))
    assert inbound.card_type == "vote_interaction"
    assert [(i.question_key, i.option_ids) for i in inbound.selected_items] == [("Q1", ("O1",))]


def test_parse_event_missing_fields_is_400() -> None:
    with pytest.raises(CallbackRejected) as info:
        parse_event({"MsgType": "text"})
    assert info.value.status == 400
