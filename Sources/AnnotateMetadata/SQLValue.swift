/// A value bound to a `?` placeholder, in the statements both backends run (the shared claim
/// and reset plans build them; each store binds them its own way).
enum SQLValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case text(String)

    static func text(_ value: String?) -> SQLValue { value.map { .text($0) } ?? .null }
    static func integer(_ value: Int?) -> SQLValue { value.map { .integer(Int64($0)) } ?? .null }
    static func integer(_ value: Int64?) -> SQLValue { value.map { .integer($0) } ?? .null }
}
