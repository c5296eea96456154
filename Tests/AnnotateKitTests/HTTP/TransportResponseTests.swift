import Foundation
import Testing

@testable import AnnotateAnnotators
@testable import AnnotateCore
@testable import AnnotateKit

/// What a server's headers may say, hostile ones included: a delay to honour, never a crash.
@Suite struct TransportResponseTests {
    func retryAfter(_ value: String?) -> Duration? {
        TransportResponse(status: 429, headers: value.map { ["retry-after": $0] } ?? [:], body: Data()).retryAfter
    }

    @Test func retryAfterIsSecondsBoundedToADay() {
        #expect(retryAfter("2") == .seconds(2))
        #expect(retryAfter("2.5") == .milliseconds(2500))
        #expect(retryAfter("0") == .zero)
        #expect(retryAfter("1e300") == .seconds(86_400), "a huge value waits a day rather than overflowing")
        for refused in ["inf", "nan", "-1", "soon", "Wed, 21 Oct 2026 07:28:00 GMT", ""] {
            #expect(retryAfter(refused) == nil, "\(refused)")
        }
        #expect(retryAfter(nil) == nil)
    }

    @Test func geminiRetryInfoIsBoundedToADayToo() {
        #expect(GeminiWire.duration("45.5s") == .milliseconds(45_500))
        #expect(GeminiWire.duration("1e300s") == .seconds(86_400))
        #expect(GeminiWire.duration("infs") == nil && GeminiWire.duration("-3s") == nil && GeminiWire.duration("3") == nil)
    }
}
