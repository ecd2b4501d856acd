import Foundation

/// Fetches the next pages on a background thread while the caller maps and commits the current
/// one. The buffer holds at most `capacity` pages, so memory stays flat; the order of pages is
/// the order they were fetched, and commits stay on the caller's thread in that order.
///
/// ```swift
/// let prefetcher = PagePrefetcher(capacity: 2) { deliver, stopped in deliver(try fetchNext(giveUpIf: stopped), isLast) }
/// defer { prefetcher.stop() }
/// while let page = try prefetcher.next() { try commit(page) }
/// ```
///
/// `@unchecked Sendable`: every mutable field is guarded by `condition`; the producer closure's
/// own state is confined to the producer thread (the caller hands it over and touches it again
/// only after `stop()` has joined the thread).
final class PagePrefetcher<Item>: @unchecked Sendable {
    private let condition = NSCondition()
    private var buffer: [Result<Item, any Error>] = []
    /// Items the caller is done with, freed on the producer thread (`recycle`).
    private var garbage: [Item] = []
    private var producerDone = false
    private var cancelled = false
    private let capacity: Int
    private let finished = DispatchSemaphore(value: 0)
    private var stopped = false

    /// `produce` is called again and again on the producer thread and hands each item to
    /// `deliver` (item, isLast) as soon as it is ready, even in the middle of its step: a cursor
    /// walk delivers page *k* from inside its request for page *k + 1*. Each call delivers one
    /// item, or throws; an error is handed out after the items delivered before it, and ends the
    /// producer, as does an item marked last. `stopped` says when `stop()` has been called, for a
    /// step that can give up early (a fetch waiting for its answer or to retry).
    init(capacity: Int, produce: @escaping @Sendable (_ deliver: (Item, Bool) -> Void, _ stopped: @escaping () -> Bool) throws -> Void) {
        self.capacity = max(1, capacity)
        Thread.startParsing { [self] in
            self.run(produce)
            self.finished.signal()
        }
    }

    private func run(_ produce: ((Item, Bool) -> Void, @escaping () -> Bool) throws -> Void) {
        while true {
            condition.lock()
            while buffer.count >= capacity && !cancelled { condition.wait() }
            let stop = cancelled
            var trash = garbage
            garbage = []
            condition.unlock()
            trash.removeAll()
            if stop { break }
            var last = false
            do {
                try produce({ item, isLast in
                    self.append(.success(item))
                    last = last || isLast
                }, { [self] in condition.withLock { cancelled } })
            } catch {
                append(.failure(error))
                last = true
            }
            if last { break }
        }
        condition.lock()
        producerDone = true
        condition.broadcast()
        condition.unlock()
    }

    private func append(_ result: Result<Item, any Error>) {
        condition.lock()
        buffer.append(result)
        condition.broadcast()
        condition.unlock()
    }

    /// The next item in order; nil when the producer has finished; rethrows a producer error
    /// after every item fetched before it has been handed out.
    func next() throws -> Item? {
        condition.lock()
        defer { condition.unlock() }
        while buffer.isEmpty && !producerDone { condition.wait() }
        guard !buffer.isEmpty else { return nil }
        let result = buffer.removeFirst()
        condition.broadcast()
        return try result.get()
    }

    /// Hands back an item the caller has finished with, so the producer thread frees it: freeing a
    /// page of mapped rows (every string of every row) was a tenth of the committing thread's time,
    /// and the producer has time to spare while it waits for room in the buffer.
    func recycle(_ item: Item) {
        condition.lock()
        garbage.append(item)
        condition.unlock()
    }

    /// Whether the next item is fetched within `seconds`: returns as soon as it is, and false at
    /// once when the producer has finished without one (`next()` would then return nil).
    func waitForNext(upTo seconds: Double) -> Bool {
        let deadline = Date(timeIntervalSinceNow: seconds)
        condition.lock()
        defer { condition.unlock() }
        while buffer.isEmpty && !producerDone {
            if !condition.wait(until: deadline) { break }
        }
        return !buffer.isEmpty
    }

    /// Stops the producer after its current fetch and waits for its thread to end. Idempotent.
    func stop() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        let alreadyStopped = stopped
        stopped = true
        condition.unlock()
        if !alreadyStopped { finished.wait() }
    }
}

extension Thread {
    /// Runs `body` on a new thread whose stack is as deep as the main thread's (8 MiB): every
    /// thread that fetches pages parses them, and deeply nested JSON is parsed recursively.
    static func startParsing(_ body: @escaping @Sendable () -> Void) {
        let thread = Thread(block: body)
        thread.stackSize = 8 << 20
        thread.start()
    }
}

/// Hands objects that are not `Sendable` to the prefetch thread. Sound only because the caller
/// stops using them until `PagePrefetcher.stop()` returns (confinement by hand-over).
final class ThreadConfined<Value>: @unchecked Sendable {
    var value: Value
    init(_ value: Value) { self.value = value }
}
