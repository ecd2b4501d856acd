import NIOCore
import NIOHTTP1

/// Per-connection HTTP handler: routes each request, applies faults to gateway paths, and writes
/// responses with an exact `Content-Length` (streaming truth with backpressure).
final class GatewayHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let state: SandboxState
    private let gateway: GatewayAPI
    private let open: OpenAPI
    private let control: ControlAPI
    private var requestHead: HTTPRequestHead?
    private var requestBody: [UInt8] = []
    /// A truth response in progress, and whether the connection stays open after it.
    private var pendingStream: (stream: TruthStream, keepAlive: Bool)?

    init(state: SandboxState) {
        self.state = state
        gateway = GatewayAPI(state: state)
        open = OpenAPI(state: state)
        control = ControlAPI(state: state)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            requestHead = head
            requestBody = []
        case .body(let buffer):
            // Only the OAuth token endpoint reads a body (a short form); cap what is kept.
            if requestBody.count < 65_536 { requestBody += buffer.readableBytesView.prefix(65_536 - requestBody.count) }
        case .end:
            guard let head = requestHead else { return }
            requestHead = nil
            handle(head, body: requestBody, context: context)
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { continueStreaming(context: context) }
        context.fireChannelWritabilityChanged()
    }

    /// A broken connection (reset, parse error already answered) is simply closed.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        pendingStream = nil
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        pendingStream = nil
        context.fireChannelInactive()
    }

    private func handle(_ head: HTTPRequestHead, body: [UInt8], context: ChannelHandlerContext) {
        let request = GatewayRequest(method: head.method, uri: head.uri, headers: head.headers, body: body)
        let response: GatewayResponse
        if let answer = control.respond(to: request) {
            response = answer
        } else if request.path.hasPrefix("/gateway/") || OpenAPI.serves(request.path) {
            answerGateway(request, head: head, context: context)
            return
        } else if let catalogue = CatalogueExport.respond(to: request) {
            response = catalogue
        } else {
            response = .error(.notFound, "no endpoint \(request.path)")
        }
        write(response, keepAlive: head.isKeepAlive, version: head.version, context: context)
    }

    /// Counts a gateway request and answers it after the configured latency. The delay is a
    /// scheduled task, so the event loop keeps serving other connections meanwhile (the HTTP
    /// pipeline holds this connection's next request until the answer is written).
    private func answerGateway(_ request: GatewayRequest, head: HTTPRequestHead, context: ChannelHandlerContext) {
        let traffic = state.traffic
        let label = Traffic.label(of: request)
        traffic.arrived(label, now: Int64(NIODeadline.now().uptimeNanoseconds))
        let response = gatewayResponse(request)
        let milliseconds = traffic.latency.milliseconds(forFamily: GatewayFamily.of(request.path))
        guard milliseconds > 0 else {
            write(response, keepAlive: head.isKeepAlive, version: head.version, context: context)
            traffic.answered(label)
            return
        }
        context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(Int64(milliseconds))) {
            self.write(response, keepAlive: head.isKeepAlive, version: head.version, context: context)
            traffic.answered(label)
        }
    }

    private func gatewayResponse(_ request: GatewayRequest) -> GatewayResponse {
        let admission = state.admitGatewayRequest()
        switch admission.fault {
        case .tooManyRequests?:
            var response = GatewayResponse.error(.tooManyRequests, "injected fault: too many requests, retry after \(admission.retryAfterSeconds) s")
            response.extraHeaders = [("Retry-After", String(admission.retryAfterSeconds))]
            return response
        case .serverError?:
            return .error(.internalServerError, "injected fault: internal server error")
        case .drop?:
            return .dropped
        case .truncate?, nil:
            guard request.method == .GET || request.method == .POST else {
                return .error(.methodNotAllowed, "\(request.path) expects GET")
            }
            var response = gateway.respond(to: request) ?? open.respond(to: request) ?? .error(.notFound, "no gateway service \(request.path)")
            if admission.fault == .truncate { response.delivery = .truncate }
            return response
        }
    }

    private func write(_ response: GatewayResponse, keepAlive: Bool, version: HTTPVersion, context: ChannelHandlerContext) {
        if response.delivery == .drop {
            context.close(promise: nil)
            return
        }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: response.contentType)
        for (name, value) in response.extraHeaders { headers.add(name: name, value: value) }
        let keepAlive = keepAlive && response.delivery == .normal
        if !keepAlive {
            headers.add(name: "Connection", value: "close")
        } else if version.major == 1 && version.minor == 0 {
            headers.add(name: "Connection", value: "keep-alive")
        }
        switch response.body {
        case .complete(var body):
            headers.add(name: "Content-Length", value: String(body.readableBytes))
            let head = HTTPResponseHead(version: version, status: response.status, headers: headers)
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            if response.delivery == .truncate {
                let half = body.readSlice(length: body.readableBytes / 2) ?? ByteBuffer()
                context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(half)))).assumeIsolated().whenComplete { _ in
                    context.close(promise: nil)
                }
                return
            }
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
            finish(keepAlive: keepAlive, context: context)
        case .stream(let stream):
            headers.add(name: "Content-Length", value: String(stream.measureLength()))
            let head = HTTPResponseHead(version: version, status: response.status, headers: headers)
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            pendingStream = (stream, keepAlive)
            continueStreaming(context: context)
        }
    }

    /// Writes truth chunks while the channel accepts them; resumes on writability.
    private func continueStreaming(context: ChannelHandlerContext) {
        guard var pending = pendingStream else { return }
        while context.channel.isWritable, let chunk = pending.stream.nextChunk() {
            context.write(wrapOutboundOut(.body(.byteBuffer(chunk))), promise: nil)
        }
        if pending.stream.isFinished {
            pendingStream = nil
            finish(keepAlive: pending.keepAlive, context: context)
        } else {
            pendingStream = pending
            context.flush()
        }
    }

    private func finish(keepAlive: Bool, context: ChannelHandlerContext) {
        if keepAlive {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        } else {
            context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        }
    }
}
