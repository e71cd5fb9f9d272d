import SwitchyardRedis

/// The shared ledger's Lua scripts (docs/governance.md#redis-replicas). Each runs atomically in
/// Redis, so an admission checks and counts every scope at once (all or nothing) whatever the
/// other replicas do. The arithmetic is the local ledger's (`SlidingWindow`, budgets), in
/// integers: counts scaled by 60,000 ms, money in micros (exact in Lua's doubles up to 2^53).
/// Numbers go back to Redis through `%d` (a bare Lua number may print as 1e+15).
enum RedisLedgerScripts {
    /// Drops a budget window's expired reservations (a holder that never settled), taking what
    /// they held off the reserved sum.
    static let freeExpired = """
        local function freeExpired(reserved, leases, amounts, now)
          local at = string.format('%d', now)
          local expired = redis.call('ZRANGEBYSCORE', leases, '-inf', at)
          if #expired == 0 then return end
          local freed = 0
          for _, id in ipairs(expired) do
            freed = freed + tonumber(redis.call('HGET', amounts, id) or '0')
            redis.call('HDEL', amounts, id)
          end
          redis.call('ZREMRANGEBYSCORE', leases, '-inf', at)
          redis.call('DECRBY', reserved, string.format('%d', freed))
        end

        """

    /// KEYS, 9 per scope: conc, rpm previous, rpm current, tpm previous, tpm current, spent,
    /// reserved, reservation leases, reservation amounts.
    /// ARGV: now (Unix ms), lease, lease expiry (Unix ms), estimated cost, estimated tokens,
    /// scope count, then 5 per scope: concurrency, rpm, tpm, budget limit (-1 = none), how long
    /// the budget window's keys live (ms; -1 = no expiry, `total`).
    /// Returns: refusing scope (1-based, 0 = admitted), what refused it (concurrency, rpm, tpm,
    /// budget), then 7 counts per scope as they were before this request: in flight, rpm
    /// previous, rpm current, tpm previous, tpm current, spent, reserved.
    static let admit = RedisScript(freeExpired + """
        local now, lease, expiry = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3])
        local cost, tokens, n = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
        local into = now % 60000
        local function int(x) return string.format('%d', x) end
        local function get(key) return tonumber(redis.call('GET', key) or '0') end
        local function keep(key, ms)
          if redis.call('PTTL', key) < ms then redis.call('PEXPIRE', key, int(ms)) end
        end
        local refused, kind = 0, ''
        local counts = {}
        for i = 1, n do
          local k, a = (i - 1) * 9, 6 + (i - 1) * 5
          local conc, rpm, tpm = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3])
          local inflight, rp, rc, tp, tc = 0, 0, 0, 0, 0
          if conc >= 0 then
            redis.call('ZREMRANGEBYSCORE', KEYS[k + 1], '-inf', int(now))
            inflight = redis.call('ZCARD', KEYS[k + 1])
            if refused == 0 and inflight >= conc then refused, kind = i, 'concurrency' end
          end
          if rpm >= 0 then
            rp, rc = get(KEYS[k + 2]), get(KEYS[k + 3])
            if refused == 0 and rp * (60000 - into) + (rc + 1) * 60000 > rpm * 60000 then refused, kind = i, 'rpm' end
          end
          if tpm >= 0 then
            tp, tc = get(KEYS[k + 4]), get(KEYS[k + 5])
            local scaled = tp * (60000 - into) + tc * 60000
            if refused == 0 and scaled > 0 and scaled + tokens * 60000 > tpm * 60000 then refused, kind = i, 'tpm' end
          end
          counts[i] = {inflight, rp, rc, tp, tc, 0, 0}
        end
        for i = 1, n do
          local k, a = (i - 1) * 9, 6 + (i - 1) * 5
          local limit = tonumber(ARGV[a + 4])
          if limit >= 0 then
            freeExpired(KEYS[k + 7], KEYS[k + 8], KEYS[k + 9], now)
            local spent, reserved = get(KEYS[k + 6]), get(KEYS[k + 7])
            counts[i][6], counts[i][7] = spent, reserved
            if refused == 0 and spent + reserved + cost > limit then refused, kind = i, 'budget' end
          end
        end
        if refused == 0 then
          for i = 1, n do
            local k, a = (i - 1) * 9, 6 + (i - 1) * 5
            local conc, rpm, limit, ttl = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), tonumber(ARGV[a + 4]), tonumber(ARGV[a + 5])
            if conc >= 0 then
              redis.call('ZADD', KEYS[k + 1], int(expiry), lease)
              keep(KEYS[k + 1], expiry - now)
            end
            if rpm >= 0 then
              redis.call('INCR', KEYS[k + 3])
              redis.call('EXPIRE', KEYS[k + 3], 120)
            end
            if limit >= 0 then
              redis.call('ZADD', KEYS[k + 8], int(expiry), lease)
              redis.call('HSET', KEYS[k + 9], lease, int(cost))
              redis.call('INCRBY', KEYS[k + 7], int(cost))
              if ttl >= 0 then
                local ms = math.max(ttl, expiry - now)
                keep(KEYS[k + 7], ms)
                keep(KEYS[k + 8], ms)
                keep(KEYS[k + 9], ms)
              end
            end
          end
        end
        local reply = {refused, kind}
        for i = 1, n do
          for j = 1, 7 do reply[#reply + 1] = counts[i][j] end
        end
        return reply
        """)

    /// KEYS: the lease's settled marker, then 6 per scope: conc, tpm current, spent, reserved,
    /// reservation leases, reservation amounts.
    /// ARGV: lease, real cost, real tokens, scope count, how long the marker lives (ms), then 3
    /// per scope: holds a slot (1/0), counts tokens (1/0), budget (-2 = none, -1 = kept forever,
    /// else how long the window's keys live, ms).
    /// Returns 1, or 0 when the lease was settled already (a retry whose first try got through).
    static let settle = RedisScript("""
        if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[5]) then return 0 end
        local lease, cost, tokens, n = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
        local function int(x) return string.format('%d', x) end
        local function keep(key, ms)
          if redis.call('PTTL', key) < ms then redis.call('PEXPIRE', key, int(ms)) end
        end
        for i = 1, n do
          local k, a = 1 + (i - 1) * 6, 5 + (i - 1) * 3
          if ARGV[a + 1] == '1' then redis.call('ZREM', KEYS[k + 1], lease) end
          if ARGV[a + 2] == '1' and tokens > 0 then
            redis.call('INCRBY', KEYS[k + 2], int(tokens))
            redis.call('EXPIRE', KEYS[k + 2], 120)
          end
          local ttl = tonumber(ARGV[a + 3])
          if ttl >= -1 then
            local amount = redis.call('HGET', KEYS[k + 6], lease)
            if amount then
              redis.call('HDEL', KEYS[k + 6], lease)
              redis.call('ZREM', KEYS[k + 5], lease)
              redis.call('DECRBY', KEYS[k + 4], amount)
            end
            if cost > 0 then
              redis.call('INCRBY', KEYS[k + 3], int(cost))
              if ttl >= 0 then keep(KEYS[k + 3], ttl) end
            end
          end
        end
        return 1
        """)

    /// KEYS: the spent key of each budget's current window. ARGV: cost (micros), then per key how
    /// long it lives (ms; -1 = kept forever, `total`). Adds the cost to each, no reservation, never
    /// refused (`GovernanceLedger.charge`). Returns 1.
    static let charge = RedisScript("""
        local cost = ARGV[1]
        for i = 1, #KEYS do
          redis.call('INCRBY', KEYS[i], cost)
          local ttl = tonumber(ARGV[i + 1])
          if ttl >= 0 and redis.call('PTTL', KEYS[i]) < ttl then redis.call('PEXPIRE', KEYS[i], string.format('%d', ttl)) end
        end
        return 1
        """)

    /// KEYS, 4 per budget: spent, reserved, reservation leases, reservation amounts. ARGV: now
    /// (Unix ms). Frees expired reservations, returns spent and reserved per budget.
    static let spend = RedisScript(freeExpired + """
        local now = tonumber(ARGV[1])
        local reply = {}
        for k = 0, #KEYS - 1, 4 do
          freeExpired(KEYS[k + 2], KEYS[k + 3], KEYS[k + 4], now)
          reply[#reply + 1] = tonumber(redis.call('GET', KEYS[k + 1]) or '0')
          reply[#reply + 1] = tonumber(redis.call('GET', KEYS[k + 2]) or '0')
        end
        return reply
        """)
}
