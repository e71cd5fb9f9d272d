import SwitchyardConfig
import SwitchyardStore

extension StoreOptions {
    /// The store as `store:` configures it.
    init(_ config: StoreConfig) {
        self.init(path: config.path)
        busyTimeoutMilliseconds = Int32(clamping: config.busyTimeout.nanoseconds / 1_000_000)
        writeQueue = config.writeQueue
    }
}

extension ResponseStore.Retention {
    /// `store.responses`, in milliseconds.
    init(_ config: StoredResponsesRetention) {
        self.init(maxAgeMilliseconds: Int64(config.maxAge.nanoseconds / 1_000_000), maxCount: config.maxCount)
    }
}
