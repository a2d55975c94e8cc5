//! The pool of SMTP connections (opened by `connection`) and the sending of one mail on one: MAIL,
//! RCPT and DATA one by one, so that a refusal says which of them it answered.

pub use super::fault::SendError;
use super::{connection::Connector, fault::Stage};
use lettre::{
    address::Envelope,
    transport::smtp::{
        client::AsyncSmtpConnection,
        commands::{Data, Mail, Rcpt, Rset},
        extension::{Extension, MailBodyParameter, MailParameter},
    },
};
use std::{
    sync::{Arc, Mutex, OnceLock, Weak},
    time::{Duration, Instant},
};
use tokio::sync::Semaphore;

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
            // A refused mail leaves a usable connection (send_on reset it): it carries the next.
            let sent = send_on(&mut conn, envelope, message).await;
            self.park(conn);
            sent
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

/// Sends one message on an open connection: MAIL FROM, RCPT TO, DATA one command at a time, as
/// lettre's own `send` does, but each failure names the command it answered. On a refusal the
/// transaction is reset, so the connection can carry the next mail.
async fn send_on(conn: &mut AsyncSmtpConnection, envelope: &Envelope, message: &[u8]) -> Result<(), SendError> {
    let mut options = Vec::new();
    // SMTPUTF8 (RFC 6531) for internationalised addresses, 8BITMIME (RFC 6152) for a raw UTF-8
    // body, only when the server offers them; lettre refuses to send otherwise, and so do we.
    let non_ascii = envelope.from().into_iter().chain(envelope.to()).any(|a| !AsRef::<str>::as_ref(a).is_ascii());
    if non_ascii {
        if !conn.server_info().supports_feature(Extension::SmtpUtfEight) {
            return Err(SendError::Unsupported("the server does not take internationalised addresses (SMTPUTF8)"));
        }
        options.push(MailParameter::SmtpUtfEight);
    }
    if !message.is_ascii() {
        if !conn.server_info().supports_feature(Extension::EightBitMime) {
            return Err(SendError::Unsupported("the server does not take 8-bit messages (8BITMIME)"));
        }
        options.push(MailParameter::Body(MailBodyParameter::EightBitMime));
    }
    let result = async {
        let at = |stage| move |e| SendError::Smtp(stage, e);
        conn.command(Mail::new(envelope.from().cloned(), options)).await.map_err(at(Stage::MailFrom))?;
        for to in envelope.to() {
            conn.command(Rcpt::new(to.clone(), Vec::new())).await.map_err(at(Stage::RcptTo))?;
        }
        conn.command(Data).await.map_err(at(Stage::Data))?;
        conn.message(message).await.map_err(at(Stage::Data))?;
        Ok(())
    }
    .await;
    if let Err(error) = &result {
        // A refusal leaves the transaction open: RSET ends it, so the connection can carry the
        // next mail. Anything else (a lost connection, an unreadable reply) leaves it unusable,
        // and a broken connection is never parked.
        let refused = matches!(error, SendError::Smtp(_, e) if e.status().is_some());
        if !refused || conn.command(Rset).await.is_err() {
            conn.abort().await;
        }
    }
    result
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::email::{connection::Security, fault::Fault};
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
        envelope_to("a@example.com")
    }

    fn envelope_to(to: &str) -> Envelope {
        let from: Address = "a@example.com".parse().unwrap();
        Envelope::new(Some(from), vec![to.parse().unwrap()]).unwrap()
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
                            // Answers per recipient, as a receiving server does.
                            (false, rcpt) if rcpt.starts_with("RCPT TO:<nobody@") => b"550 5.1.1 no such user\r\n",
                            (false, rcpt) if rcpt.starts_with("RCPT TO:<grey@") => b"451 4.7.1 try again later\r\n",
                            (false, rcpt) if rcpt.starts_with("RCPT TO:<blocked@") => {
                                b"554 5.7.1 your IP is on a blocklist\r\n"
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

    #[tokio::test]
    async fn a_refusal_names_its_stage_and_the_connection_carries_the_next_mail() {
        let (port, connections, _) = fake_server().await;
        let pool = Pool::new(connector(port), 8, Duration::from_secs(5), Duration::from_secs(5));
        let cases = [
            ("nobody@example.com", Fault::Mailbox, "at RCPT TO: permanent error (550): 5.1.1 no such user"),
            ("grey@example.com", Fault::Temporary, "at RCPT TO: transient error (451): 4.7.1 try again later"),
            (
                "blocked@example.com",
                Fault::Refused,
                "at RCPT TO: permanent error (554): 5.7.1 your IP is on a blocklist",
            ),
        ];
        for (to, fault, said) in cases {
            let error = pool.send(&envelope_to(to), MESSAGE).await.unwrap_err();
            assert_eq!((error.fault(), error.to_string().as_str()), (fault, said), "{to}");
            pool.send(&envelope(), MESSAGE).await.unwrap();
        }
        assert_eq!(connections.load(SeqCst), 1, "RSET after each refusal kept the one connection usable");
    }
}
