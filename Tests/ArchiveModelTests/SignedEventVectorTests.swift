import ArchiveModel
import Foundation
import TestSupport
import Testing

/// protocol/vectors/signed-events.json, written by an independent implementation
/// (protocol/reference/signing.py): this code must take exactly the valid events and refuse the
/// others for the reason given.
struct SignedEventVectorTests {
    static let cases: [JSONValue] = {
        let url = TestPaths.repository.appendingPathComponent("protocol/vectors/signed-events.json")
        let data = (try? Data(contentsOf: url)) ?? Data()
        return (try? JSONParser.parse(Array(data)).arrayValue) ?? []
    }()

    static var descriptions: [String] { cases.compactMap { $0["description"]?.stringValue } }

    @Test func theVectorsAreThere() {
        #expect(Self.cases.count >= 9)
    }

    /// Why `json` is refused, or nil when it is a valid event of the origin whose key is `publicKey`.
    func refusal(_ json: JSONValue, publicKey: OriginKey) -> String? {
        let event: Event
        do { event = try Event(wireJSON: json) } catch let error as ArchiveModelError {
            return error.code == .badSignature ? "key-origin-mismatch" : error.code.rawValue
        } catch { return "\(error)" }
        guard publicKey.origin == event.origin, event.seq != 1 || event.key == publicKey else {
            return "key-origin-mismatch"
        }
        guard let signature = event.signature else { return "missing-signature" }
        return publicKey.isValid(signature, ofEvent: event.hash) ? nil : "bad-signature"
    }

    @Test(arguments: descriptions)
    func eachVectorIsTakenOrRefusedAsSpecified(_ description: String) throws {
        let vector = try #require(Self.cases.first { $0["description"]?.stringValue == description })
        let key = try #require(vector["public_key"]?.stringValue.flatMap(OriginKey.init(hex:)))
        let event = try #require(vector["event"])
        let valid = try #require(vector["valid"]?.boolValue)
        let found = refusal(event, publicKey: key)
        if valid {
            #expect(found == nil, "\(description): refused as \(found ?? "")")
            // Re-encoded by this code, the event's wire line is the vector's, byte for byte.
            let decoded = try Event(wireJSON: event)
            var expected: [UInt8] = []
            event.write(to: &expected, sortKeys: false)
            #expect(decoded.wireLine == expected)
        } else {
            #expect(found == vector["error"]?.stringValue, "\(description)")
        }
    }
}
