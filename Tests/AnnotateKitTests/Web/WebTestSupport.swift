import Foundation
import Hummingbird
import HummingbirdTesting
import Logging

@testable import AnnotateKit
@testable import AnnotateWeb

/// A `serve` over a fresh home (SQLite + a file store, the offline annotator), built in-process
/// for Hummingbird's test harness.
struct WebFixture {
    let components: Components
    let app: WebApp

    init(flags: [ConfigurationKey: String] = [:], environment: [String: String] = [:], home: URL? = nil) throws {
        let home = try home ?? Fixtures.temporaryDirectory("web")
        let configuration = try Configuration.resolve(
            flags: flags.merging([.annotator: "metadata", .jobs: "2"]) { mine, _ in mine },
            environment: environment.merging(["ANNOTATE_HOME": home.path, "HOME": home.path]) { mine, _ in mine })
        components = try Components.open(configuration, logger: .quiet)
        TestTransports.keep(components)
        var app = try WebApp(components: components)
        app.temporaryDirectory = home.appendingPathComponent("upload-temp")
        // In-process, the checks share the test host's few threads with every other test.
        app.healthTimeout = .seconds(60)
        self.app = app
    }

    var home: URL { components.configuration.home }

    /// Runs the pipeline once over everything pending, as the in-process worker would.
    func processAll() async throws {
        var options = components.pipelineOptions()
        options.jobs = 2
        _ = try await components.pipeline().run(options) { _ in }
    }

    func test<T>(_ body: @escaping @Sendable (any TestClientProtocol) async throws -> T) async throws -> T {
        let application = Application(router: app.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: .quiet)
        return try await application.test(.router, body)
    }
}

/// A multipart/form-data body as a browser builds it.
struct MultipartForm {
    let boundary = "----annotateTest\(UUID().uuidString.prefix(8))"
    var parts: [(field: String, filename: String?, contentType: String, data: Data)] = []

    mutating func addFile(_ name: String, _ data: Data, field: String = "files", contentType: String = "application/octet-stream") {
        parts.append((field, name, contentType, data))
    }

    mutating func addField(_ name: String, _ value: String) {
        parts.append((name, nil, "text/plain", Data(value.utf8)))
    }

    var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    var body: ByteBuffer {
        var data = Data()
        for part in parts {
            data += Data("--\(boundary)\r\n".utf8)
            let filename = part.filename.map { "; filename=\"\($0.replacingOccurrences(of: "\"", with: "%22"))\"" } ?? ""
            data += Data("Content-Disposition: form-data; name=\"\(part.field)\"\(filename)\r\n".utf8)
            data += Data("Content-Type: \(part.contentType)\r\n\r\n".utf8)
            data += part.data
            data += Data("\r\n".utf8)
        }
        data += Data("--\(boundary)--\r\n".utf8)
        return ByteBuffer(bytes: data)
    }

    func headers(json: Bool = true, extra: HTTPFields = [:]) -> HTTPFields {
        var headers: HTTPFields = [.contentType: contentType]
        if json { headers[.accept] = "application/json" }
        headers.append(contentsOf: extra)
        return headers
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }

    func json() throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any] ?? [:]
    }
}

extension TestClientProtocol {
    /// Uploads `files` (name, bytes) as one form and returns the JSON answer.
    @discardableResult
    func upload(_ files: [(String, Data)], headers extra: HTTPFields = [:]) async throws -> TestResponse {
        var form = MultipartForm()
        for (name, data) in files { form.addFile(name, data) }
        return try await execute(uri: "/upload", method: .post, headers: form.headers(extra: extra), body: form.body)
    }
}
