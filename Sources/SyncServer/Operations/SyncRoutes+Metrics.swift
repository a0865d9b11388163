import Hummingbird
import NIOCore
import Replica

extension SyncRoutes {
    /// `GET /metrics` on the server's own address: the metrics in Prometheus' text format, for a
    /// token of the read scope (SPEC.md, "GET /metrics"). No protocol version header is needed.
    func scrape(_ request: Request) async throws -> Response {
        try await authorize(request, for: .read)
        return try await Self.metricsResponse(metrics: metrics, replica: replica)
    }

    /// The answer of a scrape: the journal's size is read now.
    static func metricsResponse(metrics: ServerMetrics, replica: Replica) async throws -> Response {
        let (knowledge, _) = try await replica.knowledgeAndDigest()
        let text = metrics.exposition(
            knowledge: knowledge, fileBytes: ServerMetrics.fileBytes(ofReplicaAt: replica.path), now: .now)
        return Response(
            status: .ok, headers: [.contentType: ServerMetrics.contentType],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
