import SwitchyardCore
import SwitchyardHTTP
import SwitchyardStore

/// `GET /admin/audit?request_id=&key=&limit=` (behind the admin key): audit entries, newest
/// first, read on a store reader and answered on the request's loop.
enum AuditAdmin {
    static let path = "/admin/audit"

    static func handle(_ request: HTTPRequest, store: Store, writer: ResponseWriter) throws(GatewayError) {
        let query = try AuditQuery(query: request.query)
        store.read(onLoop: writer.loop, { db throws(StoreError) in try query.run(db) }) { result in
            UsageAdmin.answer(result.map(AuditQuery.render), to: writer)
        }
    }
}
