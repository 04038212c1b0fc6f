//! The server over real TCP: a client that opens more connections than its share is cut off while another
//! client is still served, and a connection that never sends its headers is closed after the timeout.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn server(config: server::Config) -> (std::net::SocketAddr, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = store_sqlite::open(&dir.path().join("t.db"), true).await.unwrap();
    let state = server::AppState::new(Arc::new(store), engine::licensing::Archive::new(dir.path().join("a")), config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(server::serve_on(state, listener));
    (address, dir)
}

/// Sends a request for the AI-preferences page on `stream` and reads the status line back.
async fn status(stream: &mut TcpStream) -> Option<String> {
    stream.write_all(b"GET /ai/licence HTTP/1.1\r\nHost: x\r\n\r\n").await.ok()?;
    let mut buf = vec![0u8; 64];
    let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf)).await.ok()?.ok()?;
    let text = String::from_utf8_lossy(&buf[..n]).into_owned();
    text.lines().next().map(str::to_owned).filter(|l| !l.is_empty())
}

/// Whether the peer has closed the connection (a read returns end of file within the wait).
async fn closed(stream: &mut TcpStream, wait: Duration) -> bool {
    let mut buf = [0u8; 16];
    matches!(tokio::time::timeout(wait, stream.read(&mut buf)).await, Ok(Ok(0)) | Ok(Err(_)))
}

#[tokio::test]
async fn a_client_over_its_connections_is_cut_off_and_silent_connections_time_out() {
    let config = server::Config {
        max_connections_per_client: 2,
        header_timeout: Duration::from_millis(300),
        ..server::Config::default()
    };
    let (address, _dir) = server(config).await;
    let mut first = TcpStream::connect(address).await.unwrap();
    let mut second = TcpStream::connect(address).await.unwrap();
    assert_eq!(status(&mut first).await.as_deref(), Some("HTTP/1.1 200 OK"));
    let mut third = TcpStream::connect(address).await.unwrap();
    assert!(closed(&mut third, Duration::from_secs(2)).await, "a third connection from one client is closed");
    // The silent second connection is closed once the header timeout has passed; its place is freed.
    assert!(closed(&mut second, Duration::from_secs(3)).await, "no headers: closed after the timeout");
    let mut again = TcpStream::connect(address).await.unwrap();
    assert_eq!(status(&mut again).await.as_deref(), Some("HTTP/1.1 200 OK"));
}
