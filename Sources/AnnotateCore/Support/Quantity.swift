import Foundation

/// Parsers for the human-written quantities the contract uses: `30s`, `10m`, `100MB`, `100MP`.
public enum Quantity {
    /// Parses a duration written `500ms`, `30s`, `10m`, `1h` or `7d` (a bare number means seconds).
    public static func duration(_ text: String) -> Duration? {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)]
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        for (suffix, scale) in units where trimmed.hasSuffix(suffix) {
            let number = trimmed.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)
            // "5ms" also ends in "s": take the longest unit that leaves a number.
            if let value = Double(number) { return milliseconds(value * scale * 1000) }
        }
        return Double(trimmed).flatMap { milliseconds($0 * 1000) }
    }

    /// Longer than anyone means (about 300,000 years) is no duration: `1e300s` would otherwise
    /// overflow the conversion and stop the process.
    static let longestDuration: Double = 9e15

    private static func milliseconds(_ value: Double) -> Duration? {
        guard value >= 0, value.isFinite, value < longestDuration else { return nil }
        return .milliseconds(Int64(value.rounded()))
    }

    /// Parses a size in plain bytes or with `KB`, `MB`, `GB` (binary multiples; `KiB`… accepted too).
    public static func bytes(_ text: String) -> Int64? {
        scaled(
            text,
            units: [
                ("kib", 1 << 10), ("mib", 1 << 20), ("gib", 1 << 30),
                ("kb", 1 << 10), ("mb", 1 << 20), ("gb", 1 << 30), ("k", 1 << 10), ("m", 1 << 20), ("g", 1 << 30), ("b", 1),
            ])
    }

    /// Parses a pixel count, plain or in megapixels (`100MP`, `100M`).
    public static func pixels(_ text: String) -> Int64? {
        scaled(text, units: [("mp", 1_000_000), ("m", 1_000_000), ("k", 1_000)])
    }

    private static func scaled(_ text: String, units: [(String, Int64)]) -> Int64? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        for (suffix, scale) in units where trimmed.hasSuffix(suffix) {
            let number = trimmed.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)
            guard let value = Double(number), value > 0, value.isFinite, value * Double(scale) < 9e18 else { return nil }
            return Int64((value * Double(scale)).rounded())
        }
        guard let value = Int64(trimmed), value > 0 else { return nil }
        return value
    }

    /// Formats a duration the way the parser reads it back (`90s` → `1m30s` is not attempted: `90s`).
    public static func format(_ duration: Duration) -> String {
        let ms = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        if ms % 86_400_000 == 0 && ms > 0 { return "\(ms / 86_400_000)d" }
        if ms % 3_600_000 == 0 && ms > 0 { return "\(ms / 3_600_000)h" }
        if ms % 60_000 == 0 && ms > 0 { return "\(ms / 60_000)m" }
        if ms % 1000 == 0 { return "\(ms / 1000)s" }
        return "\(ms)ms"
    }
}

extension Duration {
    /// The duration in (fractional) seconds.
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
