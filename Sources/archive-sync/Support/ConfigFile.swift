import Foundation
import TOMLKit

#if canImport(Glibc)
import Glibc
#endif

/// The configuration file of `serve` and `watch` (TOML), named by `--config FILE` or
/// $ARCHIVE_SYNC_CONFIG; flags given on the command line override it.
///
/// ```toml
/// db = "/var/lib/archive-sync/hub.db"
///
/// [serve]
/// bind = "0.0.0.0"
/// port = 8080
/// upstream = ["hub-b"]
///
/// [watch]
/// folders = ["/home/me/articles"]
/// peers = ["hub"]
/// wait = 25
/// ```
///
/// The file is read whole (at most 1 MiB, checked before reading) and checked whole before
/// anything starts: a key that is not one of the known ones (a typo), or a value of the wrong
/// type, is an error naming the file, the section and the key.
struct ConfigFile {
    static let maxBytes = 1 << 20

    /// The keys each section may hold, and their types.
    enum Kind { case string, integer, bool, strings }
    static let known: [String: [String: Kind]] = [
        "": ["db": .string],
        "serve": [
            "bind": .string, "port": .integer, "allow_anonymous": .bool, "accept_unsigned": .bool,
            "body_timeout": .integer, "idle_timeout": .integer, "shutdown_timeout": .integer, "upstream": .strings,
            "token_file": .string, "log_format": .string, "metrics_bind": .string,
        ],
        "watch": [
            "folders": .strings, "peers": .strings, "token_file": .string, "ca_file": .string, "wait": .integer,
            "max_backoff": .integer, "scan_interval": .integer, "accept_unsigned": .bool, "no_peers": .bool,
        ],
    ]

    let path: String
    private let values: [String: [String: Value]]

    enum Value: Equatable {
        case string(String)
        case integer(Int)
        case bool(Bool)
        case strings([String])
    }

    /// The file `path` names, or $ARCHIVE_SYNC_CONFIG's, or nil when neither is set.
    static func load(_ path: String?) throws -> ConfigFile? {
        guard
            let path = path
                ?? ProcessInfo.processInfo.environment["ARCHIVE_SYNC_CONFIG"].flatMap({ $0.isEmpty ? nil : $0 })
        else { return nil }
        return try ConfigFile(path: path)
    }

    init(path: String) throws {
        // A regular file, checked before it is opened (a FIFO would block, a folder reads nothing).
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw CommandError(
                .fileSystem, "cannot read the configuration file \(path): \(String(cString: strerror(errno)))")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw CommandError(.invalidInput, "the configuration file \(path) is not a regular file")
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CommandError(.fileSystem, "cannot read the configuration file \(path)")
        }
        defer { try? handle.close() }
        let bytes: Data
        do { bytes = try handle.read(upToCount: Self.maxBytes + 1) ?? Data() } catch {
            throw CommandError(.fileSystem, "cannot read the configuration file \(path): \(error.localizedDescription)")
        }
        guard bytes.count <= Self.maxBytes else {
            throw CommandError(.invalidInput, "the configuration file \(path) is larger than 1 MiB; it cannot be one")
        }
        guard let text = String(bytes: bytes, encoding: .utf8), !text.utf8.contains(0) else {
            throw CommandError(.invalidInput, "the configuration file \(path) is not UTF-8 text")
        }
        let table: TOMLTable
        do { table = try TOMLTable(string: text) } catch let error as TOMLParseError {
            throw CommandError(
                .invalidInput,
                "the configuration file \(path) is not valid TOML: \(error.description) at line \(error.source.begin.line), column \(error.source.begin.column)"
            )
        }
        try self.init(path: path, table: table)
    }

    private init(path: String, table: TOMLTable) throws {
        var values: [String: [String: Value]] = [:]
        func read(_ table: TOMLTable, section: String) throws {
            let kinds = Self.known[section] ?? [:]
            for key in table.keys {
                guard let entry = table[key] else { continue }
                if section.isEmpty, let sub = entry.table, Self.known[key] != nil {
                    try read(sub, section: key)
                    continue
                }
                let place = section.isEmpty ? "\"\(key)\"" : "[\(section)] \"\(key)\""
                guard let kind = kinds[key] else {
                    let names = (section.isEmpty ? ["db", "[serve]", "[watch]"] : kinds.keys.sorted()).joined(
                        separator: ", ")
                    throw CommandError(
                        .invalidInput,
                        "the configuration file \(path) has \(place), which is not a setting; known: \(names)")
                }
                func wrong(_ expected: String) -> CommandError {
                    CommandError(.invalidInput, "in the configuration file \(path), \(place) must be \(expected)")
                }
                let value: Value
                switch kind {
                case .string:
                    guard let text = entry.string else { throw wrong("a string") }
                    value = .string(text)
                case .integer:
                    guard let number = entry.int else { throw wrong("an integer") }
                    value = .integer(number)
                case .bool:
                    guard let flag = entry.bool else { throw wrong("true or false") }
                    value = .bool(flag)
                case .strings:
                    guard let array = entry.array else { throw wrong("an array of strings") }
                    var texts: [String] = []
                    for item in array {
                        guard let text = item.string else { throw wrong("an array of strings") }
                        texts.append(text)
                    }
                    value = .strings(texts)
                }
                values[section, default: [:]][key] = value
            }
        }
        try read(table, section: "")
        self.path = path
        self.values = values
    }

    func string(_ section: String, _ key: String) -> String? {
        if case .string(let text)? = values[section]?[key] { return text }
        return nil
    }

    func integer(_ section: String, _ key: String) -> Int? {
        if case .integer(let number)? = values[section]?[key] { return number }
        return nil
    }

    func bool(_ section: String, _ key: String) -> Bool? {
        if case .bool(let flag)? = values[section]?[key] { return flag }
        return nil
    }

    func strings(_ section: String, _ key: String) -> [String]? {
        if case .strings(let texts)? = values[section]?[key] { return texts }
        return nil
    }

    /// The replica file: `--db`, else $ARCHIVE_SYNC_DB, else the file's `db`, else archive.db.
    func replicaPath(_ options: ReplicaOptions) -> ReplicaOptions {
        var options = options
        if options.db == nil, ProcessInfo.processInfo.environment["ARCHIVE_SYNC_DB"]?.isEmpty ?? true,
            let db = string("", "db")
        {
            options.db = db
        }
        return options
    }
}
