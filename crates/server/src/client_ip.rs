//! The client's address behind reverse proxies: `X-Forwarded-For` is believed only as far as
//! it was written by proxies listed in `XUESHI_TRUSTED_PROXIES`. The client is the right-most
//! hop not in that list — every hop left of it was written by the client itself and may be
//! forged.

use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// CIDR blocks of trusted proxies; a bare address is a block of one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProxyList(Vec<IpNet>);

impl ProxyList {
    pub fn parse(text: &str) -> Result<ProxyList, String> {
        text.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(parse_block)
            .collect::<Result<_, _>>()
            .map(ProxyList)
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|net| net.contains(&ip))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn parse_block(s: &str) -> Result<IpNet, String> {
    s.parse::<IpNet>()
        .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| format!("trusted_proxies: “{s}” is not an address or CIDR block"))
}

/// An IPv4 address seen through an IPv6 socket (`::ffff:a.b.c.d`) is that IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The client's address: the peer itself, unless the peer is a trusted proxy; then the
/// right-most `X-Forwarded-For` hop that is not. A header of trusted hops only names the
/// left-most of them; one that does not parse is ignored in favour of the peer.
pub fn client_address(peer: IpAddr, forwarded_for: &[&str], trusted: &ProxyList) -> IpAddr {
    let peer = canonical(peer);
    if !trusted.contains(peer) {
        return peer;
    }
    let mut hops = Vec::new();
    for value in forwarded_for {
        for hop in value.split(',') {
            match hop.trim().parse::<IpAddr>() {
                Ok(ip) => hops.push(canonical(ip)),
                Err(_) => return peer,
            }
        }
    }
    let mut client = peer;
    for hop in hops.into_iter().rev() {
        client = hop;
        if !trusted.contains(hop) {
            break;
        }
    }
    client
}

impl Serialize for ProxyList {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(ToString::to_string))
    }
}

/// Accepts a list (TOML) or one comma-separated string (the environment).
impl<'de> Deserialize<'de> for ProxyList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ProxyList, D::Error> {
        struct ListVisitor;
        impl<'de> Visitor<'de> for ListVisitor {
            type Value = ProxyList;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of CIDR blocks, or one comma-separated string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ProxyList, E> {
                ProxyList::parse(v).map_err(E::custom)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ProxyList, A::Error> {
                let mut blocks = Vec::new();
                while let Some(s) = seq.next_element::<String>()? {
                    blocks.push(parse_block(&s).map_err(de::Error::custom)?);
                }
                Ok(ProxyList(blocks))
            }
        }
        d.deserialize_any(ListVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_client_is_the_right_most_untrusted_hop() {
        let trusted = ProxyList::parse("10.0.0.0/8, 127.0.0.1").unwrap();
        let cases: &[(&str, &[&str], &str)] = &[
            // No proxy in between: the header is the client's own words.
            ("203.0.113.9", &["1.2.3.4"], "203.0.113.9"),
            // Behind one proxy: the hop it appended.
            ("127.0.0.1", &["198.51.100.7"], "198.51.100.7"),
            // A forged left-most value is skipped.
            ("127.0.0.1", &["6.6.6.6, 198.51.100.7"], "198.51.100.7"),
            // Two proxies, two headers.
            (
                "10.1.1.1",
                &["6.6.6.6", "198.51.100.7, 10.2.2.2"],
                "198.51.100.7",
            ),
            // Only trusted hops: the left-most of them.
            ("127.0.0.1", &["10.3.3.3"], "10.3.3.3"),
            // Nothing forwarded: the proxy itself.
            ("127.0.0.1", &[], "127.0.0.1"),
            // Garbage: the peer.
            ("127.0.0.1", &["not-an-address"], "127.0.0.1"),
            ("::ffff:127.0.0.1", &["198.51.100.7"], "198.51.100.7"),
        ];
        for (peer, header, want) in cases {
            assert_eq!(
                client_address(ip(peer), header, &trusted),
                ip(want),
                "{peer} {header:?}"
            );
        }
    }

    #[test]
    fn lists_come_from_strings_or_sequences() {
        assert!(ProxyList::parse("").unwrap().is_empty());
        assert!(ProxyList::parse("10.0.0.0/33").is_err());
        let list: ProxyList = serde_json::from_str(r#"["192.168.0.0/16"]"#).unwrap();
        assert!(list.contains(ip("192.168.4.5")));
        let list: ProxyList = serde_json::from_str(r#""::1, 172.16.0.0/12""#).unwrap();
        assert!(list.contains(ip("::1")) && list.contains(ip("172.20.0.1")));
        assert!(!list.contains(ip("8.8.8.8")));
    }
}
