import AnnotateKit
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Turns SIGINT and SIGTERM into a stop request while it lives: the run finishes or releases
/// what is in flight instead of dying with leases held. A second signal exits at once.
final class StopOnSignals {
    let stop = StopSignal()
    private let sources: [any DispatchSourceSignal]

    init() {
        let stop = stop
        sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)  // the dispatch source hears it instead of the default handler
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                if stop.isRequested {
                    _exit(128 + number)
                }
                let message = "annotate: stopping: finishing the work in flight (signal again to quit at once)\n"
                _ = message.withCString { write(2, $0, strlen($0)) }
                stop.request()
            }
            source.resume()
            return source
        }
    }

    deinit {
        for source in sources { source.cancel() }
    }
}
