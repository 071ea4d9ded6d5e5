//! AWS Signature Version 4 for AWS-managed OpenSearch (service `es`, or `aoss` for
//! serverless collections), signed by the maintained `aws-sigv4` crate. The credentials come
//! from where the AWS CLI looks for static ones: `AWS_ACCESS_KEY_ID` /
//! `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN`, else the `[AWS_PROFILE]` (or `[default]`)
//! section of `~/.aws/credentials` (`AWS_SHARED_CREDENTIALS_FILE`). SSO and role chains are
//! not followed: `aws configure export-credentials --format env` turns them into variables.

use std::fmt;
use std::path::PathBuf;
use std::time::SystemTime;

/// Static AWS credentials; the secret is never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct AwsCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
    /// Where they were found, for messages: `AWS_ACCESS_KEY_ID` or `profile prod`.
    pub source: String,
}

impl fmt::Debug for AwsCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "AwsCredentials({} from {})",
            self.access_key_id, self.source
        )
    }
}

/// What signs the requests to one domain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SigV4 {
    pub credentials: AwsCredentials,
    pub region: String,
    /// `es` (managed domains) or `aoss` (serverless).
    pub service: String,
}

impl SigV4 {
    /// The headers that sign one request at `time` (`authorization`, `x-amz-date`,
    /// `x-amz-security-token` with temporary credentials). `headers` are the ones the
    /// request will carry besides `host`, which is taken from the URL.
    pub fn sign(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: &[u8],
        time: SystemTime,
    ) -> Result<Vec<(String, String)>, String> {
        use aws_sigv4::http_request::{
            PayloadChecksumKind, SignableBody, SignableRequest, SigningSettings, sign,
        };
        let mut settings = SigningSettings::default();
        // OpenSearch Serverless wants the body's hash as a header too.
        if self.service == "aoss" {
            settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        }
        let identity = aws_credential_types::Credentials::new(
            &self.credentials.access_key_id,
            &self.credentials.secret_access_key,
            self.credentials.session_token.clone(),
            None,
            "opsdeck",
        )
        .into();
        let params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name(&self.service)
            .time(time)
            .settings(settings)
            .build()
            .map_err(|e| format!("SigV4: {e}"))?
            .into();
        let req = SignableRequest::new(
            method,
            url,
            headers.iter().copied(),
            SignableBody::Bytes(body),
        )
        .map_err(|e| format!("SigV4: cannot sign {url}: {e}"))?;
        let (instructions, _) = sign(req, &params)
            .map_err(|e| format!("SigV4: {e}"))?
            .into_parts();
        Ok(instructions
            .headers()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect())
    }
}

/// The region and service of an AWS-managed endpoint from its host name:
/// `search-logs-abc123.eu-west-1.es.amazonaws.com` → (`eu-west-1`, `es`),
/// `abc.us-east-1.aoss.amazonaws.com` → (`us-east-1`, `aoss`).
pub fn aws_host(host: &str) -> Option<(String, &'static str)> {
    let host = host.trim_end_matches('.');
    for (suffix, service) in [(".es.amazonaws.com", "es"), (".aoss.amazonaws.com", "aoss")] {
        if let Some(rest) = host.strip_suffix(suffix) {
            let region = rest.rsplit('.').next().filter(|r| !r.is_empty())?;
            return Some((region.to_string(), service));
        }
    }
    None
}

/// Reads credentials from the environment or the shared credentials file.
pub fn credentials_from(env: &dyn Fn(&str) -> Option<String>) -> Result<AwsCredentials, String> {
    let get = |k: &str| env(k).filter(|v| !v.is_empty());
    if let (Some(id), Some(secret)) = (get("AWS_ACCESS_KEY_ID"), get("AWS_SECRET_ACCESS_KEY")) {
        return Ok(AwsCredentials {
            access_key_id: id,
            secret_access_key: secret,
            session_token: get("AWS_SESSION_TOKEN"),
            source: "AWS_ACCESS_KEY_ID".into(),
        });
    }
    let profile = get("AWS_PROFILE").unwrap_or_else(|| "default".into());
    let path = get("AWS_SHARED_CREDENTIALS_FILE")
        .map(PathBuf::from)
        .or_else(|| dirs::home_dir().map(|h| h.join(".aws").join("credentials")));
    let Some(path) = path else {
        return Err("no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY".into());
    };
    let text = std::fs::read_to_string(&path).map_err(|e| {
        format!(
            "no AWS credentials: AWS_ACCESS_KEY_ID is not set and {} cannot be read ({e})",
            path.display()
        )
    })?;
    profile_credentials(&text, &profile).ok_or_else(|| {
        format!(
            "no AWS credentials: profile [{profile}] in {} has no aws_access_key_id and \
             aws_secret_access_key (for SSO or a role, export them: \
             aws configure export-credentials --format env)",
            path.display()
        )
    })
}

/// The static keys of `[profile]` in an INI credentials file.
fn profile_credentials(text: &str, profile: &str) -> Option<AwsCredentials> {
    let mut in_section = false;
    let (mut id, mut secret, mut token) = (None, None, None);
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') || line.starts_with(';') || line.is_empty() {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let name = name.trim();
            in_section = name == profile || name.strip_prefix("profile ") == Some(profile);
            continue;
        }
        if !in_section {
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let v = v.trim().to_string();
        match k.trim() {
            "aws_access_key_id" => id = Some(v),
            "aws_secret_access_key" => secret = Some(v),
            "aws_session_token" => token = Some(v),
            _ => {}
        }
    }
    Some(AwsCredentials {
        access_key_id: id.filter(|v| !v.is_empty())?,
        secret_access_key: secret.filter(|v| !v.is_empty())?,
        session_token: token.filter(|v| !v.is_empty()),
        source: format!("profile {profile}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    fn example() -> SigV4 {
        SigV4 {
            credentials: AwsCredentials {
                access_key_id: "AKIDEXAMPLE".into(),
                secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
                session_token: None,
                source: "test".into(),
            },
            region: "us-east-1".into(),
            service: "service".into(),
        }
    }

    #[test]
    fn the_aws_test_suite_get_vanilla_request_signs_to_its_published_signature() {
        // `get-vanilla` of AWS's SigV4 test suite (aws-sig-v4-test-suite, 2015-08-30T12:36:00Z):
        // the signature below is the one the suite publishes in get-vanilla.authz.
        let t = UNIX_EPOCH + Duration::from_secs(1_440_938_160);
        let h = example()
            .sign("GET", "https://example.amazonaws.com/", &[], b"", t)
            .unwrap();
        let auth = h.iter().find(|(k, _)| k == "authorization").unwrap();
        assert_eq!(
            auth.1,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
             SignedHeaders=host;x-amz-date, \
             Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
        assert!(
            h.iter()
                .any(|(k, v)| k == "x-amz-date" && v == "20150830T123600Z")
        );
    }

    #[test]
    fn a_search_on_a_managed_domain_signs_as_the_reference_implementation_does() {
        // The constant is printed by scripts/sigv4_reference.py: AWS's algorithm written out
        // with Python's hmac and hashlib alone, for this request at 2026-12-01T03:12:09Z.
        let signer = SigV4 {
            region: "ap-northeast-2".into(),
            service: "es".into(),
            ..example()
        };
        let t = UNIX_EPOCH + Duration::from_secs(1_796_094_729);
        let h = signer
            .sign(
                "POST",
                "https://search-shop-logs-abc123.ap-northeast-2.es.amazonaws.com/logstash-2026.12.01/_search?ignore_unavailable=true&allow_no_indices=true",
                &[("content-type", "application/json")],
                br#"{"size":1}"#,
                t,
            )
            .unwrap();
        let auth = h.iter().find(|(k, _)| k == "authorization").unwrap();
        assert_eq!(
            auth.1,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261201/ap-northeast-2/es/aws4_request, \
             SignedHeaders=content-type;host;x-amz-date, \
             Signature=3ed098e07f859e8d360ed3997ccaa672af3ba7d26057404e9eaa8f8f12252cf9"
        );
    }

    #[test]
    fn serverless_requests_carry_the_body_hash() {
        let signer = SigV4 {
            service: "aoss".into(),
            ..example()
        };
        let h = signer
            .sign(
                "POST",
                "https://x.us-east-1.aoss.amazonaws.com/i/_search",
                &[],
                b"{}",
                UNIX_EPOCH,
            )
            .unwrap();
        let sha = h.iter().find(|(k, _)| k == "x-amz-content-sha256").unwrap();
        // sha256("{}")
        assert_eq!(
            sha.1,
            "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
        );
        let es = example()
            .sign("GET", "https://e.amazonaws.com/", &[], b"", UNIX_EPOCH)
            .unwrap();
        assert!(es.iter().all(|(k, _)| k != "x-amz-content-sha256"));
    }

    #[test]
    fn hosts_and_credential_files_are_read() {
        assert_eq!(
            aws_host("search-logs-abc123.eu-west-1.es.amazonaws.com"),
            Some(("eu-west-1".into(), "es"))
        );
        assert_eq!(
            aws_host("x1.us-east-1.aoss.amazonaws.com"),
            Some(("us-east-1".into(), "aoss"))
        );
        assert_eq!(aws_host("opensearch.example.com"), None);
        let file = "[default]\naws_access_key_id = A1\naws_secret_access_key=S1\n\n[profile prod]\n# c\naws_access_key_id=A2\naws_secret_access_key = S2\naws_session_token = T2\n";
        let d = profile_credentials(file, "default").unwrap();
        assert_eq!((d.access_key_id.as_str(), d.session_token), ("A1", None));
        let p = profile_credentials(file, "prod").unwrap();
        assert_eq!(p.session_token.as_deref(), Some("T2"));
        assert!(profile_credentials(file, "none").is_none());
        let env = |k: &str| match k {
            "AWS_ACCESS_KEY_ID" => Some("AK".to_string()),
            "AWS_SECRET_ACCESS_KEY" => Some("SK".to_string()),
            _ => None,
        };
        let c = credentials_from(&env).unwrap();
        assert_eq!(c.source, "AWS_ACCESS_KEY_ID");
        assert!(!format!("{c:?}").contains("SK"));
        let missing = |k: &str| {
            (k == "AWS_SHARED_CREDENTIALS_FILE").then(|| "/nonexistent/credentials".to_string())
        };
        assert!(
            credentials_from(&missing)
                .unwrap_err()
                .contains("/nonexistent")
        );
    }
}
