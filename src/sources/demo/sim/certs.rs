//! The platform's cert-manager Certificates, as the watch would send them, their times set
//! around when the platform is first sent (a demo session rarely reaches a renewal).

use super::Sim;
use crate::model::Certificate;
use crate::state::Update;
use chrono::Duration;

impl Sim {
    pub fn certificates(&self) -> Update {
        let Some(defs) = self.platform.certificates else {
            return Update::Certificates(Err(crate::model::CERT_MANAGER_ABSENT.into()));
        };
        let certs = defs
            .iter()
            .map(|d| {
                let not_before = self.now - Duration::seconds(d.issued_ago_secs);
                let not_after = not_before + Duration::seconds(d.valid_secs);
                Certificate {
                    namespace: d.namespace.into(),
                    name: d.name.into(),
                    ready: Some(true),
                    reason: "Ready".into(),
                    message: "Certificate is up to date and has not expired".into(),
                    not_before: Some(not_before),
                    not_after: Some(not_after),
                    renewal_time: Some(not_after - Duration::seconds(d.renew_before_secs)),
                    failed_attempts: d.failed_attempts,
                    last_failure: (d.failed_attempts > 0)
                        .then(|| self.now - Duration::seconds(d.failed_ago_secs)),
                    issuer: d.issuer.into(),
                    secret: d.name.into(),
                    is_ca: d.is_ca,
                }
            })
            .collect();
        Update::Certificates(Ok(certs))
    }
}
