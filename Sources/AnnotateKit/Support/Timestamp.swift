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
        let f = fields(date)
        return String(format: "%04d-%02d-%02d %02d:%02d:%02d", f.year, f.month, f.day, f.hour, f.minute, f.second)
    }

    /// ISO 8601 in UTC for JSON and pages, e.g. `2026-11-29T10:00:00Z`.
    public static func iso8601(_ date: Date) -> String {
        let f = fields(date)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02dZ", f.year, f.month, f.day, f.hour, f.minute, f.second)
    }

    /// Parses database text (`YYYY-MM-DD HH:MM:SS`, also with a `T`, fractional seconds or `Z`).
    public static func parse(_ text: String) -> Date? {
        let digits = text.split(whereSeparator: { !$0.isNumber }).prefix(6).compactMap { Int32($0) }
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

    private static func fields(_ date: Date) -> (year: Int32, month: Int32, day: Int32, hour: Int32, minute: Int32, second: Int32) {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var t = tm()
        gmtime_r(&seconds, &t)
        return (t.tm_year + 1900, t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec)
    }
}
