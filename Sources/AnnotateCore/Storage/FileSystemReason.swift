import Foundation

/// The short reason a file-system call failed (`No such file or directory`), from the POSIX
/// error underneath Foundation's wrapping, for messages that name the file.
public enum FileSystemReason {
    /// The POSIX reason of `error` when it has one, else its description.
    public static func describe(_ error: any Error) -> String {
        if let posix = error as? POSIXError { return String(cString: strerror(posix.code.rawValue)) }
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return ns.localizedDescription
    }
}
