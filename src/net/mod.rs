//! How opsdeck reaches servers, below the sources and the operators that both use it: one HTTP
//! [`http::Endpoint`] for a URL or a Service behind the API server's proxy, the cluster
//! [`connect`]ion made like kubectl's, and tolerant reading of Kubernetes [`json`].

pub mod connect;
pub mod http;
pub mod json;
pub mod sigv4;
