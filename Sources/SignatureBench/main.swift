/*
 archive-sync-bench-signatures: how many event signatures one core makes and checks per second,
 and how many all cores check (scripts/bench --only signatures). It signs N distinct event hashes
 with one key (as a replica signs the events it writes), then checks every signature with the
 origin's public key on one thread (as the journal checks received events), then again split
 over all cores. Every check's result is counted and must be true for all N, and a wrong
 signature must be refused, so no work can be left out. Prints one line of JSON.

   archive-sync-bench-signatures [--count N]     (default 20000)
*/
import ArchiveModel
import Dispatch
import Foundation

func parseCount() -> Int {
    var count = 20_000
    var arguments = CommandLine.arguments.dropFirst()
    while let argument = arguments.popFirst() {
        if argument == "--count", let value = arguments.popFirst().flatMap({ Int($0) }), value > 0 {
            count = value
        } else {
            FileHandle.standardError.write(Data("usage: archive-sync-bench-signatures [--count N]\n".utf8))
            exit(2)
        }
    }
    return count
}
let count = parseCount()

func seconds(_ duration: Duration) -> Double {
    let parts = duration.components
    return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("archive-sync-bench-signatures: \(message)\n".utf8))
    exit(1)
}

// A fixed key and N distinct event hashes: SHA-256 of each index.
guard let key = SigningKey(seed: (0..<32).map { UInt8($0) }) else { fail("no key from a fixed seed") }
let origin = key.publicKey
let hashes = (0..<count).map { index in SHA256Digest.of(withUnsafeBytes(of: UInt64(index).littleEndian, Array.init)) }

let clock = ContinuousClock()
var start = clock.now
let signatures = hashes.map { key.sign(event: $0) }
let signSeconds = seconds(clock.now - start)
guard Set(signatures).count == count else { fail("signatures of distinct hashes are not distinct") }

start = clock.now
var valid = 0
for index in 0..<count where origin.isValid(signatures[index], ofEvent: hashes[index]) {
    valid += 1
}
let verifySeconds = seconds(clock.now - start)
guard valid == count else { fail("\(count - valid) of \(count) signatures did not verify") }
guard count < 2 || !origin.isValid(signatures[1], ofEvent: hashes[0]) else { fail("a wrong signature verified") }

/// The number of valid signatures, counted by the threads of concurrentPerform.
final class Tally: @unchecked Sendable {
    private let lock = NSLock()
    private var total = 0
    func add(_ value: Int) { lock.withLock { total += value } }
    var value: Int { lock.withLock { total } }
}
let cores = ProcessInfo.processInfo.activeProcessorCount
let tally = Tally()
start = clock.now
DispatchQueue.concurrentPerform(iterations: cores) { part in
    var valid = 0
    for index in stride(from: part, to: count, by: cores)
    where origin.isValid(signatures[index], ofEvent: hashes[index]) {
        valid += 1
    }
    tally.add(valid)
}
let parallelSeconds = seconds(clock.now - start)
guard tally.value == count else { fail("\(count - tally.value) of \(count) signatures did not verify on all cores") }

print(
    """
    {"signatures": \(count), "cores": \(cores), \
    "signs_per_s": \(Int((Double(count) / signSeconds).rounded())), \
    "verifies_per_s": \(Int((Double(count) / verifySeconds).rounded())), \
    "verifies_per_s_all_cores": \(Int((Double(count) / parallelSeconds).rounded())), \
    "sign_s": \(signSeconds), "verify_s": \(verifySeconds), "verify_all_cores_s": \(parallelSeconds)}
    """)
