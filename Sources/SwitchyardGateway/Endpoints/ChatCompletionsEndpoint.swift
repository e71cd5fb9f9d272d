import SwitchyardCore
import SwitchyardHTTP

/// `POST /v1/chat/completions`: validate, plan, execute. Runs on the connection's loop.
struct ChatCompletionsEndpoint {
    let services: GatewayServices

    func handle(_ request: HTTPRequest, writer: ResponseWriter, context: LoopContext) throws(GatewayError) {
        let chat = try ChatRequest(body: request.body, receivedAt: request.receivedAt)
        let plan = try services.planner.plan(
            requestID: request.requestID, operation: .chatCompletions, model: chat.head.model, stream: chat.head.stream)
        PlanExecutor(plan: plan, request: chat, writer: writer, services: services, context: context).start()
    }
}
