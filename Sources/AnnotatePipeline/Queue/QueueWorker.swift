import AnnotateCore
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// `process --queue`: consumes S3 event notifications from a `WorkQueue` as a service in the one
/// lifecycle. Long polls for as many messages as the workers have room for, processes each
/// poll's messages as one batch beside the others (`EventProcessor`), keeps every message in
/// flight hidden from other workers while its images are worked on, deletes a message only once
/// its outcome is recorded, and hands an unfinished one back with a backoff, so the queue's
/// redrive policy ends a poison message in the dead-letter queue. Database claims still make
/// each task run once when a message is delivered twice.
public final class QueueWorker: Service {
    /// How the worker polls.
    public struct Settings: Sendable {
        /// Keep polling until stopped (`--watch`); otherwise end after a poll that brings nothing.
        public var watch = false
        /// A long poll's wait (SQS allows up to 20 s).
        public var pollWait: Duration = .seconds(20)
        /// How long a received message stays hidden; renewed every third of it while its
        /// images are worked on (`--lease`: a vanished worker's messages reappear after it).
        public var visibility: Duration = .seconds(600)
        /// The wait before an unfinished message comes back, by how often it was received.
        public var redelivery: RetryPolicy = .standard

        /// One pass (no `--watch`), 20 s polls, 10-minute visibility.
        public init() {}
    }

    /// What the worker did, once it has ended.
    public struct Summary: Sendable, Equatable {
        /// The pipeline runs' counts, added up.
        public var run = RunSummary()
        /// Messages deleted (their work recorded).
        public var deleted = 0
        /// Messages left to come back (transient failures, unreadable messages, stopped work).
        public var redelivered = 0
        /// Objects refused (another bucket, not an image…).
        public var refused = 0
    }

    private let queue: any WorkQueue
    private let processor: EventProcessor
    private let options: PipelineOptions
    private let settings: Settings
    private let report: @Sendable (TaskReport) async -> Void
    private let logger: Logger
    private let outcome = Mutex<(summary: Summary, stoppedBy: ServiceStopped?)>((Summary(), nil))
    private let inFlight = Mutex<[String: QueueMessage]>([:])
    /// Set by a graceful shutdown (SIGTERM/SIGINT), not by an outage stopping the batches.
    private let shuttingDown = Mutex(false)

    /// A worker taking messages from `queue` into `processor`, running with `options` (tasks,
    /// jobs, grace), calling `report` as each task ends.
    public init(
        queue: any WorkQueue, processor: EventProcessor, options: PipelineOptions, settings: Settings,
        logger: Logger, report: @escaping @Sendable (TaskReport) async -> Void
    ) {
        self.queue = queue
        self.processor = processor
        self.options = options
        self.settings = settings
        self.logger = logger
        self.report = report
    }

    /// The counts so far (all of them once `run` has returned).
    public var summary: Summary { outcome.withLock { $0.summary } }
    /// Set when a service every image needs stopped the work (exit 69).
    public var stoppedBy: ServiceStopped? { outcome.withLock { $0.stoppedBy } }

    /// Polls and processes until the queue is empty (or, watching, until a graceful shutdown).
    public func run() async throws {
        let stop = options.stop ?? StopSignal()
        try await withGracefulShutdownHandler {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await self.keepMessagesHidden() }
                defer { group.cancelAll() }
                try await consume(until: stop)
            }
        } onGracefulShutdown: {
            self.shuttingDown.withLock { $0 = true }
            stop.request()
        }
    }

    /// The poll loop: a batch per poll, run beside the others while the workers have room.
    private func consume(until stop: StopSignal) async throws {
        var options = options
        options.stop = stop
        options.sharedPermits = WorkerPermits(jobs: options.jobs, annotationJobs: options.annotationJobs)
        let capacity = max(1, options.jobs + options.annotationJobs)
        let base = options.worker
        try await withThrowingTaskGroup(of: Void.self) { batches in
            var batchNumber = 0
            var pollFailures = 0
            while !stop.isRequested, stoppedBy == nil {
                let room = capacity - inFlight.withLock { $0.count }
                if room <= 0 {
                    try await batches.next()
                    continue
                }
                let messages: [QueueMessage]
                do {
                    messages = try await poll(maxMessages: min(10, room), stop: stop)
                    pollFailures = 0
                } catch let error as WorkQueueError where settings.watch && error.exitStatus == .unavailable {
                    // A watcher outlives a network blip; a batch run reports it (69).
                    pollFailures += 1
                    let wait = settings.redelivery.delay(afterAttempt: pollFailures)
                    logger.warning("cannot poll the queue; trying again", metadata: ["error": "\(error)", "after": "\(wait)"])
                    await stop.sleep(for: wait)
                    continue
                }
                if messages.isEmpty {
                    if settings.watch { continue }
                    break
                }
                inFlight.withLock { for message in messages { $0[message.receipt] = message } }
                batchNumber += 1
                var batchOptions = options
                // Each batch releases its own leases when it ends, so each has its own worker name.
                batchOptions.worker = "\(base)/\(batchNumber)"
                let run = batchOptions
                batches.addTask { try await self.process(messages, options: run) }
            }
            try await batches.waitForAll()
        }
    }

    /// One long poll, given up when a stop comes first (nothing received is lost: a message
    /// received as the poll is cancelled reappears after its visibility timeout).
    private func poll(maxMessages: Int, stop: StopSignal) async throws -> [QueueMessage] {
        try await withThrowingTaskGroup(of: [QueueMessage]?.self) { group in
            group.addTask {
                try await self.queue.receive(maxMessages: maxMessages, wait: self.settings.pollWait, visibility: self.settings.visibility)
            }
            group.addTask {
                await stop.wait()
                return nil
            }
            defer { group.cancelAll() }
            return try await group.next()?.flatMap { $0 } ?? []
        }
    }

    /// Processes one poll's messages, then deletes what is done and hands back the rest.
    private func process(_ messages: [QueueMessage], options: PipelineOptions) async throws {
        defer { inFlight.withLock { for message in messages { $0[message.receipt] = nil } } }
        let deliveries = messages.map { Delivery(id: $0.id, body: $0.body) }
        let result: EventProcessor.Result
        do {
            result = try await processor.process(deliveries, options: options, report: report)
        } catch {
            // The database or the store is gone: nothing can be said done. The messages come back.
            _ = try? await queue.setVisibility(messages, to: settings.redelivery.delay(afterAttempt: 1))
            throw error
        }
        let byID = Dictionary(result.outcomes.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let done = messages.filter { byID[$0.id]?.isDone ?? false }
        let undone = messages.filter { !(byID[$0.id]?.isDone ?? false) }
        let notDeleted = done.isEmpty ? [] : try await queue.delete(done)
        for id in notDeleted {
            logger.warning("could not delete a finished message; it will come back and be found done", metadata: ["message": "\(id)"])
        }
        let stopping = shuttingDown.withLock { $0 }
        for message in undone {
            // Shutting down, what was released goes to another worker at once; otherwise (an
            // outage included) it comes back after a backoff that grows with each delivery.
            let wait = stopping ? .zero : settings.redelivery.delay(afterAttempt: message.receiveCount)
            _ = try? await queue.setVisibility([message], to: wait)
        }
        outcome.withLock { state in
            state.summary.run.add(result.summary)
            state.summary.deleted += done.count - notDeleted.count
            state.summary.redelivered += undone.count
            state.summary.refused += result.outcomes.reduce(0) { $0 + $1.refused.count }
            if state.stoppedBy == nil { state.stoppedBy = result.stoppedBy }
        }
        // A service every image needs is gone: the other batches stop too, their work released.
        if result.stoppedBy != nil { options.stop?.request() }
    }

    /// Renews the visibility of every message in flight every third of its timeout.
    private func keepMessagesHidden() async throws {
        let interval = settings.visibility / 3
        while !Task.isCancelled {
            try await Task.sleep(for: interval)
            let messages = inFlight.withLock { Array($0.values) }
            guard !messages.isEmpty else { continue }
            do {
                _ = try await queue.setVisibility(messages, to: settings.visibility)
            } catch {
                logger.warning("could not extend the messages' visibility", metadata: ["error": "\(error)"])
            }
        }
    }
}

extension RunSummary {
    /// Adds another run's counts to these.
    mutating func add(_ other: RunSummary) {
        for (task, count) in other.completed { completed[task, default: 0] += count }
        for (task, count) in other.failed { failed[task, default: 0] += count }
        retried += other.retried
        images += other.images
        stopped = stopped || other.stopped
    }
}
