import Foundation

/// The Batch and Files API JSON (v1beta), as `gemini-batch-facts.md` gives it: `BATCH_STATE_*`
/// states, counts as strings and omitted when zero, the output in `metadata.output` and
/// `response`, result lines keyed by `key` with a `response` or an `error`/`status`.
enum GeminiBatchWire {
    /// One line of the request file.
    struct Line: Encodable {
        let key: String
        let request: GeminiWire.Request
    }

    /// `models/{model}:batchGenerateContent`'s body for a file input.
    struct Create: Encodable {
        struct Batch: Encodable {
            struct InputConfig: Encodable { let fileName: String }
            let displayName: String
            let inputConfig: InputConfig
        }
        let batch: Batch
    }

    /// The resumable upload's start body (the SDK's snake_case; the API takes both spellings).
    struct UploadStart: Encodable {
        struct File: Encodable {
            let display_name: String
            let mime_type: String
            let size_bytes: Int
        }
        let file: File
    }

    /// `{"file": File}` after the upload is finalized.
    struct FileEnvelope: Decodable {
        struct File: Decodable {
            let name: String
            let state: String?
        }
        let file: File
    }

    /// google.rpc.Status.
    struct Status: Decodable {
        let code: Int?
        let message: String?
    }

    /// An int64 carried as a JSON string (or, leniently, a number).
    struct Count: Decodable {
        let value: Int
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) {
                value = Int(text) ?? 0
            } else {
                value = (try? container.decode(Int.self)) ?? 0
            }
        }
    }

    struct Output: Decodable {
        let responsesFile: String?
    }

    /// The Operation returned by create, get and list.
    struct Operation: Decodable {
        struct Metadata: Decodable {
            struct Stats: Decodable {
                let requestCount: Count?
                let successfulRequestCount: Count?
                let failedRequestCount: Count?
                let pendingRequestCount: Count?
            }
            let name: String?
            let displayName: String?
            let state: String?
            let batchStats: Stats?
            let output: Output?
        }
        let name: String?
        let metadata: Metadata?
        let done: Bool?
        let error: Status?
        let response: Output?
    }

    /// `GET /v1beta/batches`'s page.
    struct List: Decodable {
        let operations: [Operation]?
        let nextPageToken: String?
    }

    /// One line of the results file: `{"key", "response"}` or `{"key", "error"|"status"}`.
    struct ResultLine: Decodable {
        let key: String?
        let response: GeminiWire.Response?
        let error: Status?
        let status: Status?
    }
}
