/// The store's schema: the one ordered list of migrations, applied at start by `Store.init`.
///
/// Each table (or group of tables for one kind of record) has its own file beside this one
/// declaring its migration(s); this list only orders them. Append new ones at the end with the
/// next version; never edit or reorder a released entry (`Migration`).
public enum StoreSchema {
    public static let migrations: [Migration] = [
        FilesAndBatchesSchema.migration,
        StoredResponsesSchema.migration,
        GovernanceSchema.migration,
    ]
}
