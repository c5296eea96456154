import AnnotatePresentation
import Foundation
import HTTPTypes
import Hummingbird

/// The JSON API: records exactly as `status --json` prints them.
extension WebApp {
    static let maxAPIPageSize = 500

    func addAPIRoutes(to router: RouteRegistry<BasicRequestContext>) {
        router.get("/api/images") { request, context in
            try await cachedPage(request, context: context) { try await imagePage(request) }
        }
        router.get("/api/images/{id}") { request, context in
            try await cachedPage(request, context: context) { Response.json(RecordJSON(try await record(context), prices: prices)) }
        }
    }

    /// `GET /api/images`: a keyset page of records, newest first.
    func imagePage(_ request: Request) async throws -> Response {
        let query = request.uri.queryParameters
        let (filter, _) = try Self.statusFilter(query.get("status"))
        let cursor = try Self.cursor(query.get("cursor"), name: "cursor")
        var limit = 50
        if let text = query.get("limit") {
            guard let value = Int(text), (1...Self.maxAPIPageSize).contains(value) else {
                throw WebError.badRequest("limit must be a whole number from 1 to \(Self.maxAPIPageSize), not \(text.debugDescription)")
            }
            limit = value
        }
        var records = try await metadata.recordsNewestFirst(before: cursor, limit: limit + 1, filter: filter)
        let hasMore = records.count > limit
        if hasMore { records.removeLast() }
        return Response.json(ImagePage(images: records.map { RecordJSON($0, prices: prices) }, nextCursor: hasMore ? records.last?.id : nil))
    }
}

/// `{"images": [...], "next_cursor": ID|null}`: pass `?cursor=` the next_cursor for the next page.
struct ImagePage: Encodable {
    let images: [RecordJSON]
    let nextCursor: Int64?

    enum CodingKeys: String, CodingKey {
        case images
        case nextCursor = "next_cursor"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(images, forKey: .images)
        try c.encode(nextCursor, forKey: .nextCursor)
    }
}
