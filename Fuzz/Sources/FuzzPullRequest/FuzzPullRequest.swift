import ArchiveModel
import WireProtocol

/// `PullRequest(body:limits:)` on any bytes: it throws or returns a request within the limits.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPullRequest(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let limits = WireLimits()
    guard let request = try? PullRequest(body: bytes, limits: limits) else { return 0 }
    guard request.maxEvents > 0, request.maxEvents <= limits.maxPullEvents, request.maxBytes > 0,
        request.maxBytes <= limits.maxPullBytes
    else { fatalError("a pull request outside the limits was accepted: \(request)") }
    // What the client sends for a request must read back as the same request.
    let again = try? PullRequest(body: request.json.canonicalBytes, limits: limits)
    if again != request { fatalError("a pull request does not survive its own encoding: \(request)") }
    return 0
}
