//! Helpers for tests against real DTLS peers on 127.0.0.1: free ports, peer processes that
//! are always stopped, a UDP driver for a sans-IO channel, and test PKI made by `openssl`.
#![allow(dead_code)]

pub mod net;
pub mod server;

use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use lwm2m_bootstrap::coap::{Code, Message, MessageType};
use lwm2m_bootstrap::security::{ChannelState, SecureChannel};

/// A port P with P and P+1 free on 127.0.0.1 (libcoap serves DTLS on P+1).
pub fn free_port_pair() -> u16 {
    for _ in 0..200 {
        let probe = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = probe.local_addr().unwrap().port();
        if port < 65534 && UdpSocket::bind(("127.0.0.1", port + 1)).is_ok() {
            return port;
        }
    }
    panic!("no free UDP port pair");
}

/// A peer process, killed and reaped when dropped.
pub struct Peer {
    child: Child,
    pub port: u16,
    pub log: PathBuf,
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Peer {
    /// Starts `program args… -A 127.0.0.1 -p P` on a free pair and waits until it answers a
    /// plain CoAP ping on P.
    pub fn libcoap(program: &str, args: &[&str], dir: &Path) -> Peer {
        for attempt in 0..3 {
            let port = free_port_pair();
            let log = dir.join(format!("{program}-{attempt}.log"));
            let out = std::fs::File::create(&log).unwrap();
            let child = Command::new(program)
                .args(["-A", "127.0.0.1", "-p", &port.to_string(), "-v", "6"])
                .args(args)
                .stdout(Stdio::from(out.try_clone().unwrap()))
                .stderr(Stdio::from(out))
                .spawn()
                .unwrap_or_else(|e| panic!("{program}: {e} (run bash tests/setup.sh)"));
            let peer = Peer { child, port, log };
            if coap_ping(port, Duration::from_secs(10)) {
                return peer;
            }
        }
        panic!("{program} did not come up");
    }

    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// True while the process runs.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

/// Sends CoAP pings (empty CON) to 127.0.0.1:port until a RST comes back.
pub fn coap_ping(port: u16, within: Duration) -> bool {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    let start = Instant::now();
    let mut buf = [0u8; 64];
    while start.elapsed() < within {
        let _ = socket.send_to(&[0x40, 0, 0x12, 0x34], ("127.0.0.1", port));
        if let Ok((n, _)) = socket.recv_from(&mut buf) {
            if n >= 4 && buf[0] >> 4 & 3 == 3 {
                return true;
            }
        }
    }
    false
}

/// "Stop now", given the channel and the plaintext received so far.
pub type Done<'a> = dyn FnMut(&dyn SecureChannel, &[Vec<u8>]) -> bool + 'a;

/// A UDP socket connected to a peer, with a monotonic millisecond clock.
pub struct Wire {
    pub socket: UdpSocket,
    start: Instant,
    /// Datagrams sent and received.
    pub sent: Vec<Vec<u8>>,
    pub received: Vec<Vec<u8>>,
}

impl Wire {
    pub fn connect(port: u16) -> Wire {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket.connect(("127.0.0.1", port)).unwrap();
        Wire { socket, start: Instant::now(), sent: Vec::new(), received: Vec::new() }
    }

    pub fn now(&self) -> u64 {
        self.start.elapsed().as_millis() as u64 + 1
    }

    /// Sends everything the channel queued.
    pub fn flush(&mut self, channel: &mut dyn SecureChannel) {
        while let Some(datagram) = channel.poll_transmit() {
            self.socket.send(&datagram).unwrap();
            self.sent.push(datagram);
        }
    }

    /// Runs the channel until `done` (checked after every step) or `limit` passes; datagrams
    /// for which `drop` says true are discarded (loss). Returns plaintext received.
    pub fn run(
        &mut self,
        channel: &mut dyn SecureChannel,
        limit: Duration,
        drop: &mut dyn FnMut(&[u8]) -> bool,
        done: &mut Done,
    ) -> Vec<Vec<u8>> {
        let mut plaintext = Vec::new();
        let start = Instant::now();
        let mut buf = vec![0u8; 65536];
        loop {
            self.flush(channel);
            if done(channel, &plaintext) || start.elapsed() > limit {
                return plaintext;
            }
            let now = self.now();
            let wait = channel.poll_timeout().map_or(100, |t| t.saturating_sub(now)).clamp(1, 100);
            self.socket.set_read_timeout(Some(Duration::from_millis(wait))).unwrap();
            match self.socket.recv(&mut buf) {
                Ok(n) => {
                    let datagram = buf[..n].to_vec();
                    self.received.push(datagram.clone());
                    if !drop(&datagram) {
                        plaintext.extend(channel.handle_datagram(self.now(), &datagram));
                    }
                }
                Err(_) => channel.handle_timeout(self.now()),
            }
        }
    }

    /// Runs the handshake to its end (established or failed).
    pub fn handshake(&mut self, channel: &mut dyn SecureChannel, limit: Duration) -> ChannelState {
        self.run(channel, limit, &mut |_| false, &mut |c, _| {
            c.state() != ChannelState::Handshaking
        });
        channel.state()
    }
}

/// A CON GET for `path` ("/.well-known/core").
pub fn get(path: &[&str], mid: u16) -> Vec<u8> {
    let mut msg = Message::new(MessageType::Confirmable, Code::GET);
    msg.message_id = mid;
    msg.set_token(&mid.to_be_bytes());
    msg.set_uri_path(path);
    msg.encode()
}

/// The DTLS content type and, for a handshake record, the handshake type of the first record.
pub fn first_record(datagram: &[u8]) -> (u8, Option<u8>) {
    let content = datagram.first().copied().unwrap_or(0);
    let hs = (content == 22 && datagram.len() > 13).then(|| datagram[13]);
    (content, hs)
}

/// A test PKI in `dir`: EC P-256 CA, server and client certificates (PEM for libcoap, DER for
/// the Security object), plus an unrelated self-signed certificate. Made by `openssl`.
pub struct Pki {
    pub dir: PathBuf,
}

impl Pki {
    pub fn create(dir: &Path) -> Pki {
        let sh = |script: &str| {
            let status = Command::new("sh")
                .arg("-ec")
                .arg(script)
                .current_dir(dir)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .unwrap();
            assert!(status.success(), "openssl failed: {script}");
        };
        let ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
        sh(&format!(
            "openssl req -x509 {ec} -keyout ca.key -out ca.pem -days 30 -subj /CN=lwbs-test-ca \
             -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign"
        ));
        for name in ["server", "client"] {
            sh(&format!(
                "openssl req {ec} -keyout {name}.key -out {name}.csr -subj /CN=lwbs-test-{name}
                 openssl x509 -req -in {name}.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
                   -out {name}.pem -days 30
                 openssl x509 -in {name}.pem -outform DER -out {name}.der
                 openssl pkcs8 -topk8 -nocrypt -in {name}.key -outform DER -out {name}.key.der"
            ));
        }
        sh(&format!(
            "openssl req -x509 {ec} -keyout other.key -out other.pem -days 30 -subj /CN=other
             openssl x509 -in other.pem -outform DER -out other.der
             openssl x509 -in ca.pem -outform DER -out ca.der"
        ));
        Pki { dir: dir.to_path_buf() }
    }

    pub fn path(&self, name: &str) -> String {
        self.dir.join(name).to_string_lossy().into_owned()
    }

    pub fn der(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.dir.join(name)).unwrap()
    }
}

/// A fresh temporary directory under target/ (removed by the caller if wanted).
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The fields of an unfragmented DTLS ClientHello: (cipher suites, extension types).
fn client_hello_fields(datagram: &[u8]) -> (Vec<u16>, Vec<u16>) {
    let be16 = |b: &[u8], i: usize| u16::from_be_bytes([b[i], b[i + 1]]);
    // record header 13, handshake header 12, version 2, random 32
    let mut i = 13 + 12 + 2 + 32;
    i += 1 + datagram[i] as usize; // session id
    i += 1 + datagram[i] as usize; // cookie
    let n = be16(datagram, i) as usize;
    let suites = (0..n / 2).map(|k| be16(datagram, i + 2 + 2 * k)).collect();
    i += 2 + n;
    i += 1 + datagram[i] as usize; // compression methods
    let end = i + 2 + be16(datagram, i) as usize;
    i += 2;
    let mut extensions = Vec::new();
    while i + 4 <= end {
        extensions.push(be16(datagram, i));
        i += 4 + be16(datagram, i + 2) as usize;
    }
    (suites, extensions)
}

pub fn client_hello_suites(datagram: &[u8]) -> Vec<u16> {
    client_hello_fields(datagram).0
}

pub fn client_hello_extensions(datagram: &[u8]) -> Vec<u16> {
    client_hello_fields(datagram).1
}
