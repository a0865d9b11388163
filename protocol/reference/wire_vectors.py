#!/usr/bin/env python3
"""Writes protocol/vectors/wire/: requests for a server, and what it must answer (SPEC.md).

    python3 protocol/reference/wire_vectors.py

Events are sealed with canonical.py and signed with signing.py (an implementation independent of
the Swift code; Ed25519 keys from fixed seeds, so signatures are the same on every run); gzip
files are written with mtime 0 so the output is the same on every run. cases.json lists the
cases; a test runs each against a fresh `archive-sync serve` and checks that a refused request
changed nothing.
"""
import gzip
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from canonical import article_id, seal  # noqa: E402
from signing import private_key, public_hex, sign_event  # noqa: E402
from canonical import origin_of_key  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "vectors" / "wire"
KEYS = {name: private_key(bytes([byte]) * 32) for name, byte in (("A", 0xAA), ("B", 0xBB))}
PUBLIC = {name: public_hex(key) for name, key in KEYS.items()}
A = origin_of_key(PUBLIC["A"])
B = origin_of_key(PUBLIC["B"])
KEY_OF = {A: KEYS["A"], B: KEYS["B"]}
# An origin made before events were signed: no key, no signatures.
UNSIGNED = "cccccccc00000000000000000000000c"
ZERO = "0" * 64
URL = "https://news.example.org/a/vectors/1.html"
ARTICLE = article_id(URL)


def event(origin, seq, prev, clock, hlc, kind, changes, name=None, signer=None):
    body = {"origin": origin, "seq": seq, "hlc": [hlc, 0], "clock": clock, "article": ARTICLE, "kind": kind,
            "prev": prev, "changes": changes}
    if name:
        body["name"] = name
    if origin == UNSIGNED:
        return seal(body)
    if seq == 1:
        body["key"] = public_hex(KEY_OF[origin])
    return sign_event(body, signer or KEY_OF[origin])


def chain():
    """Five events of two origins: A creates, B edits, A edits after B."""
    a1 = event(A, 1, ZERO, {}, 1731686344000, "create", [
        {"set": "url", "value": URL}, {"set": "title", "value": "朝鲜 vectors"},
        {"set": "body", "value": "<p>第一段。</p>\n"}, {"set": "captured_at", "value": 1731686344000},
        {"set": "path", "value": "vectors/1.txt"}], name="laptop")
    a2 = event(A, 2, a1["hash"], {A: 1}, 1731686345000, "update", [{"tagAdd": "korea"}])
    b1 = event(B, 1, ZERO, {A: 2}, 1731686346000, "update", [{"set": "note", "value": "from the server"}], name="server")
    b2 = event(B, 2, b1["hash"], {A: 2, B: 1}, 1731686347000, "update", [{"set": "title", "value": "Corrected"}])
    a3 = event(A, 3, a2["hash"], {A: 2, B: 2}, 1731686348000, "update", [{"set": "note", "value": "seen"}])
    return [a1, a2, b1, b2, a3]


def ndjson(events):
    return "".join(json.dumps(e, ensure_ascii=False, separators=(",", ":")) + "\n" for e in events).encode()


def write_gz(name, data):
    with open(OUT / name, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as out:
            out.write(data)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    events = chain()
    a1, a2, b1, b2, a3 = events
    write_gz("batch.ndjson.gz", ndjson(events))
    (OUT / "batch.ndjson").write_bytes(ndjson(events))
    write_gz("first-two.ndjson.gz", ndjson([a1, a2]))
    write_gz("first-one.ndjson.gz", ndjson([a1]))

    lines = ndjson(events).split(b"\n")
    write_gz("malformed-json.ndjson.gz", lines[0] + b"\n{not json\n")
    write_gz("not-an-event.ndjson.gz", lines[0] + b"\n[1,2,3]\n")
    tampered = dict(a2)
    tampered["changes"] = [{"tagAdd": "tampered"}]
    write_gz("hash-mismatch.ndjson.gz", ndjson([a1]) + json.dumps(tampered).encode() + b"\n")
    complete = (OUT / "batch.ndjson.gz").read_bytes()
    (OUT / "truncated.ndjson.gz").write_bytes(complete[: len(complete) // 2])
    corrupt = bytearray(complete)
    for index in range(20, min(60, len(corrupt))):
        corrupt[index] ^= 0x5A
    (OUT / "corrupt.ndjson.gz").write_bytes(bytes(corrupt))
    write_gz("bomb.ndjson.gz", b"\n" * (65 << 20))  # 65 MiB of empty lines from about 64 KB
    write_gz("gap.ndjson.gz", ndjson([a2]))
    wrong_prev = event(A, 2, "ab" * 32, {A: 1}, 1731686345000, "update", [{"tagAdd": "korea"}])
    write_gz("broken-chain.ndjson.gz", ndjson([wrong_prev]))
    no_past = event(B, 1, ZERO, {A: 7}, 1731686346000, "update", [{"set": "note", "value": "orphan"}])
    write_gz("missing-causal-past.ndjson.gz", ndjson([no_past]))
    fork = event(A, 2, a1["hash"], {A: 1}, 1731686345500, "update", [{"tagAdd": "other"}])
    write_gz("fork.ndjson.gz", ndjson([fork]))
    forged = event(A, 2, a1["hash"], {A: 1}, 1731686345000, "update", [{"tagAdd": "korea"}], signer=KEYS["B"])
    write_gz("bad-signature.ndjson.gz", ndjson([a1, forged]))
    unsigned = event(UNSIGNED, 1, ZERO, {}, 1731686349000, "update", [{"set": "note", "value": "unsigned"}])
    write_gz("unsigned.ndjson.gz", ndjson([a1, unsigned]))

    knowledge = {A: 3, B: 2}
    push = {"method": "POST", "path": "/v1/push",
            "headers": {"Archive-Sync-Protocol": "2", "Authorization": "Bearer {write}", "Content-Encoding": "gzip",
                        "Content-Type": "application/x-ndjson"}}

    def case(name, description, body, status, error=None, setup=None, headers=None, **extra):
        request = json.loads(json.dumps(push))
        request["body_file"] = body
        if headers is not None:
            request["headers"] = headers
        result = {"name": name, "description": description, "setup": setup or [], "request": request,
                  "expect": {"status": status}}
        if error:
            result["expect"]["error"] = error
        result["expect"].update(extra)
        return result

    without = lambda key: {k: v for k, v in push["headers"].items() if k != key}
    cases = [
        case("push-batch", "a gzip batch of five events from two origins", "batch.ndjson.gz", 200,
             applied=5, knowledge=knowledge),
        case("push-batch-again", "the same batch again changes nothing", "batch.ndjson.gz", 200,
             setup=["batch.ndjson.gz"], applied=0, already_held=5, knowledge=knowledge),
        case("push-uncompressed", "the batch without gzip", "batch.ndjson", 200,
             headers=without("Content-Encoding"), applied=5, knowledge=knowledge),
        case("malformed-json", "a line that is not JSON", "malformed-json.ndjson.gz", 400, "malformed-json", line=2),
        case("not-an-event", "a line that is JSON but not an event", "not-an-event.ndjson.gz", 400, "malformed-event", line=2),
        case("hash-mismatch", "an event changed after it was hashed", "hash-mismatch.ndjson.gz", 400, "hash-mismatch", line=2),
        case("truncated-gzip", "the first half of a gzip body", "truncated.ndjson.gz", 400, "bad-gzip"),
        case("corrupt-gzip", "a gzip body with damaged bytes", "corrupt.ndjson.gz", 400, "bad-gzip"),
        case("gzip-bomb", "a small body that decompresses past the limit", "bomb.ndjson.gz", 413, "too-large"),
        case("unknown-version", "protocol version 1 (events without signatures)", "batch.ndjson.gz", 400,
             "unsupported-version", headers={**push["headers"], "Archive-Sync-Protocol": "1"}),
        case("missing-version", "no protocol header", "batch.ndjson.gz", 400, "unsupported-version",
             headers=without("Archive-Sync-Protocol")),
        case("gap", "an origin's second event without its first", "gap.ndjson.gz", 409, "gap"),
        case("broken-chain", "an event whose prev is not its predecessor's hash", "broken-chain.ndjson.gz", 409,
             "broken-chain", setup=["first-one.ndjson.gz"]),
        case("missing-causal-past", "an event whose clock names events the server lacks",
             "missing-causal-past.ndjson.gz", 409, "missing-causal-past"),
        case("fork", "another event with an origin and seq the server holds", "fork.ndjson.gz", 409, "fork",
             setup=["first-two.ndjson.gz"]),
        case("bad-signature", "an event of A signed with B's key", "bad-signature.ndjson.gz", 400, "bad-signature",
             line=2),
        case("unsigned-event", "an event of an origin without a key, pushed to a server that takes only signed ones",
             "unsigned.ndjson.gz", 403, "unsigned-event", line=2),
        case("no-token", "no Authorization header", "batch.ndjson.gz", 401, "unauthorized",
             headers=without("Authorization")),
        case("invalid-token", "a token the server never made", "batch.ndjson.gz", 401, "unauthorized",
             headers={**push["headers"], "Authorization": "Bearer as1_0000000000000000000000000000000000000000000000000"}),
        case("revoked-token", "a revoked token", "batch.ndjson.gz", 401, "unauthorized",
             headers={**push["headers"], "Authorization": "Bearer {revoked}"}),
        case("read-token-pushing", "a token with the read scope pushing", "batch.ndjson.gz", 403, "forbidden",
             headers={**push["headers"], "Authorization": "Bearer {read}"}),
        case("unsupported-encoding", "Content-Encoding br", "batch.ndjson", 415, "unsupported-encoding",
             headers={**push["headers"], "Content-Encoding": "br"}),
    ]
    (OUT / "cases.json").write_text(json.dumps(cases, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(cases)} cases to {OUT}")


if __name__ == "__main__":
    main()
