//! The client's connections: every open [`Connection`] by id, the datagrams waiting to be
//! handed out, and the DTLS session cache (one saved session per LwM2M Server account, for an
//! abbreviated handshake on its next connection, also after a restart: the cache is what the
//! session record in storage holds).

use crate::model::VecMap;
use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::vec::Vec;

use super::connection::{Connection, Role};
use super::{Config, ConnId, Event, Transmit};
use crate::coap::{Message, RequestId, Rng};
use crate::model::DataModel;
use crate::persist::SessionEntry;
use crate::security::{session_material, ChannelFailure, FailureKind, SavedSession, Target};

/// This build has its own DTLS, the only source of sessions to save.
const BUILTIN_DTLS: bool = cfg!(any(feature = "dtls", feature = "dtls-nostd"));

/// Open connections, outgoing datagrams and saved sessions.
pub(crate) struct Connections {
    open: VecMap<ConnId, Connection>,
    next_id: u32,
    /// Datagrams handed out by [`Connections::poll_transmit`], in order.
    transmits: VecDeque<Transmit>,
    /// Per Short Server ID, the DTLS session of its last connection and the fingerprint of
    /// the security material it was built from.
    saved_sessions: VecMap<u16, (u64, SavedSession)>,
    /// The cache changed since the session record was last handed out.
    sessions_changed: bool,
    /// Connect events held back until the same account's previous connection is released
    /// (its last datagrams, close_notify included, handed out and its Disconnect reported):
    /// a platform that runs (D)TLS itself sees the old session closed before the new opens.
    held_connects: Vec<(ConnId, Event)>,
}

impl Connections {
    /// No connection.
    pub fn new() -> Connections {
        Connections {
            open: VecMap::new(),
            next_id: 1,
            transmits: VecDeque::new(),
            saved_sessions: VecMap::new(),
            sessions_changed: false,
            held_connects: Vec::new(),
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

    /// Opens a session to `target`, the account of `role` (reported as [`Event::Connect`],
    /// or [`Event::ConnectSecure`] when the platform secures it); the caller closed the role's
    /// previous one ([`Connections::close_role`]): while that one is still being released the
    /// event is held back (see [`Connections::collect`]). A server's saved session is offered
    /// when its material is unchanged (it stays cached until the handshake replaces or
    /// refuses it, so a restart in between can still resume); the Bootstrap-Server
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
                .get(&ssid)
                .filter(|(material, _)| *material != 0 && *material == target.material)
                .map(|(_, session)| session.clone()),
        };
        let uri = target.uri_text.clone();
        let mut target = target;
        let platform = target.platform.take();
        let mut connection =
            Connection::open(now, target, role, config, rng, resume, platform.is_some());
        let event = match platform {
            Some(security) => Event::ConnectSecure { conn: id, uri, security: Box::new(security) },
            None => Event::Connect { conn: id, uri },
        };
        let predecessor_closing = self.open.values().any(|c| c.role == role && c.closing);
        connection.announced = !predecessor_closing;
        if predecessor_closing {
            self.held_connects.push((id, event));
        } else {
            events.push_back(event);
        }
        self.open.insert(id, connection);
        debug_assert_eq!(
            self.open.values().filter(|c| c.role == role && !c.closing).count(),
            1,
            "one live session per account"
        );
        id
    }

    /// Closes `conn` (close_notify for a secure one; released once its datagrams went out).
    /// A server's DTLS session closed while its account in `model` still has the material
    /// the session was built from is kept for resuming in the account's next connection;
    /// a session the peer closed, or whose account's material changed, is dropped. A
    /// connection that never completed a handshake leaves the cache as it was.
    pub fn close(&mut self, conn: ConnId, model: &DataModel) {
        let Some(c) = self.open.get_mut(&conn) else { return };
        if c.closing {
            return;
        }
        c.closing = true;
        let Role::Server(ssid) = c.role else { return };
        if !BUILTIN_DTLS {
            return; // no session to keep
        }
        let current = session_material(model.security_for_ssid(ssid));
        let unchanged = current != 0 && current == c.material;
        match c.saved_session() {
            Some(session) if unchanged => self.cache_session(ssid, current, session),
            _ if unchanged && !c.session_noted => {}
            _ => self.drop_session(ssid),
        }
    }

    /// Offers every server connection's newly established session to the cache (once per
    /// handshake): a full handshake replaces the saved session (a resume the server refused
    /// ends here too), a resumed one changes nothing unless the stack's session changed.
    pub fn note_established(&mut self) {
        if !BUILTIN_DTLS {
            return;
        }
        let mut fresh = Vec::new();
        for c in self.open.values_mut() {
            if let (Role::Server(ssid), false, false) = (c.role, c.closing, c.session_noted) {
                if c.established() {
                    c.session_noted = true;
                    if let Some(session) = c.saved_session().filter(|_| c.material != 0) {
                        fresh.push((ssid, c.material, session));
                    }
                }
            }
        }
        for (ssid, material, session) in fresh {
            self.cache_session(ssid, material, session);
        }
    }

    /// Drops the saved session of every account whose security material in `model` is no
    /// longer the one the session was made from (a bootstrap changed it, or deleted the
    /// account).
    pub fn prune_sessions(&mut self, model: &DataModel) {
        if !BUILTIN_DTLS || self.saved_sessions.is_empty() {
            return;
        }
        let stale: Vec<u16> = self
            .saved_sessions
            .iter()
            .filter(|(ssid, (material, _))| {
                session_material(model.security_for_ssid(**ssid)) != *material
            })
            .map(|(ssid, _)| *ssid)
            .collect();
        for ssid in stale {
            self.drop_session(ssid);
        }
    }

    /// Replaces the cache with the sessions of a restored record, keeping only those whose
    /// account in `model` still has the material they were made from; returns how many were
    /// kept. Whether the record is to be written again is the caller's call
    /// ([`Connections::mark_sessions_changed`]).
    pub fn restore_sessions(&mut self, entries: Vec<SessionEntry>, model: &DataModel) -> usize {
        self.saved_sessions = VecMap::new();
        self.sessions_changed = false;
        for entry in entries {
            let current = session_material(model.security_for_ssid(entry.ssid));
            if current != 0 && current == entry.material {
                self.saved_sessions
                    .insert(entry.ssid, (entry.material, SavedSession(entry.session)));
            }
        }
        self.saved_sessions.len()
    }

    #[cfg(any(feature = "dtls", feature = "dtls-nostd"))]
    /// The cache as a session record's entries.
    pub fn session_entries(&self) -> Vec<SessionEntry> {
        self.saved_sessions
            .iter()
            .map(|(ssid, (material, session))| SessionEntry {
                ssid: *ssid,
                material: *material,
                session: session.0.clone(),
            })
            .collect()
    }

    #[cfg(any(feature = "dtls", feature = "dtls-nostd"))]
    /// True (once) when the cache changed since the last call: the session record in
    /// storage is to be written again.
    pub fn take_sessions_changed(&mut self) -> bool {
        core::mem::take(&mut self.sessions_changed)
    }

    /// The session record is to be written again (it holds what the cache does not).
    pub fn mark_sessions_changed(&mut self) {
        self.sessions_changed = true;
    }

    fn cache_session(&mut self, ssid: u16, material: u64, session: SavedSession) {
        let known =
            self.saved_sessions.get(&ssid).is_some_and(|(m, s)| *m == material && *s == session);
        if !known {
            self.saved_sessions.insert(ssid, (material, session));
            self.sessions_changed = true;
        }
    }

    fn drop_session(&mut self, ssid: u16) {
        if self.saved_sessions.remove(&ssid).is_some() {
            self.sessions_changed = true;
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
        self.held_connects.retain(|(id, _)| *id != conn);
    }

    /// Queues what `conn` has to send now, ahead of other connections' datagrams; the
    /// connection stays (a closing one is released by the next [`Connections::collect`]).
    pub fn flush(&mut self, conn: ConnId) {
        let Some(c) = self.open.get_mut(&conn).filter(|c| c.announced) else { return };
        while let Some(data) = c.poll_transmit() {
            self.transmits.push_back(Transmit { conn, data });
        }
    }

    /// Queues every connection's datagrams; closed connections are released
    /// ([`Event::Disconnect`]), then the connections held back for them are announced (their
    /// datagrams follow in the next call, after the platform opened them).
    pub fn collect(&mut self, events: &mut VecDeque<Event>) {
        let mut closed = Vec::new();
        for (id, conn) in self.open.iter_mut().filter(|(_, c)| c.announced) {
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
        for (id, event) in core::mem::take(&mut self.held_connects) {
            if let Some(c) = self.open.get_mut(&id) {
                c.announced = true;
                events.push_back(event);
            }
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
    /// unusable credentials), after queuing any alert they still send ([`Event::Disconnect`];
    /// one never announced goes without a word): which they were, whose, and why. A server's
    /// saved session is dropped when our own handshake failed other than by timeout (the
    /// server refused the resumption or the session broke); a timeout (server unreachable)
    /// keeps it for the next attempt.
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
        for (conn, role, failure) in &failed {
            let (own_channel, announced) =
                self.open.get(conn).map_or((false, false), |c| (c.has_channel(), c.announced));
            if let (Role::Server(ssid), true, true) = (role, own_channel, BUILTIN_DTLS) {
                if failure.kind != FailureKind::Timeout {
                    self.drop_session(*ssid);
                }
            }
            self.flush(*conn);
            self.open.remove(conn);
            self.held_connects.retain(|(id, _)| id != conn);
            if announced {
                events.push_back(Event::Disconnect { conn: *conn });
            }
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
