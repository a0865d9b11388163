/*
 Proofs of one record's history (protocol/PROOFS.md is the reference; this writes them).

   {"format":"archive-sync-proof-1","record":"<16 hex>","events":[<wire-form event>...],
    "keys":{"<origin>":"<64 hex>"...},"names":{"<origin>":"<name>"...},
    "state":{"values":{...},"tags":[...],"conflicts":{"<field>":["<origin>:<seq>"...]}},
    "attestation":{"prover","record","knowledge","events","made_at","sig"}}

 Compact JSON (no whitespace, the escapes of CANONICAL.md) in the order of PROOFS.md's table;
 each event in its wire order: hash, sig, then its canonical keys. The attestation is signed over
 its canonical JSON without `sig` (keys sorted by UTF-8 bytes). The state is the
 projector's stored state of the record, not one recomputed here, so a verifier that recomputes
 it from the events checks the projection itself.
*/
import ArchiveModel
import ArticleProjector
import EventJournal
import GRDB

extension Replica {
    /// The bytes of a proof of `record`'s history (protocol/PROOFS.md): every event of the record
    /// this replica holds, in journal order, with the keys of their signed origins, the record's
    /// projected state, and this replica's signed attestation that at its current knowledge these
    /// are all the record's events it holds. One JSON object in UTF-8, ending with a line feed;
    /// `protocol/reference/verify_proof.py` checks it without the archive.
    ///
    /// `record` is one capture's id (an article's record is its capture). `madeAt` (Unix
    /// milliseconds) defaults to this replica's wall clock. Everything is read in one read
    /// transaction, so events, state and knowledge agree.
    ///
    /// Throws `unknownArticle` when no event of `record` is held, `noSigningKey` or
    /// `badSigningKey` when this replica cannot sign (the message says what to do).
    package func proof(of record: ArticleID, madeAt: Int64? = nil) throws -> [UInt8] {
        let madeAt = madeAt ?? wallClock()
        let key = try proofSigningKey()
        let claim = try read { db -> (proof: [(key: String, value: JSONValue)], attestation: JSONValue) in
            let identity = try self.identity(db)
            guard identity.origin == key.origin else {
                throw ReplicaError(
                    .badSigningKey,
                    "the signing key signs for origin \(key.origin.short), not for this replica's "
                        + "(\(identity.origin.short)); put this replica's key file back, or run "
                        + "`archive-sync reidentify`")
            }
            let stored = try journal.events(ofArticle: record, db).map(\.event)
            guard !stored.isEmpty, let state = try projector.load(record, db)?.state else {
                throw ReplicaError(.unknownArticle, "there is no article with id \(record) (see `archive-sync list`)")
            }
            let held = try journal.keys(db)
            var keys: [(key: String, value: JSONValue)] = [(key.origin.hex, .string(key.publicKey.hex))]
            let names = try journal.replicaNames(db)
            var proofNames: [(key: String, value: JSONValue)] = [
                (identity.origin.hex, .string(names[identity.origin] ?? identity.name))
            ]
            for origin in Set(stored.map(\.origin)).sorted() where origin != identity.origin {
                if let originKey = held[origin] { keys.append((origin.hex, .string(originKey.hex))) }
                if let name = names[origin] { proofNames.append((origin.hex, .string(name))) }
            }
            let knowledge = try journal.knowledge(db)
            let attestation: [(key: String, value: JSONValue)] = [
                ("events", .array(stored.map { .string($0.hash.hex) })),
                ("knowledge", .object(knowledge.sortedEntries.map { ($0.origin.hex, .integer(Int64($0.seq))) })),
                ("made_at", .integer(madeAt)),
                ("prover", .string(identity.origin.hex)),
                ("record", .string(record.hex)),
            ]
            let proof: [(key: String, value: JSONValue)] = [
                ("format", .string("archive-sync-proof-1")),
                ("record", .string(record.hex)),
                ("events", .array(stored.map { .object($0.wireHeader + ($0.canonicalObject.objectValue ?? [])) })),
                ("keys", .object(keys.sorted { $0.key < $1.key })),
                ("names", .object(proofNames.sorted { $0.key < $1.key })),
                ("state", Self.proofState(state)),
            ]
            return (proof, .object(attestation))
        }
        let signature = key.sign(Ed25519Signature.proofPrefix + claim.attestation.canonicalBytes)
        var attestation = claim.attestation.objectValue ?? []
        attestation.append(("sig", .string(signature.hex)))
        var bytes: [UInt8] = []
        JSONValue.object(claim.proof + [("attestation", .object(attestation))]).write(to: &bytes, sortKeys: false)
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }

    /// The signing key, with what to do when it cannot be used.
    private func proofSigningKey() throws -> SigningKey {
        let identity = try identity()
        guard identity.key != nil else {
            throw ReplicaError(
                .noSigningKey,
                "this replica was made before events were signed and has no signing key yet, so it cannot sign a "
                    + "proof: any archive-sync command run on it where it was made, with write access to the file, "
                    + "gives it one (its earlier events stay as unsigned history); a copy gets one from "
                    + "`archive-sync reidentify`")
        }
        do {
            return try signingKey()
        } catch let error as ReplicaError where error.code == .noSigningKey {
            throw ReplicaError(
                .noSigningKey,
                "this replica's signing key is not at \(SigningKeyFile.path(forReplicaAt: path)), so it cannot sign a "
                    + "proof: put the key file back, or if it is lost, run `archive-sync reidentify` to give the "
                    + "replica a new key pair", underlying: error)
        }
    }

    /// The proof's `state`: the stored registers' values (`deleted` by its own rule), the tags
    /// present by bytes, and the heads of every register in conflict, as ORIGIN:SEQ by dot.
    static func proofState(_ state: ArticleState) -> JSONValue {
        let fields = Field.allCases.filter { state.registers[$0] != nil }
        let values: [(key: String, value: JSONValue)] = fields.map { ($0.rawValue, JSONValue(state.value(of: $0))) }
        let conflicts: [(key: String, value: JSONValue)] = state.conflictedFields.map { field in
            let heads = (state.registers[field]?.heads ?? []).map(\.dot).sorted()
            return (field.rawValue, .array(heads.map { .string("\($0.origin.hex):\($0.seq)") }))
        }
        return .object([
            ("values", .object(values)), ("tags", .array(state.tags.map { .string($0.text) })),
            ("conflicts", .object(conflicts)),
        ])
    }
}
