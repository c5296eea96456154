import AnnotateCore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A file to upload and how it was met: named by the user (a non-image is `rejected`) or found in
/// a directory walk (a non-image is `skipped`: sidecars and notes are normal in photo folders).
public struct UploadCandidate: Sendable, Equatable {
    /// Named by the user, or found in a directory walk.
    public enum Origin: Sendable { case named, walked }
    /// The file's path.
    public var path: String
    /// How it was met.
    public var origin: Origin
    /// The name the image is known by; nil: the path's last component. Set for files that arrive
    /// under a temporary path (serve's uploads), so the record keeps the sender's name.
    public var name: String?

    /// A candidate at `path`, known as `name` when given.
    public init(path: String, origin: Origin, name: String? = nil) {
        self.path = path
        self.origin = origin
        self.name = name
    }
}

/// Expands paths into files. Directories are walked recursively in name order; hidden entries are
/// skipped; symlinked directories are followed once (a loop is never entered twice); FIFOs,
/// sockets and devices are never opened, so nothing can hang the walk.
public enum PathWalker {
    /// Files to upload, and problems with paths that the user named (missing, unreadable, special).
    public static func expand(_ paths: [String]) -> (candidates: [UploadCandidate], problems: [UploadResult]) {
        var candidates: [UploadCandidate] = []
        var problems: [UploadResult] = []
        var visited = Set<FileIdentity>()
        for path in paths {
            var info = stat()
            guard stat(path, &info) == 0 else {
                problems.append(.rejected(path, String(cString: strerror(errno)).lowercasedFirst))
                continue
            }
            switch info.st_mode & S_IFMT {
            case S_IFREG:
                candidates.append(UploadCandidate(path: path, origin: .named))
            case S_IFDIR:
                walk(path, identity: FileIdentity(info), visited: &visited, into: &candidates, problems: &problems)
            default:
                problems.append(.rejected(path, "not a regular file (a device, FIFO or socket is never read)"))
            }
        }
        return (candidates, problems)
    }

    private static func walk(
        _ directory: String, identity: FileIdentity, visited: inout Set<FileIdentity>,
        into candidates: inout [UploadCandidate], problems: inout [UploadResult]
    ) {
        guard visited.insert(identity).inserted else { return }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        } catch {
            problems.append(.rejected(directory, "cannot read the directory: \(FileSystemReason.describe(error))"))
            return
        }
        for name in names where !name.hasPrefix(".") {
            let path = directory.hasSuffix("/") ? directory + name : directory + "/" + name
            var info = stat()
            // stat follows symlinks: a link to a file is that file, a link to a directory is walked
            // once; a dangling link fails here and is ignored like any unreadable entry.
            guard stat(path, &info) == 0 else { continue }
            switch info.st_mode & S_IFMT {
            case S_IFREG:
                candidates.append(UploadCandidate(path: path, origin: .walked))
            case S_IFDIR:
                walk(path, identity: FileIdentity(info), visited: &visited, into: &candidates, problems: &problems)
            default:
                continue
            }
        }
    }
}

/// A file's device and inode: the same directory reached through two paths has one identity.
private struct FileIdentity: Hashable {
    let device: UInt64
    let inode: UInt64
    init(_ info: stat) {
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
    }
}

extension String {
    var lowercasedFirst: String {
        guard let first else { return self }
        return first.lowercased() + dropFirst()
    }
}
