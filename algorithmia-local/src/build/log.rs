//! A build log with a size cap that keeps its beginning and its end: a failing pip install
//! says what it was doing at the start and why it failed at the end.

/// The largest build log kept by default: 1 MiB.
pub const DEFAULT_LOG_CAP: usize = 1024 * 1024;

/// Text appended in order; over the cap, the middle is dropped.
#[derive(Debug)]
pub(crate) struct BuildLog {
    head: String,
    tail: String,
    half: usize,
    omitted: usize,
}

impl BuildLog {
    /// A log of at most about `cap` bytes.
    pub(crate) fn new(cap: usize) -> BuildLog {
        BuildLog {
            head: String::new(),
            tail: String::new(),
            half: (cap / 2).max(1),
            omitted: 0,
        }
    }

    /// Append `text`.
    pub(crate) fn push(&mut self, text: &str) {
        let room = self.half.saturating_sub(self.head.len());
        if self.tail.is_empty() && text.len() <= room {
            self.head.push_str(text);
            return;
        }
        let split = floor_boundary(text, room.min(text.len()));
        if self.tail.is_empty() {
            self.head.push_str(&text[..split]);
            self.tail.push_str(&text[split..]);
        } else {
            self.tail.push_str(text);
        }
        if self.tail.len() > 2 * self.half {
            let cut = floor_boundary(&self.tail, self.tail.len() - self.half);
            self.omitted += cut;
            self.tail.drain(..cut);
        }
    }

    /// Append `line` and a newline.
    pub(crate) fn line(&mut self, line: &str) {
        self.push(line);
        self.push("\n");
    }

    /// The text: the beginning, a marker for what was dropped, the end.
    pub(crate) fn text(&self) -> String {
        let mut tail = self.tail.as_str();
        let mut omitted = self.omitted;
        if tail.len() > self.half {
            let cut = floor_boundary(tail, tail.len() - self.half);
            omitted += cut;
            tail = &tail[cut..];
        }
        if omitted == 0 {
            format!("{}{}", self.head, tail)
        } else {
            format!(
                "{}\n[... {omitted} bytes of log omitted ...]\n{}",
                self.head, tail
            )
        }
    }
}

fn floor_boundary(text: &str, mut index: usize) -> usize {
    while index > 0 && !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_logs_are_kept_whole() {
        let mut log = BuildLog::new(100);
        log.line("one");
        log.line("two");
        assert_eq!(log.text(), "one\ntwo\n");
    }

    #[test]
    fn big_logs_keep_head_and_tail() {
        let mut log = BuildLog::new(100);
        log.line("FIRST LINE");
        for i in 0..1000 {
            log.line(&format!("middle {i} é"));
        }
        log.line("LAST LINE");
        let text = log.text();
        assert!(text.starts_with("FIRST LINE\n"), "{text}");
        assert!(text.ends_with("LAST LINE\n"), "{text}");
        assert!(text.contains("bytes of log omitted"));
        assert!(text.len() < 200, "{}", text.len());
        assert!(!text.contains("middle 500 "));
    }
}
