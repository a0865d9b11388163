#!/usr/bin/env python3
"""Verifies an archive-sync proof of a record's history (protocol/PROOFS.md), independently of
the Swift implementation: standard library plus the `cryptography` package (Ed25519).

    python3 protocol/reference/verify_proof.py PROOF [--json] [--allow-unsigned]

Exit status 0 when the proof holds (its history and final state are printed), 1 when it is
rejected (`proof REJECTED: <reason>` on stderr), 64 on a usage error.
"""
import datetime
import hashlib
import json
import re
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from canonical import (  # noqa: E402  (the sibling module, standard library only)
    PROOF_SIGNING_PREFIX, article_id, canonical, canonical_json, capture_id, origin_of_key, signing_message)

FORMAT = "archive-sync-proof-1"
ZERO = "0" * 64
TEXT_FIELDS = ("url", "title", "body", "front_matter", "path", "note", "date_line")
FIELDS = ("url", "title", "body", "front_matter", "captured_at", "path", "note", "tags", "deleted", "date_line")
REGISTER_FIELDS = tuple(f for f in FIELDS if f != "tags")
KINDS = ("create", "update", "delete", "restore", "resolve")
EVENT_KEYS = {"hash", "sig", "origin", "seq", "hlc", "clock", "article", "kind", "changes", "prev", "name", "key"}
REQUIRED_EVENT_KEYS = {"hash", "origin", "seq", "hlc", "clock", "article", "kind", "changes", "prev"}
PROOF_KEYS = {"format", "record", "events", "keys", "names", "state", "attestation"}
ATTESTATION_KEYS = {"prover", "record", "knowledge", "events", "made_at", "sig"}
MAX_MS = (1 << 47) - 1
MAX_COUNTER = 65535
MAX_CAPTURE_ATTEMPTS = 64


class Rejected(Exception):
    """The proof does not hold; the message says why, naming the event."""


def hex_of(text, digits: int) -> bool:
    return isinstance(text, str) and len(text) == digits and re.fullmatch(r"[0-9a-f]+", text) is not None


def is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def has_control(text: str) -> bool:
    return any(ord(c) < 0x20 or ord(c) == 0x7F for c in text)


# ---------------------------------------------------------------- strict JSON


def _pairs(pairs):
    obj = {}
    for key, value in pairs:
        if key in obj:
            raise Rejected(f"malformed JSON: duplicate key {key!r}")
        obj[key] = value
    return obj


def _no_float(text):
    raise Rejected(f"malformed JSON: non-integer number {text}")


def _no_constant(text):
    raise Rejected(f"malformed JSON: {text} is not JSON")


def parse_strict(data: bytes):
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise Rejected(f"malformed JSON: invalid UTF-8 at byte {error.start}") from None
    try:
        return json.loads(text, object_pairs_hook=_pairs, parse_float=_no_float, parse_constant=_no_constant)
    except json.JSONDecodeError as error:
        raise Rejected(f"malformed JSON: {error}") from None


# ---------------------------------------------------------------- Ed25519


def ed25519_valid(public_hex: str, message: bytes, sig_hex: str) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex)).verify(bytes.fromhex(sig_hex), message)
        return True
    except (InvalidSignature, ValueError):
        return False


# ---------------------------------------------------------------- events


def dot_text(event: dict) -> str:
    return f"{event['origin']}:{event['seq']}"


def label(event: dict, index: int) -> str:
    """How a message names an event: its position in the proof and its dot when it has one."""
    if isinstance(event, dict) and hex_of(event.get("origin"), 32) and is_int(event.get("seq")):
        return f"event {index + 1} ({dot_text(event)})"
    return f"event {index + 1}"


def check_event_shape(event, record: str, where: str) -> None:
    """The structural rules of CANONICAL.md that the projection relies on."""
    def fail(reason):
        raise Rejected(f"{where}: {reason}")

    if not isinstance(event, dict):
        fail("is not a JSON object")
    unknown = sorted(set(event) - EVENT_KEYS)
    if unknown:
        fail(f"unknown key {unknown[0]!r}")
    missing = sorted(REQUIRED_EVENT_KEYS - set(event))
    if missing:
        fail(f"missing key {missing[0]!r}")
    if not hex_of(event["hash"], 64):
        fail("hash is not 64 lowercase hex digits")
    if "sig" in event and not hex_of(event["sig"], 128):
        fail("sig is not 128 lowercase hex digits")
    if not hex_of(event["origin"], 32):
        fail("origin is not 32 lowercase hex digits")
    seq = event["seq"]
    if not is_int(seq) or seq < 1:
        fail("seq is not an integer of 1 or more")
    hlc = event["hlc"]
    if not (isinstance(hlc, list) and len(hlc) == 2 and all(is_int(x) for x in hlc)
            and 0 <= hlc[0] <= MAX_MS and 0 <= hlc[1] <= MAX_COUNTER):
        fail("hlc is not [milliseconds, counter] in range")
    clock = event["clock"]
    if not isinstance(clock, dict):
        fail("clock is not an object")
    for origin, value in clock.items():
        if not hex_of(origin, 32) or not is_int(value) or value < 1:
            fail(f"clock entry {origin!r} is not an origin with an integer of 1 or more")
    if clock.get(event["origin"], 0) != seq - 1:
        fail(f"its clock must hold seq - 1 ({seq - 1}) for its own origin")
    if not hex_of(event["article"], 16):
        fail("article is not 16 lowercase hex digits")
    if event["article"] != record:
        fail(f"its article {event['article']} is not the record {record}")
    if event["kind"] not in KINDS:
        fail(f"unknown kind {event['kind']!r}")
    if not hex_of(event["prev"], 64):
        fail("prev is not 64 lowercase hex digits")
    if seq == 1 and event["prev"] != ZERO:
        fail("the first event of an origin must have a zero prev")
    if "name" in event:
        name = event["name"]
        if not isinstance(name, str) or not 1 <= len(name.encode("utf-8")) <= 64 or has_control(name):
            fail("name is not 1 to 64 bytes without control characters")
    if "key" in event:
        if seq != 1:
            fail("only the first event (seq 1) of an origin carries a key")
        if not hex_of(event["key"], 64):
            fail("key is not 64 lowercase hex digits")
    changes = event["changes"]
    if not isinstance(changes, list) or not changes:
        fail("changes is not a non-empty array")
    fields, tags = set(), set()
    for change in changes:
        if not isinstance(change, dict):
            fail("a change is not an object")
        if set(change) == {"set", "value"}:
            field, value = change["set"], change["value"]
            if field not in REGISTER_FIELDS:
                fail(f"unknown field {field!r}")
            if field in fields:
                fail(f"it sets {field} twice")
            fields.add(field)
            if field in TEXT_FIELDS and not isinstance(value, str):
                fail(f"{field} is not a string")
            if field == "captured_at" and (not is_int(value) or value < 0):
                fail("captured_at is not an integer of 0 or more")
            if field == "deleted" and not isinstance(value, bool):
                fail("deleted is not a boolean")
            if field == "url" and (value == "" or "\n" in value or "\r" in value):
                fail("url is empty or holds a line break")
        elif len(change) == 1 and ("tagAdd" in change or "tagRemove" in change):
            tag = change.get("tagAdd", change.get("tagRemove"))
            if not isinstance(tag, str) or not 1 <= len(tag.encode("utf-8")) <= 100 \
                    or has_control(tag) or any(c.isspace() for c in tag):
                fail(f"tag {tag!r} is not 1 to 100 bytes without whitespace or control characters")
            if tag.encode("utf-8") in tags:
                fail(f"it changes the tag {tag!r} twice")
            tags.add(tag.encode("utf-8"))
        else:
            fail(f"malformed change {canonical_json(change).decode('utf-8')}")
    sets = {c["set"]: c["value"] for c in changes if "set" in c}
    if event["kind"] == "create":
        if "url" not in sets:
            fail("a create must set the url")
        url, path = sets["url"], sets.get("path")
        named = article_id(url) == record or (
            path is not None and any(capture_id(url, path, n) == record for n in range(1, MAX_CAPTURE_ATTEMPTS + 1)))
        if not named:
            fail("a create's article is neither the id of its url nor that of a capture of it at its path")
    if event["kind"] == "delete" and sets.get("deleted") is not True:
        fail("a delete must set deleted to true")
    if event["kind"] == "restore" and sets.get("deleted") is not False:
        fail("a restore must set deleted to false")


def happened_after(b: dict, a: dict) -> bool:
    """True when `a` happened before `b`: b's writer held a."""
    if a["origin"] == b["origin"]:
        return a["seq"] < b["seq"]
    return b["clock"].get(a["origin"], 0) >= a["seq"]


# ---------------------------------------------------------------- projection


def effective_changes(event: dict) -> list:
    """The event's changes, with `deleted = false` added when the event does not set `deleted`
    itself. As in ArticleState.effectiveChanges (Swift), this holds for every kind, resolve included."""
    changes = list(event["changes"])
    if not any(c.get("set") == "deleted" for c in changes):
        changes.append({"set": "deleted", "value": False})
    return changes


def hlc_key(event: dict):
    return (event["hlc"][0], event["hlc"][1], event["origin"])


def project_state(events: list) -> dict:
    """The record's final state from its events (in a causal order), by the rules of
    ArticleState.swift: multi-value registers, `deleted` false when any head says false,
    add-wins tags."""
    setters = {}   # field -> [(event, value)]
    adds, removes = {}, {}  # tag -> [event]
    for event in events:
        for change in effective_changes(event):
            if "set" in change:
                setters.setdefault(change["set"], []).append((event, change["value"]))
            elif "tagAdd" in change:
                adds.setdefault(change["tagAdd"], []).append(event)
            else:
                removes.setdefault(change["tagRemove"], []).append(event)
    values, conflicts = {}, {}
    for field in REGISTER_FIELDS:
        if field not in setters:
            continue
        writes = setters[field]
        heads = [(e, v) for e, v in writes if not any(happened_after(o, e) for o, _ in writes if o is not e)]
        if field == "deleted":
            values[field] = not any(v is False for _, v in heads)
        else:
            values[field] = max(heads, key=lambda h: hlc_key(h[0]))[1]
        if len({canonical_json(v) for _, v in heads}) > 1:
            conflicts[field] = [dot_text(e) for e, _ in sorted(heads, key=lambda h: (h[0]["origin"], h[0]["seq"]))]
    present = [tag for tag, tag_adds in adds.items()
               if any(not any(happened_after(r, a) for r in removes.get(tag, [])) for a in tag_adds)]
    present.sort(key=lambda t: t.encode("utf-8"))
    return {"values": values, "tags": present, "conflicts": conflicts}


def describe(value) -> str:
    return canonical_json(value).decode("utf-8")


def compare_state(claimed, computed: dict) -> None:
    def fail(reason):
        raise Rejected(f"the proof's state does not follow from its events: {reason}")

    if not isinstance(claimed, dict) or set(claimed) != {"values", "tags", "conflicts"}:
        fail("state must be an object of exactly values, tags and conflicts")
    values, tags, conflicts = claimed["values"], claimed["tags"], claimed["conflicts"]
    if not isinstance(values, dict):
        fail("state.values is not an object")
    for field in REGISTER_FIELDS:
        if field in computed["values"] and field not in values:
            fail(f"values lacks {field}, which the events give {abbreviate(computed['values'][field])}")
        if field in values and field not in computed["values"]:
            fail(f"values has {field}, which no event sets")
        if field in values:
            got, want = values[field], computed["values"][field]
            if describe(got) != describe(want):
                fail(f"{field} is {abbreviate(got)}; the events give {abbreviate(want)}")
    extra = sorted(set(values) - set(REGISTER_FIELDS))
    if extra:
        fail(f"values has unknown field {extra[0]!r}")
    if tags != computed["tags"]:
        fail(f"tags are {describe(tags)}; the events give {describe(computed['tags'])}")
    if not isinstance(conflicts, dict):
        fail("state.conflicts is not an object")
    for field in sorted(set(conflicts) | set(computed["conflicts"])):
        got, want = conflicts.get(field), computed["conflicts"].get(field)
        if got != want:
            fail(f"conflicts of {field} are {describe(got) if got is not None else 'absent'}; "
                 f"the events give {describe(want) if want is not None else 'none'}")


# ---------------------------------------------------------------- the proof


def verify(proof_bytes: bytes, allow_unsigned: bool = False) -> dict:
    """Checks the proof; returns what it shows, or raises Rejected."""
    proof = parse_strict(proof_bytes)
    if not isinstance(proof, dict):
        raise Rejected("the proof is not a JSON object")
    if set(proof) != PROOF_KEYS:
        unknown, missing = sorted(set(proof) - PROOF_KEYS), sorted(PROOF_KEYS - set(proof))
        raise Rejected(f"unknown key {unknown[0]!r} in the proof" if unknown else f"the proof lacks {missing[0]!r}")
    if proof["format"] != FORMAT:
        raise Rejected(f"format is {proof['format']!r}, not {FORMAT!r}")
    record = proof["record"]
    if not hex_of(record, 16):
        raise Rejected("record is not 16 lowercase hex digits")
    keys, names, events = proof["keys"], proof["names"], proof["events"]
    if not isinstance(keys, dict):
        raise Rejected("keys is not an object")
    for origin, key in keys.items():
        if not hex_of(origin, 32) or not hex_of(key, 64):
            raise Rejected(f"keys entry {origin!r} is not a 32-hex origin with a 64-hex key")
        if origin_of_key(key) != origin:
            raise Rejected(f"the key listed for origin {origin} does not hash to it (it is the key of {origin_of_key(key)})")
    if not isinstance(names, dict) or not all(hex_of(o, 32) and isinstance(n, str) for o, n in names.items()):
        raise Rejected("names is not an object of origins to strings")
    if not isinstance(events, list):
        raise Rejected("events is not an array")

    # Each event on its own: shape, hash, key, signature.
    unsigned = []
    for index, event in enumerate(events):
        where = label(event, index)
        check_event_shape(event, record, where)
        if hashlib.sha256(canonical(event)).hexdigest() != event["hash"]:
            raise Rejected(f"{where}: its content does not hash to its hash {event['hash']} (altered)")
        origin = event["origin"]
        if "key" in event:
            if origin_of_key(event["key"]) != origin:
                raise Rejected(f"{where}: the key it carries does not hash to its origin")
            if origin not in keys:
                raise Rejected(f"{where}: it carries the key of a signed origin that keys does not list")
            if keys[origin] != event["key"]:
                raise Rejected(f"{where}: the key it carries is not the one keys lists for its origin")
        if origin in keys:
            if event["seq"] == 1 and "key" not in event:
                raise Rejected(f"{where}: the first event of a signed origin must carry its key")
            if "sig" not in event:
                raise Rejected(f"{where}: unsigned, but its origin is signed (keys lists its key)")
            if not ed25519_valid(keys[origin], signing_message(event["hash"]), event["sig"]):
                raise Rejected(f"{where}: its signature is not valid for the key of its origin")
        else:
            if "sig" in event:
                raise Rejected(f"{where}: signed, but keys lists no key for its origin")
            unsigned.append(event)

    # The events together: dots, chains, causal order.
    seen, last_of_origin = {}, {}
    for index, event in enumerate(events):
        where = label(event, index)
        dot = (event["origin"], event["seq"])
        if dot in seen:
            raise Rejected(f"{where}: the dot {dot_text(event)} is listed twice (also event {seen[dot] + 1})")
        seen[dot] = index
        previous = last_of_origin.get(event["origin"])
        if previous is not None:
            if previous["seq"] > event["seq"]:
                raise Rejected(f"{where}: listed after {dot_text(previous)} of the same origin (seqs must increase)")
            if previous["seq"] == event["seq"] - 1 and event["prev"] != previous["hash"]:
                raise Rejected(f"{where}: its prev is not the hash of {dot_text(previous)}, the origin's previous event")
        last_of_origin[event["origin"]] = event
    for index, event in enumerate(events):
        where = label(event, index)
        for later_index in range(index + 1, len(events)):
            later = events[later_index]
            if happened_after(event, later):
                raise Rejected(f"{where}: listed before {label(later, later_index)}, which happened before it")

    # The attestation: the prover's signed claim that these are all the record's events it holds.
    attestation = proof["attestation"]
    if not isinstance(attestation, dict) or set(attestation) != ATTESTATION_KEYS:
        raise Rejected("attestation must be an object of exactly prover, record, knowledge, events, made_at and sig")
    prover = attestation["prover"]
    if not hex_of(prover, 32):
        raise Rejected("attestation: prover is not 32 lowercase hex digits")
    if prover not in keys:
        raise Rejected(f"attestation: keys lists no key for the prover {prover}")
    if not hex_of(attestation["sig"], 128):
        raise Rejected("attestation: sig is not 128 lowercase hex digits")
    claim = {k: v for k, v in attestation.items() if k != "sig"}
    if not ed25519_valid(keys[prover], PROOF_SIGNING_PREFIX + canonical_json(claim), attestation["sig"]):
        raise Rejected(f"attestation: its signature is not valid for the key of the prover {prover}")
    if attestation["record"] != record:
        raise Rejected(f"attestation: it is about record {attestation['record']}, not {record}")
    if not is_int(attestation["made_at"]) or attestation["made_at"] < 0:
        raise Rejected("attestation: made_at is not an integer of 0 or more")
    knowledge = attestation["knowledge"]
    if not isinstance(knowledge, dict) or not all(hex_of(o, 32) and is_int(s) and s >= 1 for o, s in knowledge.items()):
        raise Rejected("attestation: knowledge is not an object of origins to integers of 1 or more")
    attested = attestation["events"]
    if not isinstance(attested, list) or not all(isinstance(h, str) for h in attested):
        raise Rejected("attestation: events is not an array of hashes")
    listed = [e["hash"] for e in events]
    if attested != listed:
        raise Rejected("attestation: " + attested_difference(attested, listed, events))
    for index, event in enumerate(events):
        if knowledge.get(event["origin"], 0) < event["seq"]:
            raise Rejected(f"attestation: its knowledge does not cover {label(event, index)}")

    if unsigned and not allow_unsigned:
        raise Rejected(f"authorship of {len(unsigned)} events is not proven: they are unsigned history "
                       f"(first: {dot_text(unsigned[0])}); --allow-unsigned accepts them")

    computed = project_state(events)
    compare_state(proof["state"], computed)

    return {"ok": True, "record": record, "prover": prover, "made_at": attestation["made_at"],
            "knowledge": knowledge, "unsigned": [dot_text(e) for e in unsigned],
            "history": history(events, keys, names), "state": computed}


def attested_difference(attested: list, listed: list, events: list) -> str:
    for index, (a, b) in enumerate(zip(attested, listed)):
        if a != b:
            where = label(events[index], index)
            if a in listed:
                return f"the prover signed another order: {where} is not the one it signed at that place (reordered)"
            if b in attested:
                return f"the prover signed an event the proof does not list before {where} (dropped)"
            return f"{where} is not the event the prover signed at that place"
    if len(attested) > len(listed):
        return f"the prover signed {len(attested)} events; the proof lists {len(listed)} (dropped)"
    return (f"the proof lists {len(listed)} events; the prover signed {len(attested)} "
            f"({label(events[len(attested)], len(attested))} was added)")


# ---------------------------------------------------------------- output


def abbreviate(value, limit: int = 60) -> str:
    text = describe(value)
    if len(text) <= limit:
        return text
    return text[:limit - 1] + f"…\" ({len(value.encode('utf-8')) if isinstance(value, str) else len(text)} bytes)"


def iso_time(hlc: list) -> str:
    moment = datetime.datetime.fromtimestamp(hlc[0] / 1000, tz=datetime.timezone.utc)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{hlc[0] % 1000:03d}Z"
    return text + (f"+{hlc[1]}" if hlc[1] else "")


def change_text(change: dict) -> str:
    if "set" in change:
        return f"{change['set']}={abbreviate(change['value'])}"
    if "tagAdd" in change:
        return f"+tag {change['tagAdd']}"
    return f"-tag {change['tagRemove']}"


def history(events: list, keys: dict, names: dict) -> list:
    carried = {}
    lines = []
    for event in events:
        if "name" in event:
            carried[event["origin"]] = event["name"]
        lines.append({
            "dot": dot_text(event), "hash": event["hash"], "hlc": event["hlc"], "time": iso_time(event["hlc"]),
            "name": carried.get(event["origin"], names.get(event["origin"])),
            "kind": event["kind"], "signed": event["origin"] in keys,
            "changes": [change_text(c) for c in event["changes"]],
        })
    return lines


def print_text(result: dict) -> None:
    print(f"proof of record {result['record']} holds: attested by {result['prover']} "
          f"at {iso_time([result['made_at'], 0])} (its clock)")
    if result["unsigned"]:
        print(f"warning: authorship of {len(result['unsigned'])} events is not proven "
              f"(unsigned history): {', '.join(result['unsigned'])}")
    print("history:")
    for line in result["history"]:
        mark = "" if line["signed"] else " [unsigned]"
        print(f"  {line['dot']}  {line['time']}  {line['name'] or '?'}  {line['kind']}{mark}: "
              + "; ".join(line["changes"]))
    print("state:")
    for field, value in result["state"]["values"].items():
        print(f"  {field}: {abbreviate(value)}")
    print(f"  tags: {' '.join(result['state']['tags']) if result['state']['tags'] else '(none)'}")
    if result["state"]["conflicts"]:
        for field, dots in result["state"]["conflicts"].items():
            print(f"  conflict in {field}: {', '.join(dots)}")
    else:
        print("  conflicts: (none)")


def main(argv: list) -> int:
    args = [a for a in argv if not a.startswith("--")]
    flags = [a for a in argv if a.startswith("--")]
    if len(args) != 1 or any(f not in ("--json", "--allow-unsigned") for f in flags):
        print(__doc__, file=sys.stderr)
        return 64
    as_json = "--json" in flags
    try:
        try:
            data = Path(args[0]).read_bytes()
        except OSError as error:
            raise Rejected(f"cannot read {args[0]}: {error.strerror}") from None
        result = verify(data, allow_unsigned="--allow-unsigned" in flags)
    except Rejected as rejection:
        print(f"proof REJECTED: {rejection}", file=sys.stderr)
        if as_json:
            print(json.dumps({"ok": False, "error": str(rejection)}, ensure_ascii=False))
        return 1
    if as_json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print_text(result)
    return 0


if __name__ == "__main__":
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # quiet when piped into head
    sys.exit(main(sys.argv[1:]))
