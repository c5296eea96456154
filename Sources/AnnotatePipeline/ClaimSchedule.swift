import AnnotateCore
import Foundation

/// The claim loop's decisions as values: how many images to claim and among which, when to wait
/// for one in flight, how long to sleep when there is nothing to do, when to drain and when the
/// run is over. The pipeline carries out each `Step` and tells the schedule what came of it; the
/// schedule itself does no I/O, so every decision is tested without a database.
struct ClaimSchedule: Sendable {
    /// What the pipeline does next.
    enum Step: Equatable, Sendable {
        /// Claim up to `limit` images, only among `ids` when given.
        case claim(limit: Int, ids: [Int64]?)
        /// Wait for one image in flight to finish (`finishedOne`).
        case awaitOne
        /// Nothing is in flight: ask when the next retry among `ids` is due (`retryDue`).
        case checkRetries(ids: [Int64]?)
        /// Sleep this long, unless a stop or new work in this process comes first.
        case sleep(Duration)
        /// Start the next round (`begin`).
        case nextRound
        /// The run is over.
        case finish
    }

    /// Images in flight at most: enough to keep both kinds of workers busy, no more leased.
    let capacity: Int
    /// Distinct images this run may claim (`--limit`).
    let limit: Int
    /// Only these images (nil: any with claimable work).
    let ids: [Int64]?
    let watch: Bool
    let waitForRetries: Bool
    let pollInterval: Duration
    let maxPollInterval: Duration

    /// Images in flight now.
    private(set) var running = 0
    /// Every image this run has claimed.
    private(set) var seen: Set<Int64> = []
    /// The next idle poll's wait while watching; doubles while nothing comes.
    private var idle: Duration

    init(options: PipelineOptions) {
        capacity = options.jobs + options.annotationJobs
        limit = options.limit ?? Int.max
        ids = options.ids
        watch = options.watch
        waitForRetries = options.waitForRetries
        pollInterval = options.pollInterval
        maxPollInterval = options.maxPollInterval
        idle = options.pollInterval
    }

    /// Past `--limit`, only this run's own images (their retries) are claimed again.
    private var atLimit: Bool { seen.count >= limit }
    private var scope: [Int64]? { atLimit ? seen.sorted() : ids }

    /// A round's first step. Stopping, nothing more is claimed: what is in flight drains.
    func begin(stopping: Bool) -> Step {
        if stopping { return running > 0 ? .awaitOne : .finish }
        let room = atLimit ? capacity - running : min(capacity - running, limit - seen.count)
        return room > 0 ? .claim(limit: room, ids: scope) : roundEnd(claimedNow: 0)
    }

    /// A claim returned these images (perhaps none).
    mutating func claimed(_ images: [Int64]) -> Step {
        seen.formUnion(images)
        running += images.count
        if !images.isEmpty { idle = pollInterval }
        return roundEnd(claimedNow: images.count)
    }

    /// One image in flight finished.
    mutating func finishedOne() {
        running -= 1
    }

    /// Nothing is in flight and the next retry is due at `due` (nil: none is waiting). A batch
    /// ends when nothing is left to wait for; a watcher polls, backing off while nothing comes.
    mutating func retryDue(_ due: Date?, now: Date) -> Step {
        guard due != nil || watch else { return .finish }
        var wait = due.map { Duration.milliseconds(Int64(max(0, $0.timeIntervalSince(now)) * 1000) + 10) } ?? idle
        if watch {
            wait = min(wait, idle)
            idle = min(idle * 2, maxPollInterval)
        }
        return wait > .milliseconds(10) ? .sleep(wait) : .nextRound
    }

    /// After this round's claim: wait for work in flight when full or when nothing new came.
    private func roundEnd(claimedNow: Int) -> Step {
        if running == 0 { return waitForRetries || watch ? .checkRetries(ids: scope) : .finish }
        return claimedNow == 0 || running >= capacity ? .awaitOne : .nextRound
    }
}
