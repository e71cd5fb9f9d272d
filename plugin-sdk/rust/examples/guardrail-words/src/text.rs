//! Finding and replacing words in a chat request's message text.

use switchyard_plugin::json::Value;

/// The configured words, lowercased (ASCII) once.
pub struct Words {
    lowered: Vec<Vec<u8>>,
}

impl Words {
    pub fn new(words: Vec<String>) -> Words {
        Words { lowered: words.into_iter().map(|word| word.into_bytes().to_ascii_lowercase()).collect() }
    }

    pub fn found_in(&self, text: &str) -> bool {
        self.lowered.iter().any(|word| contains_ignoring_ascii_case(text.as_bytes(), word))
    }

    /// `text` with every occurrence of every word replaced; None when nothing matched. Matches
    /// start and end on character boundaries: the words are whole UTF-8 strings and ASCII case
    /// folding changes no byte of a multi-byte character.
    pub fn replace_in(&self, text: &str, replacement: &str) -> Option<String> {
        let mut current = text.to_string();
        let mut changed = false;
        for word in &self.lowered {
            let lowered = current.as_bytes().to_ascii_lowercase();
            let mut out = String::with_capacity(current.len());
            let mut from = 0;
            while let Some(at) = find(&lowered[from..], word) {
                out.push_str(&current[from..from + at]);
                out.push_str(replacement);
                from += at + word.len();
                changed = true;
            }
            out.push_str(&current[from..]);
            current = out;
        }
        if changed {
            Some(current)
        } else {
            None
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || needle.len() > haystack.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|window| window == needle)
}

pub fn contains_ignoring_ascii_case(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|window| window.eq_ignore_ascii_case(needle))
}

/// Calls `visit` with every text of the request's messages: a string `content`, and the `text`
/// of each content part.
pub fn for_each_message_text<F: FnMut(&mut String)>(document: &mut Value, mut visit: F) {
    let messages = match document.get_mut("messages") {
        Some(Value::Array(messages)) => messages,
        _ => return,
    };
    for message in messages {
        match message.get_mut("content") {
            Some(Value::String(text)) => visit(text),
            Some(Value::Array(parts)) => {
                for part in parts {
                    if let Some(Value::String(text)) = part.get_mut("text") {
                        visit(text)
                    }
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchyard_plugin::json;

    #[test]
    fn finds_and_replaces_ignoring_ascii_case() {
        let words = Words::new(vec!["Secret".into(), "pin".into()]);
        assert!(words.found_in("a SECRET here"));
        assert!(!words.found_in("a secre t"));
        assert_eq!(words.replace_in("my SECRET pin, secret!", "[x]").unwrap(), "my [x] [x], [x]!");
        assert_eq!(words.replace_in("é secret é", "*").unwrap(), "é * é");
        assert_eq!(words.replace_in("nothing", "*"), None);
    }

    #[test]
    fn visits_string_and_part_contents() {
        let mut document = json::parse(br#"{"messages":[{"role":"user","content":"a"},{"role":"user","content":[{"type":"text","text":"b"},{"type":"image_url"}]},{"role":"assistant","content":null}]}"#).unwrap();
        let mut seen = Vec::new();
        for_each_message_text(&mut document, |text| {
            seen.push(text.clone());
            text.push('!');
        });
        assert_eq!(seen, vec!["a", "b"]);
        assert!(String::from_utf8(document.to_bytes()).unwrap().contains(r#""text":"b!""#));
    }
}
