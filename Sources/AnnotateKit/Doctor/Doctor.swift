import AnnotateAnnotators
import AnnotateCore
import AnnotateHTTPClient
import AnnotateImaging
import Foundation
import Logging

/// One line of `annotate doctor`.
public struct DoctorCheck: Sendable, Equatable {
    /// What was checked.
    public var name: String
    /// Whether it is fine.
    public var passed: Bool
    /// What was found, or what to do.
    public var detail: String
    /// What to do, when it failed.
    public var advice: String?

    static func pass(_ name: String, _ detail: String) -> DoctorCheck { DoctorCheck(name: name, passed: true, detail: detail, advice: nil) }
    static func fail(_ name: String, _ detail: String, _ advice: String) -> DoctorCheck {
        DoctorCheck(name: name, passed: false, detail: detail, advice: advice)
    }
}

/// `annotate doctor`: checks a host before it runs anything — configuration, database, stores,
/// the annotator's endpoint and key, and the image formats this libvips reads. Each check is
/// independent, so one failure does not hide the others.
public enum Doctor {
    /// Runs every check against `configuration` (or reports why it could not be read); the
    /// annotator's check goes through `transport`, or a client of its own that it shuts down.
    public static func run(
        _ configuration: Result<Configuration, any Error>, logger: Logger, transport: (any HTTPTransport)? = nil
    ) async -> [DoctorCheck] {
        let owned = transport == nil ? NIOHTTPTransport(maximumConnections: 2, readTimeout: .seconds(10)) : nil
        let checks = await run(configuration, logger: logger, through: transport ?? owned!)
        await owned?.shutdown()
        return checks
    }

    private static func run(
        _ configuration: Result<Configuration, any Error>, logger: Logger, through transport: any HTTPTransport
    ) async -> [DoctorCheck] {
        var checks: [DoctorCheck] = []
        switch configuration {
        case .failure(let error):
            checks.append(.fail("configuration", "\(error)", "fix the setting named above (flag, environment variable or config file)"))
        case .success(let configuration):
            checks.append(
                .pass(
                    "configuration",
                    "database \(configuration.database), store \(configuration.store)"
                        + (configuration.thumbnailStore == configuration.store ? "" : ", thumbnails \(configuration.thumbnailStore)")
                        + ", annotator \(configuration.annotator.rawValue)"))
            checks.append(await database(configuration, logger: logger))
            checks += await stores(configuration)
            checks.append(await annotator(configuration, transport: transport))
        }
        checks.append(formats())
        return checks
    }

    static func database(_ configuration: Configuration, logger: Logger) async -> DoctorCheck {
        do {
            let store = try Components.openDatabase(try await DatabaseSecret.resolve(configuration), logger: logger)
            try await store.ping()
            let summary = try await store.summary()
            return .pass("database", "\(configuration.database): reachable, migrated, \(summary.total) images")
        } catch {
            return .fail(
                "database", "\(error)",
                configuration.database.description.hasPrefix("mysql")
                    ? "check the server, user, password and database in --db / ANNOTATE_DB / DB_* (or the secret DB_SECRET_ARN names)"
                    : "check that the directory exists and is writable")
        }
    }

    /// Writes, reads back and deletes a probe object in each store.
    static func stores(_ configuration: Configuration) async -> [DoctorCheck] {
        let transports = OwnedTransports()
        let checks = await stores(configuration, transports: transports)
        await transports.shutdownAll()
        return checks
    }

    private static func stores(_ configuration: Configuration, transports: OwnedTransports) async -> [DoctorCheck] {
        let opened: (originals: any ObjectStore, thumbnails: any ObjectStore)
        do {
            opened = try Components.openStores(configuration, transports: transports)
        } catch {
            return [.fail("store", "\(error)", "check --store and --thumbnail-store")]
        }
        var stores = [("store", opened.originals)]
        if configuration.thumbnailStore != configuration.store { stores.append(("thumbnail store", opened.thumbnails)) }
        var checks: [DoctorCheck] = []
        for (name, store) in stores {
            do {
                try await store.checkReachable()
                let key = try ObjectKey("doctor/probe-\(UUID().uuidString.lowercased()).txt")
                let bytes = Data("annotate doctor probe".utf8)
                try await store.put(bytes, at: key, contentType: "text/plain")
                let back = try await store.get(key)
                try await store.delete(key)
                guard back == bytes else {
                    throw ObjectStoreError.io(operation: "read back", key: key.rawValue, store: store.displayName, reason: "different bytes")
                }
                checks.append(.pass(name, "\(store.displayName): writable and readable"))
            } catch {
                checks.append(.fail(name, "\(error)", store.setupAdvice))
            }
        }
        return checks
    }

    /// Asks the annotation API about the model — free, unlike an annotation — which proves the
    /// endpoint, the key and the model name at once.
    static func annotator(_ configuration: Configuration, transport: any HTTPTransport) async -> DoctorCheck {
        let settings = configuration.annotation
        let request: TransportRequest
        let model: String
        let keyName: String
        let key: Secret?
        switch configuration.annotator {
        case .metadata:
            return .pass("annotator", "metadata (offline: no network or key needed)")
        case .gemini:
            guard let geminiKey = settings.geminiKey else {
                return .fail("annotator", "gemini needs an API key and none is set", "set GEMINI_API_KEY (or use --annotator metadata offline)")
            }
            model = settings.model ?? GeminiAnnotator.defaultModel
            keyName = "GEMINI_API_KEY"
            key = geminiKey
            request = TransportRequest(
                method: "GET", url: GeminiAnnotator.modelURL(baseURL: settings.geminiBaseURL, model: model),
                headers: ["x-goog-api-key": geminiKey.reveal()], body: Data(), timeout: .seconds(10))
        case .openai:
            guard let openAIModel = settings.model else {
                return .fail("annotator", "openai needs a model and none is set", "set --model or OPENAI_MODEL")
            }
            model = openAIModel
            keyName = "OPENAI_API_KEY"
            key = settings.openAIKey
            var headers: [String: String] = [:]
            if let key = settings.openAIKey { headers["Authorization"] = "Bearer \(key.reveal())" }
            request = TransportRequest(
                method: "GET", url: settings.openAIBaseURL.appendingPathComponent("models"), headers: headers,
                body: Data(), timeout: .seconds(10))
        }
        let endpoint = "\(request.url.scheme ?? "https")://\(request.url.host ?? "")" + (request.url.port.map { ":\($0)" } ?? "")
        do {
            let response = try await transport.send(request)
            let message = key.map { $0.redact(Self.apiMessage(response.body)) } ?? Self.apiMessage(response.body)
            switch response.status {
            case 200:
                return .pass("annotator", "\(configuration.annotator.rawValue) at \(endpoint): model \(model) answers to the key")
            case 404:
                return .fail(
                    "annotator", "\(endpoint) does not know the model \(model): \(message)",
                    "set --model (or GEMINI_MODEL_NAME / OPENAI_MODEL) to a current model; older names are retired")
            case 400, 401, 403:
                return .fail("annotator", "\(endpoint) refused the key: \(message)", "check \(keyName)")
            default:
                return .fail("annotator", "\(endpoint) answered HTTP \(response.status): \(message)", "try again later, or check the endpoint")
            }
        } catch {
            return .fail("annotator", "\(error)", "check the network and the endpoint (GEMINI_BASE_URL / OPENAI_BASE_URL)")
        }
    }

    /// The loaders the tool needs and the ones it refuses on purpose.
    static func formats() -> DoctorCheck {
        let wanted: [(String, String)] = [
            ("JPEG", "jpegload_buffer"), ("PNG", "pngload_buffer"), ("WebP", "webpload_buffer"),
            ("GIF", "gifload_buffer"), ("TIFF", "tiffload_buffer"), ("HEIC/AVIF", "heifload_buffer"),
        ]
        let refused: [(String, String)] = [("SVG", "svgload_buffer"), ("PDF", "pdfload_buffer"), ("ImageMagick", "magickload_buffer")]
        do {
            var readable: [String] = [], missing: [String] = []
            for (name, loader) in wanted {
                if try Vips.loaderState(loader) == .available { readable.append(name) } else { missing.append(name) }
            }
            let blocked = try refused.filter { try Vips.loaderState($0.1) != .available }.map(\.0)
            let detail =
                "libvips \(Vips.version) reads \(readable.joined(separator: ", "))"
                + (blocked.isEmpty ? "" : "; refuses \(blocked.joined(separator: ", ")) (not safe for untrusted input)")
            guard missing.isEmpty else {
                return .fail(
                    "image formats", detail + "; cannot read \(missing.joined(separator: ", "))",
                    "install a libvips built with those formats (Debian: libvips42 with libheif1 for HEIC/AVIF)")
            }
            return .pass("image formats", detail)
        } catch {
            return .fail("image formats", "libvips does not start: \(error)", "install libvips (Debian: apt-get install libvips42)")
        }
    }

    /// The `error.message` of a JSON error body, or a short excerpt.
    static func apiMessage(_ body: Data) -> String {
        if let json = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
            let message = (json["error"] as? [String: Any])?["message"] as? String ?? json["message"] as? String
        {
            return message
        }
        return String(decoding: body.prefix(200), as: UTF8.self)
    }
}
