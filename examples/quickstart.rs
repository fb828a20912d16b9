//! Bootstraps from the NoSec Bootstrap-Server given as the first argument, registers with the
//! server it provisions, de-registers and exits: `cargo run --example quickstart -- coap://HOST:PORT`.
use std::collections::HashMap;
use std::net::{ToSocketAddrs, UdpSocket};
use std::time::{Duration, Instant};

use lwm2m_bootstrap::client::{BootstrapAccountConfig, Client, Config, Event, SecurityConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let bs_uri = std::env::args().nth(1).unwrap_or("coap://127.0.0.1:5683".into());
    let t0 = Instant::now();
    let now_ms = || t0.elapsed().as_millis() as u64;

    let mut client = Client::new(Config::new("urn:dev:rust-quickstart"));
    client.provision_bootstrap_account(&BootstrapAccountConfig {
        security: SecurityConfig::nosec(&bs_uri),
        hold_off_s: 0,
        account_timeout_s: 0,
    })?;
    client.start(now_ms())?;

    let mut sockets = HashMap::new();
    let mut flash: [Vec<u8>; 2] = Default::default(); // stands in for two flash sectors
    loop {
        // After every input: drain the events, then the datagrams, until both are empty.
        let mut busy = true;
        while busy {
            busy = false;
            while let Some(event) = client.poll_event() {
                busy = true;
                match event {
                    Event::Connect { conn, uri } => {
                        let host_port = uri.trim_start_matches("coap://");
                        match host_port.to_socket_addrs().ok().and_then(|mut a| a.next()) {
                            Some(addr) => {
                                let any = if addr.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" };
                                let socket = UdpSocket::bind(any)?;
                                socket.connect(addr)?;
                                socket.set_read_timeout(Some(Duration::from_millis(10)))?;
                                sockets.insert(conn, socket);
                            }
                            None => client.handle_open_failure(now_ms(), conn)?, // no such host
                        }
                    }
                    Event::Disconnect { conn } => drop(sockets.remove(&conn)),
                    Event::StorageWrite(w) => {
                        flash[usize::from(w.slot)] = w.image.clone(); // write the slot, then:
                        client.storage_write_done(now_ms());
                    }
                    Event::Registered { ssid, location } => {
                        println!("registered with ssid {ssid} at {location}");
                        client.stop(now_ms())?; // de-registers
                    }
                    Event::Stopped => return Ok(()),
                    other => println!("{other:?}"),
                }
            }
            while let Some(t) = client.poll_transmit() {
                busy = true;
                sockets[&t.conn].send(&t.data)?;
            }
        }
        // Wait for a datagram on any connection, or for the deadline.
        let mut buf = [0u8; 2048];
        for (&conn, socket) in &sockets {
            match socket.recv(&mut buf) {
                Ok(n) => client.handle_datagram(now_ms(), conn, &buf[..n])?,
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                    client.handle_transport_error(now_ms(), conn)? // ICMP port unreachable
                }
                Err(_) => {} // nothing arrived within 10 ms
            }
        }
        if client.poll_timeout().is_some_and(|deadline| now_ms() >= deadline) {
            client.handle_timeout(now_ms());
        }
    }
}
