import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// When a request is answered from the kept pages on the event loop, before the router sees it,
/// and with what. Only a plain read of a page kept at the database's current version qualifies;
/// anything the router's middleware would treat differently goes on to the router, which answers
/// it as it always does (a Host it does not serve, a missing token, a drain, `Connection: close`,
/// a store whose version cannot be read at once). Built once, shared by every connection.
struct KeptPageRules: Sendable {
    let pages: PageCache
    let hosts: HostPolicy
    /// Set when reads need the token (`--private`).
    let token: TokenCheck?
    let drain: DrainState
    let metrics: WebMetrics
    /// `MetadataStore.immediateChangeVersion()`: nil sends every request to the router.
    let version: @Sendable () -> Int64?

    /// The kept answer to `request`, or nil for the router. `allowedHost`: the last Host of this
    /// connection found allowed (clients send the same one each time), updated here.
    func answer(_ request: HTTPRequest, allowedHost: inout String?) -> (reply: CachedPage.Reply, route: String)? {
        let fields = request.headerFields
        guard request.method == .get, let path = request.path, !drain.isDraining,
            fields[.connection].map({ !$0.lowercased().contains("close") }) ?? true,
            request.authority == allowedHost || hosts.allows(authority: request.authority),
            token.map({ $0.accepts(authorization: fields[.authorization]) }) ?? true,
            let page = pages.page(for: path),
            // Read after the request arrived, so no write committed before it is missing.
            let version = version(), page.version == version
        else { return nil }
        allowedHost = request.authority
        let reply = page.reply(acceptEncoding: fields[.acceptEncoding], ifNoneMatch: fields[.ifNoneMatch], complete: true)
        return (reply, page.route)
    }
}

/// Answers kept pages on the event loop. Handing a request to the router costs a task switch each
/// way and an async stream per part, several times the cost of sending a kept page itself; most
/// requests `serve` gets are for kept pages, so they are answered here, with the same headers,
/// validators and metrics the router would give them (`KeptPageRules` says which may be).
///
/// Sits between the HTTP codec and the router's channel. Answers leave in the order requests
/// came: while any request handed to the router is unanswered, every request follows it there.
final class KeptPageResponder: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let rules: KeptPageRules
    /// Requests handed to the router whose answers' ends have not yet passed back through here.
    private var handedOn = 0
    /// Inside a request answered here: its remaining parts go nowhere.
    private var discarding = false
    /// Answers written since the last flush; flushed once per read batch (pipelined requests).
    private var unflushed = false
    private var date = HTTPDateHeader()
    /// See `KeptPageRules.answer`.
    private var allowedHost: String?
    /// The HTTP/1 encoder's place in the pipeline: a kept answer's bytes are made once, so they
    /// are written from there rather than converted and encoded again for every request. nil (a
    /// pipeline without it) writes parts, as the router does.
    private var wire: ChannelHandlerContext?

    init(rules: KeptPageRules) {
        self.rules = rules
    }

    func handlerAdded(context: ChannelHandlerContext) {
        wire = try? context.pipeline.syncOperations.context(handlerType: HTTPResponseEncoder.self)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        wire = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        switch part {
        case .head(let request):
            let start = ContinuousClock.now
            if handedOn == 0, let (reply, route) = rules.answer(request, allowedHost: &allowedHost) {
                discarding = true
                send(reply, context: context)
                unflushed = true
                rules.metrics.request(route: route, method: "GET", status: reply.status.code, duration: ContinuousClock.now - start)
                return
            }
            handedOn += 1
            context.fireChannelRead(data)
        case .body, .end:
            guard discarding else { return context.fireChannelRead(data) }
            if case .end = part { discarding = false }
        }
    }

    /// Writes `reply`, stamped with the date. Nothing of the router's can be half-written at this
    /// point (every answer it began has ended), so bytes may go straight to the socket's side of
    /// the encoder.
    private func send(_ reply: CachedPage.Reply, context: ChannelHandlerContext) {
        if let wire, let prefix = reply.wireHead {
            var head = context.channel.allocator.buffer(capacity: prefix.readableBytes + 36)
            head.writeImmutableBuffer(prefix)
            head.writeString(date.now())
            head.writeStaticString("\r\n\r\n")
            wire.write(NIOAny(IOData.byteBuffer(head)), promise: nil)
            if let body = reply.body { wire.write(NIOAny(IOData.byteBuffer(body)), promise: nil) }
            return
        }
        var headers = reply.headers
        headers[.date] = date.now()
        context.write(wrapOutboundOut(.head(HTTPResponse(status: reply.status, headerFields: headers))), promise: nil)
        if let body = reply.body { context.write(wrapOutboundOut(.body(body)), promise: nil) }
        context.write(wrapOutboundOut(.end(nil)), promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if unflushed {
            unflushed = false
            context.flush()
        }
        context.fireChannelReadComplete()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data), handedOn > 0 { handedOn -= 1 }
        context.write(data, promise: promise)
    }
}
