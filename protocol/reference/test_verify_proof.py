"""Tests of verify_proof.py on proofs built here with their own keys, good and tampered.

    python3 -m unittest discover -s protocol/reference -p 'test_*.py'
"""
import copy
import json
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from canonical import PROOF_SIGNING_PREFIX, ZERO, canonical, canonical_json, capture_id, event_hash  # noqa: E402
from signing import Replica, attest, build_proof, check_signed_event, sign_event  # noqa: E402
from verify_proof import Rejected, verify  # noqa: E402

URL = "https://news.example.com/2025/03/harbour-reopens.html"
PATH = "2025-03/harbour-reopens.txt"
RECORD = capture_id(URL, PATH)
MADE_AT = 1741000000000


def dot(event: dict) -> str:
    return f"{event['origin']}:{event['seq']}"


def encode(proof: dict) -> bytes:
    return json.dumps(proof, ensure_ascii=False).encode("utf-8")


class Fixture:
    """Desk (prover) creates and edits; field concurrently retitles and tags; then desk hears of it
    and removes a tag."""

    def __init__(self):
        self.desk = Replica(bytes([7] * 32), "desk")
        self.field = Replica(bytes([9] * 32), "field")
        d, f = self.desk, self.field
        self.create = d.write(RECORD, "create", [
            {"set": "url", "value": URL}, {"set": "title", "value": "Harbour reopens"},
            {"set": "body", "value": "<p>" + "The harbour reopened today. " * 8 + "</p>\n"},
            {"set": "captured_at", "value": 1740990000000}, {"set": "path", "value": PATH},
            {"tagAdd": "todo"},
        ], [1740990000000, 0])
        f.receive(self.create)
        self.edit = d.write(RECORD, "update", [{"set": "title", "value": "Harbour reopens after storm"}],
                            [1740990100000, 0])
        self.retitle = f.write(RECORD, "update", [{"set": "title", "value": "Port reopens"}, {"tagAdd": "ports"}],
                               [1740990200000, 0])
        d.receive(self.retitle)
        self.untag = d.write(RECORD, "update", [{"tagRemove": "todo"}, {"tagRemove": "ports"}], [1740990300000, 0])
        self.events = [self.create, self.edit, self.retitle, self.untag]

    def proof(self, events=None, **kwargs) -> dict:
        return build_proof(RECORD, list(self.events if events is None else events), [self.desk, self.field],
                           self.desk, MADE_AT, **kwargs)

    def resign_attestation(self, proof: dict) -> dict:
        """The prover signs the events as the proof now lists them."""
        att = proof["attestation"]
        proof["attestation"] = attest(self.desk, att["record"], proof["events"], att["knowledge"], att["made_at"])
        return proof


class VerifyProofTests(unittest.TestCase):
    def setUp(self):
        self.fx = Fixture()

    def accepts(self, proof, allow_unsigned=False) -> dict:
        return verify(encode(proof), allow_unsigned=allow_unsigned)

    def rejects(self, proof, *fragments, allow_unsigned=False, raw: bytes = None) -> str:
        with self.assertRaises(Rejected) as caught:
            verify(raw if raw is not None else encode(proof), allow_unsigned=allow_unsigned)
        message = str(caught.exception)
        for fragment in fragments:
            self.assertIn(fragment, message)
        return message

    # -------------------------------------------------------------- good proofs

    def test_good_proof_and_its_state(self):
        fx = self.fx
        result = self.accepts(fx.proof())
        self.assertEqual(result["state"], {
            "values": {
                "url": URL, "title": "Port reopens", "body": fx.create["changes"][2]["value"],
                "captured_at": 1740990000000, "path": PATH, "deleted": False,
            },
            # "ports" was removed by an event that held its add; "todo" too.
            "tags": [],
            "conflicts": {"title": sorted([f"{fx.desk.origin}:2", f"{fx.field.origin}:1"])},
        })
        self.assertEqual([h["dot"] for h in result["history"]],
                         [f"{fx.desk.origin}:1", f"{fx.desk.origin}:2", f"{fx.field.origin}:1", f"{fx.desk.origin}:3"])
        self.assertEqual(result["history"][2]["name"], "field")

    def test_a_hand_written_state_is_accepted_and_any_other_refused(self):
        fx = self.fx
        state = {"values": {"url": URL, "title": "Port reopens", "body": fx.create["changes"][2]["value"],
                            "captured_at": 1740990000000, "path": PATH, "deleted": False},
                 "tags": [], "conflicts": {"title": sorted([f"{fx.desk.origin}:2", f"{fx.field.origin}:1"])}}
        self.accepts(fx.proof(state=state))
        wrong = copy.deepcopy(state)
        wrong["values"]["title"] = "Harbour reopens after storm"
        self.rejects(fx.proof(state=wrong), "state does not follow", "title is")
        wrong = copy.deepcopy(state)
        wrong["conflicts"] = {}
        self.rejects(fx.proof(state=wrong), "conflicts of title")
        wrong = copy.deepcopy(state)
        wrong["tags"] = ["ports"]
        self.rejects(fx.proof(state=wrong), "tags are")
        wrong = copy.deepcopy(state)
        wrong["values"]["captured_at"] = True
        self.rejects(fx.proof(state=wrong), "captured_at is true")
        wrong = copy.deepcopy(state)
        del wrong["values"]["deleted"]
        self.rejects(fx.proof(state=wrong), "values lacks deleted")
        wrong = copy.deepcopy(state)
        wrong["values"]["note"] = ""
        self.rejects(fx.proof(state=wrong), "values has note, which no event sets")

    def test_the_command_line(self):
        with tempfile.TemporaryDirectory() as folder:
            good, bad = Path(folder) / "good.json", Path(folder) / "bad.json"
            good.write_bytes(encode(self.fx.proof()))
            tampered = self.fx.proof()
            tampered["events"][1]["changes"][0]["value"] = "Harbour closed"
            bad.write_bytes(encode(tampered))
            script = str(HERE / "verify_proof.py")
            run = subprocess.run([sys.executable, script, str(good)], capture_output=True, text=True)
            self.assertEqual(run.returncode, 0, run.stderr)
            self.assertIn("conflict in title", run.stdout)
            run = subprocess.run([sys.executable, script, str(good), "--json"], capture_output=True, text=True)
            self.assertTrue(json.loads(run.stdout)["ok"])
            run = subprocess.run([sys.executable, script, str(bad)], capture_output=True, text=True)
            self.assertEqual(run.returncode, 1)
            self.assertTrue(run.stderr.startswith("proof REJECTED: event 2 ("), run.stderr)

    # -------------------------------------------------------------- tampered events

    def test_changed_byte_in_a_value(self):
        proof = self.fx.proof()
        proof["events"][1]["changes"][0]["value"] = "Harbour reopens after storn"
        self.rejects(proof, f"event 2 ({self.fx.desk.origin}:2)", "does not hash to its hash")

    def test_changed_value_rehashed_keeps_an_invalid_signature(self):
        proof = self.fx.proof()
        event = proof["events"][1]
        event["changes"][0]["value"] = "Harbour closed"
        event["hash"] = event_hash(event)
        self.rejects(proof, "event 2", "signature is not valid")

    def test_event_signed_by_another_key(self):
        fx = self.fx
        proof = fx.proof()
        forged = sign_event({k: v for k, v in fx.edit.items() if k not in ("hash", "sig")}, fx.field.key)
        proof["events"][1] = forged
        self.rejects(proof, "event 2", "signature is not valid for the key of its origin")

    def test_signature_moved_from_another_event(self):
        proof = self.fx.proof()
        proof["events"][1]["sig"] = proof["events"][0]["sig"]
        self.rejects(proof, "event 2", "signature is not valid")

    def test_missing_signature(self):
        proof = self.fx.proof()
        del proof["events"][2]["sig"]
        self.rejects(proof, "event 3", "unsigned, but its origin is signed")

    def test_dropped_event(self):
        proof = self.fx.proof()
        del proof["events"][1]
        self.rejects(proof, "attestation:", "dropped")

    def test_added_event(self):
        fx = self.fx
        proof = fx.proof()
        extra = fx.field.write(RECORD, "update", [{"set": "note", "value": "late"}], [1740990400000, 0])
        proof["events"].append(extra)
        proof["keys"][fx.field.origin] = fx.field.public
        self.rejects(proof, "attestation:", "was added")

    def test_reordered_concurrent_events(self):
        proof = self.fx.proof()
        events = proof["events"]
        events[1], events[2] = events[2], events[1]  # desk:2 and field:1 are concurrent
        self.rejects(proof, "attestation:", "reordered")

    def test_reordering_against_causality_is_refused_even_when_attested(self):
        fx = self.fx
        proof = fx.proof()
        proof["events"].insert(0, proof["events"].pop(2))  # field:1 before the create it held
        fx.resign_attestation(proof)
        self.rejects(proof, "event 1", "which happened before it")
        proof = fx.proof()
        events = proof["events"]
        events[0], events[1] = events[1], events[0]
        fx.resign_attestation(proof)
        self.rejects(proof, "seqs must increase")

    def test_an_attested_omission_passes_and_is_the_provers(self):
        # The prover may sign a list that leaves an event out: the proof holds, and the omission is
        # the prover's signed claim. The state must follow from what is listed.
        fx = self.fx
        events = [fx.create, fx.retitle, fx.untag]
        result = self.accepts(fx.proof(events=events))
        self.assertEqual(result["state"]["values"]["title"], "Port reopens")
        self.assertEqual(result["state"]["conflicts"], {})

    def test_broken_chain(self):
        fx = self.fx
        draft = {k: v for k, v in fx.edit.items() if k not in ("hash", "sig")}
        draft["prev"] = "1" * 64
        proof = fx.proof(events=[fx.create, sign_event(draft, fx.desk.key), fx.retitle, fx.untag])
        self.rejects(proof, "event 2", "its prev is not the hash of")

    def test_duplicate_dot(self):
        fx = self.fx
        draft = {k: v for k, v in fx.edit.items() if k not in ("hash", "sig")}
        draft["changes"] = [{"set": "note", "value": "a second seq 2"}]
        twin = sign_event(draft, fx.desk.key)
        proof = fx.proof(events=[fx.create, fx.edit, twin, fx.retitle, fx.untag])
        self.rejects(proof, "event 3", "listed twice")

    # -------------------------------------------------------------- keys

    def test_key_that_does_not_hash_to_its_origin(self):
        proof = self.fx.proof()
        proof["keys"][self.fx.desk.origin] = self.fx.field.public
        self.rejects(proof, f"the key listed for origin {self.fx.desk.origin} does not hash to it")

    def test_first_event_carrying_a_foreign_key(self):
        fx = self.fx
        draft = {k: v for k, v in fx.create.items() if k not in ("hash", "sig")}
        draft["key"] = fx.field.public
        proof = fx.proof(events=[sign_event(draft, fx.field.key)] + fx.events[1:])
        self.rejects(proof, "event 1", "the key it carries does not hash to its origin")
        self.assertEqual(check_signed_event(sign_event(draft, fx.field.key), fx.desk.public), "key-origin-mismatch")

    def test_first_event_of_a_signed_origin_without_its_key(self):
        fx = self.fx
        draft = {k: v for k, v in fx.create.items() if k not in ("hash", "sig", "key")}
        proof = fx.proof(events=[sign_event(draft, fx.desk.key)] + fx.events[1:])
        self.rejects(proof, "event 1", "must carry its key")

    def test_key_on_a_later_event(self):
        fx = self.fx
        draft = {k: v for k, v in fx.edit.items() if k not in ("hash", "sig")}
        draft["key"] = fx.desk.public
        proof = fx.proof(events=[fx.create, sign_event(draft, fx.desk.key), fx.retitle, fx.untag])
        self.rejects(proof, "event 2", "only the first event")

    # -------------------------------------------------------------- attestation

    def test_attestation_signed_by_another_key(self):
        fx = self.fx
        proof = fx.proof()
        claim = {k: v for k, v in proof["attestation"].items() if k != "sig"}
        proof["attestation"]["sig"] = fx.field.key.sign(PROOF_SIGNING_PREFIX + canonical_json(claim)).hex()
        self.rejects(proof, "attestation: its signature is not valid for the key of the prover")

    def test_attestation_with_changed_claim(self):
        proof = self.fx.proof()
        proof["attestation"]["made_at"] += 1
        self.rejects(proof, "attestation: its signature is not valid")

    def test_attestation_by_an_unknown_prover(self):
        proof = self.fx.proof()
        outsider = Replica(bytes([11] * 32), "outsider")
        proof["attestation"] = attest(outsider, RECORD, proof["events"], proof["attestation"]["knowledge"], MADE_AT)
        self.rejects(proof, "attestation: keys lists no key for the prover")

    def test_attestation_of_another_record(self):
        fx = self.fx
        proof = fx.proof()
        proof["attestation"] = attest(fx.desk, "0123456789abcdef", proof["events"],
                                      proof["attestation"]["knowledge"], MADE_AT)
        self.rejects(proof, "attestation: it is about record 0123456789abcdef")

    def test_knowledge_must_cover_the_events(self):
        fx = self.fx
        proof = fx.proof(knowledge={fx.desk.origin: 3})
        self.rejects(proof, "knowledge does not cover event 3")

    # -------------------------------------------------------------- parsing

    def test_duplicate_json_key(self):
        raw = encode(self.fx.proof()).replace(b'"format": ', b'"format": "x", "format": ', 1)
        self.rejects(None, "duplicate key 'format'", raw=raw)

    def test_unknown_event_key(self):
        proof = self.fx.proof()
        proof["events"][0]["colour"] = "red"
        self.rejects(proof, "event 1", "unknown key 'colour'")

    def test_float_refused(self):
        raw = encode(self.fx.proof()).replace(b'"made_at": 1741000000000', b'"made_at": 1741000000000.0', 1)
        self.rejects(None, "non-integer number", raw=raw)

    def test_event_of_another_record(self):
        proof = self.fx.proof()
        proof["record"] = "0123456789abcdef"
        self.rejects(proof, "event 1", "is not the record 0123456789abcdef")

    # -------------------------------------------------------------- unsigned history

    def legacy_proof(self):
        """A record created by an unsigned (legacy) origin, then edited by a signed one."""
        fx = self.fx
        legacy = "5f3c9a1e0b7d4c2a8e6f1d3b5a7c9e0f"
        create = {"origin": legacy, "seq": 1, "hlc": [1600000000000, 0], "clock": {}, "article": RECORD,
                  "kind": "create", "prev": ZERO, "name": "old-laptop",
                  "changes": [{"set": "url", "value": URL}, {"set": "path", "value": PATH}]}
        create = {"hash": event_hash(create), **json.loads(canonical(create))}
        fx.desk.receive(create)
        edit = fx.desk.write(RECORD, "update", [{"set": "note", "value": "checked"}], [1600000100000, 0])
        knowledge = {legacy: 1, fx.desk.origin: fx.desk.seq, fx.field.origin: fx.field.seq}
        return build_proof(RECORD, [create, edit], [fx.desk], fx.desk, MADE_AT, knowledge=knowledge), legacy

    def test_unsigned_history_is_refused_unless_allowed(self):
        proof, legacy = self.legacy_proof()
        self.rejects(proof, "authorship of 1 events is not proven: they are unsigned history", legacy)
        result = self.accepts(proof, allow_unsigned=True)
        self.assertEqual(result["unsigned"], [f"{legacy}:1"])
        self.assertEqual(result["state"]["values"]["note"], "checked")

    def test_unsigned_history_must_carry_no_signature(self):
        proof, _ = self.legacy_proof()
        proof["events"][0]["sig"] = "00" * 64
        self.rejects(proof, "event 1", "signed, but keys lists no key", allow_unsigned=True)

    # -------------------------------------------------------------- projection rules

    def test_deleted_rule_and_add_wins_tags(self):
        fx = self.fx
        d, f = fx.desk, fx.field
        create = fx.create
        f.receive(create)
        # Concurrent: desk deletes and removes "todo"; field edits the note and adds "todo" again.
        delete = d.write(RECORD, "delete", [{"set": "deleted", "value": True}, {"tagRemove": "todo"}],
                         [1740990100000, 0])
        note = f.write(RECORD, "update", [{"set": "note", "value": "keep"}, {"tagAdd": "todo"}], [1740990100000, 0])
        result = self.accepts(fx.proof(events=[create, delete, note]))
        state = result["state"]
        self.assertIs(state["values"]["deleted"], False)  # the edit undoes the concurrent delete
        self.assertEqual(state["tags"], ["todo"])           # the concurrent add wins
        self.assertEqual(state["conflicts"], {"deleted": sorted([dot(delete), dot(note)])})
        # Once desk has seen the note, a resolve that sets only the note sets deleted to false too
        # (as ArticleState.effectiveChanges does for every event that does not set deleted).
        d.receive(note)
        resolve = d.write(RECORD, "resolve", [{"set": "note", "value": "keep"}], [1740990200000, 0])
        state = self.accepts(fx.proof(events=[create, delete, note, resolve]))["state"]
        self.assertIs(state["values"]["deleted"], False)
        self.assertEqual(state["conflicts"], {})
        # A delete that has seen everything deletes.
        again = d.write(RECORD, "delete", [{"set": "deleted", "value": True}], [1740990300000, 0])
        state = self.accepts(fx.proof(events=[create, delete, note, resolve, again]))["state"]
        self.assertIs(state["values"]["deleted"], True)

    def test_register_value_is_the_head_with_the_highest_hlc_then_origin(self):
        fx = self.fx
        d, f = fx.desk, fx.field
        f.receive(fx.create)
        a = d.write(RECORD, "update", [{"set": "title", "value": "A"}], [1740990100000, 3])
        b = f.write(RECORD, "update", [{"set": "title", "value": "B"}], [1740990100000, 3])
        state = self.accepts(fx.proof(events=[fx.create, a, b]))["state"]
        winner = "A" if d.origin > f.origin else "B"
        self.assertEqual(state["values"]["title"], winner)


if __name__ == "__main__":
    unittest.main()
