//! Where webhooks may be sent: `http` or `https` URLs whose host resolves only to public
//! addresses. Loopback, private, link-local, carrier-grade NAT, unique-local and the other
//! special-purpose ranges are refused — at registration and again at every send, through a
//! resolver that drops them, so a name that later points inside the network reaches nothing —
//! unless the configuration allows them (`WEBHOOK_ALLOW_PRIVATE_TARGETS`, for tests and
//! receivers on the same network).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

/// The longest URL accepted.
pub const MAX_URL_CHARS: usize = 2048;

/// Which addresses deliveries may reach.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TargetPolicy {
    /// Also private, loopback and link-local addresses.
    pub allow_private: bool,
}

impl TargetPolicy {
    pub fn allows(self, ip: IpAddr) -> bool {
        self.allow_private || is_public(ip)
    }

    /// Checks a URL's form (not its addresses): `http(s)`, a host, no credentials, no
    /// fragment, at most [`MAX_URL_CHARS`]. The message says what is wrong.
    pub fn parse(self, text: &str) -> Result<url::Url, String> {
        if text.len() > MAX_URL_CHARS {
            return Err(format!("must be at most {MAX_URL_CHARS} characters"));
        }
        let url = url::Url::parse(text)
            .map_err(|_| "must be an absolute http or https URL".to_owned())?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err("must be an http or https URL".to_owned());
        }
        if url.host().is_none() {
            return Err("must name a host".to_owned());
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(
                "must not carry credentials (the signature authenticates deliveries)".to_owned(),
            );
        }
        if url.fragment().is_some() {
            return Err("must not have a fragment".to_owned());
        }
        Ok(url)
    }

    /// Checks a URL's form and where its host resolves now: every address must be allowed.
    pub async fn check(self, text: &str) -> Result<url::Url, String> {
        let url = self.parse(text)?;
        let addresses = resolve(&url).await?;
        if let Some(refused) = addresses.iter().find(|a| !self.allows(a.ip())) {
            return Err(format!(
                "must not point at a private, loopback or link-local address ({} is {})",
                url.host_str().unwrap_or_default(),
                refused.ip()
            ));
        }
        Ok(url)
    }
}

async fn resolve(url: &url::Url) -> Result<Vec<SocketAddr>, String> {
    let port = url.port_or_known_default().unwrap_or(80);
    let found: Vec<SocketAddr> = match url.host() {
        Some(url::Host::Ipv4(ip)) => vec![SocketAddr::new(IpAddr::V4(ip), port)],
        Some(url::Host::Ipv6(ip)) => vec![SocketAddr::new(IpAddr::V6(ip), port)],
        Some(url::Host::Domain(name)) => tokio::net::lookup_host((name, port))
            .await
            .map_err(|_| format!("host {name} does not resolve"))?
            .collect(),
        None => Vec::new(),
    };
    if found.is_empty() {
        return Err("host does not resolve".to_owned());
    }
    Ok(found)
}

/// Whether `ip` is a globally reachable unicast address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = embedded_v4(v6) {
                return is_public_v4(v4);
            }
            let first = v6.segments()[0];
            !(v6.is_unspecified()
                || v6.is_loopback()
                || v6.is_multicast()
                // Unique local fc00::/7 and link-local fe80::/10.
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                // Documentation 2001:db8::/32.
                || (first == 0x2001 && v6.segments()[1] == 0x0db8))
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(a == 0
        || a == 10
        || a == 127
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT
        || (a == 169 && b == 254)
        || (a == 172 && (16..32).contains(&b))
        || (a == 192 && b == 168)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2) // documentation
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || (a == 198 && b == 51 && c == 100) // documentation
        || (a == 203 && b == 0 && c == 113) // documentation
        || a >= 224) // multicast, reserved, broadcast
}

/// The IPv4 address inside an IPv4-mapped (`::ffff:a.b.c.d`), IPv4-compatible or NAT64
/// (`64:ff9b::/96`) IPv6 address: judged as that IPv4 address.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let tail = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    if s[..5] == [0; 5]
        && (s[5] == 0xffff || (s[5] == 0 && !ip.is_loopback() && !ip.is_unspecified()))
    {
        return Some(tail);
    }
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return Some(tail);
    }
    None
}

/// The resolver deliveries connect through: a name's addresses without the ones the policy
/// refuses (none left: the delivery fails as refused). Checking the addresses actually
/// connected to, not a lookup made earlier, is what stops a name that changes its answer.
#[derive(Clone, Debug)]
pub struct GuardedResolver {
    pub policy: TargetPolicy,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.policy;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found = tokio::net::lookup_host((host.as_str(), 0)).await?;
            let allowed: Vec<SocketAddr> = found.filter(|a| policy.allows(a.ip())).collect();
            if allowed.is_empty() {
                return Err(Box::new(Refused(host)) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// A host that resolves only to refused addresses.
#[derive(Debug)]
pub struct Refused(pub String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} resolves only to private, loopback or link-local addresses",
            self.0
        )
    }
}

impl std::error::Error for Refused {}

/// The resolver as reqwest takes it.
pub fn resolver(policy: TargetPolicy) -> Arc<GuardedResolver> {
    Arc::new(GuardedResolver { policy })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_special_addresses_are_not_public() {
        for refused in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fc00::1",
            "fd12::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2001:db8::1",
        ] {
            let ip: IpAddr = refused.parse().expect("address");
            assert!(!is_public(ip), "{refused} must be refused");
        }
        for allowed in [
            "8.8.8.8",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700::1111",
            "::ffff:1.1.1.1",
        ] {
            let ip: IpAddr = allowed.parse().expect("address");
            assert!(is_public(ip), "{allowed} is public");
        }
    }

    #[test]
    fn urls_must_be_plain_http_or_https() {
        let policy = TargetPolicy::default();
        assert!(policy.parse("https://hooks.example.com/in?x=1").is_ok());
        for bad in [
            "ftp://example.com/",
            "file:///etc/passwd",
            "https://user:pass@example.com/",
            "https://example.com/#frag",
            "not a url",
            "/relative",
        ] {
            assert!(policy.parse(bad).is_err(), "{bad}");
        }
        assert!(
            policy
                .parse(&format!("https://e.com/{}", "a".repeat(MAX_URL_CHARS)))
                .is_err()
        );
    }

    #[tokio::test]
    async fn addresses_are_checked_unless_private_ones_are_allowed() {
        let strict = TargetPolicy::default();
        for url in [
            "http://127.0.0.1:9/",
            "http://[::1]/",
            "http://169.254.169.254/latest",
            "http://localhost/",
        ] {
            assert!(strict.check(url).await.is_err(), "{url}");
        }
        let open = TargetPolicy {
            allow_private: true,
        };
        assert!(open.check("http://127.0.0.1:9/").await.is_ok());
    }
}
