import Foundation
import TestSupport
import Testing

/// https URLs: the client verifies the server's certificate, and trusts a private CA when told.
struct TLSTests {
    /// A TLS-terminating proxy (Python's ssl module, as a reverse proxy would be) in front of `port`.
    final class TLSProxy {
        let process = Process()
        let port: Int

        init(target: Int, certificate: String, key: String) throws {
            let script = """
                import socket, ssl, sys, threading
                context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                context.load_cert_chain(sys.argv[1], sys.argv[2])
                listener = socket.socket(); listener.bind(("127.0.0.1", 0)); listener.listen(16)
                print(listener.getsockname()[1], flush=True)
                def pump(a, b):
                    try:
                        while True:
                            data = a.recv(65536)
                            if not data: break
                            b.sendall(data)
                    except OSError: pass
                    finally:
                        for s in (a, b):
                            try: s.close()
                            except OSError: pass
                while True:
                    raw, _ = listener.accept()
                    try: client = context.wrap_socket(raw, server_side=True)
                    except (ssl.SSLError, OSError): raw.close(); continue
                    upstream = socket.create_connection(("127.0.0.1", int(sys.argv[3])))
                    threading.Thread(target=pump, args=(client, upstream), daemon=True).start()
                    threading.Thread(target=pump, args=(upstream, client), daemon=True).start()
                """
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", "-c", script, certificate, key, String(target)]
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            process.standardInput = FileHandle.nullDevice
            try process.run()
            var line = ""
            let deadline = Date().addingTimeInterval(20)
            while !line.contains("\n"), Date() < deadline {
                let chunk = out.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                line += String(decoding: chunk, as: UTF8.self)
            }
            guard let port = Int(line.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                process.terminate()
                throw TestSetupError("the TLS proxy did not start (python3 is needed): \(line)")
            }
            self.port = port
        }

        deinit {
            // SIGKILL: a child may inherit a mask that blocks SIGTERM.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    @Test func theClientVerifiesCertificatesAndTrustsAGivenCA() throws {
        let server = try SyncNode("tls-server")
        let laptop = try SyncNode("tls-laptop", serve: false)
        try laptop.cli.ok(["capture", "--url", "https://e.org/tls", "--title", "Over TLS", "--body", "<p>x</p>\n"])
        let folder = laptop.cli.directory
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        openssl.arguments = [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", folder.file("key.pem"), "-out",
            folder.file("cert.pem"),
        ]
        openssl.standardOutput = FileHandle.nullDevice
        openssl.standardError = FileHandle.nullDevice
        openssl.standardInput = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        #expect(openssl.terminationStatus == 0, "openssl is needed to make a test certificate")
        let proxy = try TLSProxy(
            target: server.server?.port ?? 0, certificate: folder.file("cert.pem"), key: folder.file("key.pem"))
        let url = "https://127.0.0.1:\(proxy.port)"
        defer { withExtendedLifetime(proxy) {} }  // the proxy must outlive the syncs below

        let refused = try laptop.cli.run(["sync", url, "--token-file", server.tokenFile])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("TLS"), "\(refused.stderr)")
        #expect(try server.journal().isEmpty)

        let trusted = try laptop.cli.run([
            "sync", url, "--token-file", server.tokenFile, "--ca-file", folder.file("cert.pem"),
        ])
        #expect(trusted.status == 0, "\(trusted.stderr)")
        #expect(try laptop.journal() == server.journal())
    }
}
