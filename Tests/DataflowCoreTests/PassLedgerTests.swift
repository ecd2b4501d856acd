import Foundation
import Testing
@testable import DataflowCore

@Suite("PassLedger: when a pass may tombstone or move an unsorted watermark")
struct PassLedgerTests {
    static let origin = "https://gw.example.gov.cn"

    /// A ledger fed `pages` (record count, total, fingerprint) from the source's own origin.
    static func ledger(_ pages: [(Int, Int?, Int)], ending: PassLedger.Ending = .emptyPage, oneTotal: Bool = false) throws -> PassLedger {
        var ledger = PassLedger(dataset: "d", ownOrigin: origin, oneTotal: oneTotal)
        for (count, total, fingerprint) in pages {
            try ledger.record(records: count, total: total, url: origin + "/api?p=1", finalURL: nil, fingerprint: fingerprint,
                              maxCursor: nil, withoutCursor: 0, keylessRejects: [])
        }
        ledger.end(ending, total: pages.last?.1)
        return ledger
    }

    @Test func aPassWhoseDistinctKeysReachAnUnchangedTotalIsComplete() throws {
        let ledger = try Self.ledger([(50, 120, 1), (50, 120, 2), (20, 120, 3)], ending: .totalReached)
        #expect(ledger.verdict(distinctKeys: 120) == .complete)
    }

    /// A by-cursor walk reads the records at its bound again on purpose: a rejected record without
    /// a key read twice that way is one record, not two (counted twice, distinct keys + keyless
    /// reads went over the gateway's total, and a reconcile of such a dataset never finished).
    @Test func aKeylessRecordReadAgainAtTheCursorBoundCountsOnce() throws {
        var ledger = PassLedger(dataset: "d", ownOrigin: Self.origin)
        try ledger.record(records: 50, total: 100, url: Self.origin + "/a", finalURL: nil, fingerprint: 1, maxCursor: 9, withoutCursor: 0, keylessRejects: [41, 42])
        ledger.boundMoved()
        try ledger.record(records: 50, total: 52, url: Self.origin + "/a", finalURL: nil, fingerprint: 2, maxCursor: 12, withoutCursor: 0, keylessRejects: [42])
        ledger.end(.shortPage, total: 52)
        ledger.endTotal(100)
        #expect(ledger.keylessRejects == 2)
        #expect(ledger.verdict(distinctKeys: 98, duplicatesExpected: true, keylessBefore: 2) == .complete)
    }

    @Test func fewerDistinctKeysThanTheTotalIsUncertain() throws {
        let ledger = try Self.ledger([(50, 120, 1), (50, 120, 2), (20, 120, 3)], ending: .totalReached)
        guard case .uncertain(let why) = ledger.verdict(distinctKeys: 117) else { Issue.record("complete"); return }
        #expect(why.contains("read 117 distinct keys, fewer than the gateway's total of 120"))
    }

    @Test func moreDistinctKeysThanTheTotalIsUncertain() throws {
        let ledger = try Self.ledger([(50, 80, 1), (50, 80, 2)], ending: .totalReached)
        guard case .uncertain(let why) = ledger.verdict(distinctKeys: 100) else { Issue.record("complete"); return }
        #expect(why.contains("more than the gateway's total of 80: the total is wrong"))
    }

    @Test func aTotalThatChangedDuringThePassIsUncertain() throws {
        let ledger = try Self.ledger([(50, 100, 1), (50, 101, 2), (0, 101, 0)])
        guard case .uncertain(let why) = ledger.verdict(distinctKeys: 101) else { Issue.record("complete"); return }
        #expect(why.contains("changed during the pass (100 at the start, 101 at the end)"))
    }

    /// A page walk (`oneTotal`) may fetch its pages out of order: a total that moved on a page in
    /// between and came back by the last page still makes the pass uncertain. A cursor walk, whose
    /// filtered totals move with its bound, judges only the first and the last.
    @Test func aTotalThatMovedAndCameBackIsUncertainForAPageWalk() throws {
        let pages: [(Int, Int?, Int)] = [(50, 120, 1), (50, 121, 2), (20, 120, 3)]
        let pageWalk = try Self.ledger(pages, ending: .totalReached, oneTotal: true)
        guard case .uncertain(let why) = pageWalk.verdict(distinctKeys: 120) else { Issue.record("complete"); return }
        #expect(why.contains("changed during the pass (120 at the start, 121 on a later page)"), "\(why)")
        #expect(try Self.ledger(pages, ending: .totalReached).verdict(distinctKeys: 120) == .complete)
        #expect(try Self.ledger([(50, 120, 1), (50, 120, 2), (20, 120, 3)], ending: .totalReached, oneTotal: true).verdict(distinctKeys: 120) == .complete,
                "one total throughout is complete")
    }

    @Test func withoutATotalARecordReadTwiceMeansTheOrderShifted() throws {
        let ledger = try Self.ledger([(50, nil, 1), (50, nil, 2), (0, nil, 0)])
        #expect(ledger.verdict(distinctKeys: 100) == .complete)
        guard case .uncertain(let why) = ledger.verdict(distinctKeys: 98) else { Issue.record("complete"); return }
        #expect(why.contains("2 records came back twice"))
        #expect(ledger.verdict(distinctKeys: 98, duplicatesExpected: true) == .complete, "a cursor walk re-reads its bound on purpose")
    }

    @Test func aPageIdenticalToAnEarlierOneEndsTheWalk() throws {
        var ledger = PassLedger(dataset: "d", ownOrigin: Self.origin)
        try ledger.record(records: 50, total: 1_000_000_000, url: Self.origin + "/a", finalURL: nil, fingerprint: 7, maxCursor: nil, withoutCursor: 0, keylessRejects: [])
        try ledger.record(records: 50, total: 1_000_000_000, url: Self.origin + "/a", finalURL: nil, fingerprint: 8, maxCursor: nil, withoutCursor: 0, keylessRejects: [])
        #expect(throws: PassLedger.Refusal.self) {
            try ledger.record(records: 50, total: 1_000_000_000, url: Self.origin + "/a", finalURL: nil, fingerprint: 7, maxCursor: nil, withoutCursor: 0, keylessRejects: [])
        }
        // A by-cursor walk's first page under a new bound may equal the last one under the old.
        var cursorWalk = PassLedger(dataset: "d", ownOrigin: Self.origin)
        try cursorWalk.record(records: 50, total: 60, url: Self.origin + "/a", finalURL: nil, fingerprint: 7, maxCursor: 9, withoutCursor: 0, keylessRejects: [])
        cursorWalk.boundMoved()
        try cursorWalk.record(records: 50, total: 60, url: Self.origin + "/a", finalURL: nil, fingerprint: 7, maxCursor: 9, withoutCursor: 0, keylessRejects: [])
    }

    @Test func oneResponseWithMoreRecordsThanItsTotalIsRefused() throws {
        var ledger = PassLedger(dataset: "d", ownOrigin: Self.origin)
        do {
            try ledger.record(records: 50, total: 3, url: Self.origin + "/a", finalURL: nil, fingerprint: 1, maxCursor: nil, withoutCursor: 0, keylessRejects: [])
            Issue.record("accepted")
        } catch let refusal as PassLedger.Refusal {
            #expect(refusal.description.contains("reported a total of 3 but one response held 50 records"))
            #expect(refusal.description.contains("nothing was tombstoned"))
        }
    }

    @Test func pagesAreBoundedByWhatTheTotalAllows() throws {
        var ledger = PassLedger(dataset: "d", ownOrigin: Self.origin)
        // 100 records at 10 per page allow 10 pages, plus 10 + 1 of slack: page 22 is refused.
        for page in 1...21 {
            try ledger.record(records: 10, total: 100, url: Self.origin + "/a", finalURL: nil, fingerprint: page, maxCursor: nil, withoutCursor: 0, keylessRejects: [])
        }
        #expect(throws: PassLedger.Refusal.self) {
            try ledger.record(records: 10, total: 100, url: Self.origin + "/a", finalURL: nil, fingerprint: 22, maxCursor: nil, withoutCursor: 0, keylessRejects: [])
        }
    }

    @Test func anAnswerFromAnotherOriginNeverCountsTowardsCompleteness() throws {
        var ledger = PassLedger(dataset: "d", ownOrigin: Self.origin)
        try ledger.record(records: 0, total: nil, url: Self.origin + "/a", finalURL: "https://other.example/empty", fingerprint: 0,
                          maxCursor: nil, withoutCursor: 0, keylessRejects: [])
        ledger.end(.emptyPage, total: nil)
        guard case .uncertain(let why) = ledger.verdict(distinctKeys: 0) else { Issue.record("an empty foreign answer counted as complete"); return }
        #expect(why.contains("https://other.example"))
    }

    @Test func aWalkThatNeverEndedIsUncertain() {
        let ledger = PassLedger(dataset: "d", ownOrigin: Self.origin)
        #expect(ledger.verdict(distinctKeys: 0) != .complete)
    }
}

@Suite("MassDeleteGuard and max_tombstones")
struct MassDeleteGuardTests {
    @Test func theDefaultIsTenPercentOfTheLiveRows() throws {
        let guardian = MassDeleteGuard(dataset: "licences", limit: .default, overridden: false)
        try guardian.check(wouldTombstone: 100, liveRows: 1000)
        do {
            try guardian.check(wouldTombstone: 101, liveRows: 1000)
            Issue.record("101 of 1000 let through")
        } catch {
            #expect(error.description.contains("would tombstone 101 of 1000 live rows, more than max_tombstones (10%, 100 rows)"))
            #expect(error.description.contains("dataflow sync --allow-mass-delete licences"))
        }
        try MassDeleteGuard(dataset: "licences", limit: .default, overridden: true).check(wouldTombstone: 1000, liveRows: 1000)
    }

    @Test func aLimitInRowsAndItsParsing() throws {
        #expect(TombstoneLimit.parse("2.5%") == .percent(2.5))
        #expect(TombstoneLimit.parse(" 500 ") == .rows(500))
        #expect(TombstoneLimit.parse("120%") == nil)
        #expect(TombstoneLimit.parse("-1") == nil)
        #expect(TombstoneLimit.parse("ten") == nil)
        #expect(throws: MassDeleteGuard.Refused.self) {
            try MassDeleteGuard(dataset: "d", limit: .rows(5), overridden: false).check(wouldTombstone: 6, liveRows: 1_000_000)
        }
    }
}

/// `TieWatch`: a key read inside a run of one cursor value longer than a page that comes back
/// later with a higher cursor moved while the walk paged inside the run; nothing else counts.
@Suite("TieWatch: a move inside a run of one cursor value longer than a page")
struct TieWatchTests {
    static func rows(_ keys: [(String, Int)]) -> [MappedRow] {
        keys.map { MappedRow(key: $0.0, values: [], matter: nil, matterCode: nil, deleted: false, hash: "", cursor: $0.1) }
    }

    @Test func aMemberThatComesBackLaterWithAHigherCursorMoved() {
        var ties = TieWatch()
        ties.page(Self.rows([("a", 5), ("b", 10), ("c", 10)]), bound: 5, sameBound: false)
        ties.page(Self.rows([("b", 10), ("c", 10), ("d", 10)]), bound: 10, sameBound: false)
        #expect(ties.tied == nil && ties.moved == nil)
        // A second page under bound 10: the run at 10 fills pages; b, c, d and e are its members.
        ties.page(Self.rows([("e", 10), ("f", 12), ("g", 13)]), bound: 10, sameBound: true)
        #expect(ties.tied == 10 && ties.moved == nil)
        // f is not a member (it was never at 10); nor is a member read again at its own value.
        ties.page(Self.rows([("f", 14), ("e", 10)]), bound: 13, sameBound: false)
        #expect(ties.moved == nil)
        // c comes back at 20: it moved while the walk was inside the run.
        ties.page(Self.rows([("h", 15), ("c", 20)]), bound: 14, sameBound: false)
        #expect(ties.moved == 10)
    }

    @Test func withoutARunLongerThanAPageNothingIsWatched() {
        var ties = TieWatch()
        ties.page(Self.rows([("a", 5), ("b", 10)]), bound: 5, sameBound: false)
        ties.page(Self.rows([("b", 10), ("c", 11)]), bound: 10, sameBound: false)
        ties.page(Self.rows([("a", 30)]), bound: 11, sameBound: false)
        #expect(ties.tied == nil && ties.moved == nil)
    }
}
