import SwitchyardCore
import SwitchyardHTTP
import SwitchyardJSON
import SwitchyardStore

/// `GET /admin/usage` and `GET /admin/usage/records` (behind the admin key, `AdminEndpoint`):
/// the parameters are checked on the loop, the SQL runs on a store reader, the answer is sent
/// back on the request's loop.
enum UsageAdmin {
    static let reportPath = "/admin/usage"
    static let recordsPath = "/admin/usage/records"

    static func handle(_ request: HTTPRequest, store: Store, currency: String, writer: ResponseWriter) throws(GatewayError) {
        if request.path == recordsPath {
            let query = try UsageRecordsQuery(query: request.query)
            store.read(onLoop: writer.loop, { db throws(StoreError) in try query.run(db) }) { result in
                answer(result.map { UsageReport.records($0, currency: currency) }, to: writer)
            }
        } else {
            let query = try UsageQuery(query: request.query)
            store.read(onLoop: writer.loop, { db throws(StoreError) in try query.run(db) }) { result in
                answer(result.map { UsageReport.aggregates($0, query: query, currency: currency) }, to: writer)
            }
        }
    }

    /// Sends the report, or a 500 naming the store's error.
    static func answer(_ result: Result<JSONValue, StoreError>, to writer: ResponseWriter) {
        switch result {
        case .success(let body): GatewayResponder.sendJSON(body.serialized(), to: writer)
        case .failure(let error): GatewayResponder.send(.internalError("cannot read the store: \(error.message)"), to: writer)
        }
    }
}
