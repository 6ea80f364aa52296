//! Firewall products registered with Windows Security Center (WMI
//! `root\SecurityCenter2:FirewallProduct`), as
//! `wmic /namespace:\\root\SecurityCenter2 path FirewallProduct get displayName,pathToSignedProductExe,productState /format:list`
//! prints them (or PowerShell's `Get-CimInstance ... | Format-List`).
//!
//! A third-party firewall registers itself here and usually turns Windows Defender Firewall
//! off or runs its own filter beside it: then the netsh rules say nothing about what really
//! filters RDP. Windows' own firewall is not listed in this class. `productState` packs the
//! state in its middle byte: `0x10` there means the product is on (`266240` = `0x041000`).
//!
//! wmic `/format:list` writes `name=value` lines, one blank-line-separated block per instance
//! (UTF-16LE when redirected, with `\r\r\n` line ends, which [`text::lines`] reads as extra
//! blank lines); Format-List writes `name : value`. No instance prints
//! `No Instance(s) Available.`; Windows Server has no SecurityCenter2 namespace and wmic says
//! `Description = Invalid namespace`.

use super::text;
use super::ParseError;
use serde::Serialize;

/// Most products kept.
const MAX_PRODUCTS: usize = 256;
/// Longest value kept.
const MAX_VALUE_CHARS: usize = 512;

/// One registered firewall product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Product {
    pub display_name: String,
    pub product_state: Option<u32>,
    pub path: Option<String>,
    /// 1-based line of `displayName`.
    pub line: usize,
}

impl Product {
    /// Whether Security Center reports the product on (`productState` bit 0x1000).
    pub fn enabled(&self) -> Option<bool> {
        self.product_state.map(|s| s & 0x1000 != 0)
    }

    /// Windows' own firewall, should a build ever list it.
    pub fn is_windows_firewall(&self) -> bool {
        let n = self.display_name.to_ascii_lowercase();
        n.contains("windows defender firewall") || n.contains("windows firewall")
    }
}

/// What the query returned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct FirewallProducts {
    pub products: Vec<Product>,
    /// `No Instance(s) Available.` (nothing registered) was printed.
    pub none_registered: bool,
    /// `Invalid namespace` or another wmic error, with its line.
    pub error: Option<(String, usize)>,
}

/// True for the product list: a `displayName` line and a `productState` line.
pub fn sniff(text: &str) -> bool {
    let mut name = false;
    let mut state = false;
    for (_, l) in text::lines(text).take(200) {
        if let Some((k, _)) = split(l) {
            name |= k.eq_ignore_ascii_case("displayName");
            state |= k.eq_ignore_ascii_case("productState");
        }
    }
    name && state
}

/// Parses the output (an empty result is a valid answer: nothing registered).
pub fn parse(text: &str) -> Result<FirewallProducts, ParseError> {
    let mut out = FirewallProducts::default();
    let mut current: Option<Product> = None;
    let mut saw_anything = false;
    for (n, line) in text::lines(text) {
        let l = line.trim().trim_start_matches('\u{feff}');
        if l.is_empty() {
            continue;
        }
        saw_anything = true;
        if l.to_ascii_lowercase().starts_with("no instance") {
            out.none_registered = true;
            continue;
        }
        let Some((k, v)) = split(l) else {
            if out.error.is_none() && l.to_ascii_lowercase().starts_with("error") {
                out.error = Some((clip(l), n));
            }
            continue;
        };
        if k.eq_ignore_ascii_case("Description") && v.to_ascii_lowercase().contains("namespace") {
            out.error = Some((clip(v), n));
            continue;
        }
        if k.eq_ignore_ascii_case("displayName") {
            if let Some(p) = current.take() {
                push(&mut out, p);
            }
            current = Some(Product {
                display_name: clip(v),
                line: n,
                ..Product::default()
            });
            continue;
        }
        let p = current.get_or_insert_with(|| Product {
            line: n,
            ..Product::default()
        });
        if k.eq_ignore_ascii_case("productState") {
            p.product_state = v.trim().parse().ok();
        } else if k.eq_ignore_ascii_case("pathToSignedProductExe") {
            p.path = Some(clip(v));
        }
    }
    if let Some(p) = current.take() {
        push(&mut out, p);
    }
    if !saw_anything {
        return Err(ParseError::new("empty Security Center output"));
    }
    if out.products.is_empty() && !out.none_registered && out.error.is_none() {
        return Err(ParseError::new(
            "no firewall product (displayName) and no `No Instance(s) Available.`",
        ));
    }
    Ok(out)
}

fn push(out: &mut FirewallProducts, p: Product) {
    if !p.display_name.is_empty() && out.products.len() < MAX_PRODUCTS {
        out.products.push(p);
    }
}

/// `name=value` (wmic) or `name : value` (Format-List).
fn split(l: &str) -> Option<(&str, &str)> {
    let t = l.trim();
    let i = t.find(['=', ':'])?;
    let k = t.get(..i)?.trim();
    let v = t.get(i + 1..)?.trim();
    (!k.is_empty() && !k.contains(char::is_whitespace)).then_some((k, v))
}

fn clip(s: &str) -> String {
    s.chars().take(MAX_VALUE_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wmic_list_with_doubled_carriage_returns() {
        let t = "\r\r\n\r\r\ndisplayName=ESET Firewall\r\r\npathToSignedProductExe=C:\\Program Files\\ESET\\ESET Security\\ecmds.exe\r\r\nproductState=266256\r\r\n\r\r\n\r\r\n";
        assert!(sniff(t));
        let r = parse(t).unwrap();
        assert_eq!(r.products.len(), 1);
        let p = &r.products[0];
        assert_eq!(p.display_name, "ESET Firewall");
        assert_eq!(p.line, 5);
        assert_eq!(p.product_state, Some(266_256));
        assert_eq!(p.enabled(), Some(true));
        assert!(p.path.as_deref().unwrap().ends_with("ecmds.exe"));
        assert!(!p.is_windows_firewall());
    }

    #[test]
    fn format_list_two_products_one_off() {
        let t = "\r\ndisplayName              : Norton Firewall\r\npathToSignedProductExe   : C:\\Program Files\\Norton\\wsc.exe\r\nproductState             : 266240\r\n\r\ndisplayName              : Old Firewall\r\nproductState             : 262144\r\n\r\n";
        let r = parse(t).unwrap();
        assert_eq!(r.products.len(), 2);
        assert_eq!(r.products[0].enabled(), Some(true));
        assert_eq!(r.products[1].enabled(), Some(false));
    }

    #[test]
    fn nothing_registered_and_server() {
        let r = parse("No Instance(s) Available.\r\n").unwrap();
        assert!(r.none_registered && r.products.is_empty());
        let r = parse("ERROR:\r\nDescription = Invalid namespace\r\n\r\n").unwrap();
        assert_eq!(r.error.as_ref().unwrap().0, "Invalid namespace");
        assert!(!sniff("No Instance(s) Available.\r\n"));
    }

    #[test]
    fn garbage() {
        assert!(parse("").is_err());
        assert!(parse("random words\r\nmore").is_err());
        assert!(!sniff("displayName=x\r\n"));
        let _ = parse("=\r\n:\r\ndisplayName=\r\nproductState=99999999999999\r\n");
    }
}
