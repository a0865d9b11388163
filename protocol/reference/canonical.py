#!/usr/bin/env python3
"""A second, independent implementation of protocol/CANONICAL.md, in standard Python.

    python3 protocol/reference/canonical.py vectors   # rewrites protocol/vectors/canonical-events.json
    python3 protocol/reference/canonical.py hash FILE  # prints the hash of each wire-form event line

The Swift tests check the project's encoder against the vectors this writes. Signing of events
(signed origins, protocol/PROOFS.md) is in signing.py, which needs the `cryptography` package;
this module needs the standard library alone.
"""
import hashlib
import json
import sys
from pathlib import Path


# Keys of the wire form that the canonical payload leaves out: the hash of the payload and the
# signature over that hash.
NOT_CANONICAL = ("hash", "sig")

# What an origin's key signs: these 19 ASCII bytes, then the 32 raw bytes of the event hash.
EVENT_SIGNING_PREFIX = b"archive-sync event\n"
# What a prover's key signs: these 19 ASCII bytes, then the canonical attestation without `sig`.
PROOF_SIGNING_PREFIX = b"archive-sync proof\n"


def canonical_json(value) -> bytes:
    """Any JSON value in the canonical form: keys sorted by UTF-8 bytes, no whitespace, raw UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def canonical(event: dict) -> bytes:
    return canonical_json({k: v for k, v in event.items() if k not in NOT_CANONICAL})


def event_hash(event: dict) -> str:
    return hashlib.sha256(canonical(event)).hexdigest()


def origin_of_key(pubkey_hex: str) -> str:
    """A signed origin's id: the first 16 bytes of SHA-256 of the raw 32-byte Ed25519 public key,
    as 32 lowercase hex digits."""
    raw = bytes.fromhex(pubkey_hex)
    if len(raw) != 32:
        raise ValueError("an Ed25519 public key is 32 bytes")
    return hashlib.sha256(raw).hexdigest()[:32]


def signing_message(hash_hex: str) -> bytes:
    """The bytes an origin's key signs for the event of hash `hash_hex`."""
    raw = bytes.fromhex(hash_hex)
    if len(raw) != 32:
        raise ValueError("an event hash is 32 bytes")
    return EVENT_SIGNING_PREFIX + raw


def article_id(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]


def capture_id(url: str, path: str, attempt: int = 1) -> str:
    """A capture's id: SHA-256 of the url, a line feed and the path (and, from the second
    attempt on, a line feed and the attempt number); the first 16 hex digits (protocol/CAPTURES.md)."""
    text = url + "\n" + path + ("\n" + str(attempt) if attempt > 1 else "")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def seal(event: dict) -> dict:
    return {"hash": event_hash(event), **event}


A = "3f2a1b9c00000000000000000000000a"
B = "9c1e07aa00000000000000000000000b"
ZERO = "0" * 64


def vectors() -> list:
    url = "https://www.example.org/a/world-20241115/5729941.html"
    create = {
        "origin": A, "seq": 1, "hlc": [1731686344000, 0], "clock": {}, "article": article_id(url),
        "kind": "create", "name": "laptop", "prev": ZERO,
        "changes": [
            {"set": "url", "value": url},
            {"set": "title", "value": "朝鲜宣布 \"新\" 政策 (全文)"},
            {"set": "body", "value": "<div><i>Fri, 15 Nov 2024</i></div><p>第一段。</p>\n<p>tab\there \\ back\u0001slash</p>\n"},
            {"set": "captured_at", "value": 1731686344000},
            {"set": "path", "value": "2024-11/voa_5729941.txt"},
            {"set": "front_matter", "value": "---\nlayout: post\ntitle: \"朝鲜\"\n---\n"},
        ],
    }
    create = seal(create)
    update = seal({
        "origin": A, "seq": 2, "hlc": [1731686344000, 1], "clock": {A: 1, B: 3}, "article": create["article"],
        "kind": "update", "prev": create["hash"],
        "changes": [{"set": "title", "value": "Corrected title"}, {"tagAdd": "korea"}, {"tagRemove": "todo"}],
    })
    delete = seal({
        "origin": B, "seq": 4, "hlc": [1731686400000, 0], "clock": {A: 1, B: 3}, "article": create["article"],
        "kind": "delete", "prev": "ab" * 32, "changes": [{"set": "deleted", "value": True}],
    })
    resolve = seal({
        "origin": A, "seq": 3, "hlc": [1731686500000, 7], "clock": {A: 2, B: 4}, "article": create["article"],
        "kind": "resolve", "prev": update["hash"], "changes": [{"set": "captured_at", "value": 1731686300000}],
    })
    cases = []
    for description, event in [
        ("create with Chinese text, quotes, escapes, control characters and front matter", create),
        ("update of a title with tags, clock naming two origins", update),
        ("delete", delete),
        ("resolve of an integer field", resolve),
    ]:
        cases.append({"description": description, "event": event,
                      "canonical": canonical(event).decode("utf-8"), "hash": event["hash"]})
    reordered = dict(reversed(list(update.items())))
    cases.append({"description": "keys in another order: same canonical bytes, same hash", "event": reordered,
                  "canonical": canonical(update).decode("utf-8"), "hash": update["hash"]})
    tampered = dict(update)
    tampered["changes"] = [{"set": "title", "value": "Tampered title"}, {"tagAdd": "korea"}, {"tagRemove": "todo"}]
    cases.append({"description": "content changed after hashing", "event": tampered, "error": "hash-mismatch"})
    unknown = seal({**{k: v for k, v in update.items() if k != "hash"}, "colour": "red"})
    cases.append({"description": "unknown key", "event": unknown, "error": "malformed-event"})
    bad_id = seal({**{k: v for k, v in create.items() if k != "hash"}, "article": "0123456789abcdef"})
    cases.append({"description": "create whose article is not the id of its url", "event": bad_id, "error": "malformed-event"})
    capture_path = "archived/2024-11-20/voa_5729941.txt"
    recapture = seal({
        "origin": B, "seq": 1, "hlc": [1731686400000, 0], "clock": {}, "article": capture_id(url, capture_path),
        "kind": "create", "prev": ZERO,
        "changes": [
            {"set": "url", "value": url}, {"set": "title", "value": "朝鲜宣布新政策"},
            {"set": "body", "value": "<p>第二次抓取。</p>\n"}, {"set": "captured_at", "value": 1731686400000},
            {"set": "path", "value": capture_path},
        ],
    })
    cases.append({"description": "create of a capture: its article is the id of its url and path", "event": recapture,
                  "canonical": canonical(recapture).decode("utf-8"), "hash": recapture["hash"]})
    second = seal({**{k: v for k, v in recapture.items() if k != "hash"},
                   "article": capture_id(url, capture_path, 2)})
    cases.append({"description": "create of a capture whose first name was taken: attempt 2", "event": second,
                  "canonical": canonical(second).decode("utf-8"), "hash": second["hash"]})
    elsewhere = seal({**{k: v for k, v in recapture.items() if k != "hash"},
                      "article": capture_id(url, "another/path.txt")})
    cases.append({"description": "create of a capture named by another path than the one it sets", "event": elsewhere,
                  "error": "malformed-event"})
    own = seal({**{k: v for k, v in update.items() if k != "hash"}, "clock": {A: 5}})
    cases.append({"description": "clock entry of its own origin is not seq - 1", "event": own, "error": "malformed-event"})
    newline_title = seal({**{k: v for k, v in update.items() if k != "hash"},
                          "changes": [{"set": "title", "value": "two\nlines"}]})
    cases.append({"description": "title with a line break", "event": newline_title, "error": "invalid-value"})
    return cases


def main() -> None:
    if len(sys.argv) >= 2 and sys.argv[1] == "vectors":
        out = Path(__file__).resolve().parent.parent / "vectors" / "canonical-events.json"
        out.write_text(json.dumps(vectors(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {out}")
    elif len(sys.argv) == 3 and sys.argv[1] == "hash":
        for line in Path(sys.argv[2]).read_text(encoding="utf-8").splitlines():
            if line.strip():
                print(event_hash(json.loads(line)))
    else:
        print(__doc__)
        sys.exit(64)


if __name__ == "__main__":
    main()
