import AnnotateCore

/// SQL pieces both backends build the same way (their dialects agree on these).
enum SQLFragments {
    /// `?, ?, …` for `count` values.
    static func placeholders(_ count: Int) -> String {
        Array(repeating: "?", count: count).joined(separator: ", ")
    }

    /// ` AND id IN (?, …)` and its arguments, or nothing when `ids` is nil.
    static func idScope(_ ids: [Int64]?) -> (String, [SQLValue]) {
        guard let ids else { return ("", []) }
        return (ids.isEmpty ? " AND 0 = 1" : " AND id IN (\(placeholders(ids.count)))", ids.map { .integer($0) })
    }

    /// The WHERE condition selecting `filter`'s records.
    static func condition(for filter: RecordFilter) -> (String, [SQLValue]) {
        switch filter {
        case .all: ("1 = 1", [])
        case .completed: ("annotation_status = 'completed' AND thumbnail_status = 'completed'", [])
        case .failed: ("(annotation_status = 'failed' OR thumbnail_status = 'failed')", [])
        case .unfinished: ("(annotation_status IN ('pending', 'processing') OR thumbnail_status IN ('pending', 'processing'))", [])
        case .ids(let ids): ids.isEmpty ? ("0 = 1", []) : ("id IN (\(placeholders(ids.count)))", ids.map { .integer($0) })
        case .annotationsHeldBy(let worker): ("annotation_status = 'processing' AND annotation_lease_owner = ?", [.text(worker)])
        }
    }
}
