//! A real-UDP driver for a whole `Client`: one connected socket per connection, a monotonic
//! millisecond clock, and a hook per step for in-process servers.

use std::collections::BTreeMap;
use std::net::UdpSocket;
use std::time::{Duration, Instant};

use lwm2m_bootstrap::client::{Client, ConnId, Event};

/// Drives a client over real UDP: one connected socket per connection.
pub struct Net {
    pub client: Client,
    start: Instant,
    pub sockets: BTreeMap<ConnId, UdpSocket>,
    pub events: Vec<Event>,
    pub sent: Vec<Vec<u8>>,
    /// The storage: the image last written to each slot.
    pub slots: [Option<Vec<u8>>; 2],
    /// Every session record this client wrote (`Event::SessionsWrite`), in order.
    pub session_records: Vec<Vec<u8>>,
    /// The session record in storage (empty: none).
    pub stored_sessions: Vec<u8>,
}

impl Net {
    pub fn new(client: Client) -> Net {
        Net {
            client,
            start: Instant::now(),
            sockets: BTreeMap::new(),
            events: Vec::new(),
            sent: Vec::new(),
            slots: [None, None],
            session_records: Vec::new(),
            stored_sessions: Vec::new(),
        }
    }

    pub fn now(&self) -> u64 {
        self.start.elapsed().as_millis() as u64 + 1
    }

    pub fn pump(&mut self) {
        loop {
            let mut progressed = false;
            while let Some(event) = self.client.poll_event() {
                progressed = true;
                match &event {
                    Event::Connect { conn, uri } => {
                        let authority = uri.split("://").nth(1).unwrap().trim_end_matches('/');
                        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
                        socket.connect(authority).unwrap();
                        socket.set_nonblocking(true).unwrap();
                        self.sockets.insert(*conn, socket);
                    }
                    Event::Disconnect { conn } => {
                        self.sockets.remove(conn);
                    }
                    // Storage in RAM: every write is durable at once.
                    Event::StorageWrite(write) => {
                        self.slots[usize::from(write.slot)] = Some(write.image.clone());
                        let now = self.now();
                        self.client.storage_write_done(now);
                    }
                    Event::SessionsWrite(record) => {
                        self.session_records.push(record.0.to_vec());
                        self.stored_sessions = record.0.to_vec();
                    }
                    _ => {}
                }
                self.events.push(event);
            }
            while let Some(t) = self.client.poll_transmit() {
                progressed = true;
                if let Some(socket) = self.sockets.get(&t.conn) {
                    let _ = socket.send(&t.data);
                    self.sent.push(t.data);
                }
            }
            if !progressed {
                return;
            }
        }
    }

    /// Runs until `done` holds for an event, or `limit` passes; returns that event.
    pub fn run_until(&mut self, limit: Duration, done: impl Fn(&Event) -> bool) -> Option<Event> {
        let mut seen = 0;
        let mut found = None;
        self.run_with(
            limit,
            |_| {},
            |net| {
                found = net.events[seen..].iter().find(|e| done(e)).cloned();
                seen = net.events.len();
                found.is_some()
            },
        );
        found
    }

    /// Runs until `done` (checked after every step) or `limit` passes; `tick` runs once per
    /// step (in-process servers poll their sockets and answer there). True if `done`.
    pub fn run_with(
        &mut self,
        limit: Duration,
        mut tick: impl FnMut(&mut Net),
        mut done: impl FnMut(&Net) -> bool,
    ) -> bool {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            self.pump();
            if done(self) {
                return true;
            }
            let got = self.step();
            tick(self);
            self.pump();
            if !got {
                std::thread::sleep(Duration::from_millis(2));
            }
        }
        false
    }

    /// Feeds what arrived on the sockets and runs due timers; true if a datagram arrived.
    fn step(&mut self) -> bool {
        let mut buf = vec![0u8; 65536];
        let mut got = false;
        let conns: Vec<ConnId> = self.sockets.keys().copied().collect();
        for conn in conns {
            while let Some(n) = self.sockets.get(&conn).and_then(|s| s.recv(&mut buf).ok()) {
                got = true;
                let now = self.now();
                let _ = self.client.handle_datagram(now, conn, &buf[..n]);
                self.pump();
            }
        }
        if self.client.poll_timeout().is_some_and(|t| t <= self.now()) {
            let now = self.now();
            self.client.handle_timeout(now);
            got = true;
        }
        got
    }
}
