import SwitchyardPosix

/// A command sent and waiting for its reply, its timeout armed. Finishes exactly once: with the
/// reply, with a timeout, or with a nil reply when hiredis frees the connection.
/// Threading: its loop only. Ownership: hiredis holds one retain (the command's privdata) until
/// it calls the reply callback, which every sent command gets exactly once.
final class RedisPendingCommand {
    private var completion: ((Result<RedisReply, RedisFailure>) -> Void)?
    private let loop: EventLoop
    var timer: TimerID?

    init(loop: EventLoop, completion: @escaping (Result<RedisReply, RedisFailure>) -> Void) {
        self.loop = loop
        self.completion = completion
    }

    var isFinished: Bool { completion == nil }

    func finish(_ result: Result<RedisReply, RedisFailure>) {
        guard let completion else { return }
        self.completion = nil
        if let timer { loop.cancel(timer) }
        timer = nil
        completion(result)
    }
}
