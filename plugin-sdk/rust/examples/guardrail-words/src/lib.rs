//! A guardrail in Rust, on the switchyard-plugin SDK: looks for configured words in the text of
//! a chat request's messages (ASCII case-insensitively, after JSON unescaping, so
//! "\u0063lassified" is found too) and rejects the request, or redacts the words and lets it go
//! on (request phase only).
//!
//!   plugins:
//!     - name: words
//!       path: /abs/path/librust_guardrail_words.so
//!       config: { words: [classified, secret], action: redact }
//!   guardrails:
//!     - plugin: words

mod text;

use switchyard_plugin::json::{self, Value};
use switchyard_plugin::sys::SY_PHASE_REQUEST;
use switchyard_plugin::{Call, Error, Guardrail, Host, Inspection, Level, Plugin, Verdict};
use text::Words;

const REJECTION: &[u8] = br#"{"error":{"message":"the request contains a denied word","type":"invalid_request_error","param":null,"code":"content_blocked"}}"#;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Action {
    Reject,
    Redact,
}

/// One config entry; immutable after `new` (inspect runs on several event loops at once).
struct WordsGuardrail {
    words: Words,
    action: Action,
    replacement: String,
    panic_on: Option<Vec<u8>>,
}

impl Plugin for WordsGuardrail {
    fn new(_host: Host, config: &[u8]) -> Result<Self, Error> {
        let config = json::parse(config).map_err(|error| Error::config(format!("config is not JSON: {}", error)))?;
        let words: Vec<String> = config
            .get("words")
            .and_then(Value::as_array)
            .ok_or_else(|| Error::config("\"words\" must be a list of words"))?
            .iter()
            .map(|word| word.as_str().map(str::to_string).ok_or_else(|| Error::config("every entry of \"words\" must be a string")))
            .collect::<Result<_, _>>()?;
        if words.is_empty() || words.iter().any(String::is_empty) {
            return Err(Error::config("\"words\" needs at least one word, none empty"));
        }
        let action = match config.get("action").and_then(Value::as_str) {
            None | Some("reject") => Action::Reject,
            Some("redact") => Action::Redact,
            Some(other) => return Err(Error::config(format!("\"action\" must be reject or redact (got \"{}\")", other))),
        };
        let replacement = config.get("replacement").and_then(Value::as_str).unwrap_or("[redacted]").to_string();
        if words.iter().any(|word| text::contains_ignoring_ascii_case(replacement.as_bytes(), word.as_bytes())) {
            return Err(Error::config("\"replacement\" must not contain one of the words"));
        }
        let panic_on = config.get("panic_on").and_then(Value::as_str).map(|text| text.as_bytes().to_vec());
        Ok(WordsGuardrail { words: Words::new(words), action, replacement, panic_on })
    }

    fn guardrail(&self) -> Option<&dyn Guardrail> {
        Some(self)
    }
}

impl Guardrail for WordsGuardrail {
    fn inspect(&self, call: &Call, phase: u32, json: &[u8], verdict: &Verdict) -> Result<Inspection, Error> {
        if phase != SY_PHASE_REQUEST {
            return Ok(Inspection::Done);
        }
        let mut document = json::parse(json).map_err(|error| Error::invalid(format!("the request is not JSON: {}", error)))?;
        let mut found = false;
        let mut panic_now = false;
        text::for_each_message_text(&mut document, |text| {
            if let Some(trigger) = &self.panic_on {
                panic_now |= text::contains_ignoring_ascii_case(text.as_bytes(), trigger);
            }
            found |= self.words.found_in(text);
            if self.action == Action::Redact {
                if let Some(redacted) = self.words.replace_in(text, &self.replacement) {
                    *text = redacted;
                }
            }
        });
        if panic_now {
            panic!("panic_on matched the request (a test aid)");
        }
        if found {
            // The host adds the entry's name and the request id; the words stay out of the log.
            call.log(Level::Info, if self.action == Action::Reject { "rejected a request with a denied word" } else { "redacted a request" });
            match self.action {
                Action::Reject => verdict.reject(400, REJECTION)?,
                Action::Redact => verdict.replace(&document.to_bytes())?,
            }
        }
        Ok(Inspection::Done)
    }
}

switchyard_plugin::export_plugin! {
    plugin: WordsGuardrail,
    id: "dev.switchyard.example.rust-guardrail-words",
    version: "0.1.0",
    manifest: include_str!("../manifest.json"),
    guardrail_phases: SY_PHASE_REQUEST,
}
