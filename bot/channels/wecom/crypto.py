"""WeCom callback crypto: verify, decrypt and (for fakes and tests) encrypt callback envelopes.

Why not just call wechatpy's `WeChatCrypto`: it raises raw ValueError/struct.error on bad padding, never
checks that the PKCS#7 pad byte is in 1..32, has no body cap, no freshness check and no DTD guard. The
scheme is small (shared/protocols/wecom.md §1), so it is implemented here with `cryptography` and tested
against the official vectors and against wechatpy as an independent oracle.

Every failure raises `CallbackRejected(reason, status)` so the HTTP route has exactly one thing to catch:
403 for "not from WeCom" (signature, timestamp, receiveid), 400 for malformed input, 413 for oversize.

Both callback formats WeCom offers are read (the app's console chooses one, 96466 "设置接收消息的格式"): XML
(`<xml><Encrypt>…`) and JSON (`{"tousername", "encrypt", "agentid"}`, Tencent's WXBizJsonMsgCrypt), whose
plaintext is a JSON object with the XML's element names; both come out as the same dict of strings.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import re
import struct
from typing import Any

import xmltodict
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from bot.channels.base import Rejected
from core.clock import Clock
from core.text import clean_text

MAX_BODY_BYTES = 64 * 1024
MAX_CLOCK_SKEW_S = 300
MAX_TIMESTAMP_DIGITS = 12  # seconds since 1970 have 10 digits until the year 2286; more is forged
_BLOCK = 32  # WeCom pads to 32-byte blocks, not AES's 16.
_FORBIDDEN = (b"<!doctype", b"<!entity")
_NOT_XML = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# xmltodict turns a single child into a dict/str; these must always be lists (wecom.md §3).
_FORCE_LIST = ("SelectedItem", "OptionId")


class CallbackRejected(Rejected):
    """A WeCom callback we refuse; `status` is the HTTP status the route should answer with."""


def signature(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    """sha1 over the lexicographically sorted four strings, no separator (wecom.md §1)."""
    return hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypt])).encode()).hexdigest()


def parse_json(raw: bytes) -> dict[str, Any]:
    """Parse an untrusted JSON object; scalars become strings, as xmltodict gives them for the XML format."""
    try:
        parsed = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise CallbackRejected("malformed_json", 400) from None
    if not isinstance(parsed, dict):
        raise CallbackRejected("malformed_json", 400)
    return {str(k): _as_text(v) for k, v in parsed.items()}


def _as_text(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _as_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_text(v) for v in value]
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(int(value))
    return str(value)  # ints (CreateTime, MsgId, AgentID) as the XML format would carry them


def _xml_chars(plain: bytes) -> bytes | str:
    """The decrypted XML without the control characters XML 1.0 forbids (C0 but tab, LF, CR), which WeCom passes
    through from what the user typed (a bell, a vertical tab from an Excel cell): cleaned as the message text would
    be later (core.text.clean_text, an escape sequence whole), so the message is read, not refused as malformed."""
    if not _NOT_XML.search(plain):
        return plain
    try:
        return clean_text(plain.decode("utf-8"))
    except UnicodeDecodeError:
        return plain  # parse_xml refuses it as malformed


def parse_xml(raw: bytes | str, *, root: str = "xml") -> dict[str, Any]:
    """Parse untrusted XML: UTF-8 only, no DTD/entities, and return the children of `root`."""
    data = raw.encode() if isinstance(raw, str) else raw
    lowered = data.lower()
    if any(marker in lowered for marker in _FORBIDDEN):
        raise CallbackRejected("dtd_or_entity", 400)
    try:
        text = data.decode("utf-8")
        parsed = xmltodict.parse(text, force_list=_FORCE_LIST, disable_entities=True)
    except Exception:  # expat errors, UnicodeDecodeError, ...: all mean "malformed"
        raise CallbackRejected("malformed_xml", 400) from None
    node = parsed.get(root) if isinstance(parsed, dict) else None
    if not isinstance(node, dict):
        raise CallbackRejected("malformed_xml", 400)
    return node


class WeComCrypto:
    """Callback crypto for one self-built app (receiveid == CorpID).

    >>> crypto = WeComCrypto(token, aes_key, corp_id, clock)
    >>> inner = crypto.decrypt(await request.read(), q["msg_signature"], q["timestamp"], q["nonce"])
    >>> inbound = parse_event(inner)
    """

    def __init__(self, token: str, encoding_aes_key: str, corp_id: str, clock: Clock) -> None:
        if len(encoding_aes_key) != 43:
            raise ValueError("EncodingAESKey must be 43 characters")
        try:
            key = base64.b64decode(encoding_aes_key + "=", validate=True)
        except binascii.Error:
            raise ValueError("EncodingAESKey is not base64") from None
        if len(key) != 32:
            raise ValueError("EncodingAESKey must decode to 32 bytes")
        self._token = token
        self._key = key
        self._corp_id = corp_id.encode()
        self._clock = clock

    # ---- inbound -------------------------------------------------------------------------------

    def verify_url(self, msg_signature: str, timestamp: str, nonce: str, echostr: str) -> str:
        """GET verification: check signature over echostr, return the decrypted echo (no quotes/newline).

        Query parameters must be passed already URL-decoded exactly once (aiohttp's `request.query` is).
        Base64 never contains spaces, so a space is a `+` that a form-style decoder turned into one.
        """
        echostr = echostr.replace(" ", "+")
        self._check_fresh(timestamp)
        self._check_signature(msg_signature, timestamp, nonce, echostr)
        try:
            return self._decrypt_b64(echostr).decode("utf-8")
        except UnicodeDecodeError:
            raise CallbackRejected("bad_echostr", 400) from None

    def decrypt(self, body: bytes, msg_signature: str, timestamp: str, nonce: str) -> dict[str, Any]:
        """POST callback, XML or JSON: return the decrypted message as a dict (the children of <xml>, or the JSON
        object's members, with the same names and string values).

        Order matters: cheap refusals (size, DTD, freshness, signature) happen before any AES work,
        so unauthenticated input never reaches the decryptor.
        """
        if len(body) > MAX_BODY_BYTES:
            raise CallbackRejected("body_too_large", 413)
        is_json = body.lstrip()[:1] == b"{"
        envelope = parse_json(body) if is_json else parse_xml(body)
        encrypt = envelope.get("encrypt" if "encrypt" in envelope else "Encrypt")
        if not isinstance(encrypt, str) or not encrypt:
            raise CallbackRejected("missing_encrypt", 400)
        self._check_fresh(timestamp)
        self._check_signature(msg_signature, timestamp, nonce, encrypt)
        plain = self._decrypt_b64(encrypt)
        return parse_json(plain) if is_json else parse_xml(_xml_chars(plain))

    # ---- outbound (fakes, tests, passive replies) ------------------------------------------------

    def encrypt(self, xml: str, nonce: str, timestamp: str | int, *, random_prefix: bytes | None = None) -> str:
        """Build a signed envelope exactly as WeCom does (also the passive-reply format).

        `random_prefix` (16 bytes) exists so the official vectors can be reproduced byte for byte.
        """
        ts = str(timestamp)
        encrypt = self.encrypt_b64(xml.encode("utf-8"), random_prefix=random_prefix)
        sig = signature(self._token, ts, nonce, encrypt)
        return (
            f"<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt>"
            f"<MsgSignature><![CDATA[{sig}]]></MsgSignature>"
            f"<TimeStamp>{ts}</TimeStamp><Nonce><![CDATA[{nonce}]]></Nonce></xml>"
        )

    def encrypt_b64(self, msg: bytes, *, random_prefix: bytes | None = None) -> str:
        prefix = os.urandom(16) if random_prefix is None else random_prefix
        if len(prefix) != 16:
            raise ValueError("random_prefix must be 16 bytes")
        plain = prefix + struct.pack(">I", len(msg)) + msg + self._corp_id
        pad = _BLOCK - len(plain) % _BLOCK
        plain += bytes([pad]) * pad
        enc = Cipher(algorithms.AES(self._key), modes.CBC(self._key[:16])).encryptor()
        return base64.b64encode(enc.update(plain) + enc.finalize()).decode()

    def sign(self, timestamp: str | int, nonce: str, encrypt: str) -> str:
        return signature(self._token, str(timestamp), nonce, encrypt)

    # ---- internals ------------------------------------------------------------------------------

    def _check_fresh(self, timestamp: str) -> None:
        # Bounded first: int() of a 400-digit string works, and comparing it with a float then overflows.
        if not (isinstance(timestamp, str) and 0 < len(timestamp.strip()) <= MAX_TIMESTAMP_DIGITS):
            raise CallbackRejected("bad_timestamp", 403)
        try:
            ts = int(timestamp)
        except ValueError:
            raise CallbackRejected("bad_timestamp", 403) from None
        if abs(self._clock.now().timestamp() - ts) > MAX_CLOCK_SKEW_S:
            raise CallbackRejected("stale_timestamp", 403)

    def _check_signature(self, msg_signature: str, timestamp: str, nonce: str, encrypt: str) -> None:
        expected = signature(self._token, timestamp, nonce, encrypt)
        if not hmac.compare_digest(expected, (msg_signature or "").lower()):
            raise CallbackRejected("bad_signature", 403)

    def _decrypt_b64(self, encrypt: str) -> bytes:
        """AES-CBC decrypt, then check pad, length field and receiveid; returns the msg bytes."""
        try:
            cipher = base64.b64decode(encrypt, validate=True)
        except (binascii.Error, ValueError):
            raise CallbackRejected("bad_base64", 400) from None
        if not cipher or len(cipher) % 16:
            raise CallbackRejected("bad_ciphertext_length", 400)
        dec = Cipher(algorithms.AES(self._key), modes.CBC(self._key[:16])).decryptor()
        plain = dec.update(cipher) + dec.finalize()
        pad = plain[-1]
        if not 1 <= pad <= _BLOCK or pad > len(plain) or plain[-pad:] != bytes([pad]) * pad:
            raise CallbackRejected("bad_padding", 400)
        content = plain[16:-pad]
        if len(content) < 4:
            raise CallbackRejected("bad_length", 400)
        (msg_len,) = struct.unpack(">I", content[:4])
        if msg_len > len(content) - 4:
            raise CallbackRejected("bad_length", 400)
        receive_id = content[4 + msg_len :]
        if not hmac.compare_digest(receive_id, self._corp_id):
            raise CallbackRejected("receiveid_mismatch", 403)
        return content[4 : 4 + msg_len]
