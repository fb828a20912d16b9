//! `cargo bench --bench dtls` (also run by `bash tests/bench.sh`): figures of one DTLS 1.2
//! session of the client (`lwm2m_bootstrap::security::DtlsChannel`) per mode, against an
//! in-process Mbed TLS DTLS server (HelloVerifyRequest cookies on, like a real server).
//!
//! - heap: glibc's bytes in use, changes accounted only across the client's calls (so the
//!   in-process server's memory is not included; Mbed TLS allocates with libc directly):
//!   peak during handshake + one 100-byte exchange, and what an established session retains.
//! - CPU: wall time of the client's calls only (server time excluded), average over N
//!   handshakes, each with a fresh channel.
//! - datagrams per handshake, each direction, without loss.
//!
//! Certificate mode needs `openssl` (EC P-256 CA, server and client certificates made at run
//! time). Output: `ROW|name|value|unit|method` lines; without `--bench` it does nothing.

use std::cell::Cell;
use std::collections::VecDeque;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use lwm2m_bootstrap::security::{
    CertificateUsage, ChannelState, Credentials, DtlsChannel, DtlsParams, SecureChannel,
};
use mbedtls::pk::Pk;
use mbedtls::rng::HmacDrbg;
use mbedtls::ssl::config::{AuthMode, Endpoint, Preset, Transport};
use mbedtls::ssl::context::Timer;
use mbedtls::ssl::{Config, Context, CookieContext, Io, Version};
use mbedtls::x509::Certificate;

// ----- heap accounting (client calls only) ---------------------------------------------------
//
// Mbed TLS allocates with libc `calloc`/`free` directly (MBEDTLS_PLATFORM_MEMORY is off in
// the crate's build), so a Rust global allocator would miss its buffers. glibc's
// `mallinfo2()` sees both (Rust's System allocator is malloc too): the change of bytes in use
// across each client call is added to the client's account, and the peak is sampled at call
// boundaries (a temporary freed within one call is not seen).

thread_local! {
    static CURRENT: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn in_use() -> isize {
    // SAFETY: mallinfo2 has no preconditions; it reads the allocator's statistics.
    let info = unsafe { libc::mallinfo2() };
    (info.uordblks + info.hblkhd) as isize
}

/// Runs `f` as client work: heap change accounted, time added to `cpu`.
fn client<R>(cpu: &mut Duration, f: impl FnOnce() -> R) -> R {
    let before = in_use();
    let start = Instant::now();
    let r = f();
    *cpu += start.elapsed();
    let delta = in_use() - before;
    let now = CURRENT.with(|c| {
        c.set(c.get() + delta);
        c.get()
    });
    PEAK.with(|p| p.set(p.get().max(now)));
    r
}

// ----- in-process server ---------------------------------------------------------------------

#[derive(Default)]
struct Queues {
    inbound: VecDeque<Vec<u8>>,
    outbound: VecDeque<Vec<u8>>,
}

impl Io for Queues {
    fn recv(&mut self, buf: &mut [u8]) -> mbedtls::Result<usize> {
        let d = self.inbound.pop_front().ok_or(mbedtls::error::codes::SslWantRead)?;
        buf[..d.len()].copy_from_slice(&d);
        Ok(d.len())
    }
    fn send(&mut self, buf: &[u8]) -> mbedtls::Result<usize> {
        self.outbound.push_back(buf.to_vec());
        Ok(buf.len())
    }
}

enum Mode {
    Psk,
    Certificate { dir: std::path::PathBuf },
}

fn server_config(mode: &Mode) -> Arc<Config> {
    let mut config = Config::new(Endpoint::Server, Transport::Datagram, Preset::Default);
    config.set_min_version(Version::Tls1_2).unwrap();
    let md: Option<mbedtls::hash::MdInfo> = mbedtls::hash::Type::Sha256.into();
    let rng = Arc::new(HmacDrbg::from_buf(md.unwrap(), &[3; 48]).unwrap());
    config.set_rng(rng.clone());
    config.set_dtls_cookies(Arc::new(CookieContext::new(rng).unwrap()));
    match mode {
        Mode::Psk => config.set_psk(b"Secret123", "lwbs-bench").unwrap(),
        Mode::Certificate { dir } => {
            let read = |n: &str| std::fs::read(dir.join(n)).unwrap();
            let mut own = mbedtls::alloc::List::<Certificate>::new();
            own.push(Certificate::from_der(&read("server.der")).unwrap());
            let key = Pk::from_private_key(&read("server.key.der"), None).unwrap();
            config.push_cert(Arc::new(own), Arc::new(key)).unwrap();
            let mut ca = mbedtls::alloc::List::<Certificate>::new();
            ca.push(Certificate::from_der(&read("ca.der")).unwrap());
            config.set_ca_list(Arc::new(ca), None);
            config.set_authmode(AuthMode::Required);
        }
    }
    Arc::new(config)
}

struct Server {
    ctx: Context<Queues>,
}

impl Server {
    fn new(config: &Arc<Config>) -> Server {
        let mut ctx = Context::new(config.clone());
        ctx.set_timer_callback(Box::new(Timer::new()));
        ctx.set_client_transport_id_once(b"bench-client");
        let _ = ctx.establish(Queues::default(), None);
        Server { ctx }
    }

    /// Feeds one datagram; returns the server's datagrams.
    fn feed(&mut self, d: Vec<u8>) -> Vec<Vec<u8>> {
        self.ctx.io_mut().unwrap().inbound.push_back(d);
        match self.ctx.handshake() {
            Err(e) if e.high_level() == Some(mbedtls::error::codes::SslHelloVerifyRequired) => {
                let sent: Vec<_> = self.ctx.io_mut().unwrap().outbound.drain(..).collect();
                self.ctx.set_client_transport_id_once(b"bench-client");
                let _ = self.ctx.establish(Queues::default(), None);
                return sent;
            }
            Ok(()) => {
                let mut buf = vec![0u8; 2048];
                // Echo application data back.
                while let Ok(n) = Io::recv(&mut self.ctx, &mut buf) {
                    let _ = Io::send(&mut self.ctx, &buf[..n]);
                }
            }
            Err(_) => {}
        }
        self.ctx.io_mut().map(|io| io.outbound.drain(..).collect()).unwrap_or_default()
    }
}

struct Run {
    cpu: Duration,
    peak: isize,
    retained: isize,
    sent: usize,
    received: usize,
}

fn one_session(mode: &Mode, credentials: &Credentials, config: &Arc<Config>, seed: u8) -> Run {
    let mut cpu = Duration::ZERO;
    CURRENT.with(|c| c.set(0));
    PEAK.with(|p| p.set(0));
    let mut server = Server::new(config);
    let params = DtlsParams::default();
    let mut channel =
        client(&mut cpu, || DtlsChannel::new(1, credentials, &params, &[seed; 48]).unwrap());
    let (mut sent, mut received) = (0, 0);
    let mut echoed = Vec::new();
    let mut pinged = false;
    for _ in 0..100 {
        let out: Vec<Vec<u8>> = client(&mut cpu, || {
            if channel.state() == ChannelState::Established && !pinged {
                channel.send(2, &[0x42; 100]);
            }
            std::iter::from_fn(|| channel.poll_transmit()).collect()
        });
        if channel.state() == ChannelState::Established {
            pinged = true;
        } else {
            sent += out.len();
        }
        let mut back = Vec::new();
        for d in out {
            back.extend(server.feed(d));
        }
        for d in back {
            if channel.state() != ChannelState::Established {
                received += 1;
            }
            echoed.extend(client(&mut cpu, || channel.handle_datagram(2, &d)));
        }
        if !echoed.is_empty() {
            break;
        }
    }
    assert_eq!(channel.state(), ChannelState::Established, "handshake did not complete");
    assert_eq!(echoed, [vec![0x42; 100]], "echo over the session");
    let peak = PEAK.with(Cell::get);
    let retained = CURRENT.with(Cell::get);
    client(&mut cpu, || drop(channel));
    let _ = mode;
    Run { cpu, peak, retained, sent, received }
}

fn make_pki(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let script = "set -e
      EC='-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes'
      openssl req -x509 $EC -keyout ca.key -out ca.pem -days 30 -subj /CN=bench-ca \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign
      openssl x509 -in ca.pem -outform DER -out ca.der
      for n in server client; do
        openssl req $EC -keyout $n.key -out $n.csr -subj /CN=bench-$n
        openssl x509 -req -in $n.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out $n.pem -days 30
        openssl x509 -in $n.pem -outform DER -out $n.der
        openssl pkcs8 -topk8 -nocrypt -in $n.key -outform DER -out $n.key.der
      done";
    let ok = Command::new("sh").arg("-c").arg(script).current_dir(dir).output().unwrap();
    assert!(ok.status.success(), "openssl: {}", String::from_utf8_lossy(&ok.stderr));
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("dtls bench: skipped (run `cargo bench --bench dtls` or `bash tests/bench.sh`)");
        return;
    }
    const N: u32 = 50;
    let dir = std::env::temp_dir().join(format!("lwbs-dtls-bench-{}", std::process::id()));
    make_pki(&dir);
    let read = |n: &str| std::fs::read(dir.join(n)).unwrap();
    let modes = [
        (
            "PSK, TLS_PSK_WITH_AES_128_CCM_8",
            Mode::Psk,
            Credentials::psk(b"lwbs-bench", b"Secret123"),
        ),
        (
            "X.509, TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8 (P-256, mutual)",
            Mode::Certificate { dir: dir.clone() },
            Credentials::certificate(
                &read("client.der"),
                &read("client.key.der"),
                &read("ca.der"),
                CertificateUsage::TrustAnchor,
            ),
        ),
    ];
    for (name, mode, credentials) in &modes {
        let config = server_config(mode);
        let first = one_session(mode, credentials, &config, 1);
        let mut total = Duration::ZERO;
        for i in 0..N {
            total += one_session(mode, credentials, &config, i as u8).cpu;
        }
        let how = "glibc `mallinfo2` bytes in use (uordblks + hblkhd), changes across client calls only (in-process server excluded), sampled at call boundaries";
        println!(
            "ROW|DTLS {name}: client heap peak (handshake + 100 B echo)|{}|bytes|{how}",
            first.peak
        );
        println!("ROW|DTLS {name}: heap an established session keeps|{}|bytes|{how}; measured before the channel is dropped", first.retained);
        println!(
            "ROW|DTLS {name}: client CPU per handshake|{:.2}|ms|wall time inside the client's calls, release build, mean of {N} full handshakes against an in-process Mbed TLS server (server time excluded)",
            total.as_secs_f64() * 1000.0 / f64::from(N)
        );
        println!(
            "ROW|DTLS {name}: datagrams per handshake, client → server / server → client|{} / {}|datagrams|no loss, HelloVerifyRequest cookie exchange included, MTU 1280",
            first.sent, first.received
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
