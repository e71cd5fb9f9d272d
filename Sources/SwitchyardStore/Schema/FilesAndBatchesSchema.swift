/// Migration 1: the files and batches the gateway manages for its clients (docs/batches.md).
///
/// `files` maps the gateway's file id (what clients see) to the provider that holds the bytes
/// and that provider's own id; uploads, a batch's rewritten input and a batch's output and error
/// files all get a row. `batches` does the same for batches, and remembers the batch object as
/// last seen upstream (ids rewritten to the gateway's) so a restart or a provider outage still
/// answers. `batch_usage` is one row per batch and model once the batch has ended: the usage of
/// its lines summed, with the discount the provider grants batch traffic.
///
/// `seq` (the rowid, made explicit so that VACUUM keeps it) is the order of recording: listings
/// page by it, since `created_at` has one-second ties and gateway ids are random.
enum FilesAndBatchesSchema {
    static let migration = Migration(version: 1, name: "files_and_batches", sql: """
        CREATE TABLE files (
            seq         INTEGER PRIMARY KEY,
            id          TEXT NOT NULL UNIQUE,
            provider    TEXT NOT NULL,
            upstream_id TEXT NOT NULL,
            filename    TEXT NOT NULL,
            purpose     TEXT NOT NULL,
            bytes       INTEGER NOT NULL,
            created_at  INTEGER NOT NULL,
            expires_at  INTEGER,
            origin      TEXT NOT NULL,
            UNIQUE (provider, upstream_id)
        );
        CREATE INDEX files_by_age ON files (created_at DESC, id DESC);
        CREATE TABLE batches (
            seq                    INTEGER PRIMARY KEY,
            id                     TEXT NOT NULL UNIQUE,
            provider               TEXT NOT NULL,
            upstream_id            TEXT NOT NULL,
            input_file_id          TEXT NOT NULL,
            upstream_input_file_id TEXT NOT NULL,
            rewritten              INTEGER NOT NULL,
            endpoint               TEXT NOT NULL,
            created_at             INTEGER NOT NULL,
            status                 TEXT NOT NULL,
            object                 TEXT NOT NULL,
            UNIQUE (provider, upstream_id)
        );
        CREATE TABLE batch_usage (
            batch_id          TEXT NOT NULL REFERENCES batches (id),
            model             TEXT NOT NULL,
            lines             INTEGER NOT NULL,
            failed_lines      INTEGER NOT NULL,
            prompt_tokens     INTEGER NOT NULL,
            completion_tokens INTEGER NOT NULL,
            cached_tokens     INTEGER NOT NULL,
            reasoning_tokens  INTEGER NOT NULL,
            discount          REAL NOT NULL,
            recorded_at       INTEGER NOT NULL,
            PRIMARY KEY (batch_id, model)
        );
        """)
}
