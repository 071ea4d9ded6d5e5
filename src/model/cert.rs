//! The platform's certificates as cert-manager reports them (PROTOCOLS §12): when each expires,
//! when cert-manager means to renew it, and whether its issuance is failing.

use chrono::{DateTime, Utc};

/// A cert-manager `Certificate` (`cert-manager.io/v1`): its status, in the words of `cmctl
/// status certificate`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Certificate {
    pub namespace: String,
    pub name: String,
    /// The Ready condition: None when it has none yet.
    pub ready: Option<bool>,
    pub reason: String,
    pub message: String,
    pub not_before: Option<DateTime<Utc>>,
    pub not_after: Option<DateTime<Utc>>,
    /// When cert-manager will renew it (`status.renewalTime`).
    pub renewal_time: Option<DateTime<Utc>>,
    /// Issuances that failed in a row since the last success (`status.failedIssuanceAttempts`).
    pub failed_attempts: u32,
    pub last_failure: Option<DateTime<Utc>>,
    /// `Issuer/linkerd-trust-anchor`, `ClusterIssuer/letsencrypt`.
    pub issuer: String,
    pub secret: String,
    pub is_ca: bool,
}

/// How a certificate stands, worst first.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum CertState {
    /// Past its `notAfter`.
    Expired,
    /// `Ready=False`: its issuance failed or its secret is wrong.
    NotReady,
    /// `now > renewalTime` and not renewed: cert-manager should have done it by now.
    RenewalOverdue,
    /// Expires inside the horizon and nothing says it will be renewed in time: no renewal time,
    /// or its last issuances failed.
    Expiring,
    /// Not read yet (no Ready condition, no times).
    Unknown,
    Ok,
}

impl CertState {
    /// Severe states are errors in the header; Expiring is a warning.
    pub fn severe(&self) -> bool {
        matches!(
            self,
            CertState::Expired | CertState::NotReady | CertState::RenewalOverdue
        )
    }
}

/// One X.509 certificate as the view shows it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct X509Info {
    /// `CN=root.linkerd.cluster.local`, RFC 4514 style.
    pub subject: String,
    pub issuer: String,
    pub not_before: Option<DateTime<Utc>>,
    pub not_after: Option<DateTime<Utc>>,
    pub is_ca: bool,
}

/// Whether the mesh's identity issuer chains to an anchor of its trust bundle.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct IssuerCheck {
    /// Where the issuer's certificate was read (`CertificateRequest linkerd/…-7`).
    pub from: String,
    pub issuer: Option<X509Info>,
    /// The subject of the anchor whose key signed it; None when none did.
    pub chains_to: Option<String>,
    /// Why it could not be checked (no cert-manager request for it, unreadable PEM); empty when
    /// it was.
    pub unchecked: String,
}

/// A mesh's trust anchors: the ConfigMap they are distributed in, parsed as X.509.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TrustBundle {
    /// `linkerd` or `istio`.
    pub mesh: String,
    pub namespace: String,
    /// The ConfigMap and its key: `linkerd-identity-trust-roots`, `ca-bundle.crt`.
    pub name: String,
    pub key: String,
    pub anchors: Vec<X509Info>,
    /// Why the bundle cannot be used (absent key, no certificate in it, bad PEM).
    pub error: Option<String>,
    /// Why it cannot be read now (the API server refused or is away): what is shown was read
    /// before, and is not a problem of the bundle's.
    pub stale: Option<String>,
    pub issuer: Option<IssuerCheck>,
}

impl TrustBundle {
    /// Its problems at `now`, counted (the header's, each frame: no words are made):
    /// (severe, warnings). Severe: the bundle is unusable, an anchor expired, or the issuer
    /// chains to no anchor. A warning: an anchor expires inside the horizon — anchors are not
    /// rotated by anyone.
    pub fn counts(&self, now: DateTime<Utc>, horizon_secs: i64) -> (usize, usize) {
        let mut severe = usize::from(self.error.is_some());
        let mut warn = 0;
        for a in &self.anchors {
            match a.not_after {
                Some(t) if t <= now => severe += 1,
                Some(t) if (t - now).num_seconds() < horizon_secs => warn += 1,
                _ => {}
            }
        }
        if let Some(i) = &self.issuer
            && i.unchecked.is_empty()
            && i.chains_to.is_none()
        {
            severe += 1;
        }
        (severe, warn)
    }
}

/// What a cluster without cert-manager is told: not an error, nothing to show.
pub const CERT_MANAGER_ABSENT: &str =
    "cert-manager is not installed: the cluster serves no certificates.cert-manager.io";

/// How long past its renewal time a certificate may be renewing before it is overdue.
pub const RENEWAL_GRACE_SECS: i64 = 600;

/// The default horizon for `Expiring`: two weeks.
pub const CERT_HORIZON_SECS: i64 = 14 * 86_400;

impl Certificate {
    /// Its state at `now`. A certificate cert-manager will renew before it expires is not a
    /// warning however soon it expires: a Linkerd issuer valid for 48 h and renewed 25 h before
    /// is always "about to expire", which is how `linkerd check`'s 60-day warning became noise.
    pub fn state(&self, now: DateTime<Utc>, horizon_secs: i64) -> CertState {
        if self.not_after.is_some_and(|t| t <= now) {
            return CertState::Expired;
        }
        if self.ready == Some(false) {
            return CertState::NotReady;
        }
        // A renewal takes a few minutes (an ACME order): overdue only once that has passed.
        if self
            .renewal_time
            .is_some_and(|t| (now - t).num_seconds() > RENEWAL_GRACE_SECS)
        {
            return CertState::RenewalOverdue;
        }
        let renewing = self
            .renewal_time
            .zip(self.not_after)
            .is_some_and(|(r, a)| r < a)
            && self.failed_attempts == 0;
        if self
            .not_after
            .is_some_and(|t| (t - now).num_seconds() < horizon_secs)
            && !renewing
        {
            return CertState::Expiring;
        }
        if self.ready.is_none() && self.not_after.is_none() {
            return CertState::Unknown;
        }
        CertState::Ok
    }

    /// Why it is in its state, in words: `expires in 5d; the last 2 issuances failed: …`.
    pub fn why(&self, now: DateTime<Utc>, horizon_secs: i64) -> String {
        let age = |t: DateTime<Utc>| super::time::fmt_age((now - t).num_seconds().abs());
        let failed = if self.failed_attempts > 0 {
            format!(
                "; the last {} issuance{} failed{}",
                self.failed_attempts,
                if self.failed_attempts == 1 { "" } else { "s" },
                self.last_failure
                    .map(|t| format!(" ({} ago)", age(t)))
                    .unwrap_or_default()
            )
        } else {
            String::new()
        };
        let msg = if self.message.is_empty() {
            String::new()
        } else {
            format!(": {}", self.message)
        };
        match self.state(now, horizon_secs) {
            CertState::Expired => format!(
                "expired {} ago{failed}{msg}",
                self.not_after.map(age).unwrap_or_default()
            ),
            CertState::NotReady => format!(
                "not ready ({}){failed}{msg}",
                if self.reason.is_empty() {
                    "no reason given"
                } else {
                    &self.reason
                }
            ),
            CertState::RenewalOverdue => format!(
                "renewal overdue by {}: cert-manager has not renewed it{failed}",
                self.renewal_time.map(age).unwrap_or_default()
            ),
            CertState::Expiring => format!(
                "expires in {}{}{failed}",
                self.not_after.map(age).unwrap_or_default(),
                if self.renewal_time.is_none() {
                    " and no renewal is scheduled"
                } else {
                    ""
                }
            ),
            CertState::Unknown => "not issued yet".to_string(),
            CertState::Ok => match (self.not_after, self.renewal_time) {
                (Some(a), Some(r)) => format!("valid {} more; renews in {}", age(a), age(r)),
                (Some(a), None) => format!("valid {} more", age(a)),
                _ => "ready".to_string(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-01T10:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    fn cert(expires_h: i64, renews_h: Option<i64>) -> Certificate {
        Certificate {
            ready: Some(true),
            not_after: Some(now() + Duration::hours(expires_h)),
            renewal_time: renews_h.map(|h| now() + Duration::hours(h)),
            ..Default::default()
        }
    }

    #[test]
    fn a_short_lived_issuer_renewed_in_time_is_no_warning() {
        // Linkerd's issuer: 48 h, renewed 25 h before its end.
        let issuer = cert(30, Some(5));
        assert_eq!(issuer.state(now(), CERT_HORIZON_SECS), CertState::Ok);
        assert_eq!(
            issuer.why(now(), CERT_HORIZON_SECS),
            "valid 1d more; renews in 5h"
        );
    }

    #[test]
    fn each_state_and_its_words() {
        let h = CERT_HORIZON_SECS;
        assert_eq!(cert(-2, Some(-30)).state(now(), h), CertState::Expired);
        assert_eq!(
            cert(200, Some(-3)).state(now(), h),
            CertState::RenewalOverdue
        );
        // Renewing for a few minutes is not overdue yet.
        let mut renewing = cert(200, None);
        renewing.renewal_time = Some(now() - Duration::minutes(4));
        assert_eq!(renewing.state(now(), h), CertState::Ok);
        assert!(
            cert(200, Some(-3))
                .why(now(), h)
                .starts_with("renewal overdue by 3h")
        );
        let mut failing = cert(120, Some(1));
        failing.failed_attempts = 2;
        failing.last_failure = Some(now() - Duration::minutes(40));
        assert_eq!(failing.state(now(), h), CertState::Expiring);
        assert_eq!(
            failing.why(now(), h),
            "expires in 5d; the last 2 issuances failed (40m ago)"
        );
        assert_eq!(cert(120, None).state(now(), h), CertState::Expiring);
        assert_eq!(
            cert(24 * 60, None).state(now(), h),
            CertState::Ok,
            "beyond the horizon"
        );
        let mut not_ready = cert(500, Some(100));
        not_ready.ready = Some(false);
        not_ready.reason = "DoesNotExist".into();
        not_ready.message = "Issuing certificate as Secret does not exist".into();
        assert_eq!(not_ready.state(now(), h), CertState::NotReady);
        assert_eq!(
            not_ready.why(now(), h),
            "not ready (DoesNotExist): Issuing certificate as Secret does not exist"
        );
        assert_eq!(Certificate::default().state(now(), h), CertState::Unknown);
        assert!(CertState::Expired.severe() && !CertState::Expiring.severe());
    }
}
