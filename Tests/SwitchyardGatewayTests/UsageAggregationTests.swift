import Glibc
import SwitchyardCore
import Synchronization
@testable import SwitchyardGateway
import SwitchyardJSON
import SwitchyardStore
import Testing

/// Usage records on a real store file (migration 3): written and read back field for field,
/// aggregated by every group and filter of `GET /admin/usage`, the query parameters checked,
/// and the report's JSON (exact decimal costs).
@Suite struct UsageAggregationTests {
    static let day: Int64 = 86_400_000
    /// 2026-12-03T10:00:00Z in Unix ms.
    static let december3: Int64 = 1_796_292_000_000

    static func record(_ id: String, at time: Int64 = december3, key: String? = "key_a", user: String? = "alice", team: String? = "research",
                       model: String = "echo-1", status: Int = 200, prompt: Int = 10, completion: Int = 5, cost: Micros = 20) -> UsageRecord {
        UsageRecord(requestID: id, createdAt: time, keyID: key, user: user, team: team, route: "chat_completions", modelRequested: model,
                    modelResolved: model + "-resolved", provider: "echo", mode: "translated", promptTokens: prompt, completionTokens: completion,
                    cachedTokens: 1, cacheCreationTokens: 2, reasoningTokens: 3, cost: cost, latencyMilliseconds: 42, status: status,
                    batchID: nil, batchLine: nil)
    }

    static let records = [
        record("r1"),
        record("r2", status: 500, prompt: 0, completion: 0, cost: 0),
        record("r3", key: "key_b", user: "bob", team: nil, model: "gpt-x", cost: 1_500_000),
        record("r4", at: december3 + day, key: nil, user: nil, team: nil),
    ]

    /// A store file holding `records`; the caller closes it and removes the file.
    func openStore() throws -> (Store, ScratchFile) {
        let file = ScratchFile()
        let store = try Store(StoreOptions(path: file.path))
        try store.writeWaiting { db throws(StoreError) in try UsageRows.insert(db, Self.records) }
        return (store, file)
    }

    func report(_ store: Store, _ query: String) throws -> [UsageAggregate] {
        let parsed = try UsageQuery(query: query)
        return try store.readWaiting { db throws(StoreError) in try parsed.run(db) }
    }

    @Test func recordsRoundTripEveryField() throws {
        let (store, file) = try openStore()
        defer { store.close(); file.remove() }
        do {
            let newest = try UsageRecordsQuery(query: "limit=10")
            #expect(try store.readWaiting { db throws(StoreError) in try newest.run(db) } == Self.records.reversed())  // newest first
            let third = try UsageRecordsQuery(query: "request_id=r3")
            #expect(try store.readWaiting { db throws(StoreError) in try third.run(db) } == [Self.records[2]])
            var built = Self.record("b1")
            built.batchID = "batch_1"
            built.batchLine = "line-7"
            built.mode = "native_batch"
            let line = built
            try store.writeWaiting { db throws(StoreError) in try UsageRows.insert(db, [line]) }
            let batch = try UsageRecordsQuery(query: "request_id=b1")
            #expect(try store.readWaiting { db throws(StoreError) in try batch.run(db) } == [line])
        }
    }

    @Test func groupsByDayByDefault() throws {
        let (store, file) = try openStore()
        defer { store.close(); file.remove() }
        do {
            let rows = try report(store, "")
            #expect(rows.map(\.groups) == [["2026-12-03"], ["2026-12-04"]])
            #expect(rows[0].requests == 3 && rows[0].errors == 1)
            #expect(rows[0].promptTokens == 20 && rows[0].completionTokens == 10 && rows[0].cost == 1_500_020)
            #expect(rows[0].cachedTokens == 3 && rows[0].cacheCreationTokens == 6 && rows[0].reasoningTokens == 9)
        }
    }

    @Test func groupsByKeyUserTeamAndModelTogether() throws {
        let (store, file) = try openStore()
        defer { store.close(); file.remove() }
        do {
            let rows = try report(store, "group_by=key,user,team,model")
            #expect(rows.map(\.groups) == [[nil, nil, nil, "echo-1"], ["key_a", "alice", "research", "echo-1"], ["key_b", "bob", nil, "gpt-x"]])
            #expect(rows.map(\.requests) == [1, 2, 1])
            #expect(rows.map(\.errors) == [0, 1, 0])
        }
    }

    @Test func filtersByTimeAndScope() throws {
        let (store, file) = try openStore()
        defer { store.close(); file.remove() }
        do {
            #expect(try report(store, "group_by=model&model=gpt-x").map(\.requests) == [1])
            #expect(try report(store, "group_by=key&key=key_a").map(\.requests) == [2])
            #expect(try report(store, "group_by=user&user=bob").map(\.groups) == [["bob"]])
            #expect(try report(store, "group_by=team&team=research").map(\.requests) == [2])
            #expect(try report(store, "from=2026-12-04").map(\.groups) == [["2026-12-04"]])
            #expect(try report(store, "to=2026-12-03").map(\.groups) == [["2026-12-03"]])  // a day bound includes the day
            let seconds = Self.december3 / 1000
            #expect(try report(store, "from=\(seconds)&to=\(seconds + 1)").map(\.requests) == [3])  // Unix seconds: `to` exclusive
            #expect(try report(store, "from=\(seconds + 1)&to=\(seconds + 2)").isEmpty)
        }
    }

    @Test(arguments: [
        ("group_by=colour", "group_by"), ("group_by=", "group_by"), ("group_by=day,,model", "group_by"), ("from=2026-13-01", "from"),
        ("to=2026-02-29", "to"), ("from=12abc", "from"), ("key=", "key"), ("limit=5", "limit"),
    ])
    func badParametersAreRefused(query: String, param: String) {
        #expect(throws: GatewayError.self) { try UsageQuery(query: query) }
        do { _ = try UsageQuery(query: query) } catch { #expect(error.param == param && error.status == 400) }
    }

    @Test func recordsQueryRefusesBadLimits() {
        for query in ["limit=0", "limit=1001", "limit=x", "request_id=", "what=1"] {
            #expect(throws: GatewayError.self) { try UsageRecordsQuery(query: query) }
        }
    }

    @Test func calendarDaysAreUTCAndChecked() {
        #expect(CalendarDay.start(of: "1970-01-01") == 0)
        #expect(CalendarDay.start(of: "2026-12-03") == 1_796_256_000)
        #expect(CalendarDay.start(of: "2024-02-29") == 1_709_164_800)
        #expect(CalendarDay.start(of: "2025-02-29") == nil)
        #expect(CalendarDay.start(of: "2026-1-03") == nil)
        #expect(CalendarDay.bound("2026-12-03", endOfDay: true) == 1_796_342_400_000)
        #expect(CalendarDay.bound("1764720000", endOfDay: true) == 1_764_720_000_000)
    }

    @Test func reportCostsAreExactDecimals() throws {
        #expect(UsageReport.decimal(0) == .number("0.000000"))
        #expect(UsageReport.decimal(1_500_040) == .number("1.500040"))
        #expect(UsageReport.decimal(7) == .number("0.000007"))
        let query = try UsageQuery(query: "group_by=model")
        let rows = [UsageAggregate(groups: [nil], requests: 2, errors: 1, promptTokens: 3, completionTokens: 4, cachedTokens: 0,
                                   cacheCreationTokens: 0, reasoningTokens: 0, cost: 12)]
        let body = UsageReport.aggregates(rows, query: query, currency: "EUR")
        #expect(body["currency"] == "EUR" && body["truncated"] == .bool(false))
        let row = try #require(body["data"]?.arrayValue?.first)
        #expect(row["model"] == .null && row["requests"] == 2 && row["errors"] == 1 && row["total_tokens"] == 7)
        #expect(row["cost"] == .number("0.000012") && row["cost_micros"] == 12 && row["currency"] == "EUR")
    }
}

extension Store {
    /// A write whose commit the test waits for (tests only: it blocks the calling thread).
    func writeWaiting(_ body: @escaping @Sendable (SQLiteConnection) throws(StoreError) -> Void) throws {
        let outcome = Mutex<Result<Void, StoreError>?>(nil)
        write(on: nil, body) { result in outcome.withLock { $0 = result } }
        while outcome.withLock({ $0 }) == nil { usleep(1000) }
        try outcome.withLock { $0! }.get()
    }
}
