//! The client's connections: every open [`Connection`] by id, the datagrams waiting to be
//! handed out, and the DTLS session cache (one saved session per LwM2M Server account, for an
//! abbreviated handshake on its next connection).

use crate::model::VecMap;
use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::vec::Vec;

use super::connection::{Connection, Role};
use super::{Config, ConnId, Event, Transmit};
use crate::coap::{Message, RequestId, Rng};
use crate::model::DataModel;
use crate::security::{session_material, ChannelFailure, SavedSession, Target};

/// Open connections, outgoing datagrams and saved sessions.
pub(crate) struct Connections {
    open: VecMap<ConnId, Connection>,
    next_id: u32,
    /// Datagrams handed out by [`Connections::poll_transmit`], in order.
    transmits: VecDeque<Transmit>,
    /// Per Short Server ID, the DTLS session of its last connection and the fingerprint of
    /// the security material it was built from.
    saved_sessions: VecMap<u16, (u64, SavedSession)>,
}

impl Connections {
    /// No connection.
    pub fn new() -> Connections {
        Connections {
            open: VecMap::new(),
            next_id: 1,
            transmits: VecDeque::new(),
            saved_sessions: VecMap::new(),
        }
    }

    /// Closes the connections of `role` still open (see [`Connections::close`]).
    pub fn close_role(&mut self, role: Role, model: &DataModel) {
        let stale: Vec<ConnId> = self
            .open
            .iter()
            .filter(|(_, c)| c.role == role && !c.closing)
            .map(|(id, _)| *id)
            .collect();
        for conn in stale {
            self.close(conn, model);
        }
    }

    /// Opens a session to `target`, the account of `role` (reported as [`Event::Connect`]);
    /// the caller closed the role's previous one ([`Connections::close_role`]). A server's
    /// saved session is offered when its material is unchanged; the Bootstrap-Server
    /// account's never (every bootstrap has a new session).
    pub fn open(
        &mut self,
        now: u64,
        target: Target,
        role: Role,
        config: &Config,
        rng: &mut Rng,
        events: &mut VecDeque<Event>,
    ) -> ConnId {
        let id = ConnId(self.next_id);
        self.next_id = self.next_id.wrapping_add(1).max(1);
        let resume = match role {
            Role::Bootstrap => None,
            Role::Server(ssid) => self
                .saved_sessions
                .remove(&ssid)
                .filter(|(material, _)| *material != 0 && *material == target.material)
                .map(|(_, session)| session),
        };
        let uri = target.uri_text.clone();
        let mut target = target;
        let platform = target.platform.take();
        let connection =
            Connection::open(now, target, role, config, rng, resume, platform.is_some());
        self.open.insert(id, connection);
        debug_assert_eq!(
            self.open.values().filter(|c| c.role == role && !c.closing).count(),
            1,
            "one live session per account"
        );
        events.push_back(match platform {
            Some(security) => Event::ConnectSecure { conn: id, uri, security: Box::new(security) },
            None => Event::Connect { conn: id, uri },
        });
        id
    }

    /// Closes `conn` (close_notify for a secure one; released once its datagrams went out).
    /// A server's DTLS session closed while its account in `model` still has the material
    /// the session was built from is kept for resuming in the account's next connection (in
    /// RAM only, wiped on drop); otherwise any kept one goes.
    pub fn close(&mut self, conn: ConnId, model: &DataModel) {
        let Some(c) = self.open.get_mut(&conn) else { return };
        if c.closing {
            return;
        }
        c.closing = true;
        if let Role::Server(ssid) = c.role {
            let current = session_material(model.security_for_ssid(ssid));
            match c.saved_session() {
                Some(session) if current != 0 && current == c.material => {
                    self.saved_sessions.insert(ssid, (current, session));
                }
                _ => {
                    self.saved_sessions.remove(&ssid);
                }
            }
        }
    }

    /// Marks the channel of `conn`, secured by the platform, failed (see
    /// [`Connection::platform_failed`]); false when `conn` is unknown or not the platform's.
    pub fn platform_failed(&mut self, conn: ConnId, failure: ChannelFailure) -> bool {
        self.open.get_mut(&conn).is_some_and(|c| c.platform_failed(failure))
    }

    /// Forgets `conn` at once (its `open` failed: nothing of it is sent).
    pub fn forget(&mut self, conn: ConnId) {
        self.open.remove(&conn);
    }

    /// Queues what `conn` has to send now, ahead of other connections' datagrams; the
    /// connection stays (a closing one is released by the next [`Connections::collect`]).
    pub fn flush(&mut self, conn: ConnId) {
        let Some(c) = self.open.get_mut(&conn) else { return };
        while let Some(data) = c.poll_transmit() {
            self.transmits.push_back(Transmit { conn, data });
        }
    }

    /// Queues every connection's datagrams; closed connections are released
    /// ([`Event::Disconnect`]).
    pub fn collect(&mut self, events: &mut VecDeque<Event>) {
        let mut closed = Vec::new();
        for (id, conn) in self.open.iter_mut() {
            while let Some(data) = conn.poll_transmit() {
                self.transmits.push_back(Transmit { conn: *id, data });
            }
            if conn.closing {
                closed.push(*id);
            }
        }
        for id in closed {
            self.open.remove(&id);
            events.push_back(Event::Disconnect { conn: id });
        }
    }

    /// The next datagram to send.
    pub fn poll_transmit(&mut self, events: &mut VecDeque<Event>) -> Option<Transmit> {
        if self.transmits.is_empty() {
            self.collect(events);
        }
        self.transmits.pop_front()
    }

    /// Removes the connections whose secure channel failed (handshake timeout, alert,
    /// unusable credentials), after queuing any alert they still send ([`Event::Disconnect`]):
    /// which they were, whose, and why.
    pub fn take_failed(
        &mut self,
        events: &mut VecDeque<Event>,
    ) -> Vec<(ConnId, Role, ChannelFailure)> {
        let failed: Vec<(ConnId, Role, ChannelFailure)> = self
            .open
            .iter()
            .filter(|(_, c)| !c.closing)
            .filter_map(|(id, c)| c.failure().map(|f| (*id, c.role, f)))
            .collect();
        for (conn, _, _) in &failed {
            self.flush(*conn);
            self.open.remove(conn);
            events.push_back(Event::Disconnect { conn: *conn });
        }
        failed
    }

    /// Time passed for every connection.
    pub fn handle_timeout(&mut self, now: u64) {
        for c in self.open.values_mut() {
            c.handle_timeout(now);
        }
    }

    /// The earliest deadline of any connection.
    pub fn poll_timeout(&self) -> Option<u64> {
        self.open.values().filter_map(Connection::poll_timeout).min()
    }

    /// The ids of every connection, in order.
    pub fn ids(&self) -> Vec<ConnId> {
        self.open.keys().copied().collect()
    }

    /// The connection `conn`.
    pub fn get(&self, conn: ConnId) -> Option<&Connection> {
        self.open.get(&conn)
    }

    /// The connection `conn`, to feed or drain.
    pub fn get_mut(&mut self, conn: ConnId) -> Option<&mut Connection> {
        self.open.get_mut(&conn)
    }

    /// True when `conn` exists and requests can still go through it.
    pub fn usable(&self, conn: ConnId) -> bool {
        self.open.get(&conn).is_some_and(Connection::usable)
    }

    /// Sends `request` on `conn`; `None` when there is no such connection.
    pub fn send_request(&mut self, now: u64, conn: ConnId, request: Message) -> Option<RequestId> {
        Some(self.open.get_mut(&conn)?.endpoint.send_request(now, request))
    }

    /// Answers `request` on `conn` (nothing when the connection is gone).
    pub fn respond(&mut self, now: u64, conn: ConnId, request: &Message, response: Message) {
        if let Some(c) = self.open.get_mut(&conn) {
            c.endpoint.respond(now, request, response);
        }
    }

    /// Abandons the outstanding request `id` on `conn`.
    pub fn cancel(&mut self, conn: ConnId, id: RequestId) {
        if let Some(c) = self.open.get_mut(&conn) {
            c.endpoint.cancel(id);
        }
    }
}
