/// A single `Range: bytes=…` request (RFC 9110 §14.1.2) resolved against a length. Several
/// ranges at once are answered with the whole body, which the RFC allows.
enum ByteRange: Equatable {
    /// Serve these bytes with 206.
    case partial(ClosedRange<Int>)
    /// Serve the whole body with 200 (no Range, another unit, several ranges, or nonsense).
    case whole
    /// 416: the range starts past the end.
    case unsatisfiable

    init(header: String?, length: Int) {
        guard let header, header.hasPrefix("bytes="), !header.contains(",") else {
            self = .whole
            return
        }
        let spec = header.dropFirst("bytes=".count).trimmingCharacters(in: .whitespaces)
        let parts = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            self = .whole
            return
        }
        let first = Int(parts[0]), last = Int(parts[1])
        switch (parts[0].isEmpty, parts[1].isEmpty) {
        case (true, false):  // the last N bytes
            guard let suffix = last, suffix > 0, length > 0 else {
                self = last == nil ? .whole : .unsatisfiable
                return
            }
            self = .partial(max(0, length - suffix)...(length - 1))
        case (false, _):
            guard let start = first, start >= 0, parts[1].isEmpty || (last.map { $0 >= start } ?? false) else {
                self = .whole
                return
            }
            guard start < length else {
                self = .unsatisfiable
                return
            }
            self = .partial(start...min(last ?? (length - 1), length - 1))
        default:
            self = .whole
        }
    }
}
