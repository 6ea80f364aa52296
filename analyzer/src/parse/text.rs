//! Bytes to text, the way Windows tools actually write them.
//!
//! Windows artifacts arrive in several encodings: `reg export` and `gpresult /H` write UTF-16LE
//! with a BOM, redirected console output is in the OEM code page (CP437, CP850, CP932...), and
//! customers' pastes are UTF-8. We decide by BOM, then by the shape of the bytes, then by the
//! code page the collector recorded, and fall back to CP850 (identical to CP437 for ASCII and
//! for the accented letters used in German/French/Spanish console output).

/// Decoded text and how it was decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub text: String,
    /// Name of the encoding used, for findings ("UTF-16LE", "UTF-8", "CP850", "Shift_JIS"...).
    pub encoding: String,
    /// True when bytes had to be replaced (odd UTF-16 length, invalid sequences).
    pub lossy: bool,
}

/// Default OEM code page when nothing better is known.
pub const DEFAULT_OEM_CODE_PAGE: u32 = 850;

/// Decodes `bytes`. `code_page` is the console code page recorded by the collector, if any.
pub fn decode(bytes: &[u8], code_page: Option<u32>) -> Decoded {
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return utf16(rest, encoding_rs::UTF_16LE, "UTF-16LE");
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return utf16(rest, encoding_rs::UTF_16BE, "UTF-16BE");
    }
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        let (text, lossy) = utf8(rest);
        return Decoded {
            text,
            encoding: "UTF-8".into(),
            lossy,
        };
    }
    if looks_like_utf16le(bytes) {
        return utf16(bytes, encoding_rs::UTF_16LE, "UTF-16LE");
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Decoded {
            text: s.to_owned(),
            encoding: "UTF-8".into(),
            lossy: false,
        };
    }
    decode_code_page(bytes, code_page.unwrap_or(DEFAULT_OEM_CODE_PAGE))
}

/// Decodes with an explicit Windows code page number.
pub fn decode_code_page(bytes: &[u8], code_page: u32) -> Decoded {
    let named = match code_page {
        65001 => Some(encoding_rs::UTF_8),
        932 => Some(encoding_rs::SHIFT_JIS),
        936 => Some(encoding_rs::GBK),
        949 => Some(encoding_rs::EUC_KR),
        950 => Some(encoding_rs::BIG5),
        1250 => Some(encoding_rs::WINDOWS_1250),
        1251 => Some(encoding_rs::WINDOWS_1251),
        1252 => Some(encoding_rs::WINDOWS_1252),
        1253 => Some(encoding_rs::WINDOWS_1253),
        1254 => Some(encoding_rs::WINDOWS_1254),
        1255 => Some(encoding_rs::WINDOWS_1255),
        1256 => Some(encoding_rs::WINDOWS_1256),
        1257 => Some(encoding_rs::WINDOWS_1257),
        1258 => Some(encoding_rs::WINDOWS_1258),
        866 => Some(encoding_rs::IBM866),
        _ => None,
    };
    if let Some(enc) = named {
        let (text, _, lossy) = enc.decode(bytes);
        return Decoded {
            text: text.into_owned(),
            encoding: enc.name().into(),
            lossy,
        };
    }
    let table = u16::try_from(code_page)
        .ok()
        .and_then(|cp| oem_cp::code_table::DECODING_TABLE_CP_MAP.get(&cp));
    match table {
        Some(t) => Decoded {
            text: t.decode_string_lossy(bytes),
            encoding: format!("CP{code_page}"),
            lossy: false,
        },
        None => {
            // Unknown code page: CP850 keeps ASCII intact, which is what the parsers key on.
            let mut d = decode_code_page(bytes, DEFAULT_OEM_CODE_PAGE);
            d.encoding = format!("CP{DEFAULT_OEM_CODE_PAGE} (code page {code_page} unknown)");
            d
        }
    }
}

fn utf8(bytes: &[u8]) -> (String, bool) {
    match std::str::from_utf8(bytes) {
        Ok(s) => (s.to_owned(), false),
        Err(_) => (String::from_utf8_lossy(bytes).into_owned(), true),
    }
}

fn utf16(bytes: &[u8], enc: &'static encoding_rs::Encoding, name: &str) -> Decoded {
    let (pairs, rest) = bytes.as_chunks::<2>();
    let odd = !rest.is_empty();
    let even = pairs.as_flattened();
    let (text, had_errors) = enc.decode_without_bom_handling(even);
    Decoded {
        text: text.into_owned(),
        encoding: name.into(),
        lossy: had_errors || odd,
    }
}

/// BOM-less UTF-16LE: text in Latin script has a zero in most odd positions and few in even ones.
fn looks_like_utf16le(bytes: &[u8]) -> bool {
    let sample = bytes.get(..1024).unwrap_or(bytes);
    if sample.len() < 8 {
        return false;
    }
    let units = sample.as_chunks::<2>().0;
    let pairs = units.len();
    let odd_zero = units.iter().filter(|[lo, hi]| *hi == 0 && *lo != 0).count();
    let even_zero = units.iter().filter(|[lo, _]| *lo == 0).count();
    odd_zero * 10 >= pairs * 6 && even_zero * 10 <= pairs
}

/// Longest line handed to a parser, in bytes. No console output, `.reg` or certutil line comes
/// near it; a hostile or runaway file (one 100 MB line) would otherwise make every sniff and
/// parser walk all of it, char by char, once each.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// Splits text into lines the way Windows tools mean them: CRLF, LF and lone CR all end a line.
/// Returns `(line_number, line)` with 1-based numbers and no terminators. A line longer than
/// [`MAX_LINE_BYTES`] is cut there (at a character boundary); numbering is unaffected.
pub fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut rest = text;
    let mut n = 0usize;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        n += 1;
        // `i` is the offset of an ASCII CR or LF, so every slice here is on a char boundary.
        let (line, next) = match line_end(rest) {
            Some(i) => {
                let after = rest.get(i..).unwrap_or("");
                let skip = if after.starts_with("\r\n") { 2 } else { 1 };
                (
                    rest.get(..i).unwrap_or(""),
                    rest.get(i + skip..).unwrap_or(""),
                )
            }
            None => (rest, ""),
        };
        rest = next;
        Some((n, cut_line(line)))
    })
}

/// Byte offset of the first CR or LF. Searched with the C library's `memchr` (through
/// `BufRead::skip_until` on a byte slice) in windows that double in size, so a runaway line is
/// crossed at memory speed, and no search runs past the line it is in (a file of lone CRs
/// must not make each line scan the rest of the file for an LF).
fn line_end(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut start = 0usize;
    let mut window = 256usize;
    loop {
        let end = start.saturating_add(window).min(bytes.len());
        let chunk = bytes.get(start..end)?;
        let first = match (find_byte(chunk, b'\n'), find_byte(chunk, b'\r')) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if let Some(i) = first {
            return Some(start + i);
        }
        if end >= bytes.len() {
            return None;
        }
        start = end;
        window = window.saturating_mul(2);
    }
}

fn find_byte(hay: &[u8], byte: u8) -> Option<usize> {
    let mut reader = hay;
    let n = std::io::BufRead::skip_until(&mut reader, byte).ok()?;
    let at = n.checked_sub(1)?;
    (hay.get(at) == Some(&byte)).then_some(at)
}

/// `line` cut to at most [`MAX_LINE_BYTES`], on a character boundary.
fn cut_line(line: &str) -> &str {
    if line.len() <= MAX_LINE_BYTES {
        return line;
    }
    let mut end = MAX_LINE_BYTES;
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    line.get(..end).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le_bom(s: &str) -> Vec<u8> {
        let mut v = vec![0xFF, 0xFE];
        for u in s.encode_utf16() {
            v.extend_from_slice(&u.to_le_bytes());
        }
        v
    }

    #[test]
    fn utf16le_with_bom_and_odd_length() {
        let mut b = utf16le_bom("Windows Registry Editor Version 5.00\r\n");
        assert_eq!(
            decode(&b, None).text,
            "Windows Registry Editor Version 5.00\r\n"
        );
        b.push(0x41);
        let d = decode(&b, None);
        assert!(d.lossy);
        assert!(d.text.starts_with("Windows Registry"));
    }

    #[test]
    fn utf16le_without_bom_is_detected() {
        let b = utf16le_bom("Active Connections\r\n  Proto  Local Address");
        let d = decode(&b[2..], None);
        assert_eq!(d.encoding, "UTF-16LE");
        assert!(d.text.starts_with("Active Connections"));
    }

    #[test]
    fn oem_code_pages() {
        // "ABHÖREN" in CP850: Ö = 0x99
        let d = decode(b"ABH\x99REN", Some(850));
        assert_eq!(d.text, "ABHÖREN");
        let d = decode(b"ABH\x99REN", None);
        assert_eq!(d.text, "ABHÖREN");
        // Shift_JIS "待ち受け" (LISTENING in Japanese netstat)
        let d = decode(b"\x91\xd2\x82\xbf\x8e\xf3\x82\xaf", Some(932));
        assert_eq!(d.text, "待ち受け");
        let d = decode(b"caf\xe9", Some(1252));
        assert_eq!(d.text, "café");
        let d = decode(b"x\x82", Some(4242));
        assert!(d.encoding.contains("unknown"));
    }

    #[test]
    fn line_splitting_handles_crlf_lf_and_lone_cr() {
        let got: Vec<_> = lines("a\r\nb\nc\rd").collect();
        assert_eq!(got, vec![(1, "a"), (2, "b"), (3, "c"), (4, "d")]);
        let got: Vec<_> = lines("a\r\n\r\n").collect();
        assert_eq!(got, vec![(1, "a"), (2, "")]);
    }

    #[test]
    fn line_ends_are_found_across_search_windows() {
        for len in [0usize, 1, 255, 256, 257, 1000, 70_000] {
            for end in ["\r\n", "\n", "\r"] {
                let text = format!("{}{end}tail", "x".repeat(len));
                let got: Vec<_> = lines(&text).collect();
                assert_eq!(
                    got,
                    vec![(1, "x".repeat(len).as_str()), (2, "tail")],
                    "{len} {end:?}"
                );
            }
        }
        // Lone CRs only: linear, not a scan of the rest of the text per line.
        let text = "ab\r".repeat(200_000);
        assert_eq!(lines(&text).count(), 200_000);
    }

    #[test]
    fn runaway_lines_are_cut_and_numbering_kept() {
        // A multi-byte character straddles the limit: the cut falls before it.
        let long = format!("{}é{}", "x".repeat(MAX_LINE_BYTES - 1), "y".repeat(10));
        let text = format!("{long}\r\nnext");
        let got: Vec<_> = lines(&text).collect();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].1.len(), MAX_LINE_BYTES - 1);
        assert_eq!(got[1], (2, "next"));
    }
}
