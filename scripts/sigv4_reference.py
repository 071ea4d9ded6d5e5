#!/usr/bin/env python3
# The signature the SigV4 unit test (src/net/sigv4.rs) compares with: computed here from AWS's
# published algorithm with nothing but hmac and hashlib, independently of the aws-sigv4 crate.
# Run: python3 scripts/sigv4_reference.py
# Independent SigV4 (AWS docs, "Create a signed AWS API request"), hmac/hashlib only.
import hashlib, hmac
def h(b): return hashlib.sha256(b).hexdigest()
def sign(key, msg): return hmac.new(key, msg.encode(), hashlib.sha256).digest()
ak, sk = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
region, service = "ap-northeast-2", "es"
amzdate, date = "20261201T031209Z", "20261201"
host = "search-shop-logs-abc123.ap-northeast-2.es.amazonaws.com"
body = b'{"size":1}'
canon_q = "allow_no_indices=true&ignore_unavailable=true"
headers = {"content-type": "application/json", "host": host, "x-amz-date": amzdate}
signed = ";".join(sorted(headers))
canon_h = "".join(f"{k}:{headers[k]}\n" for k in sorted(headers))
creq = "\n".join(["POST", "/logstash-2026.12.01/_search", canon_q, canon_h, signed, h(body)])
scope = f"{date}/{region}/{service}/aws4_request"
sts = "\n".join(["AWS4-HMAC-SHA256", amzdate, scope, h(creq.encode())])
k = sign(sign(sign(sign(("AWS4" + sk).encode(), date), region), service), "aws4_request")
print(hmac.new(k, sts.encode(), hashlib.sha256).hexdigest())
