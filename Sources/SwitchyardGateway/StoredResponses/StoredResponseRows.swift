import SwitchyardJSON
import SwitchyardStore

/// The statements on `stored_responses` (schema: `StoredResponsesSchema`, migration 2).
///
/// Threading: called only inside `Store.write` / `Store.read` job bodies, on a store thread, with
/// that thread's connection; nothing here runs on an event loop. Serializing and parsing the
/// JSON happens here too, so a loop never pays for it.
enum StoredResponseRows {
    /// Most rows one retention pass deletes: a pass runs inside a writer batch and holds the
    /// write lock, so a large backlog is worked off over several passes instead of at once.
    static let deletesPerPass = 10_000

    static func insert(_ db: SQLiteConnection, id: String, entry: ResponseStore.Entry, createdAt: Int64) throws(StoreError) {
        let conversation: SQLValue = entry.conversation.map { .text(Self.text(JSONValue.array($0))) } ?? .null
        try db.run("INSERT OR REPLACE INTO stored_responses (id, response, conversation, created_at, key_id) VALUES (?, ?, ?, ?, ?)",
                   [.text(id), .text(Self.text(entry.response)), conversation, .integer(createdAt), entry.owner.map { .text($0) } ?? .null])
    }

    /// The entry kept at or after `notBefore` (Unix ms), nil when there is none (never stored,
    /// deleted, or older than the retention allows though not yet pruned).
    static func entry(_ db: SQLiteConnection, id: String, notBefore: Int64) throws(StoreError) -> ResponseStore.Entry? {
        var found: (response: String, conversation: String?, owner: String?)?
        try db.query("SELECT response, conversation, key_id FROM stored_responses WHERE id = ? AND created_at >= ?",
                     [.text(id), .integer(notBefore)]) { row in
            found = (row.text(0), row.isNull(1) ? nil : row.text(1), row.isNull(2) ? nil : row.text(2))
        }
        guard let found else { return nil }
        let response = try parse(found.response, id: id, column: "response")
        guard let conversation = found.conversation else { return ResponseStore.Entry(response: response, conversation: nil, owner: found.owner) }
        guard let messages = try parse(conversation, id: id, column: "conversation").arrayValue else {
            throw StoreError(.statementFailed, "\(db.path): stored response \(id): conversation is not a JSON array")
        }
        return ResponseStore.Entry(response: response, conversation: messages, owner: found.owner)
    }

    /// Deletes `id` if it is stored, not expired and `owners` admits it; true when a row went.
    static func delete(_ db: SQLiteConnection, id: String, notBefore: Int64, owners: OwnerFilter) throws(StoreError) -> Bool {
        let owner = owners.condition()
        return try db.run("DELETE FROM stored_responses WHERE id = ? AND created_at >= ?" + (owner.map { " AND " + $0.sql } ?? ""),
                          [.text(id), .integer(notBefore)] + (owner.map { [$0.value] } ?? [])) > 0
    }

    /// One retention pass: rows kept before `notBefore`, then rows beyond the newest `maxCount`,
    /// each at most `deletesPerPass`. Returns the rows deleted.
    @discardableResult
    static func prune(_ db: SQLiteConnection, notBefore: Int64, maxCount: Int) throws(StoreError) -> Int {
        let expired = try db.run("""
            DELETE FROM stored_responses WHERE id IN
              (SELECT id FROM stored_responses WHERE created_at < ? ORDER BY created_at, id LIMIT ?)
            """, [.integer(notBefore), .integer(Int64(deletesPerPass))])
        let surplus = try db.run("""
            DELETE FROM stored_responses WHERE id IN
              (SELECT id FROM stored_responses ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?)
            """, [.integer(Int64(deletesPerPass)), .integer(Int64(maxCount))])
        return expired + surplus
    }

    private static func text(_ value: JSONValue) -> String { String(decoding: value.serialized(), as: UTF8.self) }

    private static func parse(_ text: String, id: String, column: String) throws(StoreError) -> JSONValue {
        do {
            return try JSONValue.parse(text)
        } catch {
            throw StoreError(.statementFailed, "stored response \(id): the \(column) column is not valid JSON (\(error))")
        }
    }
}
