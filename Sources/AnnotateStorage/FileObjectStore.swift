import AnnotateCore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Objects as files under a root directory. Writes go to a temporary file in `.incoming/` under
/// the root and are renamed into place, so a reader (or a crash) never sees half an object. A
/// temporary file names its host and process, so one left by a killed process is removed the
/// next time the store is opened on that host.
public struct FileObjectStore: ObjectStore {
    /// The directory holding every object.
    public let root: URL

    /// A store rooted at `root`, created if missing.
    public init(root: URL) throws {
        self.root = root.standardizedFileURL
        do {
            try FileManager.default.createDirectory(at: incoming, withIntermediateDirectories: true)
        } catch {
            throw ObjectStoreError.unavailable(store: "file:\(self.root.path)", reason: FileSystemReason.describe(error))
        }
        removeAbandonedTemporaryFiles()
    }

    /// Where writes are staged before their rename (same file system as the objects).
    var incoming: URL { root.appendingPathComponent(".incoming", isDirectory: true) }

    /// `host-pid-`: the prefix of this process's temporary files.
    private static let temporaryPrefix: String = {
        var name = [CChar](repeating: 0, count: 256)
        gethostname(&name, name.count - 1)
        return "\(String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))-\(getpid())-"
    }()

    /// Deletes temporary files of processes on this host that no longer run (killed mid-write).
    private func removeAbandonedTemporaryFiles() {
        let host = Self.temporaryPrefix.split(separator: "-").dropLast().joined(separator: "-")
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: incoming.path) else { return }
        for name in names {
            // host-pid-uuid; the host may itself contain dashes, the uuid does too.
            let parts = name.split(separator: "-")
            guard parts.count > 6, let pid = Int32(parts[parts.count - 6]),
                parts[..<(parts.count - 6)].joined(separator: "-") == host
            else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH {
                unlink(incoming.appendingPathComponent(name).path)
            }
        }
    }

    /// `file:` and the root.
    public var displayName: String { "file:\(root.path)" }

    /// The root exists and this user may create files in it.
    public func checkReachable() async throws {
        guard access(root.path, W_OK | X_OK) == 0 else {
            throw ObjectStoreError.unavailable(store: displayName, reason: String(cString: strerror(errno)))
        }
    }

    /// What to check when the folder is not usable.
    public var setupAdvice: String { "check that the directory exists and this user may write to it" }

    /// The object's own file, served without copying.
    public func localFile(for key: ObjectKey) -> URL? { fileURL(for: key) }

    /// The file that holds `key` (keys are validated, so this never leaves `root`).
    public func fileURL(for key: ObjectKey) -> URL {
        root.appendingPathComponent(key.rawValue, isDirectory: false)
    }

    /// Writes to a temporary file and renames it into place.
    public func put(_ data: Data, at key: ObjectKey, contentType: String) async throws {
        let destination = fileURL(for: key)
        try await runBlocking {
            do {
                let directory = destination.deletingLastPathComponent()
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                let temporary = incoming.appendingPathComponent(Self.temporaryPrefix + UUID().uuidString)
                do {
                    try Self.writeNew(data, to: temporary)
                    guard rename(temporary.path, destination.path) == 0 else {
                        throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
                    }
                } catch {
                    try? FileManager.default.removeItem(at: temporary)
                    throw error
                }
            } catch {
                throw ObjectStoreError.io(operation: "write", key: key.rawValue, store: displayName, reason: FileSystemReason.describe(error))
            }
        }
    }

    /// The object's bytes.
    public func get(_ key: ObjectKey) async throws -> Data {
        let url = fileURL(for: key)
        return try await runBlocking {
            do {
                return try Data(contentsOf: url)
            } catch {
                if !FileManager.default.fileExists(atPath: url.path) {
                    throw ObjectStoreError.notFound(key: key.rawValue, store: displayName)
                }
                throw ObjectStoreError.io(operation: "read", key: key.rawValue, store: displayName, reason: FileSystemReason.describe(error))
            }
        }
    }

    /// Whether the object's file exists.
    public func exists(_ key: ObjectKey) async throws -> Bool {
        FileManager.default.fileExists(atPath: fileURL(for: key).path)
    }

    /// Removes the object's file; a missing one is not an error.
    public func delete(_ key: ObjectKey) async throws {
        let url = fileURL(for: key)
        if unlink(url.path) != 0 && errno != ENOENT {
            throw ObjectStoreError.io(
                operation: "delete", key: key.rawValue, store: displayName,
                reason: String(cString: strerror(errno)))
        }
    }

    /// Writes a new file. No fsync: the rename after it already hides partial files from readers
    /// and from a killed process; fsync per object would only add power-loss durability, at a
    /// cost of milliseconds per image.
    private static func writeNew(_ data: Data, to url: URL) throws {
        let fd = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        defer { close(fd) }
        try data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
                }
                offset += written
            }
        }
    }
}
