import CSQLite

/// One SQLite connection to the store's file, with a cache of prepared statements.
///
/// Threading: not thread-safe. Each connection is owned by exactly one store thread (the writer,
/// or a reader) and used only there, which is why it is opened with SQLITE_OPEN_NOMUTEX. Jobs
/// handed to `Store.write` / `Store.read` receive it for the duration of the call and must not
/// keep it.
public final class SQLiteConnection {
    /// The file, as opened; every error message names it.
    public let path: String
    private let handle: OpaquePointer
    private var statements: [String: Statement] = [:]

    /// Opens (creating when `readOnly` is false) the database at `path`.
    init(path: String, readOnly: Bool, busyTimeoutMilliseconds: Int32) throws(StoreError) {
        self.path = path
        var opened: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &opened, flags, nil)
        guard rc == SQLITE_OK, let opened else {
            let reason = opened.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            sqlite3_close_v2(opened)
            throw StoreError(.cannotOpen, "cannot open the store database \(path): \(reason)", sqliteCode: rc & 0xFF)
        }
        handle = opened
        sqlite3_extended_result_codes(handle, 1)
        // SQLite silently opens a write-protected file read-only; the writer must know now.
        if !readOnly && sqlite3_db_readonly(handle, "main") == 1 {
            sqlite3_close_v2(handle)
            throw StoreError(.cannotOpen, "cannot open the store database \(path) for writing: the file is read-only")
        }
        sqlite3_busy_timeout(handle, busyTimeoutMilliseconds)
    }

    deinit {
        for statement in statements.values { sqlite3_finalize(statement.handle) }
        sqlite3_close_v2(handle)
    }

    /// Runs one or more statements without parameters or results (pragmas, DDL, transactions).
    public func execute(_ sql: String) throws(StoreError) {
        var message: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &message)
        guard rc == SQLITE_OK else {
            let reason = message.map { String(cString: $0) } ?? String(cString: sqlite3_errstr(rc))
            sqlite3_free(message)
            throw StoreError(.statementFailed, "\(path): \(reason) (in: \(sql))", sqliteCode: rc & 0xFF)
        }
    }

    /// Runs one statement with `values` bound to its `?` parameters and returns the number of
    /// rows it changed. The statement is prepared once and cached.
    @discardableResult
    public func run(_ sql: String, _ values: [SQLValue] = []) throws(StoreError) -> Int {
        let statement = try prepared(sql)
        defer { statement.reset() }
        try statement.bind(values, describe: error)
        var rc = sqlite3_step(statement.handle)
        while rc == SQLITE_ROW { rc = sqlite3_step(statement.handle) }
        guard rc == SQLITE_DONE else { throw error(rc, sql) }
        return Int(sqlite3_changes(handle))
    }

    /// Runs a query and calls `row` for each result row, in order.
    public func query(_ sql: String, _ values: [SQLValue] = [], row: (Row) throws(StoreError) -> Void) throws(StoreError) {
        let statement = try prepared(sql)
        defer { statement.reset() }
        try statement.bind(values, describe: error)
        while true {
            let rc = sqlite3_step(statement.handle)
            if rc == SQLITE_DONE { return }
            guard rc == SQLITE_ROW else { throw error(rc, sql) }
            try row(Row(handle: statement.handle))
        }
    }

    /// The first column of the first row, or nil when the query returns no row.
    public func scalar(_ sql: String, _ values: [SQLValue] = []) throws(StoreError) -> SQLValue? {
        var result: SQLValue?
        try query(sql, values) { row in
            if result == nil { result = row.value(0) }
        }
        return result
    }

    /// The rowid of the last row this connection inserted.
    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    private func prepared(_ sql: String) throws(StoreError) -> Statement {
        if let statement = statements[sql] { return statement }
        var compiled: OpaquePointer?
        // PERSISTENT: the statement lives in the cache for the connection's life.
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &compiled, nil)
        guard rc == SQLITE_OK, let compiled else { throw error(rc, sql) }
        let statement = Statement(handle: compiled, sql: sql)
        statements[sql] = statement
        return statement
    }

    private func error(_ rc: Int32, _ context: String) -> StoreError {
        StoreError(.statementFailed, "\(path): \(String(cString: sqlite3_errmsg(handle))) (in: \(context))", sqliteCode: rc & 0xFF)
    }
}
