import Foundation
import Testing

@testable import AnnotateCore
@testable import AnnotatePipeline

/// The claim loop's and the retry's decisions, as values: no database, no clock but the one given.
@Suite struct ClaimScheduleTests {
    func options(jobs: Int = 1, annotationJobs: Int = 1, limit: Int? = nil, ids: [Int64]? = nil, watch: Bool = false) -> PipelineOptions {
        var options = PipelineOptions()
        options.jobs = jobs
        options.annotationJobs = annotationJobs
        options.limit = limit
        options.ids = ids
        options.watch = watch
        options.pollInterval = .seconds(1)
        options.maxPollInterval = .seconds(5)
        return options
    }

    @Test func aBatchClaimsUpToItsCapacityWaitsWhenFullAndEndsWhenNothingIsLeft() {
        var schedule = ClaimSchedule(options: options(jobs: 1, annotationJobs: 2))
        #expect(schedule.begin(stopping: false) == .claim(limit: 3, ids: nil))
        #expect(schedule.claimed([1, 2, 3]) == .awaitOne)
        schedule.finishedOne()
        #expect(schedule.begin(stopping: false) == .claim(limit: 1, ids: nil))
        // Room left and nothing new: wait for what is in flight rather than claim again at once.
        #expect(schedule.claimed([]) == .awaitOne)
        schedule.finishedOne()
        schedule.finishedOne()
        #expect(schedule.begin(stopping: false) == .claim(limit: 3, ids: nil))
        #expect(schedule.claimed([4]) == .nextRound)
        schedule.finishedOne()
        #expect(schedule.begin(stopping: false) == .claim(limit: 3, ids: nil))
        #expect(schedule.claimed([]) == .checkRetries(ids: nil))
        var batch = schedule
        #expect(batch.retryDue(nil, now: Date()) == .finish)
    }

    @Test func aRetryDueLaterIsSleptUntilAndOneDueNowIsClaimedAtOnce() {
        var schedule = ClaimSchedule(options: options())
        let now = Date(timeIntervalSince1970: 1_000)
        #expect(schedule.retryDue(now.addingTimeInterval(3), now: now) == .sleep(.milliseconds(3_010)))
        #expect(schedule.retryDue(now, now: now) == .nextRound)
        #expect(schedule.retryDue(now.addingTimeInterval(-5), now: now) == .nextRound)
    }

    @Test func theLimitCountsDistinctImagesAndThenOnlyTheirRetriesAreClaimed() {
        var schedule = ClaimSchedule(options: options(jobs: 2, annotationJobs: 2, limit: 2))
        #expect(schedule.begin(stopping: false) == .claim(limit: 2, ids: nil))
        #expect(schedule.claimed([7, 3]) == .nextRound)
        #expect(schedule.begin(stopping: false) == .claim(limit: 2, ids: [3, 7]))
    }

    @Test func aRunThatLeavesRetriesToItsDeliveriesEndsWhenNothingIsInFlight() {
        var options = options(ids: [5])
        options.waitForRetries = false
        var schedule = ClaimSchedule(options: options)
        #expect(schedule.begin(stopping: false) == .claim(limit: 2, ids: [5]))
        #expect(schedule.claimed([5]) == .nextRound)
        #expect(schedule.begin(stopping: false) == .claim(limit: 1, ids: [5]))
        #expect(schedule.claimed([]) == .awaitOne)
        schedule.finishedOne()
        // The image's retry is pending with its backoff: the message coming back is the retry.
        #expect(schedule.begin(stopping: false) == .claim(limit: 2, ids: [5]))
        #expect(schedule.claimed([]) == .finish)
    }

    @Test func givenIdsAreTheScope() {
        let schedule = ClaimSchedule(options: options(ids: [5, 9]))
        #expect(schedule.begin(stopping: false) == .claim(limit: 2, ids: [5, 9]))
    }

    @Test func aWatcherPollsBackingOffWhileIdleAndAClaimResetsTheBackoff() {
        var schedule = ClaimSchedule(options: options(watch: true))
        let now = Date()
        #expect(schedule.retryDue(nil, now: now) == .sleep(.seconds(1)))
        #expect(schedule.retryDue(nil, now: now) == .sleep(.seconds(2)))
        #expect(schedule.retryDue(nil, now: now) == .sleep(.seconds(4)))
        #expect(schedule.retryDue(nil, now: now) == .sleep(.seconds(5)))
        #expect(schedule.retryDue(nil, now: now) == .sleep(.seconds(5)))
        // A retry due before the next poll is not slept past.
        #expect(schedule.retryDue(now.addingTimeInterval(0.5), now: now) == .sleep(.milliseconds(510)))
        _ = schedule.claimed([1])
        schedule.finishedOne()
        #expect(schedule.retryDue(nil, now: now) == .sleep(.seconds(1)))
    }

    @Test func stoppingClaimsNothingMoreDrainsWhatIsInFlightThenFinishes() {
        var schedule = ClaimSchedule(options: options(jobs: 2, annotationJobs: 2))
        _ = schedule.claimed([1, 2])
        #expect(schedule.begin(stopping: true) == .awaitOne)
        schedule.finishedOne()
        #expect(schedule.begin(stopping: true) == .awaitOne)
        schedule.finishedOne()
        #expect(schedule.begin(stopping: true) == .finish)
    }

    @Test func aTransientFailureIsRetriedWithBackoffUntilTheAttemptsRunOut() {
        let policy = RetryPolicy(base: .seconds(2), maximum: .seconds(60), jitter: false)
        let now = Date(timeIntervalSince1970: 1_000)
        #expect(
            outcome(policy.outcome(ofFailure: "503", transient: true, attempts: 1, maxAttempts: 3, now: now))
                == "retry 503 at 1002.0")
        #expect(
            outcome(policy.outcome(ofFailure: "503", transient: true, attempts: 2, maxAttempts: 3, now: now))
                == "retry 503 at 1004.0")
        // The server's Retry-After wins when it asks for longer.
        #expect(
            outcome(policy.outcome(ofFailure: "429", transient: true, serverHint: .seconds(30), attempts: 1, maxAttempts: 3, now: now))
                == "retry 429 at 1030.0")
        #expect(
            outcome(policy.outcome(ofFailure: "503", transient: true, attempts: 3, maxAttempts: 3, now: now))
                == "failed transient gave up after 3 attempts: 503")
        #expect(
            outcome(policy.outcome(ofFailure: "timed out", transient: true, attempts: 1, maxAttempts: 1, now: now))
                == "failed transient timed out")
        #expect(
            outcome(policy.outcome(ofFailure: "not an image", transient: false, attempts: 1, maxAttempts: 3, now: now))
                == "failed permanent not an image")
    }

    private func outcome(_ result: TaskOutcome.Result) -> String {
        switch result {
        case .retry(let reason, let notBefore): "retry \(reason) at \(notBefore.timeIntervalSince1970)"
        case .failed(let reason, let kind): "failed \(kind.rawValue) \(reason)"
        default: "\(result)"
        }
    }
}
