/// Migration 3: governance (docs/governance.md): virtual keys, one usage record per request and
/// batch line, spend per budget scope and period, and the optional audit log.
///
/// - `virtual_keys`: a key's secret is never stored, only its SHA-256 (`hash`, lowercase hex)
///   and its first characters (`prefix`) for people to recognise it. `models` and `routes` are
///   JSON arrays (NULL = all), `metadata` a JSON object; money in millionths of the catalog's
///   currency; times in Unix seconds.
/// - `usage_records`: written in batches off the event loops; `created_at` in Unix milliseconds.
/// - `spend_totals`: what each scope (`key:…`, `user:…`, `team:…`) spent in each period window
///   (`window_start`: the UTC day or month start in Unix seconds, 0 for `total`), so budgets
///   survive a restart and outlive usage retention.
/// - `audit_entries`: request and response bodies, already redacted when configured.
/// - `batches` gains its creator (`key_id`, `user`, `team`), for the usage records of its lines
///   and so a virtual key reaches only its own batches; `files` and `stored_responses` gain the
///   creator's `key_id` for the same reason (`master` for the master key, NULL on an open gateway).
enum GovernanceSchema {
    static let migration = Migration(version: 3, name: "governance", sql: """
        CREATE TABLE virtual_keys (
            id            TEXT PRIMARY KEY,
            hash          TEXT NOT NULL UNIQUE,
            prefix        TEXT NOT NULL,
            name          TEXT,
            user          TEXT,
            team          TEXT,
            models        TEXT,
            routes        TEXT,
            metadata      TEXT,
            budget_limit  INTEGER,
            budget_period TEXT,
            rpm           INTEGER,
            tpm           INTEGER,
            concurrency   INTEGER,
            expires_at    INTEGER,
            disabled      INTEGER NOT NULL DEFAULT 0,
            created_at    INTEGER NOT NULL,
            updated_at    INTEGER NOT NULL,
            rotated_at    INTEGER
        );
        CREATE TABLE usage_records (
            id                    INTEGER PRIMARY KEY,
            request_id            TEXT NOT NULL,
            created_at            INTEGER NOT NULL,
            key_id                TEXT,
            user                  TEXT,
            team                  TEXT,
            route                 TEXT NOT NULL,
            model_requested       TEXT NOT NULL,
            model_resolved        TEXT NOT NULL,
            provider              TEXT NOT NULL,
            mode                  TEXT NOT NULL,
            prompt_tokens         INTEGER NOT NULL DEFAULT 0,
            completion_tokens     INTEGER NOT NULL DEFAULT 0,
            cached_tokens         INTEGER NOT NULL DEFAULT 0,
            cache_creation_tokens INTEGER NOT NULL DEFAULT 0,
            reasoning_tokens      INTEGER NOT NULL DEFAULT 0,
            cost_micros           INTEGER NOT NULL DEFAULT 0,
            latency_ms            INTEGER NOT NULL,
            status                INTEGER NOT NULL,
            batch_id              TEXT,
            batch_line            TEXT
        );
        CREATE INDEX usage_by_time ON usage_records (created_at);
        CREATE INDEX usage_by_key ON usage_records (key_id, created_at);
        CREATE INDEX usage_by_request ON usage_records (request_id);
        CREATE TABLE spend_totals (
            scope        TEXT NOT NULL,
            period       TEXT NOT NULL,
            window_start INTEGER NOT NULL,
            spent_micros INTEGER NOT NULL,
            PRIMARY KEY (scope, period, window_start)
        ) WITHOUT ROWID;
        CREATE TABLE audit_entries (
            id            INTEGER PRIMARY KEY,
            request_id    TEXT NOT NULL,
            created_at    INTEGER NOT NULL,
            key_id        TEXT,
            route         TEXT NOT NULL,
            model         TEXT,
            status        INTEGER NOT NULL,
            request_body  BLOB,
            response_body BLOB,
            redacted      INTEGER NOT NULL DEFAULT 0,
            truncated     INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX audit_by_time ON audit_entries (created_at);
        CREATE INDEX audit_by_request ON audit_entries (request_id);
        ALTER TABLE batches ADD COLUMN key_id TEXT;
        ALTER TABLE batches ADD COLUMN user TEXT;
        ALTER TABLE batches ADD COLUMN team TEXT;
        ALTER TABLE files ADD COLUMN key_id TEXT;
        ALTER TABLE stored_responses ADD COLUMN key_id TEXT;
        """)
}
