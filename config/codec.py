"""Encrypted Temporal payloads (P7, R20.2): an AES-256-GCM payload codec with key rotation.

Every payload the API and the worker hand to Temporal (workflow and activity inputs and results,
update arguments, signals, query answers, memos, summaries, failure messages) is serialised by the
pydantic converter and then encrypted here, so a person who reads the Temporal database, its
histories or the Web UI without the key sees ciphertext.

Keys form a ring: the first key encrypts, every key decrypts; each encrypted payload names its key
in its metadata (`encryption-key-id`). To rotate, put a new key first and keep the old ones for as
long as histories encrypted with them are retained (or replayed). A key is 32 random bytes,
written `id:base64` — one per line in a key file (`AWARD_PAYLOAD_KEYS_FILE`) or comma-separated in
`AWARD_PAYLOAD_KEYS`. `python -m config.codec new-key ID` prints a fresh one.

Payloads without our encoding pass through decode unchanged: histories recorded before encryption
was switched on still replay and still read.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from google.protobuf.message import DecodeError, Message
from temporalio.api.common.v1 import Payload
from temporalio.client import WorkflowHistory
from temporalio.converter import PayloadCodec

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
NONCE_BYTES = 12
KEY_BYTES = 32
ROOT = Path(__file__).resolve().parent.parent
DEV_KEY_FILE = ROOT / ".data" / "payload_keys"


class PayloadKeyError(ValueError):
    """A key ring that cannot be used (syntax, length, duplicate id)."""


class PayloadDecryptError(ValueError):
    """An encrypted payload that cannot be decrypted: unknown key id, or tampered with / wrong key.
    `code` is stable (the codec server answers it with a 400)."""

    def __init__(self, code: str, key_id: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.key_id = key_id


@dataclass(frozen=True)
class KeyRing:
    """Key ids and 32-byte keys, in order: `keys[0]` encrypts, all decrypt."""

    keys: tuple[tuple[str, bytes], ...]

    def __post_init__(self) -> None:
        if not self.keys:
            raise PayloadKeyError("a payload key ring needs at least one key")
        seen: set[str] = set()
        for key_id, key in self.keys:
            if not key_id or not key_id.isascii() or not key_id.replace("-", "").replace("_", "").isalnum():
                raise PayloadKeyError(f"payload key id {key_id!r}: use letters, digits, '-' and '_'")
            if key_id in seen:
                raise PayloadKeyError(f"payload key id {key_id!r} appears twice")
            if len(key) != KEY_BYTES:
                raise PayloadKeyError(
                    f"payload key {key_id!r} has {len(key)} bytes; AES-256 needs {KEY_BYTES}"
                )
            seen.add(key_id)

    @property
    def active_id(self) -> str:
        return self.keys[0][0]

    @property
    def ids(self) -> list[str]:
        return [k for k, _ in self.keys]

    @classmethod
    def parse(cls, entries: Iterable[str]) -> KeyRing:
        """From `id:base64key` entries; blank entries and `#` comments are skipped."""
        keys = []
        for raw in entries:
            entry = raw.strip()
            if not entry or entry.startswith("#"):
                continue
            key_id, sep, encoded = entry.partition(":")
            if not sep:
                raise PayloadKeyError("a payload key is written id:base64key (e.g. 2027a:…)")
            try:
                key = base64.b64decode(encoded.strip(), validate=True)
            except (binascii.Error, ValueError):
                raise PayloadKeyError(f"payload key {key_id.strip()!r} is not valid base64") from None
            keys.append((key_id.strip(), key))
        return cls(tuple(keys))

    @classmethod
    def from_file(cls, path: Path) -> KeyRing:
        try:
            text = path.read_text()
        except OSError as e:
            raise PayloadKeyError(f"cannot read the payload key file {path}: {e.strerror}") from None
        return cls.parse(text.splitlines())

    @classmethod
    def generate(cls, key_id: str = "k1") -> KeyRing:
        return cls(((key_id, AESGCM.generate_key(bit_length=256)),))

    def rotated(self, key_id: str) -> KeyRing:
        """A ring with a new key that encrypts from now on; the old keys still decrypt."""
        return KeyRing(((key_id, AESGCM.generate_key(bit_length=256)), *self.keys))

    def lines(self) -> list[str]:
        return [f"{k}:{base64.b64encode(v).decode()}" for k, v in self.keys]


def new_key_line(key_id: str) -> str:
    return KeyRing.generate(key_id).lines()[0]


def dev_key_file(path: Path = DEV_KEY_FILE) -> Path:
    """The development key ring: made once under .data (mode 0600, never in the repository), like
    the development JWT secret of `make run`. Production never uses it (Settings.check)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it meanwhile
            return path
        with os.fdopen(fd, "w") as out:
            out.write("# development payload keys (make clean-data wipes them); the first encrypts\n")
            out.write(new_key_line("dev1") + "\n")
    return path


class EncryptionCodec(PayloadCodec):
    """AES-256-GCM over the whole serialised payload (its metadata included). The key id is both
    in the metadata and bound into the ciphertext as associated data: a payload whose key id was
    changed, or whose bytes were, fails to decrypt."""

    def __init__(self, ring: KeyRing) -> None:
        self.ring = ring
        self._ciphers = {key_id: AESGCM(key) for key_id, key in ring.keys}

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.encrypt(p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.decrypt(p) for p in payloads]

    def encrypt(self, payload: Payload) -> Payload:
        key_id = self.ring.active_id
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = self._ciphers[key_id].encrypt(nonce, payload.SerializeToString(), key_id.encode())
        return Payload(metadata={"encoding": ENCODING, KEY_ID: key_id.encode()}, data=nonce + sealed)

    def decrypt(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            return payload  # not ours: recorded before encryption, or plain by design
        key_id = payload.metadata.get(KEY_ID, b"").decode(errors="replace")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise PayloadDecryptError(
                "PAYLOAD_KEY_UNKNOWN",
                key_id,
                f"payload encrypted with key {key_id!r}, which is not configured",
            )
        try:
            plain = cipher.decrypt(payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:], key_id.encode())
            return Payload.FromString(plain)
        except (InvalidTag, DecodeError, ValueError):
            raise PayloadDecryptError(
                "PAYLOAD_TAMPERED",
                key_id,
                f"payload (key {key_id!r}) fails authentication: altered or foreign",
            ) from None


def payloads_in(message: Message) -> list[Payload]:
    """Every Payload inside a protobuf message (a history event: inputs, results, failures,
    summaries, details), references that may be changed in place; search attributes excepted
    (they stay plain for visibility queries)."""
    found: list[Payload] = []
    for field, value in message.ListFields():
        if field.message_type is None or field.name == "search_attributes":
            continue
        if field.message_type.GetOptions().map_entry:
            items = list(value.values())
        elif isinstance(value, Message):
            items = [value]
        else:
            items = list(value)  # a repeated field
        for v in items:
            if isinstance(v, Payload):
                found.append(v)
            elif isinstance(v, Message):
                found += payloads_in(v)
    return found


def decrypted_history(history: WorkflowHistory, codec: EncryptionCodec) -> WorkflowHistory:
    """A copy of `history` with its payloads decrypted: what the key holder reads, and what is
    kept under tests/histories (replayable whatever the keys of a later run)."""
    events = []
    for event in history.events:
        copy = type(event)()
        copy.CopyFrom(event)
        for payload in payloads_in(copy):
            payload.CopyFrom(codec.decrypt(payload))
        events.append(copy)
    return WorkflowHistory(history.workflow_id, events)


def main(argv: list[str]) -> int:
    """`python -m config.codec new-key ID`: one new key line for a key file or AWARD_PAYLOAD_KEYS."""
    if len(argv) != 2 or argv[0] != "new-key":
        print("usage: python -m config.codec new-key KEY_ID", file=sys.stderr)
        return 2
    try:
        print(new_key_line(argv[1]))
    except PayloadKeyError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
