//! Server-sent events from an upstream, fed in chunks split anywhere: complete `data:` payloads
//! come out, partial lines wait in a buffer for the next chunk. Owned buffer, one per call.

use crate::Error;

/// The longest line (or event) kept while waiting for its end; past it the stream is refused.
/// Above the gateway's largest default event (`server.max_sse_event_bytes`, 16 MiB), the same
/// bound as the C SDK's `SY_SSE_BUFFER_MAX`: an event the host lets through is never refused here.
pub const MAX_EVENT_BYTES: usize = 64 * 1024 * 1024;

#[derive(Default)]
pub struct EventReader {
    line: Vec<u8>,
    data: Vec<u8>,
    has_data: bool,
}

impl EventReader {
    pub fn new() -> EventReader {
        EventReader::default()
    }

    /// Feeds one chunk; calls `event` with each complete event's data (its `data:` lines joined
    /// by `\n`, as the SSE format says), in order.
    pub fn feed<F>(&mut self, chunk: &[u8], mut event: F) -> Result<(), Error>
    where
        F: FnMut(&[u8]) -> Result<(), Error>,
    {
        let mut rest = chunk;
        while let Some(newline) = rest.iter().position(|byte| *byte == b'\n') {
            self.line.extend_from_slice(&rest[..newline]);
            rest = &rest[newline + 1..];
            if self.line.last() == Some(&b'\r') {
                self.line.pop();
            }
            let line = std::mem::take(&mut self.line);
            self.line_done(&line, &mut event)?;
            self.line = line;
            self.line.clear();
        }
        self.line.extend_from_slice(rest);
        if self.line.len() + self.data.len() > MAX_EVENT_BYTES {
            return Err(Error::upstream(502, false, "upstream sent an event longer than 64 MiB"));
        }
        Ok(())
    }

    /// The stream ended: an event still open (no blank line after it) is delivered.
    pub fn finish<F>(&mut self, mut event: F) -> Result<(), Error>
    where
        F: FnMut(&[u8]) -> Result<(), Error>,
    {
        if !self.line.is_empty() {
            let line = std::mem::take(&mut self.line);
            self.line_done(&line, &mut event)?;
        }
        self.dispatch(&mut event)
    }

    fn line_done<F>(&mut self, line: &[u8], event: &mut F) -> Result<(), Error>
    where
        F: FnMut(&[u8]) -> Result<(), Error>,
    {
        if line.is_empty() {
            return self.dispatch(event);
        }
        if let Some(value) = line.strip_prefix(b"data") {
            let value = match value.first() {
                Some(b':') => &value[1..],
                None => value,
                Some(_) => return Ok(()), // a field such as "datafoo": not ours
            };
            let value = value.strip_prefix(b" ").unwrap_or(value);
            if self.has_data {
                self.data.push(b'\n');
            }
            self.data.extend_from_slice(value);
            self.has_data = true;
        }
        // Comments (":..."), event:, id:, retry: carry nothing a chat stream needs.
        Ok(())
    }

    fn dispatch<F>(&mut self, event: &mut F) -> Result<(), Error>
    where
        F: FnMut(&[u8]) -> Result<(), Error>,
    {
        if !self.has_data {
            return Ok(());
        }
        self.has_data = false;
        let data = std::mem::take(&mut self.data);
        let result = event(&data);
        self.data = data;
        self.data.clear();
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(chunks: &[&[u8]]) -> Vec<String> {
        let mut reader = EventReader::new();
        let mut seen = Vec::new();
        for chunk in chunks {
            reader.feed(chunk, |data| { seen.push(String::from_utf8(data.to_vec()).unwrap()); Ok(()) }).unwrap();
        }
        reader.finish(|data| { seen.push(String::from_utf8(data.to_vec()).unwrap()); Ok(()) }).unwrap();
        seen
    }

    #[test]
    fn every_split_of_a_stream_gives_the_same_events() {
        let stream: &[u8] = b": comment\r\ndata: {\"a\":1}\r\n\r\nevent: x\ndata:{\"b\":2}\n\ndata: one\ndata: two\n\ndata: [DONE]\n\n";
        let whole = events(&[stream]);
        assert_eq!(whole, vec!["{\"a\":1}", "{\"b\":2}", "one\ntwo", "[DONE]"]);
        for cut in 0..stream.len() {
            assert_eq!(events(&[&stream[..cut], &stream[cut..]]), whole, "cut at {}", cut);
        }
        let bytes: Vec<&[u8]> = stream.chunks(1).collect();
        assert_eq!(events(&bytes), whole);
    }

    #[test]
    fn an_unterminated_last_event_is_delivered_at_the_end() {
        assert_eq!(events(&[b"data: x"]), vec!["x"]);
        assert_eq!(events(&[b"datafoo: x\n\n"]), Vec::<String>::new());
    }

    #[test]
    fn an_endless_line_is_refused() {
        let mut reader = EventReader::new();
        let chunk = vec![b'x'; 1024 * 1024];
        let mut result = Ok(());
        for _ in 0..=MAX_EVENT_BYTES / chunk.len() {
            result = reader.feed(&chunk, |_| Ok(()));
            if result.is_err() {
                break;
            }
        }
        assert!(result.is_err());
    }
}
