import Dispatch

/// Runs blocking C work (libvips decoding, file I/O) on a Dispatch thread rather than the
/// cooperative pool, which has only one thread per core: a long decode there would stall every
/// other task, including lease renewals. Callers bound how many run at once.
package func runBlocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            continuation.resume(with: Result { try body() })
        }
    }
}

extension Result where Failure == any Error {
    /// Captures the outcome of async work as a value, to hand one result to several consumers.
    package init(catchingAsync body: () async throws -> Success) async {
        do {
            self = .success(try await body())
        } catch {
            self = .failure(error)
        }
    }
}
