/// A credential. Its description is always redacted, so printing a configuration, an error or a
/// log line that holds one never shows it; only `reveal()` at the point of use does.
public struct Secret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    private let value: String

    /// Wraps `value`.
    public init(_ value: String) { self.value = value }

    /// The value, for the one header that needs it.
    public func reveal() -> String { value }

    /// `text` with every occurrence of the secret replaced, for messages that quote a server.
    public func redact(_ text: String) -> String {
        value.count >= 4 ? text.replacingOccurrences(of: value, with: "[redacted]") : text
    }

    /// Never the value.
    public var description: String { "[redacted]" }
    /// Never the value.
    public var debugDescription: String { "[redacted]" }
}
