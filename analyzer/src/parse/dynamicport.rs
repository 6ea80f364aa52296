//! `netsh int ipv4 show dynamicport tcp`: the ephemeral ("dynamic") TCP port range, the ports
//! Windows hands out for outgoing connections and for `bind` to port 0.
//!
//! netsh prints a title, a dashed line and two `Label : number` lines, start port first:
//!
//! ```text
//!
//! Protocol tcp Dynamic Port Range
//! ---------------------------------
//! Start Port      : 49152
//! Number of Ports : 16384
//!
//! ```
//!
//! Verified on English output quoted in DataDog's datadog-agent (`pkg/network`, netsh parser
//! test, with a French twin: `Plage de ports dynamique du protocole tcp` / `Port de démarrage`
//! / `Nombre de ports`) and in Microsoft's RPC troubleshooting guide. The labels follow the
//! display language (German `Startport` / `Anzahl der Ports`, Russian `Начальный порт`), so the
//! two numbers are read by position after the dashed line, the start first, whatever the
//! labels say. Windows' default since Vista is 49152 + 16384 (ports 49152-65535); the smallest
//! range netsh accepts is 255 ports.

use super::text;
use super::ParseError;
use serde::Serialize;

/// Lines looked at by `sniff` and `parse`: the output is five lines long.
const MAX_LINES: usize = 32;

/// Windows' default range since Vista / Server 2008.
pub const DEFAULT_START: u32 = 49152;
pub const DEFAULT_COUNT: u32 = 16384;

/// The range netsh printed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DynamicPorts {
    /// `tcp` or `udp` when the title names it.
    pub protocol: Option<String>,
    pub start: u32,
    pub count: u32,
    /// 1-based line of the start port and of the number of ports.
    pub start_line: usize,
    pub count_line: usize,
}

impl DynamicPorts {
    /// Whether `port` is in the range.
    pub fn contains(&self, port: u16) -> bool {
        let p = u32::from(port);
        p >= self.start && p < self.start.saturating_add(self.count)
    }
    /// The last port of the range (at most 65535).
    pub fn end(&self) -> u32 {
        self.start
            .saturating_add(self.count)
            .saturating_sub(1)
            .min(65535)
    }
}

/// `Label : 12345` → 12345, for a line with a colon and nothing but digits after it.
fn number_after_colon(line: &str) -> Option<u32> {
    let (label, value) = line.split_once([':', '：'])?;
    if label.trim().is_empty() {
        return None;
    }
    let v = value.trim();
    if v.is_empty() || v.len() > 6 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    v.parse().ok()
}

fn is_dashes(line: &str) -> bool {
    let t = line.trim();
    t.len() >= 10 && t.bytes().all(|b| b == b'-')
}

/// The dashed line, followed by two `label : number` lines.
pub fn sniff(text: &str) -> bool {
    parse(text).is_ok()
}

pub fn parse(text: &str) -> Result<DynamicPorts, ParseError> {
    let lines: Vec<(usize, &str)> = text::lines(text)
        .take(MAX_LINES)
        .map(|(n, l)| (n, l.trim_start_matches('\u{FEFF}')))
        .filter(|(_, l)| !l.trim().is_empty())
        .collect();
    let Some(dash) = lines.iter().position(|(_, l)| is_dashes(l)) else {
        return Err(ParseError::new(
            "no dynamic port range: the dashed line under the title is missing",
        ));
    };
    let title = dash
        .checked_sub(1)
        .and_then(|i| lines.get(i))
        .map(|(_, l)| l.to_ascii_lowercase());
    let protocol = title.and_then(|t| {
        t.split_whitespace()
            .find(|w| *w == "tcp" || *w == "udp")
            .map(str::to_string)
    });
    let mut numbers = lines
        .iter()
        .skip(dash + 1)
        .map(|(n, l)| (*n, number_after_colon(l)));
    let (Some((start_line, Some(start))), Some((count_line, Some(count)))) =
        (numbers.next(), numbers.next())
    else {
        return Err(ParseError::new(
            "no dynamic port range: expected a start port and a number of ports after the dashed line",
        ));
    };
    if !(1..=65535).contains(&start) || count == 0 || count > 65535 {
        return Err(ParseError::at(
            start_line,
            format!("start port {start} and number of ports {count} are not a port range"),
        ));
    }
    Ok(DynamicPorts {
        protocol,
        start,
        count,
        start_line,
        count_line,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// English, as netsh prints it (CRLF, blank first and last lines).
    const EN: &str = "\r\nProtocol tcp Dynamic Port Range\r\n---------------------------------\r\nStart Port      : 49152\r\nNumber of Ports : 16384\r\n\r\n";
    /// German: the labels translated, the layout the same.
    const DE: &str = "\r\nProtokoll tcp Dynamischer Portbereich\r\n---------------------------------\r\nStartport       : 1025\r\nAnzahl der Ports : 3976\r\n\r\n";
    /// French (quoted beside the English one in datadog-agent's test).
    const FR: &str = "\nPlage de ports dynamique du protocole tcp\n---------------------------------\nPort de démarrage   : 49152\nNombre de ports     : 16384\n";

    #[test]
    fn english_german_and_french_give_the_range() {
        let en = parse(EN).unwrap();
        assert_eq!((en.start, en.count), (49152, 16384));
        assert_eq!((en.start_line, en.count_line), (4, 5));
        assert_eq!(en.protocol.as_deref(), Some("tcp"));
        assert_eq!(en.end(), 65535);
        assert!(en.contains(49152) && en.contains(65535) && !en.contains(49151));
        let de = parse(DE).unwrap();
        assert_eq!((de.start, de.count, de.end()), (1025, 3976, 5000));
        assert!(sniff(DE));
        let fr = parse(FR).unwrap();
        assert_eq!((fr.start, fr.count), (49152, 16384));
    }

    #[test]
    fn other_outputs_and_broken_ones_are_not_a_range() {
        for t in [
            "",
            "The following command was not found: int ipv4 show dynamicport tcp.\r\n",
            "---------------------------------\r\nStart Port : x\r\nNumber of Ports : 1\r\n",
            "---------------------------------\r\nStart Port : 0\r\nNumber of Ports : 1\r\n",
            "---------------------------------\r\nStart Port : 70000\r\nNumber of Ports : 1\r\n",
            "---------------------------------\r\nStart Port : 49152\r\n",
            "Domain Profile Settings:\r\n----------------------------------------------------------------------\r\nState                                 ON\r\n",
        ] {
            assert!(parse(t).is_err(), "{t:?}");
            assert!(!sniff(t), "{t:?}");
        }
    }

    #[test]
    fn never_panics_on_noise() {
        for seed in 0..200 {
            let _ = parse(&crate::parse::testutil::noise(seed, 300));
        }
    }
}
