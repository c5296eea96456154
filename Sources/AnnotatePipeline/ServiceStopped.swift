import AnnotateCore

/// The run stopped because a required service cannot serve any image now; its tasks were left
/// pending. A pipeline outcome: the annotator only says why (`AnnotationError.stopRun`).
public struct ServiceStopped: Error, CustomStringConvertible, ExitStatusProviding {
    /// What stopped it, e.g. the API's answer to a bad key.
    public let reason: String
    /// The reason and what became of the remaining tasks.
    public var description: String { "\(reason); the remaining tasks were left pending — run again when it is resolved" }
    /// 69: a service the run needs is unavailable.
    public var exitStatus: ExitStatus { .unavailable }
}
