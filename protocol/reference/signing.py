#!/usr/bin/env python3
"""Signed origins (protocol/PROOFS.md): Ed25519 keys, signed events and proofs, in Python with
the `cryptography` package.

    python3 protocol/reference/signing.py vectors        # rewrites protocol/vectors/signed-events.json
    python3 protocol/reference/signing.py sample-proof   # prints a proof of a record written by two signed origins

Keys here come from fixed 32-byte seeds so that everything this writes is reproducible
(Ed25519 signatures are deterministic).
"""
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from canonical import (  # noqa: E402
    PROOF_SIGNING_PREFIX, ZERO, canonical, canonical_json, capture_id, event_hash, origin_of_key, signing_message)


def private_key(seed: bytes):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_hex(key) -> str:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def verify_signature(public_key_hex: str, message: bytes, sig_hex: str) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key_hex)).verify(bytes.fromhex(sig_hex), message)
        return True
    except (InvalidSignature, ValueError):
        return False


class Replica:
    """A signed origin writing events of one or more records: it keeps its seq, prev hash and
    vector clock the way the project's replicas do."""

    def __init__(self, seed: bytes, name: str):
        self.key = private_key(seed)
        self.public = public_hex(self.key)
        self.origin = origin_of_key(self.public)
        self.name = name
        self.seq = 0
        self.prev = ZERO
        self.clock = {}

    def receive(self, *events: dict) -> None:
        for event in events:
            if event["origin"] != self.origin:
                self.clock[event["origin"]] = max(self.clock.get(event["origin"], 0), event["seq"])

    def write(self, article: str, kind: str, changes: list, hlc: list) -> dict:
        self.seq += 1
        draft = {
            "origin": self.origin, "seq": self.seq, "hlc": list(hlc), "article": article, "kind": kind,
            "changes": changes, "prev": self.prev,
            "clock": {**self.clock, **({self.origin: self.seq - 1} if self.seq > 1 else {})},
        }
        if self.seq == 1:
            draft["name"] = self.name
            draft["key"] = self.public
        event = sign_event(draft, self.key)
        self.prev = event["hash"]
        return event


def sign_event(draft: dict, key) -> dict:
    """The wire form of a signed event: hash first, then sig, then the canonical keys."""
    digest = event_hash(draft)
    return {"hash": digest, "sig": key.sign(signing_message(digest)).hex(), **json.loads(canonical(draft))}


def check_signed_event(event: dict, public_key_hex: str):
    """None when `event` is a valid event of the signed origin whose key is `public_key_hex`,
    else the error of signed-events.json that names why not."""
    if event_hash(event) != event.get("hash"):
        return "hash-mismatch"
    if "key" in event:
        if event["seq"] != 1:
            return "malformed-event"
        if origin_of_key(event["key"]) != event["origin"]:
            return "key-origin-mismatch"
    if origin_of_key(public_key_hex) != event["origin"]:
        return "key-origin-mismatch"
    if event["seq"] == 1 and event.get("key") != public_key_hex:
        return "missing-key" if "key" not in event else "key-origin-mismatch"
    if "sig" not in event:
        return "missing-signature"
    if not verify_signature(public_key_hex, signing_message(event["hash"]), event["sig"]):
        return "bad-signature"
    return None


def attest(prover: Replica, record: str, events: list, knowledge: dict, made_at: int) -> dict:
    claim = {"prover": prover.origin, "record": record, "knowledge": dict(knowledge),
             "events": [e["hash"] for e in events], "made_at": made_at}
    return {**claim, "sig": prover.key.sign(PROOF_SIGNING_PREFIX + canonical_json(claim)).hex()}


def build_proof(record: str, events: list, replicas: list, prover: Replica, made_at: int,
                state: dict = None, knowledge: dict = None) -> dict:
    """A proof as the Swift side writes it. `state` defaults to the one verify_proof projects."""
    if state is None:
        from verify_proof import project_state
        state = project_state(events)
    if knowledge is None:
        knowledge = {r.origin: r.seq for r in replicas if r.seq}
    return {
        "format": "archive-sync-proof-1", "record": record, "events": events,
        "keys": {r.origin: r.public for r in replicas}, "names": {r.origin: r.name for r in replicas},
        "state": state, "attestation": attest(prover, record, events, knowledge, made_at),
    }


SEED_A = bytes(range(32))
SEED_B = bytes(range(1, 33))
URL = "https://www.example.org/a/world-20241115/5729941.html"
PATH = "2024-11/voa_5729941.txt"


def sample_record():
    """A record written by two signed origins: a create and an update on a laptop, a tagAdd and a
    concurrent title change on a server. Returns (record, events, [laptop, server])."""
    laptop, server = Replica(SEED_A, "laptop"), Replica(SEED_B, "server")
    record = capture_id(URL, PATH)
    create = laptop.write(record, "create", [
        {"set": "url", "value": URL},
        {"set": "title", "value": "朝鲜宣布新政策"},
        {"set": "body", "value": "<div><i>Fri, 15 Nov 2024</i></div><p>第一段。</p>\n"},
        {"set": "captured_at", "value": 1731686344000},
        {"set": "path", "value": PATH},
    ], [1731686344000, 0])
    update = laptop.write(record, "update", [{"set": "title", "value": "朝鲜宣布新政策（全文）"}], [1731686400000, 0])
    server.receive(create)
    tag = server.write(record, "update", [{"tagAdd": "korea"}], [1731686390000, 0])
    retitle = server.write(record, "update", [{"set": "title", "value": "North Korea announces new policy"}],
                           [1731686410000, 0])
    laptop.receive(tag, retitle)
    return record, [create, update, tag, retitle], [laptop, server]


def vectors() -> list:
    laptop, server = Replica(SEED_A, "laptop"), Replica(SEED_B, "server")
    record = capture_id(URL, PATH)
    create = laptop.write(record, "create", [
        {"set": "url", "value": URL},
        {"set": "title", "value": "朝鲜宣布新政策"},
        {"set": "body", "value": "<div><i>Fri, 15 Nov 2024</i></div><p>第一段。</p>\n"},
        {"set": "captured_at", "value": 1731686344000},
        {"set": "path", "value": PATH},
    ], [1731686344000, 0])
    update = laptop.write(record, "update", [{"set": "title", "value": "朝鲜宣布新政策（全文）"}], [1731686400000, 0])
    server.receive(create, update)
    tag = server.write(record, "update", [{"tagAdd": "korea"}], [1731686410000, 0])

    def resigned(event: dict, signature: bytes) -> dict:
        return {"hash": event["hash"], "sig": signature.hex(), **json.loads(canonical(event))}

    other_key = private_key(SEED_B)
    by_other = resigned(update, other_key.sign(signing_message(update["hash"])))
    bare_hash = resigned(update, laptop.key.sign(bytes.fromhex(update["hash"])))
    moved = resigned(update, bytes.fromhex(create["sig"]))
    unsigned = {k: v for k, v in update.items() if k != "sig"}
    # A first event that carries the server's key but claims the laptop's origin: signed by the
    # server's key, so only the key-to-origin rule catches it.
    draft = {k: v for k, v in create.items() if k not in ("hash", "sig")}
    draft["key"] = server.public
    wrong_key = sign_event(draft, other_key)
    flipped = dict(update)
    flipped["changes"] = [{"set": "title", "value": "朝鲜宣布新政策（全文)"}]

    cases = [
        ("first event (seq 1) of a signed origin: a create carrying the origin's key and name",
         laptop.public, create, None),
        ("second event (seq 2) of the same origin: no key of its own; public_key is its origin's", laptop.public,
         update, None),
        ("first event of a second signed origin: a tagAdd, its clock naming the first origin", server.public,
         tag, None),
        ("signed by another key (the second origin's) than the one its origin names", laptop.public, by_other,
         "bad-signature"),
        ("signature over the 32 hash bytes without the \"archive-sync event\\n\" prefix", laptop.public,
         bare_hash, "bad-signature"),
        ("signature moved from another event of the same origin (its seq-1 event)", laptop.public, moved,
         "bad-signature"),
        ("event of a signed origin without a signature", laptop.public, unsigned, "missing-signature"),
        ("first event carrying a key (the second origin's) that does not hash to its origin, and signed by"
         " that key: the carried key is checked against the origin before the signature", laptop.public,
         wrong_key, "key-origin-mismatch"),
        ("one character of a value changed after signing (full-width ）to ASCII ))", laptop.public, flipped,
         "hash-mismatch"),
    ]
    out = []
    for description, public, event, error in cases:
        got = check_signed_event(event, public)
        assert got == error, (description, got, error)
        case = {"description": description, "public_key": public, "event": event, "valid": error is None}
        if error:
            case["error"] = error
        out.append(case)
    return out


def main() -> None:
    if len(sys.argv) == 2 and sys.argv[1] == "vectors":
        out = Path(__file__).resolve().parent.parent / "vectors" / "signed-events.json"
        out.write_text(json.dumps(vectors(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {out}")
    elif len(sys.argv) == 2 and sys.argv[1] == "sample-proof":
        record, events, replicas = sample_record()
        proof = build_proof(record, events, replicas, replicas[0], made_at=1731686500000)
        print(json.dumps(proof, ensure_ascii=False, indent=1))
    else:
        print(__doc__)
        sys.exit(64)


if __name__ == "__main__":
    main()
