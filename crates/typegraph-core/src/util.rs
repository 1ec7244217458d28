//! Ids and the write clock.

const ALPHABET: &[u8; 64] = b"useandom-26T198340PX75pxJACKVERYMINDBUSHWOLF_GQZbfghjklqvwyzrict";

/// A 21-character URL-safe random id (nanoid's alphabet and length). The operating system's
/// random source is read once per ≈195 ids on each thread ([`IdBatch`]), not once per id (a
/// system call on every single create otherwise).
pub fn generate_id() -> String {
    thread_local! {
        static IDS: std::cell::RefCell<IdBatch> = std::cell::RefCell::new(IdBatch::new());
    }
    IDS.with(|ids| ids.borrow_mut().next_id())
}

/// Ids for a batch: the same format as [`generate_id`], with the operating system's random
/// source read once per 4 KiB of ids (≈195) instead of once per id.
pub struct IdBatch {
    buf: Vec<u8>,
    at: usize,
}

impl IdBatch {
    pub fn new() -> Self {
        IdBatch {
            buf: vec![0u8; 21 * 195],
            at: usize::MAX,
        }
    }

    pub fn next_id(&mut self) -> String {
        if self.at >= self.buf.len() {
            getrandom::fill(&mut self.buf).expect("operating system random source");
            self.at = 0;
        }
        let bytes = &self.buf[self.at..self.at + 21];
        self.at += 21;
        bytes
            .iter()
            .map(|b| ALPHABET[(b & 63) as usize] as char)
            .collect()
    }
}

impl Default for IdBatch {
    fn default() -> Self {
        Self::new()
    }
}

/// The application's clock when it disagrees with the system clock (milliseconds since the
/// epoch; `i64::MIN`: none). The binding sets it from JavaScript's `Date.now()` whenever that
/// clock is not the system's (a test that pins the date), so the instants the engine stamps
/// follow the clock the application reads.
static APP_CLOCK_MS: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(i64::MIN);

/// Pins the write instant to the application's clock (`None`: the system clock again).
pub fn set_app_clock(ms: Option<i64>) {
    APP_CLOCK_MS.store(ms.unwrap_or(i64::MIN), std::sync::atomic::Ordering::Relaxed);
}

/// The write instant: application clock, canonical `YYYY-MM-DDTHH:mm:ss.sssZ`.
pub fn now_iso() -> String {
    let app = APP_CLOCK_MS.load(std::sync::atomic::Ordering::Relaxed);
    if app != i64::MIN {
        if let Some(at) = chrono::DateTime::<chrono::Utc>::from_timestamp_millis(app) {
            return format_instant(&at);
        }
    }
    format_instant(&chrono::Utc::now())
}

/// Canonical `YYYY-MM-DDTHH:mm:ss.sssZ` without going through a format-string parser
/// (this runs on every read and write).
pub fn format_instant(d: &chrono::DateTime<chrono::Utc>) -> String {
    use chrono::{Datelike, Timelike};
    let year = d.year();
    if !(0..=9999).contains(&year) {
        return d.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    }
    let mut b = *b"0000-00-00T00:00:00.000Z";
    let mut put = |at: usize, width: usize, mut v: u32| {
        for i in (0..width).rev() {
            b[at + i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, 4, year as u32);
    put(5, 2, d.month());
    put(8, 2, d.day());
    put(11, 2, d.hour());
    put(14, 2, d.minute());
    put(17, 2, d.second());
    put(20, 3, d.timestamp_subsec_millis().min(999));
    String::from_utf8(b.to_vec()).expect("ascii")
}

/// Normalises an ISO-8601 instant to the canonical millisecond UTC form, or `None` when it isn't one.
pub fn canonical_instant(s: &str) -> Option<String> {
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|d| format_instant(&d.with_timezone(&chrono::Utc)))
}

/// Appends `s` to `out` as a JSON string literal (runs without escapes are copied whole).
pub fn push_json_str(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b >= 0x20 && b != b'"' && b != b'\\' {
            continue;
        }
        // Escapes are ASCII, so `i` is a char boundary.
        out.push_str(&s[start..i]);
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            c => out.push_str(&format!("\\u{:04x}", c)),
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_escape_like_serde() {
        for t in [
            "plain",
            "q\"uote",
            "back\\slash",
            "nl\nx\ty\r",
            "\u{1}ctl",
            "ünï😀",
            "",
        ] {
            let mut out = String::new();
            push_json_str(&mut out, t);
            assert_eq!(serde_json::from_str::<String>(&out).unwrap(), t);
        }
    }

    #[test]
    fn ids_are_nanoid_shaped() {
        let a = generate_id();
        assert_eq!(a.len(), 21);
        assert!(a.bytes().all(|b| ALPHABET.contains(&b)));
        assert_ne!(a, generate_id());
    }

    #[test]
    fn batch_ids_are_nanoid_shaped_across_refills() {
        let mut batch = IdBatch::new();
        let ids: std::collections::HashSet<String> = (0..1000).map(|_| batch.next_id()).collect();
        assert_eq!(ids.len(), 1000);
        assert!(ids
            .iter()
            .all(|id| id.len() == 21 && id.bytes().all(|b| ALPHABET.contains(&b))));
    }

    #[test]
    fn instants_are_canonical() {
        let n = now_iso();
        assert_eq!(n.len(), 24);
        assert!(n.ends_with('Z'));
        assert_eq!(
            canonical_instant("2024-01-02T03:04:05+02:00").unwrap(),
            "2024-01-02T01:04:05.000Z"
        );
        assert_eq!(canonical_instant("nope"), None);
        let d = chrono::DateTime::parse_from_rfc3339("2026-01-02T03:04:05.678Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert_eq!(
            format_instant(&d),
            d.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
        );
    }

    #[test]
    fn json_strings_escape() {
        let mut s = String::new();
        push_json_str(&mut s, "a\"b\\c\n\u{1}");
        assert_eq!(s, "\"a\\\"b\\\\c\\n\\u0001\"");
        let back: String = serde_json::from_str(&s).unwrap();
        assert_eq!(back, "a\"b\\c\n\u{1}");
    }
}
