import Foundation
import Logging
import Testing

@testable import AnnotateCore
@testable import AnnotateImaging
@testable import AnnotateKit
@testable import AnnotateMetadata
@testable import AnnotatePipeline
@testable import AnnotateStorage

/// The metadata annotator with scripted transient failures first: exercises the pipeline's retry
/// path (our own protocol, no remote API involved).
actor FlakyCounter {
    var failuresLeft: Int
    var calls = 0
    init(failures: Int) { failuresLeft = failures }
    func next() -> Bool {
        calls += 1
        guard failuresLeft > 0 else { return false }
        failuresLeft -= 1
        return true
    }
}

struct FlakyAnnotator: Annotator {
    let inner: MetadataAnnotator
    let counter: FlakyCounter
    var model: String { inner.model }
    var promptHash: String? { nil }
    var previewSide: Int? { nil }
    func estimatedInputTokens(width: Int, height: Int) -> Int? { nil }
    var batchMode: (any BatchAnnotator)? { nil }
    func countInputTokens(for image: AnnotationInput) async throws -> Int? { nil }
    func annotate(_ image: AnnotationInput) async throws -> Annotation {
        if await counter.next() { throw AnnotationError.transient("HTTP 503 Service Unavailable") }
        return try await inner.annotate(image)
    }
}

@Suite struct PipelineTests {
    struct Setup {
        let metadata: SQLiteMetadataStore
        let store: FileObjectStore
        let uploader: Uploader
        func pipeline(annotator: (any Annotator)? = nil) throws -> Pipeline {
            Pipeline(
                metadata: metadata, originals: store, thumbnails: store, annotator: try annotator ?? MetadataAnnotator(),
                thumbnailer: try VipsThumbnailer(spec: ThumbnailSpec()), logger: Logger.quiet)
        }
    }

    func setup() throws -> Setup {
        let directory = try Fixtures.temporaryDirectory("pipeline")
        let metadata = try SQLiteMetadataStore(path: directory.appendingPathComponent("annotate.db").path)
        let store = try FileObjectStore(root: directory.appendingPathComponent("objects"))
        return Setup(
            metadata: metadata, store: store,
            uploader: Uploader(metadata: metadata, store: store, limits: .defaults, headers: try VipsHeaderReader(), logger: Logger.quiet))
    }

    func options(_ change: (inout PipelineOptions) -> Void = { _ in }) -> PipelineOptions {
        var options = PipelineOptions()
        options.retryPolicy = .immediate
        change(&options)
        return options
    }

    @Test func completesBothTasksForEverySampleAndOneFailureStaysItsOwn() async throws {
        let s = try setup()
        let candidates = try FileManager.default.contentsOfDirectory(atPath: Fixtures.samples.path)
            .filter { Fixtures.expectedThumbnailSizes[$0] != nil }
            .map { UploadCandidate(path: Fixtures.samples.appendingPathComponent($0).path, origin: .named) }
        let truncated = try Fixtures.temporaryDirectory("trunc").appendingPathComponent("truncated.jpg")
        try Fixtures.truncatedJPEG().write(to: truncated)
        let uploads = try await s.uploader.upload(candidates + [UploadCandidate(path: truncated.path, origin: .named)], jobs: 4) { _ in }
        #expect(uploads.allSatisfy { $0.status == .uploaded })

        let reports = ReportLog()
        let summary = try await s.pipeline().run(options()) { await reports.add($0) }
        #expect(summary.images == 13)
        #expect(summary.completed == [.annotation: 12, .thumbnail: 12])
        #expect(summary.failed == [.annotation: 1, .thumbnail: 1])
        #expect(await reports.all.count == 26)

        for record in try await s.metadata.records(after: nil, limit: 50, filter: .all) {
            if record.filename == "truncated.jpg" {
                #expect(record.annotationStatus == .failed && record.thumbnailStatus == .failed)
                #expect(record.thumbnailError?.hasPrefix("cannot decode the image") == true)
                #expect(record.thumbnailKey == nil)
                continue
            }
            #expect(record.annotationStatus == .completed && record.thumbnailStatus == .completed, "\(record.filename)")
            let key = try ObjectKey(try #require(record.thumbnailKey))
            #expect(key.rawValue.hasPrefix("thumbnails/"))
            let header = try Vips.probe(try await s.store.get(key))
            let (w, h) = try #require(Fixtures.expectedThumbnailSizes[record.filename])
            #expect(abs(header.width - w) <= 1 && abs(header.height - h) <= 1, "\(record.filename)")
            #expect(record.annotation?.isEmpty == false && record.model == "metadata-v1")
            #expect(record.annotationAttempts == 1 && record.thumbnailAttempts == 1)
        }
        // Nothing left to do: a second run claims nothing.
        #expect(try await s.pipeline().run(options()) { _ in }.images == 0)
    }

    @Test func onlyLimitAndIdsScopeTheRun() async throws {
        let s = try setup()
        let urls = try Fixtures.distinctCopies(of: "astronaut.jpg", count: 5, into: try Fixtures.temporaryDirectory("copies"))
        let ids = try await s.uploader.upload(urls.map { UploadCandidate(path: $0.path, origin: .named) }, jobs: 2) { _ in }.compactMap(\.id)
        let first = try await s.pipeline().run(
            options {
                $0.tasks = [.thumbnail]
                $0.limit = 2
            }
        ) { _ in }
        #expect(first.completed == [.thumbnail: 2])
        // A retried image is still one image of the limit, and its retries still happen.
        let counter = FlakyCounter(failures: 1)
        let flaky = try await s.pipeline(annotator: FlakyAnnotator(inner: try MetadataAnnotator(), counter: counter))
            .run(
                options {
                    $0.tasks = [.annotation]
                    $0.limit = 1
                }
            ) { _ in }
        #expect(flaky.images == 1 && flaky.retried == 1 && flaky.completed == [.annotation: 1])
        let second = try await s.pipeline().run(options { $0.ids = [ids[4]] }) { _ in }
        #expect(second.completed == [.annotation: 1, .thumbnail: 1])
        let summary = try await s.metadata.summary()
        #expect(summary.thumbnail[.completed] == 3 && summary.annotation[.completed] == 2)
    }

    @Test func transientFailuresAreRetriedThenSucceed() async throws {
        let s = try setup()
        _ = try await s.uploader.upload(UploadCandidate(path: Fixtures.samples.appendingPathComponent("fig-bowl.jpg").path, origin: .named))
        let counter = FlakyCounter(failures: 2)
        let annotator = FlakyAnnotator(inner: try MetadataAnnotator(), counter: counter)
        let summary = try await s.pipeline(annotator: annotator).run(options()) { _ in }
        #expect(summary.retried == 2)
        #expect(summary.images == 1)
        #expect(summary.completed == [.annotation: 1, .thumbnail: 1])
        let record = try #require(try await s.metadata.record(id: 1))
        #expect(record.annotationAttempts == 3 && record.annotationStatus == .completed && record.annotationError == nil)
        #expect(record.thumbnailAttempts == 1)
    }

    @Test func transientFailuresGiveUpAfterMaxAttemptsAndRetryFailedStartsAfresh() async throws {
        let s = try setup()
        _ = try await s.uploader.upload(UploadCandidate(path: Fixtures.samples.appendingPathComponent("fig-bowl.jpg").path, origin: .named))
        let counter = FlakyCounter(failures: 100)
        let summary = try await s.pipeline(annotator: FlakyAnnotator(inner: try MetadataAnnotator(), counter: counter))
            .run(options { $0.maxAttempts = 3 }) { _ in }
        #expect(summary.failed == [.annotation: 1])
        #expect(await counter.calls == 3)
        var record = try #require(try await s.metadata.record(id: 1))
        #expect(record.annotationStatus == .failed && record.annotationError == "gave up after 3 attempts: HTTP 503 Service Unavailable")
        #expect(record.thumbnailStatus == .completed)

        let again = try await s.pipeline().run(options { $0.retryFailed = true }) { _ in }
        #expect(again.completed == [.annotation: 1])
        record = try #require(try await s.metadata.record(id: 1))
        #expect(record.annotationStatus == .completed && record.annotationAttempts == 1)
    }

    @Test func aMissingOriginalFailsItsTasksWithTheKey() async throws {
        let s = try setup()
        let upload = try await s.uploader.upload(UploadCandidate(path: Fixtures.samples.appendingPathComponent("fig-bowl.jpg").path, origin: .named))
        let uploadedID = try #require(upload.id)
        let record = try #require(try await s.metadata.record(id: uploadedID))
        try await s.store.delete(ObjectKey(record.originalKey))
        let summary = try await s.pipeline().run(options()) { _ in }
        #expect(summary.failed == [.annotation: 1, .thumbnail: 1])
        let failed = try #require(try await s.metadata.record(id: record.id))
        #expect(failed.annotationError?.contains(record.originalKey) == true)
    }

    @Test func reprocessRunsCompletedTasksAgain() async throws {
        let s = try setup()
        _ = try await s.uploader.upload(UploadCandidate(path: Fixtures.samples.appendingPathComponent("fig-bowl.jpg").path, origin: .named))
        _ = try await s.pipeline().run(options()) { _ in }
        let again = try await s.pipeline().run(
            options {
                $0.reprocess = true
                $0.tasks = [.thumbnail]
            }
        ) { _ in }
        #expect(again.completed == [.thumbnail: 1])
    }
}

actor ReportLog {
    var all: [TaskReport] = []
    func add(_ report: TaskReport) { all.append(report) }
}
