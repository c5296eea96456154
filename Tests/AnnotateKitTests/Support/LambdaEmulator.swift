import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif

/// AWS's own Lambda Runtime Interface Emulator (`aws-lambda-rie`, taken out of the aws-sam-cli
/// wheel by scripts/aws-tools.sh) running a bundle's `bootstrap` as Lambda would, with
/// `LD_LIBRARY_PATH` unset. Invoked over its HTTP API like `aws lambda invoke`.
final class LambdaEmulator {
    let process = Process()
    let port = unusedLoopbackPort()
    let log: URL

    /// Starts the emulator on `bundle/bootstrap` with `environment` (the function's settings)
    /// and `timeout` seconds per invocation.
    init(bundle: URL, environment: [String: String], timeout: Int = 60) throws {
        guard let rie = ProcessInfo.processInfo.environment["ANNOTATE_TEST_RIE"], FileManager.default.isExecutableFile(atPath: rie) else {
            throw TestServerMissing(
                message: """
                    the Lambda tests need AWS's emulator: run `make test` (it fetches it), or \
                    `eval "$(scripts/test-services.sh env)"` before `swift test`
                    """)
        }
        log = FileManager.default.temporaryDirectory.appendingPathComponent("annotate-rie-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: rie)
        process.arguments = [
            "--runtime-interface-emulator-address", "127.0.0.1:\(port)", "--runtime-api-address", "127.0.0.1:\(unusedLoopbackPort())",
            bundle.appendingPathComponent("bootstrap").path,
        ]
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("ANNOTATE_") && !$0.key.hasPrefix("GEMINI_") }
        env["LD_LIBRARY_PATH"] = nil
        env.merge(environment) { _, new in new }
        env.merge([
            "AWS_LAMBDA_FUNCTION_NAME": "annotate", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
            "AWS_LAMBDA_FUNCTION_TIMEOUT": "\(timeout)", "AWS_REGION": "us-east-1",
        ]) { _, new in new }
        process.environment = env
        process.currentDirectoryURL = bundle
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        // Ready when its invoke port accepts connections.
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if canConnect() { return }
            usleep(50_000)
        }
        throw TestAWSError(message: "aws-lambda-rie did not start: \(logText)")
    }

    deinit { stop() }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    var logText: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    private func canConnect() -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    /// `aws lambda invoke` with `event`: the HTTP status and the function's answer.
    func invoke(_ event: String) async throws -> (status: Int, body: [String: Any], text: String) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/2015-03-31/functions/function/invocations")!)
        request.httpMethod = "POST"
        request.httpBody = Data(event.utf8)
        request.timeoutInterval = 120
        let (data, response) = try await URLSession.shared.data(for: request)
        let text = String(decoding: data, as: UTF8.self)
        let body = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, body, text)
    }

    /// The bundle `make lambda-bundle` would write, made from the binary under test.
    static let bundle: URL = {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("annotate-lambda-bundle-\(getpid())")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../scripts/lambda-bundle.sh")
            .standardizedFileURL
        let make = Process()
        make.executableURL = URL(fileURLWithPath: "/bin/bash")
        make.arguments = [script.path, Binary.url.path, directory.path]
        make.standardError = FileHandle.nullDevice
        try? make.run()
        make.waitUntilExit()
        return directory
    }()
}

/// An SQS trigger's event around `bodies` (message ids `m0`, `m1`…), as Lambda delivers it.
func sqsTriggerEvent(_ bodies: [String]) -> String {
    let records: [[String: Any]] = bodies.enumerated().map { index, body in
        [
            "messageId": "m\(index)", "receiptHandle": "r\(index)", "body": body, "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:annotate-work", "awsRegion": "us-east-1",
            "attributes": ["ApproximateReceiveCount": "1"], "messageAttributes": [:],
        ]
    }
    return String(decoding: try! JSONSerialization.data(withJSONObject: ["Records": records]), as: UTF8.self)
}
