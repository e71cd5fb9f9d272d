import CSQLite

/// One prepared statement of a `SQLiteConnection`, kept in its cache and reused: preparing is
/// the expensive part of a short statement, so each SQL text is compiled once per connection.
///
/// Threading and ownership: belongs to its connection and is used on the connection's thread
/// only; finalized when the connection closes.
final class Statement {
    let handle: OpaquePointer
    let sql: String

    init(handle: OpaquePointer, sql: String) {
        self.handle = handle
        self.sql = sql
    }

    /// Binds `values` to parameters 1...n; `describe` turns an SQLite code into an error.
    func bind(_ values: [SQLValue], describe: (Int32, String) -> StoreError) throws(StoreError) {
        let expected = Int(sqlite3_bind_parameter_count(handle))
        guard values.count == expected else {
            throw StoreError(.statementFailed, "\(values.count) values bound to a statement with \(expected) parameters: \(sql)")
        }
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let rc: Int32
            switch value {
            case .null: rc = sqlite3_bind_null(handle, index)
            case .integer(let number): rc = sqlite3_bind_int64(handle, index, number)
            case .real(let number): rc = sqlite3_bind_double(handle, index, number)
            case .text(let text):
                var text = text
                rc = text.withUTF8 { bytes in
                    sqlite3_bind_text(handle, index, UnsafeRawPointer(bytes.baseAddress)?.assumingMemoryBound(to: CChar.self),
                                      Int32(bytes.count), sy_sqlite_transient())
                }
            case .blob(let bytes):
                // A zero-length blob must still be a blob, not NULL: bind_zeroblob(0) says so.
                rc = bytes.isEmpty
                    ? sqlite3_bind_zeroblob(handle, index, 0)
                    : bytes.withUnsafeBytes { sqlite3_bind_blob(handle, index, $0.baseAddress, Int32($0.count), sy_sqlite_transient()) }
            }
            guard rc == SQLITE_OK else { throw describe(rc, "binding parameter \(index) of \(sql)") }
        }
    }

    /// Ready for the next use: the cursor rewound and the bound values (copies) released.
    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }
}

/// The current row of a query. Valid only inside the `query` callback that received it: the
/// statement moves on (or is reset) once the callback returns, so copy what you keep.
public struct Row {
    let handle: OpaquePointer

    public var columnCount: Int { Int(sqlite3_column_count(handle)) }

    public func isNull(_ column: Int) -> Bool { sqlite3_column_type(handle, Int32(column)) == SQLITE_NULL }

    public func integer(_ column: Int) -> Int64 { sqlite3_column_int64(handle, Int32(column)) }

    public func real(_ column: Int) -> Double { sqlite3_column_double(handle, Int32(column)) }

    public func text(_ column: Int) -> String {
        guard let pointer = sqlite3_column_text(handle, Int32(column)) else { return "" }
        let count = Int(sqlite3_column_bytes(handle, Int32(column)))
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }

    public func blob(_ column: Int) -> [UInt8] {
        // column_blob before column_bytes: the documented order that avoids a conversion.
        guard let pointer = sqlite3_column_blob(handle, Int32(column)) else { return [] }
        let count = Int(sqlite3_column_bytes(handle, Int32(column)))
        return Array(UnsafeRawBufferPointer(start: pointer, count: count))
    }

    public func value(_ column: Int) -> SQLValue {
        switch sqlite3_column_type(handle, Int32(column)) {
        case SQLITE_INTEGER: return .integer(integer(column))
        case SQLITE_FLOAT: return .real(real(column))
        case SQLITE_TEXT: return .text(text(column))
        case SQLITE_BLOB: return .blob(blob(column))
        default: return .null
        }
    }
}
