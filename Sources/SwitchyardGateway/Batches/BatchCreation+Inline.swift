import CSwitchyardPlugin
import SwitchyardCore
import SwitchyardJSON
import SwitchyardUpstream

/// Creating a batch whose input the gateway holds (a provider with no files API): it runs at the
/// first provider serving the model of its first line that runs batches inline. The lines are
/// prepared as for any batch, each kept line becomes the provider's own item (its plugin's
/// `create_part`), and the items go upstream as one streamed create body. Nothing is uploaded
/// first, so nothing needs rolling back but a batch the store could not record (cancelled).
extension BatchCreation {
    func prepareHeld(_ file: FileRecord) {
        guard let reader = services.heldFiles?.open(file.id) else {
            return fail(.internalError("The content of \(file.id) is missing from the gateway's held files."))
        }
        do throws(GatewayError) {
            let inline = try Self.inlineProvider(firstLine: reader.firstLine(limit: InputPreparation.maxLineBytes), services: services)
            self.inline = inline
            exchange.provider = inline.name
            let description = call.description(SY_OP_BATCHES)
            let preparation = try BatchLinePreparation(
                services: services, context: context, provider: inline.name, batchRequest: JSONValue.object(request.body).serialized(),
                requestID: exchange.request.requestID)
            let spool = try SpoolFile(in: Self.spoolFolder(of: store))
            try spool.append(inline.createPart(SY_BATCH_PART_OPEN, index: 0, line: [], number: 0, call: description))
            var index = 0
            let preparing = InputPreparation(preparation: preparation, provider: "", keepLine: { number, line throws(GatewayError) in
                try spool.append(inline.createPart(SY_BATCH_PART_ITEM, index: index, line: line, number: number, call: description))
                index += 1
            }) { [self] result in
                self.preparing = nil
                switch result {
                case .failure(let error): fail(error)
                case .success:
                    do throws(GatewayError) {
                        try spool.append(inline.createPart(SY_BATCH_PART_CLOSE, index: index, line: [], number: 0, call: description))
                        createInline(inline, body: spool)
                    } catch {
                        fail(error)
                    }
                }
            }
            self.preparing = preparing
            preparing.start(reader, on: context.upstream.loop)
        } catch {
            fail(error)
        }
    }

    private func createInline(_ inline: InlineBatchProvider, body: SpoolFile) {
        guard !done else { return }
        do throws(GatewayError) {
            let upstream = try inline.request(SY_BATCH_CREATE, body: body, call: call.description(SY_OP_BATCHES))
            // From here the batch may exist upstream whatever happens to the client (see `create`).
            committed = true
            NativeExchange.send(upstream, provider: inline.name, on: context.upstream, maxBytes: Self.maxAnswerBytes) { [self] result in
                do throws(GatewayError) {
                    let answer = try result.get()
                    // The provider's own error shape: said in OpenAI's, with its words.
                    guard answer.succeeded else { throw InlineBatchRefresh.refusal(answer, provider: inline.name) }
                    guard let object = try? inline.status(answer.body, call: call.description(SY_OP_BATCHES)) else { return unreadable(answer.body) }
                    record(object, inputUpstreamID: "")
                } catch {
                    fail(error)
                }
            }
        } catch {
            fail(error)
        }
    }

    /// The provider for a held file's batch: the first one serving line 1's model that runs
    /// batches inline.
    static func inlineProvider(firstLine: [UInt8]?, services: GatewayServices) throws(GatewayError) -> InlineBatchProvider {
        guard let firstLine else { throw GatewayError.invalidRequest("The input file has no requests.", code: "empty_batch") }
        guard let line = try? JSONValue.parse(firstLine) else {
            throw GatewayError.invalidRequest("line 1: not a JSON object.", code: "invalid_batch_line")
        }
        guard let model = line["body"]?["model"]?.stringValue else {
            throw GatewayError.invalidRequest("line 1: no body.model.", code: "invalid_batch_line")
        }
        let attempts: [Attempt]
        do { attempts = try services.planner.routing.resolve(model).1 } catch {
            throw GatewayError.invalidRequest("line 1: model '\(model)' is not served by this gateway.", code: "invalid_batch_line")
        }
        guard let inline = attempts.lazy.compactMap({ services.inlineBatchProvider($0.provider) }).first else {
            throw GatewayError.invalidRequest(
                "line 1: model '\(model)' is served by no provider that runs batches on a file the gateway holds (\(attempts.map(\.provider).joined(separator: ", "))).",
                code: "invalid_batch_line")
        }
        return inline
    }
}
