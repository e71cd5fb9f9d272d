//! The upstream's 2xx answer -> canonical output. The upstream speaks OpenAI chat already, so
//! objects are checked and passed on as they came; what changes is the usage, which always goes
//! to the host as `{"usage":{...}}` metadata.

use crate::config::{panic_if, PanicHook};
use switchyard_plugin::json::{self, Value};
use switchyard_plugin::sse::EventReader;
use switchyard_plugin::{Error, ResponseTransformer, Sink};

/// A whole chat.completion: buffered, checked, written once.
pub struct WholeResponse {
    body: Vec<u8>,
    panic_on: Option<PanicHook>,
}

impl WholeResponse {
    pub fn new(panic_on: Option<PanicHook>) -> WholeResponse {
        WholeResponse { body: Vec::new(), panic_on }
    }
}

impl ResponseTransformer for WholeResponse {
    fn data(&mut self, chunk: &[u8], _out: &mut Sink) -> Result<(), Error> {
        panic_if(self.panic_on, PanicHook::Data);
        self.body.extend_from_slice(chunk);
        Ok(())
    }

    fn end(&mut self, out: &mut Sink) -> Result<(), Error> {
        panic_if(self.panic_on, PanicHook::End);
        let document = parse_object(&self.body, "a response")?;
        out.json(&self.body)?;
        write_usage(&document, out)
    }
}

/// Server-sent events: each `data:` payload is one chat.completion.chunk, written as one
/// SY_OUT_JSON (the host frames it and writes its own `[DONE]`).
pub struct StreamResponse {
    events: EventReader,
    /// False when the usage-only chunk was asked for by us, not by the client: it becomes
    /// metadata only.
    forward_usage_chunk: bool,
    saw_done: bool,
    panic_on: Option<PanicHook>,
}

impl StreamResponse {
    pub fn new(forward_usage_chunk: bool, panic_on: Option<PanicHook>) -> StreamResponse {
        StreamResponse { events: EventReader::new(), forward_usage_chunk, saw_done: false, panic_on }
    }
}

impl ResponseTransformer for StreamResponse {
    fn data(&mut self, chunk: &[u8], out: &mut Sink) -> Result<(), Error> {
        panic_if(self.panic_on, PanicHook::Data);
        let forward_usage_chunk = self.forward_usage_chunk;
        let saw_done = &mut self.saw_done;
        self.events.feed(chunk, |payload| forward(payload, forward_usage_chunk, saw_done, out))
    }

    fn end(&mut self, out: &mut Sink) -> Result<(), Error> {
        panic_if(self.panic_on, PanicHook::End);
        let forward_usage_chunk = self.forward_usage_chunk;
        let saw_done = &mut self.saw_done;
        self.events.finish(|payload| forward(payload, forward_usage_chunk, saw_done, out))?;
        if !self.saw_done {
            return Err(Error::upstream(502, true, "upstream stream ended before [DONE]"));
        }
        Ok(())
    }
}

fn forward(payload: &[u8], forward_usage_chunk: bool, saw_done: &mut bool, out: &mut Sink) -> Result<(), Error> {
    if payload == b"[DONE]" {
        *saw_done = true;
        return Ok(());
    }
    let chunk = parse_object(payload, "an event")?;
    // An error object mid-stream ends it (`"error": null` is no error). What the client gets is
    // the OpenAI shape `{"error":{...}}`, which the payload is.
    if chunk.get("error").map(Value::is_object).unwrap_or(false) {
        let _ = out.error(payload);
        return Err(Error::upstream(502, false, "upstream reported an error mid-stream"));
    }
    let usage_only = chunk.get("choices").and_then(Value::as_array).map(Vec::is_empty).unwrap_or(true);
    if !(usage_only && chunk.get("usage").is_some() && !forward_usage_chunk) {
        out.json(payload)?;
    }
    write_usage(&chunk, out)
}

fn parse_object(bytes: &[u8], what: &str) -> Result<Value, Error> {
    match json::parse(bytes) {
        Ok(value) if value.is_object() => Ok(value),
        Ok(_) => Err(Error::upstream(502, true, format!("upstream sent {} that is not a JSON object", what))),
        Err(error) => Err(Error::upstream(502, true, format!("upstream sent {} that is not JSON: {}", what, error))),
    }
}

/// `{"usage":{...}}` as metadata when the object carries a usage object.
fn write_usage(document: &Value, out: &mut Sink) -> Result<(), Error> {
    match document.get("usage") {
        Some(usage) if usage.is_object() => {
            let meta = Value::Object(vec![("usage".to_string(), usage.clone())]);
            out.meta(&meta.to_bytes())
        }
        _ => Ok(()),
    }
}
