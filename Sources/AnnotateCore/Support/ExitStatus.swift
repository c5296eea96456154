/// Process exit statuses, from sysexits(3), as the contract lists them.
public enum ExitStatus: Int32, Sendable {
    /// Everything asked for succeeded.
    case success = 0
    /// The run finished but some items failed or were rejected.
    case itemsFailed = 1
    /// Unknown option, missing argument, or an invalid value given as a flag.
    case usage = 64
    /// An input document is not what it claims (an `--event` file that names no object).
    case dataError = 65
    /// A required service (database, store, annotation API) is unreachable.
    case unavailable = 69
    /// A wait timed out.
    case timedOut = 75
    /// An invalid value from the environment or config file, or a missing key.
    case configuration = 78
}

/// An error that knows which exit status it should end the process with.
public protocol ExitStatusProviding: Error {
    /// The status the executable exits with when this error ends a run.
    var exitStatus: ExitStatus { get }
}
