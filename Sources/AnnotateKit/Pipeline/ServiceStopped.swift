/// The run stopped because a required service cannot serve any image now; its tasks were left
/// pending. A pipeline outcome: the annotator only says why (`AnnotationError.stopRun`).
public struct ServiceStopped: Error, CustomStringConvertible, ExitStatusProviding {
    public let reason: String
    public var description: String { "\(reason); the remaining tasks were left pending — run again when it is resolved" }
    public var exitStatus: ExitStatus { .unavailable }
}
