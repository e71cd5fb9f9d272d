import SwitchyardCore

/// How a reload ended: the new generation's number, or why nothing changed (as the admin
/// endpoint answers it: an HTTP status and an error code).
enum ReloadOutcome: Sendable {
    case reloaded(generation: Int)
    case failed(GatewayError)

    /// The config could not be read, parsed or validated (the message has file:line).
    static func invalidConfig(_ message: String) -> ReloadOutcome {
        .failed(GatewayError(status: 400, type: "invalid_request_error", code: "invalid_config", message: message))
    }

    /// A plugin failed to load or to create its instance, or the assembly refused the config.
    static func loadFailed(_ message: String) -> ReloadOutcome {
        .failed(GatewayError(status: 422, type: "invalid_request_error", code: "load_failed", message: message))
    }

    /// Settings only a restart applies changed.
    static func restartRequired(_ names: [String]) -> ReloadOutcome {
        .failed(GatewayError(status: 409, type: "invalid_request_error", code: "restart_required",
                             message: "these settings only change with a restart: \(names.joined(separator: ", ")); nothing was reloaded"))
    }

    static let busy = ReloadOutcome.failed(GatewayError(
        status: 409, type: "invalid_request_error", code: "reload_in_progress", message: "a reload is already running; try again once it ends"))

    static let stopping = ReloadOutcome.failed(GatewayError(
        status: 503, type: "server_error", code: "shutting_down", message: "the gateway is shutting down; nothing was reloaded"))

    static let noSource = ReloadOutcome.failed(GatewayError(
        status: 409, type: "invalid_request_error", code: "no_config_source", message: "this gateway was built without a config source to reload from"))
}
