// annotate-store-bench: measures a MetadataStore alone, for `make bench` (bench/store_bench.py).
//
//   annotate-store-bench open  DB              create the database and apply the migrations
//   annotate-store-bench reads DB [REPEAT]     what `status` reads (the summary and the latest
//                                              failures) and one 50-row gallery page (keyset, from
//                                              the middle of the table): median and worst ms
//   annotate-store-bench claims DB IMAGES WORKERS   insert IMAGES images, then WORKERS stores (as
//                                              separate processes would) claim and complete every
//                                              task: tasks/s
//
// DB is a --db value (sqlite:PATH or mysql://…). Only the metadata backends' public API is used.
import AnnotateCore
import AnnotateMetadata
import Foundation

func open(_ text: String, connections: Int = 4) throws -> any MetadataStore {
    switch try DatabaseLocation(parsing: text) {
    case .sqlite(let path): try SQLiteMetadataStore(path: path)
    case .mysql(let location): try MySQLMetadataStore(location: location, connections: connections)
    }
}

func milliseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
}

func reads(_ store: any MetadataStore, repeat count: Int) async throws {
    let clock = ContinuousClock()
    let summary = try await store.summary()
    guard summary.total > 0 else { throw BenchError("the database is empty") }
    // The id in the middle of the table, found by keyset steps so no OFFSET scan is involved.
    let middle = Int64(summary.total / 2)
    var statusTimes: [Double] = [], pageTimes: [Double] = []
    for _ in 0..<count {
        statusTimes.append(
            milliseconds(
                try await clock.measure {
                    _ = try await store.summary()
                    _ = try await store.latestFailures(limit: 10)
                }))
        var page: [ImageRecord] = []
        pageTimes.append(milliseconds(try await clock.measure { page = try await store.records(after: middle, limit: 50, filter: .all) }))
        guard page.count == 50 else { throw BenchError("a gallery page returned \(page.count) rows, not 50") }
    }
    func report(_ name: String, _ times: [Double]) {
        let sorted = times.sorted()
        print(String(format: "%@ median_ms=%.2f max_ms=%.2f", name, sorted[sorted.count / 2], sorted.last!))
    }
    print("records=\(summary.total)")
    report("status", statusTimes)
    report("page", pageTimes)
}

func claims(_ text: String, images: Int, workers: Int) async throws {
    let setup = try open(text)
    let now = Date()
    for n in 0..<images {
        let hash = String(format: "%064x", n + 1)
        _ = try await setup.insert(
            NewImage(
                filename: "bench-\(n).jpg", sha256: hash, contentType: "image/jpeg", size: 1000,
                width: 640, height: 480, originalKey: "uploads/\(hash.prefix(16))-bench-\(n).jpg"), at: now)
    }
    let stores = try (0..<workers).map { _ in try open(text, connections: 2) }
    let clock = ContinuousClock()
    let start = clock.now
    let done = try await withThrowingTaskGroup(of: Int.self) { group in
        for (n, store) in stores.enumerated() {
            group.addTask {
                var completed = 0
                while true {
                    let batch = try await store.claim(
                        ClaimRequest(
                            worker: "bench-\(n)", tasks: [.annotation, .thumbnail], ids: nil,
                            limit: 16, lease: .seconds(600), maxAttempts: 3), at: Date())
                    if batch.isEmpty { return completed }
                    for image in batch {
                        for task in image.tasks {
                            let result: TaskOutcome.Result =
                                task == .annotation
                                ? .annotated(Annotation(caption: "A caption for the benchmark.", tags: ["bench"], model: "bench", tokens: 100))
                                : .thumbnailed(key: "thumbnails/\(image.record.id).jpg")
                            guard
                                try await store.record(TaskOutcome(id: image.record.id, task: task, worker: "bench-\(n)", result: result), at: Date())
                            else {
                                throw BenchError("worker \(n) lost a lease it held")
                            }
                            completed += 1
                        }
                    }
                }
            }
        }
        return try await group.reduce(0, +)
    }
    let seconds = milliseconds(clock.now - start) / 1000
    guard done == images * 2 else { throw BenchError("completed \(done) tasks, expected \(images * 2)") }
    print(String(format: "tasks=%d workers=%d seconds=%.2f tasks_per_s=%.0f", done, workers, seconds, Double(done) / seconds))
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

let arguments = Array(CommandLine.arguments.dropFirst())
do {
    switch (arguments.first, arguments.count) {
    case ("open", 2):
        _ = try open(arguments[1])
    case ("reads", 2), ("reads", 3):
        try await reads(try open(arguments[1]), repeat: arguments.count == 3 ? Int(arguments[2]) ?? 20 : 20)
    case ("claims", 4):
        try await claims(arguments[1], images: Int(arguments[2]) ?? 5000, workers: Int(arguments[3]) ?? 4)
    default:
        FileHandle.standardError.write(Data("usage: annotate-store-bench open DB | reads DB [REPEAT] | claims DB IMAGES WORKERS\n".utf8))
        exit(64)
    }
} catch {
    FileHandle.standardError.write(Data("annotate-store-bench: \(error)\n".utf8))
    exit(1)
}
