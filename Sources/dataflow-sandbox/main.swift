// dataflow-sandbox: a simulated provincial data gateway on loopback (docs/sandbox.md).
import Dispatch
import SandboxPlatform
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes text straight to a file descriptor, so the listening line is never stuck in a buffer.
func emit(_ text: String, to descriptor: Int32) {
    var bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
        let written = bytes.withUnsafeMutableBytes { raw in
            write(descriptor, raw.baseAddress.map { $0 + offset }, raw.count - offset)
        }
        if written <= 0 {
            if written < 0 && errno == EINTR { continue }
            return
        }
        offset += written
    }
}

func fail(_ message: String, exitCode: Int32 = 2) -> Never {
    emit("dataflow-sandbox: \(message)\n", to: 2)
    if exitCode == 2 { emit("Try 'dataflow-sandbox --help'.\n", to: 2) }
    exit(exitCode)
}

let helpText = """
USAGE: dataflow-sandbox [options]

Serves a simulated Zhejiang-IRS-style provincial gateway on loopback with deterministic
synthetic data, mutations, fault injection and drift (see docs/sandbox.md).

OPTIONS:
  --host ADDR            loopback address to bind (default 127.0.0.1; loopback only)
  --port N               port; 0 picks a free one (default 0)
  --port-file PATH       also write the bound port (digits + newline) to PATH, atomically
  --rows N               enterprise licence records (default 1000)
  --case-rows N          service case records (default: = --rows)
  --seed S               seed of the deterministic data and mutations (default 42)
  --app-key K            the one registered appKey (default sandbox-app)
  --app-secret S         its appSecret (default sandbox-secret)
  --secret-ttl SECONDS   lifetime of a requestSecret (default 900)
  --refresh-ttl SECONDS  lifetime of a refreshSecret (default 172800)
  --quota N              data requests allowed before code 18 (default 0 = unlimited)
  --max-page-size N      larger pageSize values are capped to this (default 1000)
  --group-size N         base records share one UPDATE_TIME in groups of N (default 37)
  --fault-rate R         fraction of gateway requests that get a fault, 0…1 (default 0)
  --faults LIST          faults to inject (default 429,500,drop,truncate)
  --latency DURATION     round-trip time added to every gateway answer, e.g. 150ms or 0.2s;
                         per style too: 150ms,ckan=20ms (styles: gateway, open, ckan, socrata,
                         arcgis, odata, oauth); default 0
  -h, --help             show this help

The first line on stdout is
  dataflow-sandbox: listening on http://127.0.0.1:PORT (rows=N case-rows=N seed=S)
SIGTERM / SIGINT stop it cleanly.

"""

/// Parses the command line by hand (this target has no ArgumentParser dependency).
func parseArguments(_ arguments: [String]) -> (SandboxConfiguration, portFile: String?) {
    var configuration = SandboxConfiguration()
    var portFile: String?
    var index = 0
    func integer(_ flag: String, _ text: String) -> Int {
        guard let value = Int(text) else { fail("\(flag) expects an integer, got '\(text)'") }
        return value
    }
    while index < arguments.count {
        var flag = arguments[index]
        var inlineValue: String?
        if flag.hasPrefix("--"), let equals = flag.firstIndex(of: "=") {
            inlineValue = String(flag[flag.index(after: equals)...])
            flag = String(flag[..<equals])
        }
        if flag == "-h" || flag == "--help" {
            emit(helpText, to: 1)
            exit(0)
        }
        let value: String
        if let inlineValue {
            value = inlineValue
        } else {
            index += 1
            guard index < arguments.count else { fail("\(flag) needs a value") }
            value = arguments[index]
        }
        switch flag {
        case "--host": configuration.host = value
        case "--port": configuration.port = integer(flag, value)
        case "--port-file": portFile = value
        case "--rows": configuration.rows = integer(flag, value)
        case "--case-rows": configuration.caseRows = integer(flag, value)
        case "--seed":
            guard let seed = UInt64(value) else { fail("--seed expects a non-negative integer, got '\(value)'") }
            configuration.seed = seed
        case "--app-key": configuration.appKey = value
        case "--app-secret": configuration.appSecret = value
        case "--secret-ttl": configuration.secretTTL = integer(flag, value)
        case "--refresh-ttl": configuration.refreshTTL = integer(flag, value)
        case "--quota": configuration.quota = integer(flag, value)
        case "--max-page-size": configuration.maxPageSize = integer(flag, value)
        case "--group-size": configuration.groupSize = integer(flag, value)
        case "--fault-rate":
            guard let rate = Double(value) else { fail("--fault-rate expects a number within 0…1, got '\(value)'") }
            configuration.faultRate = rate
        case "--faults":
            guard let kinds = FaultKind.parseList(value) else {
                fail("--faults expects a comma-separated list of 429, 500, drop, truncate; got '\(value)'")
            }
            configuration.faults = kinds
        case "--latency":
            switch Latency.parse(value) {
            case .success(let latency): configuration.latency = latency
            case .failure(let error): fail(error.message)
            }
        default:
            fail("unknown option '\(flag)'")
        }
        index += 1
    }
    if let problem = configuration.validationProblem() { fail(problem) }
    return (configuration, portFile)
}

/// Writes `port` + newline to `path` through a temporary file and rename(2), so readers never see a partial file.
func writePortFile(_ path: String, port: Int) {
    let temporary = "\(path).tmp-\(getpid())"
    let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard descriptor >= 0 else { fail("cannot write --port-file \(temporary): errno \(errno)", exitCode: 1) }
    emit("\(port)\n", to: descriptor)
    guard close(descriptor) == 0, rename(temporary, path) == 0 else {
        unlink(temporary)
        fail("cannot write --port-file \(path): errno \(errno)", exitCode: 1)
    }
}

/// The self-pipe a stop signal writes to; read by the thread that closes the listener.
let stopPipe: (read: Int32, write: Int32) = {
    var fds: [Int32] = [-1, -1]
    guard pipe(&fds) == 0 else { fail("cannot create the signal pipe: errno \(errno)", exitCode: 1) }
    return (fds[0], fds[1])
}()

/// Stop signals (SIGTERM, SIGINT) write one byte to `stopPipe`, from the moment this returns.
///
/// A handler installed with `sigaction` takes effect at once. The earlier dispatch signal source
/// needed the signal ignored first and registered itself asynchronously, so a SIGTERM in between
/// was discarded and the sandbox ran forever on a loaded machine. The signals are also unblocked
/// here: a parent (a test runner's thread) may start us with them blocked, and an ignored or
/// blocked disposition inherited across exec would otherwise hide them.
nonisolated func catchStopSignals() {
    _ = stopPipe
    var action = sigaction()
    #if canImport(Glibc)
    action.__sigaction_handler.sa_handler = { _ in
        var byte: UInt8 = 1
        _ = write(stopPipe.write, &byte, 1)   // async-signal-safe; the pipe already exists
    }
    #else
    action.__sigaction_u.__sa_handler = { _ in
        var byte: UInt8 = 1
        _ = write(stopPipe.write, &byte, 1)
    }
    #endif
    sigemptyset(&action.sa_mask)
    var set = sigset_t()
    sigemptyset(&set)
    for signalNumber in [SIGTERM, SIGINT] {
        sigaction(signalNumber, &action, nil)
        sigaddset(&set, signalNumber)
    }
    pthread_sigmask(SIG_UNBLOCK, &set, nil)
}

/// The server a stop signal closes.
final class StopSignalWaiter: @unchecked Sendable {
    let server: SandboxServer
    init(_ server: SandboxServer) { self.server = server }

    /// Waits for a byte on the stop pipe (also one written before), then closes the listener so
    /// `waitUntilClosed()` returns.
    func run() {
        var byte: UInt8 = 0
        while read(stopPipe.read, &byte, 1) < 0 && errno == EINTR {}
        server.close()
    }
}

/// Starts the thread that waits for a stop signal (a plain pthread: the sandbox has no Foundation).
nonisolated func stopOnSignals(_ server: SandboxServer) {
    let waiter = Unmanaged.passRetained(StopSignalWaiter(server)).toOpaque()
    var thread = pthread_t()
    let started = pthread_create(&thread, nil, { argument in
        guard let argument else { return nil }
        Unmanaged<StopSignalWaiter>.fromOpaque(argument).takeRetainedValue().run()
        return nil
    }, waiter)
    if started != 0 { fail("cannot start the signal thread: error \(started)", exitCode: 1) }
}

let (configuration, portFile) = parseArguments(Array(CommandLine.arguments.dropFirst()))
// Caught from here on: a stop signal during start-up is kept in the pipe, never lost.
catchStopSignals()
let server: SandboxServer
do {
    server = try await SandboxServer.start(configuration)
} catch {
    fail("\(error)", exitCode: 1)
}
// The waiter before anyone can learn the port: a SIGTERM sent the moment the port file appears
// (or earlier) stops the server cleanly.
stopOnSignals(server)
// The port file first: whoever sees the line may already look for the file.
if let portFile { writePortFile(portFile, port: server.port) }
emit(server.listeningLine + "\n", to: 1)

try? await server.waitUntilClosed()
try? await server.shutdown()
exit(0)
