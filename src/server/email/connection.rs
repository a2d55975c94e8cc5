//! Opening an SMTP connection ready to send: TCP (without Nagle), TLS from the first byte or
//! STARTTLS as configured, and the login.

use super::fault::{SendError, Stage};
use anyhow::Context as _;
use lettre::transport::smtp::{
    authentication::{Credentials, Mechanism},
    client::{AsyncSmtpConnection, AsyncTokioStream, Certificate, TlsParameters},
    extension::ClientId,
};
use rustls::{
    ClientConfig, RootCertStore,
    pki_types::{CertificateDer, ServerName},
};
use std::{
    io,
    net::SocketAddr,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
};
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::TcpStream,
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
            roots.add(root.clone()).context("a CA certificate is unusable")?;
        }
        let config = ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let name = ServerName::try_from(host.to_owned()).context("the server is not a valid host name")?;
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
        let params = builder.build().context("a CA certificate is unusable")?;
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
    pub(super) async fn connect(&self) -> Result<AsyncSmtpConnection, SendError> {
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
        let session = |e| SendError::Smtp(Stage::Session, e);
        let mut conn = AsyncSmtpConnection::connect_with_transport(stream, &hello).await.map_err(session)?;
        if let Security::StartTls { params, required } = &self.security
            && (*required || conn.can_starttls())
        {
            conn.starttls(params.clone(), &hello).await.map_err(session)?;
        }
        if let Some(credentials) = &self.credentials {
            conn.auth(&[Mechanism::Plain, Mechanism::Login], credentials).await.map_err(session)?;
        }
        Ok(conn)
    }

    pub(super) async fn tcp(&self) -> Result<TcpStream, SendError> {
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
