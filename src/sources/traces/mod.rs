//! Trace stores (issue #18, in progress): their answers read into one span model
//! (`wire.rs`: Jaeger's v1 query API, OTLP JSON from Jaeger v3 and Tempo), built into a tree by
//! `model::trace`. The store seam that fetches and searches, and the trace view, come next.

pub mod wire;
