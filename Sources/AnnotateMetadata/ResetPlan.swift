import AnnotateCore

/// The statements of a reset, the same on both backends but for how they compare NULLs: first
/// the ids in scope, then one UPDATE per task over those ids.
struct ResetPlan {
    /// Per task: "its status is one of `from`", or for --stale "a completed annotation by another
    /// model or prompt".
    let perTask: [(task: TaskKind, condition: String, arguments: [SQLValue])]
    let scope: String
    let scopeArguments: [SQLValue]

    /// Nil when the request resets nothing. `differs(column)` is the dialect's NULL-safe
    /// "column differs from ?" (a NULL prompt hash is stale against a real one).
    init?(_ request: ResetRequest, differs: (String) -> String) {
        var perTask: [(TaskKind, String, [SQLValue])] = []
        for task in request.tasks.sorted(by: { $0.rawValue < $1.rawValue }) {
            var parts: [String] = []
            var arguments: [SQLValue] = []
            if !request.from.isEmpty {
                parts.append("\(task)_status IN (\(SQLFragments.placeholders(request.from.count)))")
                arguments += request.from.map(\.rawValue).sorted().map { .text($0) }
            }
            if task == .annotation, let stale = request.staleAgainst {
                parts.append("(annotation_status = 'completed' AND (\(differs("model")) OR \(differs("prompt_hash"))))")
                arguments += [.text(stale.model), .text(stale.promptHash)]
            }
            if !parts.isEmpty { perTask.append((task, "(" + parts.joined(separator: " OR ") + ")", arguments)) }
        }
        guard !perTask.isEmpty else { return nil }
        let (idScope, idArguments) = SQLFragments.idScope(request.ids)
        var scope = "SELECT id FROM images WHERE (\(perTask.map(\.1).joined(separator: " OR ")))\(idScope) ORDER BY id"
        var scopeArguments = perTask.flatMap(\.2) + idArguments
        if let limit = request.limit {
            scope += " LIMIT ?"
            scopeArguments.append(.integer(limit))
        }
        self.perTask = perTask
        self.scope = scope
        self.scopeArguments = scopeArguments
    }

    /// The UPDATE that gives one task of `ids` a fresh start.
    func update(_ entry: (task: TaskKind, condition: String, arguments: [SQLValue]), ids: [Int64], stamp: String) -> (String, [SQLValue]) {
        let task = entry.task
        return (
            """
            UPDATE images SET \(task)_status = 'pending', \(task)_attempts = 0, \(task)_error = NULL, \(task)_error_class = NULL,
                \(task)_lease_owner = NULL, \(task)_lease_until = NULL, updated_at = ?
            WHERE \(entry.condition) AND id IN (\(SQLFragments.placeholders(ids.count)))
            """, [.text(stamp)] + entry.arguments + ids.map { .integer($0) }
        )
    }
}
