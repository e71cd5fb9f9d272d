/*
 * switchyard_plugin.h -- the Switchyard plugin C ABI, major 1.
 *
 * One header, one truth: the gateway host compiles against this file and so does every plugin,
 * whatever its language (C, C++, Swift, Rust). C99, LP64 Linux.
 *
 * ABI 1.1 (this header). Released headers stay in the repository, byte for byte
 * (plugin-sdk/abi/released/1.0/); a minor only appends (plugin-sdk/abi/README.md). New in 1.1:
 *  - sy_host_api.call_deadline_ns: the instant by which the running hook must return.
 * A plugin built against this header runs on a 1.0 host too: the host's sy_host_api then ends
 * before the 1.1 functions, so check each with SY_HAS(sy_host_api, host, call_deadline_ns)
 * before calling it (a 1.0 host's table is shorter; reading past its struct_size is reading
 * past the end of the host's memory).
 *
 * Rules that hold everywhere below:
 *  - A plugin exports exactly one symbol, sy_plugin_entry(). Everything else travels through
 *    tables of function pointers.
 *  - Text and payloads are UTF-8 as pointer + length (sy_bytes), never NUL-terminated on the data
 *    path. Payloads are JSON (canonical OpenAI-style request/response/chunk, config, errors).
 *  - Inputs are BORROWED: any pointer handed into a plugin function is valid until that function
 *    returns. A plugin that needs the bytes later copies them.
 *  - Outputs go through HOST-OWNED sinks, builders and verdicts, which a plugin holds as opaque
 *    64-bit handles (sy_sink, sy_http_out, sy_verdict) passed by value, never as pointers to host
 *    memory. It uses them only through host functions that COPY and that check the handle: a
 *    handle is valid for the hook it was passed to and nothing else (see "Output handles").
 *    Nothing allocated on one side of the line is ever freed on the other.
 *  - Every struct that may grow starts with `uint32_t struct_size` and grows only at the end. A
 *    field beyond struct_size reads as 0/NULL, and zero always means "the old behaviour". Check a
 *    newer function with SY_HAS() before calling it. Extensible structs are referenced by
 *    pointer, never embedded by value.
 *  - Optional hooks are NULL when not implemented; the host falls back. Host functions present at
 *    the negotiated minor are never NULL.
 *  - Constants are plain macros (Swift imports them with the field's exact type); enum-like fields
 *    are fixed-width integers. No variadic functions anywhere.
 *
 * Threading tags used on every function:
 *  [any-thread]   may be called on any thread, but never concurrently for the same call/state.
 *  [thread-safe]  may be called concurrently from any thread.
 *  [control]      host control thread; never concurrent with other calls on the same instance.
 *  [hook-thread]  only on the thread that is running the hook the handle argument was passed to,
 *                 and only until that hook returns (see "Output handles").
 *
 * Blocking: hooks run on the host event loop that accepted the request and must not block (sleep,
 * wait on I/O or a lock, run a model), unless the manifest lists them in "blocking_hooks"
 * (provider: "prepare", "generate", "response" = begin/data/end), in which case the host runs
 * them on its bounded pool of worker threads.
 */
#ifndef SWITCHYARD_PLUGIN_H
#define SWITCHYARD_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- versions, export, helpers */

#define SY_ABI_MAJOR 1u /* must match exactly */
#define SY_ABI_MINOR 1u /* +1 for every appended field or function, new interface id or constant */
#define SY_PLUGIN_ENTRY_SYMBOL "sy_plugin_entry"

#if defined(__GNUC__) || defined(__clang__)
#define SY_EXPORT __attribute__((visibility("default")))
#else
#define SY_EXPORT
#endif

/* Does table `p` of type `T` carry a non-NULL `field`? Use before calling a function added in a
 * later minor: it is there only if the other side's struct_size covers it. */
#define SY_HAS(T, p, field) \
    ((p)->struct_size >= offsetof(T, field) + sizeof(((T *)0)->field) && (p)->field)

/* ---------------------------------------------------------------- status and errors */

typedef int32_t sy_status;
#define SY_OK              0
#define SY_PAUSE           1    /* guardrails only: inspect finishes later through host->resume() */
#define SY_E_INVALID     (-1)   /* bad input (malformed JSON, missing field) */
#define SY_E_UNSUPPORTED (-2)   /* the request asks for something this plugin cannot honour */
#define SY_E_NOMEM       (-3)
#define SY_E_CANCELLED   (-4)   /* the client went away: stop promptly */
#define SY_E_TOO_SMALL   (-5)   /* two-call pattern: *out_len holds the size needed */
#define SY_E_UPSTREAM    (-6)   /* the upstream answered with an error (see sy_error.http_status) */
#define SY_E_TIMEOUT     (-7)
#define SY_E_CONFIG      (-8)   /* instance_new: the config was rejected (message says why) */
#define SY_E_ABI         (-9)   /* sy_plugin_entry: incompatible ABI */
#define SY_E_INTERNAL   (-10)   /* plugin bug, e.g. a panic caught by an SDK barrier */
#define SY_E_HANDLE     (-11)   /* a sink/builder/verdict handle used where it is not valid: after its
                                   hook returned, or on a thread not running that hook */

#define SY_ERROR_MESSAGE_CAPACITY 512

/* Host-allocated and zeroed before every call that takes one; the plugin fills it on failure.
 * Lifetime: valid until the function it was passed to returns. */
typedef struct sy_error {
    uint32_t struct_size;
    int32_t code;         /* sy_status */
    uint32_t http_status; /* status suggested for the client; 0 = host decides */
    uint32_t retryable;   /* 1 = transient, the router may fail over to the next attempt */
    char message[SY_ERROR_MESSAGE_CAPACITY]; /* NUL-terminated, truncated to fit */
} sy_error;

/* ---------------------------------------------------------------- data and handles */

typedef struct sy_bytes {
    const uint8_t *ptr; /* may be NULL when len == 0 */
    size_t len;
} sy_bytes;

typedef struct sy_header {
    sy_bytes name;
    sy_bytes value;
} sy_header;

typedef struct sy_hinst_s *sy_hinst; /* host's view of one plugin instance; host-owned, opaque  */
typedef struct sy_call_s *sy_call;   /* one request / stream / batch job; host-owned, opaque    */
typedef void *sy_instance;           /* plugin-owned instance; opaque to the host (may be an int) */
typedef void *sy_state;              /* plugin-owned per-call state; opaque to the host           */

/* Output handles. A hook that produces output receives a HOST-OWNED handle BY VALUE: a sink for
 * canonical output, a builder for the upstream request, a guardrail verdict. The handle is an
 * opaque token, not an address: the plugin never reads or writes host memory through it, and
 * passes it back to a host function (host->sink_write, host->http_out_*, host->verdict_*) that
 * looks it up and checks it. 0 is never a valid handle; the bits mean nothing to a plugin.
 *
 * Lifetime and thread (the host enforces both):
 *  - sy_sink, sy_http_out: valid only on the thread that runs the hook they were passed to, and
 *    only until that hook returns ([hook-thread]). Keep one for a later call, or hand it to a
 *    thread of your own, and every use returns SY_E_HANDLE (and is logged once in a while, with
 *    your plugin's name). Nothing you write that way can reach any client.
 *  - sy_verdict: valid from the start of inspect until inspect returns; when inspect returns
 *    SY_PAUSE, until the plugin calls host->resume() with it (or the guardrail's deadline ends it);
 *    and only with the `h` of the instance whose inspect received it. While valid, it may be used
 *    from any thread (the host serializes the calls); afterwards SY_E_HANDLE.
 * A handle that is no longer valid never becomes valid again, and never names another call's
 * sink: the host issues a fresh generation for every lend. */
typedef uint64_t sy_sink;     /* where a provider/enricher/batch hook writes its output      */
typedef uint64_t sy_http_out; /* the upstream request a provider's prepare() describes       */
typedef uint64_t sy_verdict;  /* what a guardrail decides about the JSON it inspects         */
#define SY_HANDLE_NONE 0u

/* What a plugin writes to a sink (host->sink_write). The host checks every write before any
 * client sees it, and refuses a bad one with SY_E_INVALID:
 *  SY_OUT_JSON        exactly one JSON object (RFC 8259, well-formed UTF-8, whitespace around it
 *                     allowed). A call that is not a stream takes at most one: a second is refused.
 *  SY_OUT_ERROR_JSON  a JSON object with an "error" member that is an object ({"error":{...}};
 *                     Anthropic's {"type":"error","error":{...}} also qualifies).
 *  SY_OUT_META_JSON   a JSON object without escaped keys. "usage", when present, is an object whose
 *                     *_tokens members (also those of its *_details objects, which may be null) are
 *                     non-negative integers; "retry_after_seconds", when present, is one too.
 *  SY_OUT_BYTES       not checked: opaque bytes (never sent to a client as JSON).
 * A refused write fails the call: the client gets an error in its own format (a 502 before the
 * response started, an error event once a stream has started) and never the refused bytes, and
 * every later write of that call is refused as well. Unknown kinds (above SY_OUT_BYTES, from newer
 * plugins) are accepted and ignored on every sink, batch sinks included; a sink that names the
 * kinds it takes (sy_provider_batch_v1, sy_batch_v1) refuses the other known ones. */
#define SY_OUT_JSON       1u /* one canonical JSON object: a whole response, or one stream chunk */
#define SY_OUT_ERROR_JSON 2u /* one OpenAI-shaped error object {"error":{...}} for the client     */
#define SY_OUT_META_JSON  3u /* usage and attributes, e.g. {"usage":{"prompt_tokens":3,...}}      */
#define SY_OUT_BYTES      4u /* opaque bytes, passed on as they are                                 */

/* ---------------------------------------------------------------- per-call description */

/* Operations, as routed by the host. */
#define SY_OP_CHAT_COMPLETIONS 1u
#define SY_OP_EMBEDDINGS       2u
#define SY_OP_RESPONSES        3u
#define SY_OP_MESSAGES         4u
#define SY_OP_MODELS           5u
#define SY_OP_COUNT_TOKENS     6u /* since 1.0: canonical chat body in, {"input_tokens":N} out */
#define SY_OP_PASSTHROUGH      7u /* since 1.0: /p/{provider}/...: the client's own bytes to the
                                     provider's native API (provider `passthrough`, enrichers) */
#define SY_OP_FILES            8u /* since 1.0: native files (/v1/files) through the provider's
                                     `passthrough` hook */
#define SY_OP_BATCHES          9u /* since 1.0: native batches (/v1/batches); what a batch
                                     preparer's `begin` sees in info->operation */

/* What the host planned for this call. Host-owned, borrowed for the duration of the hook.
 * sy_call itself is a token, not a pointer: once the call has ended, host functions given it
 * find nothing and answer safely (call_cancelled 1, call_metadata empty, http_send
 * SY_E_CANCELLED). The canonical JSON handed to provider hooks already carries `model`
 * rewritten to upstream_model; guardrails see the model as the client named it. */
typedef struct sy_call_info {
    uint32_t struct_size;
    uint32_t operation;      /* SY_OP_* */
    uint32_t stream;         /* 1 = the client asked for a stream (SSE) */
    uint32_t attempt;        /* 0 for the first attempt, 1 for the first fallback, ... */
    sy_bytes request_id;     /* X-Request-ID of the client request */
    sy_bytes upstream_model; /* model name as the upstream knows it */
    sy_bytes request;        /* the canonical JSON this call answers. Provider hooks: the same bytes
                              * `prepare` and `generate` receive, also lent to the response
                              * transformer's `begin` so it can honour request options
                              * (stream_options, encoding_format) without per-call state of its own.
                              * Guardrails: in the request phase the document inspected; in the
                              * response and chunk phases the request the provider received (after
                              * request-phase patches, `model` rewritten to upstream_model). */
} sy_call_info;

/* ---------------------------------------------------------------- host services */

#define SY_LOG_TRACE 0u
#define SY_LOG_DEBUG 1u
#define SY_LOG_INFO  2u
#define SY_LOG_WARN  3u
#define SY_LOG_ERROR 4u

#define SY_METRIC_COUNTER   1u
#define SY_METRIC_GAUGE     2u
#define SY_METRIC_HISTOGRAM 3u

/* An out-of-band HTTP request a plugin sends through the host (e.g. to fetch an OAuth token). */
typedef struct sy_http_request {
    uint32_t struct_size;
    uint32_t timeout_ms; /* 0 = host default */
    sy_bytes method;
    sy_bytes url;
    sy_bytes body;
    const sy_header *headers;
    size_t header_count;
} sy_http_request;

/* Plugin-owned; must stay valid until on_done. The callbacks for one request are serialized,
 * run on a host thread, and never run inline inside http_send. */
typedef struct sy_http_handler {
    uint32_t struct_size;
    void *ctx;
    void (*on_headers)(void *ctx, uint64_t request, uint32_t status, const sy_header *headers,
                       size_t count);
    sy_status (*on_data)(void *ctx, uint64_t request, sy_bytes chunk); /* < 0 aborts the request */
    void (*on_done)(void *ctx, uint64_t request, sy_status result);    /* exactly once */
} sy_http_handler;

/* Handed to sy_plugin_entry; host-owned, valid for the life of the process. [thread-safe]
 * unless a function says otherwise. Every function takes the host-side handle of the calling
 * instance so the host can attribute logs and metrics. */
typedef struct sy_host_api {
    uint32_t struct_size;
    uint32_t abi_minor; /* the host's minor */

    uint32_t (*log_enabled)(sy_hinst h, uint32_t level);
    /* One line naming the config entry, and the request (request_id=) when `call` is non-NULL. */
    void (*log)(sy_hinst h, sy_call call /* may be NULL */, uint32_t level, sy_bytes message);

    uint64_t (*now_unix_ns)(void);
    uint64_t (*monotonic_ns)(void);

    /* Host-accounted heap. Memory from alloc() is freed only by the same plugin through free(). */
    void *(*alloc)(sy_hinst h, size_t size);
    void (*free)(sy_hinst h, void *pointer);

    /* [control] metric_define only inside instance_new. label_names: comma-separated. */
    sy_status (*metric_define)(sy_hinst h, uint32_t kind, sy_bytes name, sy_bytes label_names,
                               uint32_t *out_id);
    sy_status (*metric_record)(sy_hinst h, uint32_t id, double value, const sy_bytes *label_values,
                               size_t label_count);

    /* Resolves a secret by name (an environment variable of the gateway). Two-call pattern:
     * SY_E_TOO_SMALL sets *out_len to the size needed. SY_E_INVALID when it is not set. */
    sy_status (*secret_get)(sy_hinst h, sy_bytes name, uint8_t *buffer, size_t capacity,
                            size_t *out_len);

    /* ---- Call services. Every hook of a request receives a live `call` (a token for the
     * request, see sy_call_info); `call` is NULL only in instance_new. */

    /* Out-of-band HTTP through the host's client, e.g. a moderation API or an OAuth token.
     * Called on the call's event loop: in a hook of `call` that runs there, or inside a handler
     * callback of one of its requests. Anywhere else (a thread of your own, a hook the manifest
     * declares blocking, which runs on a worker thread): SY_E_HANDLE. The request runs on that
     * loop without blocking it; the handler's callbacks arrive there, never inline. A URL that is
     * a path ("/v1/chat/completions") is sent to this gateway itself, through its own routing
     * (guardrails do not run on such requests); the host drops any X-Switchyard-Internal header
     * a plugin sets. `timeout_ms` bounds the whole exchange (0 = 30 s); the response body is
     * bounded by the server's max_upstream_response_bytes. SY_E_UNSUPPORTED with a NULL call
     * (e.g. from instance_new); SY_E_CANCELLED once the client has gone or the call has ended;
     * SY_E_NOMEM when the call's event loop already runs 256 plugin requests;
     * SY_E_INVALID for a request that cannot be sent (not an absolute http(s) URL or a path, a
     * bad method or header). on_done's result: SY_OK once the whole response arrived (whatever
     * its HTTP status, given to on_headers); SY_E_TIMEOUT; SY_E_CANCELLED (http_cancel, on_data
     * returned an error, or the call ended: its requests still running are cancelled); else
     * SY_E_UPSTREAM (no answer, a broken one, or one past the bound). */
    sy_status (*http_send)(sy_hinst h, sy_call call, const sy_http_request *request,
                           const sy_http_handler *handler, uint64_t *out_request);
    /* [thread-safe] Cancels a request this instance sent with http_send; its on_done still runs
     * once (SY_E_CANCELLED), on the call's loop, never inside http_cancel. Unknown or finished
     * ids, and ids of another instance, are ignored. */
    void (*http_cancel)(sy_hinst h, uint64_t request);

    /* Finish an inspect that returned SY_PAUSE: `verdict` is the handle that inspect received,
     * `result` what inspect would have returned (SY_OK = the verdict as patched/rejected, an
     * error = the guardrail failed; its on_error applies). Any thread, once per SY_PAUSE; the
     * host never re-enters the plugin from inside resume. SY_E_HANDLE when the verdict is not
     * paused any more (resumed already, or its deadline passed: the host went on without it). */
    sy_status (*resume)(sy_hinst h, sy_verdict verdict, sy_status result);
    /* [thread-safe] 1 once the client has gone away (or the call has ended); 0 for NULL. */
    uint32_t (*call_cancelled)(sy_call call);
    /* [hook-thread] The plan's facts for this call, as JSON: {"request_id","endpoint","mode",
     * "model" (after aliases),"requested_model","provider","attempt","stream"}; provider and
     * attempt are the current attempt's. Built when first asked (nothing is prepared for a call
     * whose plugins never ask). Valid until the hook that asked returns. Empty for NULL or a
     * call that has ended. */
    sy_bytes (*call_metadata)(sy_call call);

    /* Host extensions by id, e.g. "switchyard.ext.kv/1"; NULL when absent. */
    const void *(*get_extension)(sy_hinst h, const char *extension_id);

    /* ---- Output handles (see "Output handles" above). `h` is the calling instance's handle; the
     * host names it when it refuses a handle. Every function copies its arguments before it
     * returns, and answers SY_E_HANDLE for a handle that is not valid here and now. */

    /* [hook-thread] Writes one output (SY_OUT_*) to a sink. SY_OK; SY_E_CANCELLED when the client
     * is gone (stop promptly); SY_E_INVALID when the host refuses the bytes (see SY_OUT_*: the
     * call has failed, return an error); SY_E_HANDLE. */
    sy_status (*sink_write)(sy_hinst h, sy_sink sink, uint32_t kind, sy_bytes data);

    /* [hook-thread] The upstream request of prepare(). The host owns the connection, TLS,
     * timeouts and retries; a provider does no network I/O of its own on the main path.
     * SY_E_INVALID for a value that cannot be sent (the request then fails): a method that is not
     * an HTTP token (default "POST"); a URL that is not an absolute http(s) URL; a header name that
     * is not a token, or a value with CR, LF or NUL. */
    sy_status (*http_out_set_method)(sy_hinst h, sy_http_out out, sy_bytes method);
    sy_status (*http_out_set_url)(sy_hinst h, sy_http_out out, sy_bytes url);
    sy_status (*http_out_add_header)(sy_hinst h, sy_http_out out, sy_bytes name, sy_bytes value);
    sy_status (*http_out_append_body)(sy_hinst h, sy_http_out out, sy_bytes data);

    /* A guardrail's decision. Any thread while the verdict is valid (see sy_verdict); the host
     * serializes calls on one verdict and copies the bytes. The last patch or reject before the
     * verdict ends wins (a reject wins over any patch). See "Guardrails" for what each means.
     * patch: SY_PATCH_REPLACE with one JSON object, or SY_PATCH_JSON_PATCH with an RFC 6902
     *   array of operations; SY_E_INVALID for a format or document the host cannot use. The
     *   host applies it when the verdict ends; one that does not apply fails the guardrail.
     * reject: the HTTP status for the client (0 = 400; else 400-599) and an OpenAI-shaped error
     *   body {"error":{"message":...}}; SY_E_INVALID otherwise. */
    sy_status (*verdict_patch)(sy_hinst h, sy_verdict verdict, uint32_t format, sy_bytes document);
    sy_status (*verdict_reject)(sy_hinst h, sy_verdict verdict, uint32_t http_status,
                                sy_bytes openai_error_json);
    /* SY_PHASE_CHUNK only: keep the last `bytes` bytes of the inspected text (after your patch)
     * back; they come again at the front of the text of this choice's next inspect. The host
     * holds no more than asked (a cut inside a UTF-8 sequence moves forward), at most
     * SY_MAX_HOLD_BYTES. SY_E_UNSUPPORTED when the text must go out now (the choice or stream is
     * ending) or in another phase. */
    sy_status (*verdict_hold)(sy_hinst h, sy_verdict verdict, size_t bytes);

    /* [thread-safe] How this gateway routes `model` (a model name or an alias) now, as JSON:
     *   {"model":"<name after aliases>","targets":[{"provider":"openai","upstream_model":"gpt-4o-mini"},...]}
     * `targets` in routing order (the first is tried first); `upstream_model` is the name that
     * provider receives. Empty sy_bytes when no route serves the model, for a NULL call or one
     * that has ended. The bytes are host-owned and valid until the hook that asked returns; a
     * hook may ask for several models (each answer stays valid until it returns). Asking again
     * for a model during the same call is cheap (the host keeps one answer per call and model). */
    sy_bytes (*call_route)(sy_call call, sy_bytes model);

    /* ---- 1.1. Absent from a 1.0 host's table: check with SY_HAS(sy_host_api, host, field). */

    /* 1.1 [thread-safe] The monotonic_ns() instant by which the hook now running for this call
     * must return (its deadline), or 0 when the host sets none. Past it the host gives up on the
     * hook: one on a worker is abandoned then (what it writes or returns later is discarded), one
     * on the event loop fails when it returns. The client gets a timeout (a 504, or an error event
     * once a stream started); for an inspect the guardrail's on_error decides; an enricher drops
     * out of the call. The deadline is the one the host applies:
     *  - provider prepare, generate, the transformer's begin: now + the provider's first-byte
     *    timeout when the hook starts. A generate on a worker (blocking_hooks) gets that until
     *    its first write, then each write moves it to the write + the idle timeout, and it is
     *    never later than the start + the provider's total timeout when one is set.
     *  - the transformer's data and end: now + the provider's idle timeout.
     *  - a guardrail's inspect: now + the guardrail entry's deadline (a pause ends there too).
     *  - an enricher's hooks: now + the enricher entry's deadline, 0 when it has none.
     *  - hooks the host does not time: 0 (a guardrail's call_end, passthrough, inline batches,
     *    batch preparers).
     * "now" is when the host started the hook (for a hook on a worker: when it was queued). Ask
     * from inside the hook, on its thread, before it returns: asked elsewhere (a thread of the
     * plugin's own), the answer is that of the hook running, or run last, on the call's event
     * loop. 0 for NULL or a call that has ended. Compare with host->monotonic_ns(). */
    uint64_t (*call_deadline_ns)(sy_call call);
} sy_host_api;

/* ---------------------------------------------------------------- plugin interfaces */

#define SY_IFACE_PROVIDER  "switchyard.provider/1"
#define SY_IFACE_GUARDRAIL "switchyard.guardrail/1"
#define SY_IFACE_ENRICHER  "switchyard.enricher/1"
#define SY_IFACE_BATCH     "switchyard.batch/1"
/* The gateway calls all four: providers, guardrails, enrichers and batch preparers. */

/* Push-style stream transformer: begin -> data* -> end, then state_free exactly once, also after
 * an error or a cancellation (in which case end may not be called). Calls for one state never
 * overlap [any-thread]; chunk boundaries are arbitrary (a plugin buffers partial lines/frames). */
typedef struct sy_transformer_v1 {
    uint32_t struct_size;
    sy_status (*begin)(sy_instance instance, sy_call call, const sy_call_info *info,
                       uint32_t http_status, const sy_header *headers, size_t header_count,
                       sy_state *out_state, sy_error *error);
    /* `out` is [hook-thread]: valid during this data()/end() call only (a fresh one each call). */
    sy_status (*data)(sy_state state, sy_bytes chunk, sy_sink out, sy_error *error);
    sy_status (*end)(sy_state state, sy_sink out, sy_error *error);
    void (*state_free)(sy_state state);
} sy_transformer_v1;

/* Native batches (/v1/batches, OpenAI-shaped for the client). A provider runs batches only when
 * its manifest lists "batches" in "operations". When its table has `batch` (below) the host
 * drives the provider's inline batch API through it; otherwise it speaks OpenAI's Files and Batch
 * APIs to the provider through `passthrough` (the manifest then lists "files" as well).
 *
 * sy_provider_batch_v1: a provider whose API takes a batch's requests inline in the create body
 * (Anthropic Message Batches) instead of as an uploaded file. The host keeps the client's input
 * file and the output and error files itself and drives the exchange (create, poll, cancel,
 * fetch the results); the plugin only says what each piece looks like upstream, and does no I/O.
 * Hooks are [any-thread], never concurrent for the same `call`, and must not block. `info`
 * describes the client's batch request (request_id; `request` empty). Every input is borrowed
 * for the call; `out` handles are [hook-thread]. */
#define SY_BATCH_CREATE  1u /* POST a new batch; the host streams the body the plugin builds with create_part */
#define SY_BATCH_GET     2u /* the batch, by the provider's id */
#define SY_BATCH_CANCEL  3u /* ask the provider to cancel the batch */
#define SY_BATCH_RESULTS 4u /* its results (JSONL), once it has ended */
#define SY_BATCH_PART_OPEN  1u /* the start of CREATE's body */
#define SY_BATCH_PART_ITEM  2u /* one request of the batch */
#define SY_BATCH_PART_CLOSE 3u /* the end of CREATE's body */

typedef struct sy_provider_batch_v1 {
    uint32_t struct_size;
    /* The upstream request of `op` (SY_BATCH_*) on batch `batch_id` (the provider's id, as its
     * batch object names it; empty for CREATE): method, URL, this provider's credentials and any
     * header its API wants (content-type for CREATE) on `out` through host->http_out_*. No body
     * (one appended fails the request): CREATE's body is the parts of create_part, which the
     * host streams after this. The 2xx answer to CREATE, GET and CANCEL goes to `status`, each
     * line of RESULTS' to `result`; a non-2xx answer is the host's to report. */
    sy_status (*request)(sy_instance instance, sy_call call, const sy_call_info *info, uint32_t op,
                         sy_bytes batch_id, sy_http_out out, sy_error *error);
    /* CREATE's body, in parts the host concatenates in order: SY_BATCH_PART_OPEN once (index 0,
     * `line` empty), SY_BATCH_PART_ITEM once per request (index from 0 in input order; `line` =
     * one OpenAI batch input line {"custom_id","method","url","body"} without its newline, with
     * `body` canonical (OpenAI chat completions) and body.model the model as the batch
     * preparers left it: the built-in batch-models rewrites names and aliases to this provider's
     * model; with `batch_preparers: []` it is the client's), SY_BATCH_PART_CLOSE once (index =
     * the number of items, `line` empty). Each writes its bytes as SY_OUT_BYTES (any number of
     * writes, none at all included), e.g. `{"requests":[`, then `,` + the item from index 1 on,
     * then `]}`. Keep no state between parts (each part's output depends on its arguments only).
     * An ITEM refused (an error returned, message saying why) fails the whole batch before
     * anything is sent; the host names the line. */
    sy_status (*create_part)(sy_instance instance, sy_call call, const sy_call_info *info, uint32_t part,
                             uint64_t index, sy_bytes line, sy_sink out, sy_error *error);
    /* The provider's batch object (the 2xx answer to CREATE, GET or CANCEL) -> OpenAI's batch
     * object, exactly one SY_OUT_JSON: {"id":<the provider's id>,"object":"batch","status":
     * "validating"|"in_progress"|"finalizing"|"completed"|"failed"|"expired"|"cancelling"|
     * "cancelled","created_at",<in_progress_at, finalizing_at, completed_at, failed_at,
     * expired_at, expires_at, cancelling_at, cancelled_at as unix seconds or null>,
     * "request_counts":{"total","completed","failed"}}. The host replaces the id with its own and
     * adds endpoint, input/output/error file ids, completion_window and metadata. */
    sy_status (*status)(sy_instance instance, sy_call call, const sy_call_info *info,
                        sy_bytes upstream_object, sy_sink out, sy_error *error);
    /* One line of RESULTS (without its newline) -> one OpenAI batch output line, exactly one
     * SY_OUT_JSON: {"id","custom_id","response":{"status_code","request_id","body":<a canonical
     * chat.completion, or an OpenAI error body {"error":{...}}>}|null,"error":{"code","message"}|null}.
     * The host files a line with a non-null "error" or a status_code >= 400 in the error file,
     * the others in the output file. An error returned: the line is not one the provider writes
     * (the message says why; the host reports it naming the plugin). */
    sy_status (*result)(sy_instance instance, sy_call call, const sy_call_info *info, sy_bytes line,
                        sy_sink out, sy_error *error);
} sy_provider_batch_v1;

/* switchyard.provider/1: canonical (OpenAI-style) JSON -> upstream HTTP request, and upstream
 * bytes -> canonical JSON on the sink: one SY_OUT_JSON per whole response or per stream chunk
 * (the host does SSE framing and the final [DONE]), SY_OUT_META_JSON with {"usage":{...}}, and
 * on upstream failure one SY_OUT_ERROR_JSON plus SY_E_UPSTREAM with http_status/retryable set. */
typedef struct sy_provider_v1 {
    uint32_t struct_size;
    /* [any-thread] Build the upstream request through host->http_out_* on `out` ([hook-thread]). */
    sy_status (*prepare)(sy_instance instance, sy_call call, const sy_call_info *info,
                         sy_bytes canonical_json, sy_http_out out, sy_error *error);
    const sy_transformer_v1 *response;
    /* Optional. [any-thread] Answer in-process with no upstream request (local models, test
     * doubles). When non-NULL the host calls it instead of prepare + HTTP + response. The whole
     * answer is written to `out` ([hook-thread]) before generate returns. */
    sy_status (*generate)(sy_instance instance, sy_call call, const sy_call_info *info,
                          sy_bytes canonical_json, sy_sink out, sy_error *error);
    /* Optional (since 1.0). [any-thread] Passthrough: a client called /p/{provider}{path} with
     * `method`, where `path` is the rest of its target, query included, always starting with '/'
     * ("/v1/chat/completions", "/v1beta/models/m:generateContent?alt=sse"); info->operation is
     * SY_OP_PASSTHROUGH and info->request is empty. Set the upstream URL on `out`
     * ([hook-thread]) with host->http_out_set_url (the provider's base URL joined with `path`)
     * and add this provider's credentials with host->http_out_add_header (its own scheme: bearer,
     * x-api-key, x-goog-api-key, api-key). The host has set the method; after the hook it adds the
     * client's end-to-end headers (not its credentials, not the hop-by-hop ones, none the plugin
     * set) and streams the client's body, so http_out_set_method and http_out_append_body are
     * refused here (SY_E_INVALID). The response goes to the client as the upstream sent it; no
     * transformer runs. NULL: the provider takes no passthrough requests (the client gets 403).
     * The host also addresses a provider's native Files and Batch APIs through this hook when its
     * manifest lists "files" (and "batches") in "operations": `path` is then OpenAI's own
     * ("/v1/files", "/v1/files/file-abc/content", "/v1/batches/batch_abc/cancel"), info->operation
     * SY_OP_FILES or SY_OP_BATCHES, and the body (a multipart upload, a batch request) is the host's. */
    sy_status (*passthrough)(sy_instance instance, sy_call call, const sy_call_info *info,
                             sy_bytes method, sy_bytes path, sy_http_out out, sy_error *error);
    /* Optional (since 1.0). Native batches through the provider's inline batch API (see
     * sy_provider_batch_v1); static, valid for the life of the process. NULL: no inline batches
     * (a provider listing "batches" then runs them through `passthrough`). */
    const sy_provider_batch_v1 *batch;
} sy_provider_v1;

/* switchyard.guardrail/1: inspects what flows through a request, in the phases it declares
 * (`phases`; the YAML entry may narrow them), always in the canonical form whatever API the client
 * spoke (a /v1/messages or /v1/responses request with a guardrail runs translated). What it sees:
 *  SY_PHASE_REQUEST   the canonical request before the provider gets it (chat: the chat body with
 *                     `model` as the client named it; /v1/embeddings: its body). Runs before each
 *                     attempt whose provider the entry applies to (once when nothing differs).
 *  SY_PHASE_RESPONSE  a whole canonical response (chat.completion), before the client gets it.
 *  SY_PHASE_CHUNK     a stream, as text: one canonical chat.completion.chunk per chunk that
 *                     carries text, with one choice whose delta.content is the text not yet
 *                     released for that choice (what you held back before, then the new text).
 *                     Chunks without text (role, tool calls, finish, usage) pass uninspected,
 *                     after the text held for their choice, which is inspected once more with
 *                     holding refused; so is all held text when the stream ends.
 * The verdict (host->verdict_*): nothing = allow; patch = the document is replaced (REQUEST,
 * RESPONSE: what goes on; CHUNK: the chunk the client gets, its delta.content the new text);
 * reject = the request fails with your status and error (CHUNK: the stream ends with an error
 * event, as headers are sent); hold (CHUNK) = keep the tail of the text back for the next one.
 * inspect returns SY_OK when its verdict is complete, SY_PAUSE to finish later through
 * host->resume(h, verdict, status) (the request waits without blocking the loop; a stream's
 * upstream is paused meanwhile), or an error (SY_E_*, with `error` filled): the entry's on_error
 * decides (fail_closed: the request fails; fail_open: allowed, logged). A deadline per entry
 * bounds inspect and a pause alike. The host names the guardrail in every rejection and log. */
#define SY_PATCH_REPLACE    1u /* the document replaces the inspected JSON */
#define SY_PATCH_JSON_PATCH 2u /* RFC 6902 JSON Patch (an array of operations) against it */
#define SY_PHASE_REQUEST  1u
#define SY_PHASE_RESPONSE 2u
#define SY_PHASE_CHUNK    4u
#define SY_MAX_HOLD_BYTES 16384u /* most text a CHUNK-phase guardrail may hold back per choice */

typedef struct sy_guardrail_v1 {
    uint32_t struct_size;
    uint32_t phases; /* SY_PHASE_* bits this guardrail can inspect */
    /* [any-thread] `json` is borrowed for the call; `info` describes the request (see
     * sy_call_info.request). One inspect per call at a time for a given entry; different calls
     * concurrently, from several event loops. */
    sy_status (*inspect)(sy_instance instance, sy_call call, const sy_call_info *info,
                         uint32_t phase, sy_bytes json, sy_verdict verdict, sy_error *error);
    /* Optional. [any-thread] The call has ended; once per call this entry inspected (release
     * per-call state). No verdict of the call is valid any more. */
    void (*call_end)(sy_instance instance, sy_call call);
} sy_guardrail_v1;

/* switchyard.enricher/1: a read-only observer of a request its provider serves in the provider's
 * own format: passthrough (/p/{provider}/...) and native routes (/v1/messages on an Anthropic
 * provider, /v1/responses on an OpenAI one). It sees the request head and body and the response
 * head and body as they flow, never changes a byte, and reports what it learned once, from `end`,
 * as one SY_OUT_META_JSON object on its sink, every member optional:
 *   {"operation":"chat.completions","model":"gpt-4o-mini",
 *    "usage":{"prompt_tokens":N,"completion_tokens":N,"prompt_tokens_details":{"cached_tokens":N},
 *             "completion_tokens_details":{"reasoning_tokens":N}},
 *    "audit_path":"/v1/chat/completions"}
 * `usage` is the canonical usage object (docs/canonical.md); "audit_path" is the canonical route
 * the call amounts to ("/v1/chat/completions", "/v1/messages", "/v1/embeddings", ...). The host
 * meters and logs the call with it exactly as it does a translated call's usage; on a
 * native route the provider's own usage wins; the enricher's counts when the provider reported none.
 *
 * Order for one call: begin -> data(SY_PHASE_REQUEST)* -> response -> data(SY_PHASE_RESPONSE)*
 * -> end -> state_free. A call cut short (client gone, upstream failed) goes straight to end with
 * its outcome. data() gets only the phases the table declares in `phases` (heads always); chunk
 * boundaries are arbitrary, and the response body is what the upstream sent (SSE included),
 * de-chunked but never decoded: the host asks upstreams for identity encoding when an enricher
 * observes the response. Bytes reach an enricher after the upstream (request) or the client
 * (response) has been handed them, so it never delays a byte.
 *
 * Fail-open: an error from any hook, a refused report, or a hook running past the entry's
 * deadline ends that enricher's part in the call (state_free still runs, end does not) and is
 * recorded in the log; the request goes on untouched. begin returning SY_E_UNSUPPORTED means
 * "not mine" (an OpenAI enricher asked about an unknown path) and is not a failure.
 * Threading: every hook runs on the call's event loop and must not block; calls for one state
 * never overlap. */
typedef struct sy_exchange_head {
    uint32_t struct_size;
    uint32_t http_status;     /* response head: the upstream's status; request head: 0 */
    sy_bytes method;          /* "POST", "GET", ... */
    sy_bytes path;            /* as sent upstream, query included: "/v1/chat/completions" */
    const sy_header *headers; /* request: as forwarded, credentials removed; response: as received */
    size_t header_count;
} sy_exchange_head;

typedef struct sy_enricher_v1 {
    uint32_t struct_size;
    uint32_t phases; /* SY_PHASE_REQUEST | SY_PHASE_RESPONSE: the bodies it reads */
    /* The request head, borrowed for the call. *out_state (may stay NULL) is handed to every later
     * hook of this call. SY_E_UNSUPPORTED: this call is not for this enricher. */
    sy_status (*begin)(sy_instance instance, sy_call call, const sy_call_info *info,
                       const sy_exchange_head *request, sy_state *out_state, sy_error *error);
    /* The response head (not called when no response arrived). */
    sy_status (*response)(sy_state state, const sy_exchange_head *response, sy_error *error);
    /* Body bytes of `phase` (SY_PHASE_REQUEST or SY_PHASE_RESPONSE), borrowed for the call. */
    sy_status (*data)(sy_state state, uint32_t phase, sy_bytes chunk, sy_error *error);
    /* The call is over: `outcome` SY_OK (the whole response went to the client), SY_E_CANCELLED
     * (the client left) or SY_E_UPSTREAM (the exchange failed). Report on `out` ([hook-thread]). */
    sy_status (*end)(sy_state state, sy_status outcome, sy_sink out, sy_error *error);
    /* Exactly once after a begin that returned SY_OK. */
    void (*state_free)(sy_state state);
} sy_enricher_v1;

/* switchyard.batch/1: a batch preparer. Before a native batch (/v1/batches) goes to its
 * provider, the host reads the batch's input file (JSONL, one request per line) and hands every
 * line to the configured preparers in order, one line at a time: each may let the line go on
 * unchanged, replace it with one line of its own, or refuse it (and with it the whole batch).
 * One line in, at most one line out: the host keeps the file's line count and order, and the
 * client's error names the line at fault. The file streams through; no hook sees it whole.
 *
 * Order for one batch: begin -> line* (ascending line_number) -> end -> state_free. A batch cut
 * short (a refused line, a preparer before this one refused, the client gone) skips `end` and
 * goes straight to state_free.
 * Threading: every hook runs on the event loop of the batch's request and must not block (a
 * manifest's "blocking_hooks" is refused for a batch preparer); calls for one state never
 * overlap. Different batches run concurrently, on several loops, each with its own state. */
typedef struct sy_batch_v1 {
    uint32_t struct_size;
    /* One batch's input file begins. info->operation is SY_OP_BATCHES; info->request is the
     * client's batch request JSON ({"input_file_id","endpoint","completion_window","metadata"}),
     * borrowed for the call; call_metadata's "provider" is the provider that holds the file and
     * will run the batch. *out_state (may stay NULL) is handed to every later hook of this batch.
     * An error refuses the batch (the client gets the error's message). */
    sy_status (*begin)(sy_instance instance, sy_call call, const sy_call_info *info,
                       sy_state *out_state, sy_error *error);
    /* One JSONL line, borrowed for the call, without its newline and never empty; line_number
     * counts from 1 (blank lines are counted but not passed). `out` is [hook-thread].
     * Write nothing: the line goes on unchanged (no copy). Write one SY_OUT_JSON (one JSON
     * object): it replaces the line (a second write, or another known kind, is refused with
     * SY_E_INVALID and the line fails; unknown kinds are ignored). Return an error (e.g. SY_E_INVALID with a message): the
     * line is refused, and the batch with it; the client's error names the line and carries the
     * message. */
    sy_status (*line)(sy_state state, uint64_t line_number, sy_bytes line, sy_sink out,
                      sy_error *error);
    /* Every line was seen (and passed). An error refuses the batch. */
    sy_status (*end)(sy_state state, sy_error *error);
    /* Exactly once after a begin that returned SY_OK, whether or not end ran. */
    void (*state_free)(sy_state state);
} sy_batch_v1;

/* ---------------------------------------------------------------- descriptor and negotiation */

#define SY_F_SERIALIZE_INSTANCE 1u /* [planned: the host does not honour it yet] the host would never
                                      enter one instance concurrently; until then every plugin must
                                      be safe to call concurrently for different calls */

/* Static, owned by the plugin, valid for the life of the process (the host never dlcloses). */
typedef struct sy_plugin_api {
    uint32_t struct_size;
    uint32_t abi_minor;        /* the minor the plugin was compiled against */
    const char *id;            /* reverse-DNS, e.g. "dev.switchyard.provider.openai" */
    const char *version;       /* plugin semver */
    const char *manifest_json; /* {"kinds":[...],"interfaces":[...],"config_schema":{...},
                                *  "blocking_hooks":["generate"],...}; see "Blocking" above.
                                * A provider's "operations" lists what it serves ("chat_completions",
                                * "embeddings", ..., "files", "batches"); "batch_discount" (a number,
                                * 0.5 = half price) is what it takes off batch traffic, recorded
                                * with each batch's usage (absent: 0). */
    uint32_t flags;            /* SY_F_* */
    uint32_t reserved;
    /* [control] One instance per YAML entry; config_json is the entry's `config`, as JSON.
     * On rejection: return SY_E_CONFIG and say why in error->message. */
    sy_status (*instance_new)(sy_hinst host_instance, sy_bytes config_json,
                              sy_instance *out_instance, sy_error *error);
    /* [control] After the last call on the instance has ended. */
    void (*instance_free)(sy_instance instance);
    /* [thread-safe] Returns a static table (sy_provider_v1 ...) or NULL when not provided. */
    const void *(*get_interface)(sy_instance instance, const char *interface_id);
} sy_plugin_api;

/* In/out block of sy_plugin_entry. */
typedef struct sy_negotiate {
    uint32_t struct_size;       /* in: sizeof(sy_negotiate) as the host knows it */
    uint32_t abi_major;         /* in: the host's major; a plugin of another major returns SY_E_ABI
                                   and writes its own major here, for the host's message */
    uint32_t abi_minor;         /* in: the host's minor; out: min(host, plugin) */
    uint32_t required_minor;    /* out with SY_E_ABI: the lowest host minor the plugin can run on */
    const sy_host_api *host;    /* in: valid for the life of the process */
    const sy_plugin_api *plugin; /* out */
} sy_negotiate;

/* The ONLY exported symbol. Fast, idempotent, thread-safe; no I/O, no threads started, no host
 * functions called (it may read host->struct_size and host->abi_minor). */
SY_EXPORT sy_status sy_plugin_entry(sy_negotiate *negotiate);
typedef sy_status (*sy_plugin_entry_fn)(sy_negotiate *negotiate);

/* ---------------------------------------------------------------- layout pins */

#define SY_STATIC_ASSERT(condition, name) typedef char sy_static_assert_##name[(condition) ? 1 : -1]
SY_STATIC_ASSERT(sizeof(void *) == 8 && sizeof(size_t) == 8, lp64);
SY_STATIC_ASSERT(sizeof(sy_bytes) == 16 && sizeof(sy_header) == 32, bytes);
SY_STATIC_ASSERT(sizeof(sy_sink) == 8 && sizeof(sy_http_out) == 8 && sizeof(sy_verdict) == 8, handles);
SY_STATIC_ASSERT(sizeof(sy_error) == 16 + SY_ERROR_MESSAGE_CAPACITY, error);
SY_STATIC_ASSERT(offsetof(sy_negotiate, host) == 16 && sizeof(sy_negotiate) == 32, negotiate);
SY_STATIC_ASSERT(offsetof(sy_plugin_api, instance_new) == 40, plugin_api);

#ifdef __cplusplus
}
#endif
#endif /* SWITCHYARD_PLUGIN_H */
