/// Migration 2: the responses `/v1/responses` returned with `store` on, for `GET` / `DELETE
/// /v1/responses/{id}` and `previous_response_id` (docs/decisions/0015-stored-responses-in-the-store.md).
///
/// `response` is the response object as the client received it (JSON text); `conversation` the
/// canonical chat messages that led to it (a JSON array), NULL for a response a provider made
/// natively, which only that provider can continue. `created_at` is when the gateway kept it
/// (Unix milliseconds); retention deletes by it, oldest first, through `stored_responses_by_age`.
enum StoredResponsesSchema {
    static let migration = Migration(version: 2, name: "stored_responses", sql: """
        CREATE TABLE stored_responses (
            id           TEXT PRIMARY KEY,
            response     TEXT NOT NULL,
            conversation TEXT,
            created_at   INTEGER NOT NULL
        );
        CREATE INDEX stored_responses_by_age ON stored_responses (created_at, id);
        """)
}
