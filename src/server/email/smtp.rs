//! SMTP connections and their pool, built on lettre's SMTP client: this module opens each TCP
//! connection itself (and wraps it in TLS for implicit TLS) so that it can set TCP_NODELAY.

use anyhow::Context as _;
use lettre::{
    address::Envelope,
    transport::smtp::{
        Error as SmtpError,
        authentication::{Credentials, Mechanism},
        client::{AsyncSmtpConnection, AsyncTokioStream, Certificate, TlsParameters},
        extension::ClientId,
    },
};
use rustls::{
    ClientConfig, RootCertStore,
    pki_types::{CertificateDer, ServerName},
};
use std::{
    io,
    net::SocketAddr,
    pin::Pin,
    sync::{Arc, Mutex, OnceLock, Weak},
    task::{Context, Poll},
    time::{Duration, Instant},
};
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::TcpStream,
    sync::Semaphore,
};
use tokio_rustls::{TlsConnector, client::TlsStream};

/// How a connection is secured.
pub enum Security {
    /// TLS from the first byte (SMTPS, usually port 465).
    Implicit { config: Arc<ClientConfig>, name: ServerName<'static> },
    /// A plain connection upgraded with STARTTLS: always when `required` (a server that doesn't
    /// offer it gets neither credentials nor mail), otherwise only when the server offers it.
    StartTls { params: TlsParameters, required: bool },
}

impl Security {
    /// Implicit TLS to `host`, trusting the usual public roots plus `extra_roots`.
    ///
    /// # Errors
    /// When `host` is not a valid DNS name or IP address, or rustls can't use an extra root.
    pub fn implicit(host: &str, extra_roots: &[CertificateDer<'static>]) -> anyhow::Result<Self> {
        let mut roots = RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
        for root in extra_roots {
            roots.add(root.clone()).context("a MAIL_CA_FILE certificate is unusable")?;
        }
        let config = ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let name = ServerName::try_from(host.to_owned()).context("MAIL_SERVER is not a valid host name")?;
        Ok(Self::Implicit { config: Arc::new(config), name })
    }

    /// STARTTLS to `host`, trusting the usual public roots plus `extra_roots`. (lettre checks the
    /// name `host` when it upgrades a connection.)
    ///
    /// # Errors
    /// When rustls can't use an extra root.
    pub fn starttls(host: &str, extra_roots: &[CertificateDer<'static>], required: bool) -> anyhow::Result<Self> {
        let mut builder = TlsParameters::builder(host.to_owned());
        for root in extra_roots {
            builder = builder.add_root_certificate(Certificate::from_der(root.to_vec())?);
        }
        let params = builder.build().context("a MAIL_CA_FILE certificate is unusable")?;
        Ok(Self::StartTls { params, required })
    }
}

/// Where and how to open a ready-to-send SMTP connection.
pub struct Connector {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub credentials: Option<Credentials>,
}

impl Connector {
    /// Connects, secures the connection as configured, and logs in when there are credentials.
    async fn connect(&self) -> Result<AsyncSmtpConnection, SendError> {
        let tcp = self.tcp().await?;
        let hello = ClientId::default();
        let stream: Box<dyn AsyncTokioStream> = match &self.security {
            Security::Implicit { config, name } => {
                let tls = TlsConnector::from(config.clone())
                    .connect(name.clone(), tcp)
                    .await
                    .map_err(|e| SendError::Tls(self.address(), e))?;
                Box::new(ImplicitTls(tls))
            }
            Security::StartTls { .. } => Box::new(tcp),
        };
        let mut conn = AsyncSmtpConnection::connect_with_transport(stream, &hello).await?;
        if let Security::StartTls { params, required } = &self.security
            && (*required || conn.can_starttls())
        {
            conn.starttls(params.clone(), &hello).await?;
        }
        if let Some(credentials) = &self.credentials {
            conn.auth(&[Mechanism::Plain, Mechanism::Login], credentials).await?;
        }
        Ok(conn)
    }

    async fn tcp(&self) -> Result<TcpStream, SendError> {
        let tcp = TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(|e| SendError::Connect(self.address(), e))?;
        // lettre writes a message's body and its closing "\r\n.\r\n" as two writes. With Nagle's
        // algorithm on, the kernel holds that small second write until the server ACKs the body,
        // and the server delays that ACK (40 ms on Linux) hoping to piggyback it: every mail would
        // stall ~40 ms, capping a connection at ~25 mails/s. Commands are whole lines, so sending
        // each write at once costs nothing.
        tcp.set_nodelay(true).map_err(|e| SendError::Connect(self.address(), e))?;
        Ok(tcp)
    }

    fn address(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

/// Why a mail did not go. Its `Display` is one line: addresses, SMTP replies and I/O errors,
/// never credentials or message content.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("could not connect to {0}: {1}")]
    Connect(String, io::Error),
    #[error("TLS handshake with {0} failed: {1}")]
    Tls(String, io::Error),
    #[error("{0}")]
    Smtp(#[from] SmtpError),
    #[error("the SMTP server did not finish within {0:?}")]
    TimedOut(Duration),
}

/// Up to `size` SMTP connections, each reused while it stays healthy and busy.
pub struct Pool {
    connector: Connector,
    timeout: Duration,
    idle_timeout: Duration,
    /// One per connection in use. A sender opens a connection only when none is idle, so each
    /// open connection is either held by a sender or idle: never more than `size` in all.
    slots: Semaphore,
    /// Most recently used last.
    idle: Mutex<Vec<Idle>>,
    reaper: OnceLock<()>,
}

struct Idle {
    conn: AsyncSmtpConnection,
    since: Instant,
}

impl Pool {
    /// `timeout` bounds each mail as a whole: waiting for a connection, opening it, sending.
    pub fn new(connector: Connector, size: usize, timeout: Duration, idle_timeout: Duration) -> Arc<Self> {
        Arc::new(Self {
            connector,
            timeout,
            idle_timeout,
            slots: Semaphore::new(size),
            idle: Mutex::new(Vec::new()),
            reaper: OnceLock::new(),
        })
    }

    /// Sends one message on an idle connection, or on a new one if none is idle (or alive).
    /// A connection that fails is dropped, never reused.
    ///
    /// # Errors
    /// When connecting fails, the server refuses the message, or `timeout` runs out.
    pub async fn send(self: &Arc<Self>, envelope: &Envelope, message: &[u8]) -> Result<(), SendError> {
        let send = async {
            let _slot = self.slots.acquire().await.expect("the pool's semaphore is never closed");
            let mut conn = match self.reuse().await {
                Some(conn) => conn,
                None => self.connector.connect().await?,
            };
            conn.send(envelope, message).await?;
            self.park(conn);
            Ok::<_, SendError>(())
        };
        tokio::time::timeout(self.timeout, send).await.unwrap_or(Err(SendError::TimedOut(self.timeout)))
    }

    /// The most recently used idle connection that still answers NOOP. The others are closed:
    /// ones idle too long, and ones the server hung up on (it may close idle clients any time).
    async fn reuse(&self) -> Option<AsyncSmtpConnection> {
        loop {
            let Idle { mut conn, since } = self.idle.lock().expect("idle list lock").pop()?;
            if since.elapsed() < self.idle_timeout && conn.test_connected().await {
                return Some(conn);
            }
        }
    }

    fn park(self: &Arc<Self>, conn: AsyncSmtpConnection) {
        if conn.has_broken() {
            return;
        }
        self.idle.lock().expect("idle list lock").push(Idle { conn, since: Instant::now() });
        // Started here rather than in `new`, which may run outside a runtime.
        self.reaper.get_or_init(|| {
            tokio::spawn(reap(Arc::downgrade(self), self.idle_timeout));
        });
    }
}

/// Says QUIT to connections idle longer than `idle_timeout`, so a quiet app holds no
/// connections open on the mail server. Ends with the pool.
async fn reap(pool: Weak<Pool>, idle_timeout: Duration) {
    loop {
        tokio::time::sleep(idle_timeout / 2).await;
        let Some(pool) = pool.upgrade() else { return };
        let expired: Vec<Idle> = {
            let mut idle = pool.idle.lock().expect("idle list lock");
            let (expired, fresh) = idle.drain(..).partition(|i| i.since.elapsed() >= idle_timeout);
            *idle = fresh;
            expired
        };
        let timeout = pool.timeout;
        drop(pool);
        for Idle { mut conn, .. } in expired {
            let _ = tokio::time::timeout(timeout, conn.quit()).await;
        }
    }
}

/// A TLS stream as lettre's client takes it: I/O plus the peer's address.
#[derive(Debug)]
struct ImplicitTls(TlsStream<TcpStream>);

impl AsyncTokioStream for ImplicitTls {
    fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.0.get_ref().0.peer_addr()
    }
}

impl AsyncRead for ImplicitTls {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for ImplicitTls {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lettre::Address;
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use tokio::{
        io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
        net::TcpListener,
    };

    fn connector(port: u16) -> Connector {
        let security = Security::starttls("127.0.0.1", &[], false).unwrap();
        Connector { host: "127.0.0.1".into(), port, security, credentials: None }
    }

    fn envelope() -> Envelope {
        let address: Address = "a@example.com".parse().unwrap();
        Envelope::new(Some(address.clone()), vec![address]).unwrap()
    }

    const MESSAGE: &[u8] = b"Subject: x\r\n\r\nx\r\n";

    /// Just enough of an SMTP server to accept mail; counts connections and QUITs.
    async fn fake_server() -> (u16, Arc<AtomicUsize>, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (connections, quits) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let (counted, quit) = (connections.clone(), quits.clone());
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                counted.fetch_add(1, SeqCst);
                let quit = quit.clone();
                tokio::spawn(async move {
                    let (read, mut write) = stream.into_split();
                    let mut lines = BufReader::new(read).lines();
                    write.write_all(b"220 fake\r\n").await.unwrap();
                    let mut in_data = false;
                    while let Ok(Some(line)) = lines.next_line().await {
                        let reply: &[u8] = match (in_data, line.as_str()) {
                            (true, ".") => {
                                in_data = false;
                                b"250 queued\r\n"
                            }
                            (true, _) => continue,
                            (false, "DATA") => {
                                in_data = true;
                                b"354 go on\r\n"
                            }
                            (false, "QUIT") => {
                                quit.fetch_add(1, SeqCst);
                                b"221 bye\r\n"
                            }
                            _ => b"250 ok\r\n",
                        };
                        write.write_all(reply).await.unwrap();
                    }
                });
            }
        });
        (port, connections, quits)
    }

    #[tokio::test]
    async fn connections_are_opened_without_nagle() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let tcp = connector(listener.local_addr().unwrap().port()).tcp().await.unwrap();
        assert!(tcp.nodelay().unwrap(), "every mail would wait for a delayed ACK");
    }

    #[tokio::test]
    async fn idle_connections_are_reused_then_closed_with_quit() {
        let (port, connections, quits) = fake_server().await;
        let idle_timeout = Duration::from_millis(400);
        let pool = Pool::new(connector(port), 8, Duration::from_secs(5), idle_timeout);
        for _ in 0..3 {
            pool.send(&envelope(), MESSAGE).await.unwrap();
        }
        assert_eq!(connections.load(SeqCst), 1, "one connection for mails in a row");

        let idle_since = Instant::now();
        while quits.load(SeqCst) == 0 && idle_since.elapsed() < Duration::from_secs(5) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(quits.load(SeqCst), 1, "the idle connection got its QUIT");
        assert!(idle_since.elapsed() >= idle_timeout, "not before it was idle that long");
        pool.send(&envelope(), MESSAGE).await.unwrap();
        assert_eq!(connections.load(SeqCst), 2, "and the next mail opened a new one");
    }

    #[tokio::test]
    async fn a_server_that_never_answers_times_out() {
        // The kernel completes the connection; nobody ever sends the greeting.
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let timeout = Duration::from_millis(300);
        let pool = Pool::new(connector(listener.local_addr().unwrap().port()), 8, timeout, timeout);
        let started = Instant::now();
        let error = pool.send(&envelope(), MESSAGE).await.unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(error.to_string(), "the SMTP server did not finish within 300ms");
    }
}
