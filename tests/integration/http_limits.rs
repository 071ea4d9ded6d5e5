//! The cap on what one answer may be: a server that streams a chunked body without a length
//! is cut off at the cap while reading, not read whole first.

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use opsdeck::net::http::Endpoint;

#[tokio::test]
async fn a_chunked_answer_over_the_cap_is_refused_while_it_is_read() {
    // 48 chunks of 1 MiB, no Content-Length: over the 32 MiB cap.
    let app = Router::new().route(
        "/big",
        get(|| async {
            let chunk = vec![b'x'; 1 << 20];
            let chunks =
                futures::stream::iter((0..48).map(move |_| Ok::<_, std::io::Error>(chunk.clone())));
            Body::from_stream(chunks)
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let e = Endpoint::direct(&format!("http://{addr}/"), None).unwrap_or_else(|e| panic!("{e}"));
    let err = e
        .get("big", &[])
        .await
        .err()
        .unwrap_or_else(|| panic!("a 48 MiB answer was accepted"));
    assert!(
        err.to_string()
            .contains("response body too large (over 32 MiB)"),
        "{err}"
    );
}
