import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Timestamps as the `images` table stores them: UTC `YYYY-MM-DD HH:MM:SS`, the format of the
/// original deployment's `CURRENT_TIMESTAMP` columns, so old and new rows read alike.
/// (Formatted by hand with gmtime_r/timegm: Foundation's formatters are not safe to share
/// between threads.)
public enum Timestamp {
    /// The database text for `date`.
    public static func databaseText(_ date: Date) -> String {
        format(date, dateTimeSeparator: 0x20, suffix: "")
    }

    /// ISO 8601 in UTC for JSON and pages, e.g. `2026-11-29T10:00:00Z`.
    public static func iso8601(_ date: Date) -> String {
        format(date, dateTimeSeparator: 0x54, suffix: "Z")
    }

    /// An HTTP date (RFC 9110 IMF-fixdate), e.g. `Sun, 29 Nov 2026 10:00:00 GMT`, for Last-Modified.
    public static func httpDate(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var t = tm()
        gmtime_r(&seconds, &t)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(days[Int(t.tm_wday)]), \(two(t.tm_mday)) \(months[Int(t.tm_mon)]) \(t.tm_year + 1900) "
            + "\(two(t.tm_hour)):\(two(t.tm_min)):\(two(t.tm_sec)) GMT"
    }

    /// Parses database text (`YYYY-MM-DD HH:MM:SS`, also with a `T`, fractional seconds or `Z`).
    /// Runs for two columns of every record read, so it walks the bytes once by hand.
    public static func parse(_ text: String) -> Date? {
        var digits: [Int32] = []
        digits.reserveCapacity(6)
        var current: Int32 = 0, inNumber = false
        for byte in text.utf8 {
            if byte >= 0x30 && byte <= 0x39 {
                current = current &* 10 &+ Int32(byte - 0x30)
                inNumber = true
            } else if inNumber {
                digits.append(current)
                if digits.count == 6 { break }
                current = 0
                inNumber = false
            }
        }
        if inNumber && digits.count < 6 { digits.append(current) }
        guard digits.count >= 3 else { return nil }
        var t = tm()
        t.tm_year = digits[0] - 1900
        t.tm_mon = digits[1] - 1
        t.tm_mday = digits[2]
        t.tm_hour = digits.count > 3 ? digits[3] : 0
        t.tm_min = digits.count > 4 ? digits[4] : 0
        t.tm_sec = digits.count > 5 ? digits[5] : 0
        return Date(timeIntervalSince1970: TimeInterval(timegm(&t)))
    }

    /// Milliseconds since 1970, the unit of lease deadlines.
    public static func milliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded())
    }

    /// `YYYY-MM-DD?HH:MM:SS` plus `suffix`, written digit by digit (String(format:) costs more
    /// than the rest of a gallery card).
    private static func format(_ date: Date, dateTimeSeparator: UInt8, suffix: String) -> String {
        let f = fields(date)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(20)
        func put(_ value: Int32, width: Int) {
            var divisor: Int32 = 1
            for _ in 1..<width { divisor *= 10 }
            var rest = max(0, value)
            while divisor > 0 {
                bytes.append(0x30 + UInt8((rest / divisor) % 10))
                rest %= divisor
                divisor /= 10
            }
        }
        put(f.year, width: 4)
        bytes.append(0x2D)
        put(f.month, width: 2)
        bytes.append(0x2D)
        put(f.day, width: 2)
        bytes.append(dateTimeSeparator)
        put(f.hour, width: 2)
        bytes.append(0x3A)
        put(f.minute, width: 2)
        bytes.append(0x3A)
        put(f.second, width: 2)
        return String(decoding: bytes, as: UTF8.self) + suffix
    }

    private static func fields(_ date: Date) -> (year: Int32, month: Int32, day: Int32, hour: Int32, minute: Int32, second: Int32) {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var t = tm()
        gmtime_r(&seconds, &t)
        return (t.tm_year + 1900, t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec)
    }
}
