//! The sans-IO façade.
//!
//! [`Client`] has four kinds of methods:
//! - **getters**: [`Client::state`], [`Client::configuration`], [`Client::registration`];
//! - **input**: [`Client::handle_datagram`] (a datagram arrived on a connection) and
//!   [`Client::handle_timeout`] (the deadline from `poll_timeout` passed);
//! - **commands**: [`Client::start`], [`Client::stop`], [`Client::trigger_bootstrap`],
//!   factory provisioning ([`Client::provision_bootstrap_account`],
//!   [`Client::provision_server_account`]), [`Client::set_time`], the firmware's hooks
//!   ([`Client::set_dm_handler`], [`Client::set_bootstrap_handler`]), the smartcard
//!   ([`Client::set_smartcard`]: Bootstrap from Smartcard, step 1 of the sequence);
//! - **transport errors** the firmware sees: [`Client::handle_transport_error`];
//! - **output**: after every input or command, drain [`Client::poll_event`] then
//!   [`Client::poll_transmit`], repeating until both return `None`, then ask
//!   [`Client::poll_timeout`] when to call `handle_timeout` next.
//!
//! Time is milliseconds on any monotonic clock the caller chooses; it is only compared.
//! Nothing here blocks, sleeps, reads a clock or touches a socket.

mod bootstrap_flow;
mod config;
mod connection;
mod dm;
mod event;
mod registration_flow;
mod smartcard_flow;
mod storage;

use alloc::collections::{BTreeMap, VecDeque};
use alloc::vec::Vec;

pub use crate::persist::{Rejection, RestoreReport, SlotStatus, StorageWrite};
pub use config::{BootstrapAccountConfig, Config, SecurityConfig, ServerAccountConfig};
use connection::{session_material, Connection, Role};
pub use dm::{DmHandler, DmRequest, DmResponse};
pub use event::{ConnId, Event, State, Transmit};

pub use crate::bootstrap::FirmwareObjects;
use crate::bootstrap::{BootstrapFailure, BootstrapSession, FirmwareTransaction};
use crate::coap::{EndpointEvent, FailureReason, Message, Rng};
pub use crate::model::AccountError;
use crate::model::{check_account, DataModel, Store, MAX_OPTION_VALUE, OBJ_SECURITY, OBJ_SERVER};
use crate::persist::Slots;
use crate::registration::{Registration, RegistrationFailure};
use crate::security::{ChannelFailure, SavedSession};
pub use crate::sequence::StateReason;
use crate::sequence::{BootstrapBackoff, RegistrationPlan, Sequence};
pub use crate::sequence::{
    CardTransport, Scp03Keys, Smartcard, SmartcardConfig, SmartcardRejection,
};
pub use config::{ArgumentError, MAX_ENDPOINT_LEN};

/// Why a command was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientError {
    /// The command needs a started client.
    NotStarted,
    /// The command needs a stopped client.
    AlreadyStarted,
    /// There is no Bootstrap-Server account.
    NoBootstrapAccount,
    /// A bootstrap is already running.
    BootstrapInProgress,
    /// The datagram's connection is not open.
    UnknownConnection,
    /// The account is invalid (URI, mode, credentials or Short Server ID): why.
    InvalidAccount(AccountError),
}

/// An LwM2M client's Bootstrap Interface and registration engine.
pub struct Client {
    config: Config,
    store: Store,
    rng: Rng,
    state: State,
    /// The Bootstrap Sequence: reason, hold-off, back-off, purge deadline.
    sequence: Sequence,
    /// Why the client is Failed (when it is).
    failure_reason: StateReason,
    connections: BTreeMap<ConnId, Connection>,
    /// Per Short Server ID, the DTLS session of its last connection and the fingerprint of
    /// the security material it was built from, for an abbreviated handshake next time.
    saved_sessions: BTreeMap<u16, (u64, SavedSession)>,
    next_conn: u32,
    bootstrap: Option<(ConnId, BootstrapSession)>,
    /// Why the running bootstrap runs.
    bootstrap_reason: StateReason,
    /// The connection to the Bootstrap-Server held open during the hold-off, listening for a
    /// 1.0 server-initiated bootstrap.
    listen_conn: Option<ConnId>,
    /// The registration procedure of every configured server.
    plan: RegistrationPlan,
    registrations: BTreeMap<u16, (ConnId, Registration)>,
    events: VecDeque<Event>,
    transmits: VecDeque<Transmit>,
    dm_handler: Option<DmHandler>,
    firmware: Option<FirmwareTransaction>,
    /// Unix time in milliseconds minus `now` (set by [`Client::set_time`]).
    unix_offset_ms: Option<i128>,
    /// Generation counter and slot choice of the persisted configuration.
    slots: Slots,
    /// The firmware's smartcard and the card configuration in effect.
    smartcard: Option<Smartcard>,
    /// The last registration failure (Short Server ID, why): named when the fallback to
    /// bootstrap finds no Bootstrap-Server account.
    last_registration_failure: Option<(u16, RegistrationFailure)>,
    /// Bumped whenever a card change replaces the configuration (loops over the old
    /// registration procedure stop).
    card_epoch: u32,
    /// An accepted Bootstrap-Finish waiting for the outcome of its storage write.
    held_finish: Option<HeldFinish>,
    /// The committed configuration changed while `held_finish` waited: saved when the Finish
    /// fails (when it succeeds the new configuration replaces that change).
    write_deferred: bool,
}

/// An accepted Bootstrap-Finish whose answer waits for its storage write.
struct HeldFinish {
    request: Message,
    response: Message,
}

impl Client {
    /// A stopped client with an empty configuration.
    pub fn new(config: Config) -> Client {
        let rng = Rng::new(config.seed);
        let backoff = BootstrapBackoff::new(
            config.bootstrap_backoff_base_ms,
            config.bootstrap_backoff_cap_ms,
        );
        Client {
            config,
            store: Store::default(),
            rng,
            state: State::Idle,
            sequence: Sequence::new(backoff),
            failure_reason: StateReason::None,
            connections: BTreeMap::new(),
            saved_sessions: BTreeMap::new(),
            next_conn: 1,
            bootstrap: None,
            bootstrap_reason: StateReason::None,
            listen_conn: None,
            plan: RegistrationPlan::default(),
            registrations: BTreeMap::new(),
            events: VecDeque::new(),
            transmits: VecDeque::new(),
            dm_handler: None,
            firmware: None,
            unix_offset_ms: None,
            slots: Slots::default(),
            smartcard: None,
            card_epoch: 0,
            last_registration_failure: None,
            held_finish: None,
            write_deferred: false,
        }
    }

    // ----- getters -------------------------------------------------------------------------

    /// The overall state.
    pub fn state(&self) -> State {
        self.state
    }

    /// Why the client is in its state (see [`StateReason`]).
    pub fn state_reason(&self) -> StateReason {
        self.sequence.reason()
    }

    /// The committed configuration (/0, /1, /2).
    pub fn configuration(&self) -> &DataModel {
        self.store.committed()
    }

    /// The registration with server `ssid`, if one exists.
    pub fn registration(&self, ssid: u16) -> Option<&Registration> {
        self.registrations.get(&ssid).map(|(_, r)| r)
    }

    /// The registration procedure of every configured server (attempts, sequences, status).
    pub fn registration_plan(&self) -> &RegistrationPlan {
        &self.plan
    }

    /// Consecutive failed bootstraps (the back-off grows with it; a success resets it).
    pub fn bootstrap_failures(&self) -> u32 {
        self.sequence.backoff.failures()
    }

    /// The URI a connection was opened for.
    pub fn connection_uri(&self, conn: ConnId) -> Option<&str> {
        self.connections.get(&conn).map(|c| c.uri.as_str())
    }

    // ----- commands: factory provisioning ------------------------------------------------

    /// Factory Bootstrap (Core §5.2.3.1): installs the Bootstrap-Server account, replacing
    /// any existing one. Only while stopped.
    pub fn provision_bootstrap_account(
        &mut self,
        account: &BootstrapAccountConfig,
    ) -> Result<(), ClientError> {
        self.check_provisionable(&account.security)?;
        let model = self.store.committed_mut();
        let iid = match model.bootstrap_account() {
            Some(existing) => existing.instance_id,
            None => model.free_instance_id(OBJ_SECURITY).unwrap_or(0),
        };
        model.insert(OBJ_SECURITY, iid, account.to_instance());
        Ok(())
    }

    /// Factory Bootstrap: installs an LwM2M Server account, replacing the one with the same
    /// Short Server ID. Only while stopped.
    pub fn provision_server_account(
        &mut self,
        account: &ServerAccountConfig,
    ) -> Result<(), ClientError> {
        self.check_provisionable(&account.security)?;
        if !(1..=65534).contains(&account.ssid) {
            return Err(ClientError::InvalidAccount(AccountError::ShortServerId(account.ssid)));
        }
        if account.binding.len() + 2 > MAX_OPTION_VALUE {
            return Err(ClientError::InvalidAccount(AccountError::BindingTooLong(
                account.binding.len(),
            )));
        }
        let (security, server) = account.to_instances();
        let model = self.store.committed_mut();
        let sec_iid = model
            .security_for_ssid(account.ssid)
            .map(|a| a.instance_id)
            .unwrap_or_else(|| model.free_instance_id(OBJ_SECURITY).unwrap_or(0));
        model.insert(OBJ_SECURITY, sec_iid, security);
        let srv_iid = model
            .server_for_ssid(account.ssid)
            .map(|s| s.instance_id)
            .unwrap_or_else(|| model.free_instance_id(OBJ_SERVER).unwrap_or(0));
        model.insert(OBJ_SERVER, srv_iid, server);
        Ok(())
    }

    /// Replaces the whole committed configuration (restored from storage). Only while stopped.
    pub fn load_configuration(&mut self, model: DataModel) -> Result<(), ClientError> {
        if self.state != State::Idle {
            return Err(ClientError::AlreadyStarted);
        }
        self.store = Store::new(model);
        Ok(())
    }

    fn check_provisionable(&self, security: &SecurityConfig) -> Result<(), ClientError> {
        if self.state != State::Idle {
            return Err(ClientError::AlreadyStarted);
        }
        check_account(
            &security.uri,
            security.mode,
            &security.identity,
            &security.server_key,
            &security.secret_key,
            self.config.policy.supports_mode,
        )
        .map_err(ClientError::InvalidAccount)?;
        Ok(())
    }

    /// Installs (or removes) the handler for DM requests to the firmware's own objects
    /// (anything but /0, /1, /2). Without one they are answered 4.04 Not Found.
    pub fn set_dm_handler(&mut self, handler: Option<DmHandler>) {
        self.dm_handler = handler;
    }

    /// Installs (or removes) the firmware's side of the bootstrap transaction for its own
    /// objects: Bootstrap-Writes and -Deletes of objects other than /0, /1, /2 go there
    /// (begin, write/delete, validate at Finish, end with commit or rollback). Without one,
    /// Bootstrap-Writes of such objects are answered 4.04. Not while a bootstrap runs.
    pub fn set_bootstrap_handler(
        &mut self,
        handler: Option<alloc::boxed::Box<dyn FirmwareObjects>>,
    ) -> Result<(), ClientError> {
        if self.bootstrap.is_some() {
            return Err(ClientError::BootstrapInProgress);
        }
        self.firmware = handler.map(FirmwareTransaction::new);
        Ok(())
    }

    /// Tells the engine the wall-clock time: `unix_s` (seconds since 1970) is the time at
    /// `now` on the engine's monotonic clock. Used for Last Bootstrapped (/1/x/12), which
    /// stays absent until this was called once.
    pub fn set_time(&mut self, now: u64, unix_s: u64) {
        self.unix_offset_ms = Some(i128::from(unix_s) * 1000 - i128::from(now));
    }

    /// Unix seconds at `now`, when the wall clock is known.
    fn unix_time(&self, now: u64) -> Option<i64> {
        let ms = self.unix_offset_ms? + i128::from(now);
        i64::try_from(ms.div_euclid(1000)).ok()
    }

    // ----- commands: life cycle ------------------------------------------------------------

    /// Starts the Bootstrap Sequence (Core §5.2.4): step 1 (the smartcard, when one was
    /// installed with [`Client::set_smartcard`]: a valid card's configuration replaces the
    /// factory one until the card goes), step 2 (the factory or restored configuration), step 3 (register with every configured
    /// server, the 1.1 retry procedure); when every server failed or there is none, step 4:
    /// the Client Hold Off Time listening for a server-initiated bootstrap, then a
    /// client-initiated bootstrap. Also from `Failed`: the servers are tried again first.
    pub fn start(&mut self, now: u64) -> Result<(), ClientError> {
        if !matches!(self.state, State::Idle | State::Failed) {
            return Err(ClientError::AlreadyStarted);
        }
        self.sequence.reset_timers();
        self.sequence.backoff.reset();
        self.close_listen_connection();
        self.state = State::Registering;
        self.failure_reason = StateReason::None;
        self.last_registration_failure = None;
        let card = self.smartcard_step(now);
        self.sequence.provisioning_steps_tried(card);
        let reason = if card { StateReason::Smartcard } else { StateReason::FactoryConfiguration };
        self.begin_registration(now, reason);
        Ok(())
    }

    /// Deregisters from every server, abandons a running bootstrap (nothing of it is kept),
    /// then closes every connection and emits [`Event::Stopped`].
    pub fn stop(&mut self, now: u64) -> Result<(), ClientError> {
        if matches!(self.state, State::Idle | State::Stopping) {
            return Err(ClientError::NotStarted);
        }
        if self.bootstrap.is_some() {
            self.fail_bootstrap(now, BootstrapFailure::Cancelled);
        }
        self.sequence.reset_timers();
        self.close_listen_connection();
        self.plan = RegistrationPlan::default();
        self.state = State::Stopping;
        self.sequence.set_reason(StateReason::None);
        let ssids: Vec<u16> = self.registrations.keys().copied().collect();
        for ssid in ssids {
            self.deregister(now, ssid);
        }
        self.finish_stop_if_done();
        Ok(())
    }

    /// Starts a client-initiated bootstrap now (for example after a firmware decision);
    /// ends a running hold-off or back-off early. Registrations stay until it succeeds.
    pub fn trigger_bootstrap(&mut self, now: u64) -> Result<(), ClientError> {
        if matches!(self.state, State::Idle | State::Stopping) {
            return Err(ClientError::NotStarted);
        }
        if self.bootstrap.is_some() {
            return Err(ClientError::BootstrapInProgress);
        }
        if self.store.committed().bootstrap_account().is_none() {
            return Err(ClientError::NoBootstrapAccount);
        }
        self.sequence.hold_off_until = None;
        self.sequence.retry_bootstrap_at = None;
        self.start_bootstrap(now, StateReason::Application);
        Ok(())
    }

    // ----- input -----------------------------------------------------------------------------

    /// A datagram arrived on `conn`.
    pub fn handle_datagram(
        &mut self,
        now: u64,
        conn: ConnId,
        data: &[u8],
    ) -> Result<(), ClientError> {
        let connection = self.connections.get_mut(&conn).ok_or(ClientError::UnknownConnection)?;
        connection.handle_datagram(now, data);
        self.drain_endpoint(now, conn);
        self.check_channels(now);
        self.refresh_state();
        Ok(())
    }

    /// The firmware's transport reported an error on `conn` (ICMP port/host unreachable,
    /// `ECONNREFUSED`, a failed `open`): the request outstanding on it fails now instead of
    /// after its retransmissions: a Register attempt counts as failed (the retry procedure
    /// goes on), a Bootstrap-Request fails the bootstrap (back-off), an Update re-registers.
    /// An error on a connection with nothing outstanding changes nothing.
    pub fn handle_transport_error(&mut self, now: u64, conn: ConnId) -> Result<(), ClientError> {
        let role = self.connections.get(&conn).ok_or(ClientError::UnknownConnection)?.role;
        match role {
            Role::Bootstrap => self.on_bootstrap_transport_error(now, conn),
            Role::Server(ssid) => self.on_registration_transport_error(now, conn, ssid),
        }
        self.refresh_state();
        Ok(())
    }

    /// The firmware could not open `conn` (its `open` failed: the host does not resolve, no
    /// socket): the connection is forgotten (nothing of it is sent, no Disconnect follows) and
    /// what waits on it fails now, as after [`Client::handle_transport_error`]: the bootstrap
    /// with [`BootstrapFailure::OpenFailed`], a Register attempt with
    /// [`RegistrationFailure::OpenFailed`]; a listening connection is dropped.
    pub fn handle_open_failure(&mut self, now: u64, conn: ConnId) -> Result<(), ClientError> {
        let role = self.connections.get(&conn).ok_or(ClientError::UnknownConnection)?.role;
        if self.listen_conn == Some(conn) {
            self.listen_conn = None;
        }
        match role {
            Role::Bootstrap => {
                if self.bootstrap.as_ref().is_some_and(|(c, _)| *c == conn) {
                    self.fail_bootstrap(now, BootstrapFailure::OpenFailed);
                }
            }
            Role::Server(ssid) => {
                let pending = self
                    .registrations
                    .get(&ssid)
                    .and_then(|(c, reg)| reg.pending().filter(|_| *c == conn));
                if let Some(id) = pending {
                    self.on_registration_response(
                        now,
                        ssid,
                        id,
                        Err(RegistrationFailure::OpenFailed),
                    );
                }
            }
        }
        self.connections.remove(&conn);
        self.refresh_state();
        Ok(())
    }

    /// Time passed: retransmissions, the Finish deadline, Updates, the hold-off, the
    /// registration retry timers, the bootstrap back-off, the Bootstrap-Server account purge.
    pub fn handle_timeout(&mut self, now: u64) {
        let conns: Vec<ConnId> = self.connections.keys().copied().collect();
        for conn in conns {
            if let Some(c) = self.connections.get_mut(&conn) {
                c.handle_timeout(now);
            }
            self.drain_endpoint(now, conn);
        }
        self.check_channels(now);
        if matches!(self.state, State::Idle | State::Stopping) {
            return;
        }
        if let Some((_, session)) = &self.bootstrap {
            if let Err(failure) = session.check_timeout(now) {
                if self.held_finish.is_some() {
                    // The Finish's write was not reported by the Finish deadline: not durable.
                    self.storage_write_failed(now);
                } else {
                    self.fail_bootstrap(now, failure);
                }
            }
        }
        self.sequence_timeouts(now);
        self.registration_timeouts(now);
        self.refresh_state();
    }

    // ----- output ----------------------------------------------------------------------------

    /// The next datagram to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        if self.transmits.is_empty() {
            self.collect_transmits();
        }
        self.transmits.pop_front()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`Client::handle_timeout`] must be called next.
    pub fn poll_timeout(&self) -> Option<u64> {
        let endpoints = self.connections.values().filter_map(|c| c.poll_timeout()).min();
        if !self.is_running() {
            return endpoints;
        }
        let finish = self.bootstrap.as_ref().and_then(|(_, s)| s.deadline());
        let updates = self
            .registrations
            .values()
            .filter(|(_, r)| r.pending().is_none())
            .filter_map(|(_, r)| r.next_update)
            .min();
        let sequence = [
            self.sequence.hold_off_until,
            self.sequence.retry_bootstrap_at,
            // The purge waits for a running bootstrap to end.
            self.sequence.purge_at.filter(|_| self.bootstrap.is_none()),
        ]
        .into_iter()
        .flatten()
        .min();
        [endpoints, finish, updates, sequence, self.plan.next_deadline()]
            .into_iter()
            .flatten()
            .min()
    }

    fn is_running(&self) -> bool {
        !matches!(self.state, State::Idle | State::Stopping)
    }

    fn collect_transmits(&mut self) {
        let mut closed = Vec::new();
        for (id, conn) in self.connections.iter_mut() {
            while let Some(data) = conn.poll_transmit() {
                self.transmits.push_back(Transmit { conn: *id, data });
            }
            if conn.closing {
                closed.push(*id);
            }
        }
        for id in closed {
            self.connections.remove(&id);
            self.events.push_back(Event::Disconnect { conn: id });
        }
    }

    // ----- state -----------------------------------------------------------------------------

    /// Derives the state and its reason from what is going on.
    fn refresh_state(&mut self) {
        if !self.is_running() {
            return;
        }
        let (state, reason) = if self.bootstrap.is_some() {
            (State::Bootstrapping, self.bootstrap_reason)
        } else if self.sequence.hold_off_until.is_some() {
            (State::HoldOff, self.sequence.hold_off_reason)
        } else if self.registrations.values().any(|(_, r)| r.is_registered()) {
            (State::Registered, self.sequence.registration_reason)
        } else if self.plan.iter().next().is_some()
            && self.plan.verdict() == crate::sequence::Verdict::Alive
        {
            (State::Registering, self.sequence.registration_reason)
        } else {
            (State::Failed, self.failure_reason)
        };
        self.state = state;
        self.sequence.set_reason(reason);
    }

    // ----- connections -----------------------------------------------------------------------

    /// Opens the session of `role`'s account. One live session per account, and the
    /// Bootstrap-Server account's never shared with a server's (S1 §5.2.5): a connection of
    /// the same role still open is closed (close_notify) first.
    fn open_connection(&mut self, now: u64, uri: &str, role: Role) -> ConnId {
        let stale: Vec<ConnId> = self
            .connections
            .iter()
            .filter(|(_, c)| c.role == role && !c.closing)
            .map(|(id, _)| *id)
            .collect();
        for conn in stale {
            self.close_connection(conn);
        }
        let id = ConnId(self.next_conn);
        self.next_conn = self.next_conn.wrapping_add(1).max(1);
        let model = self.store.committed();
        let account = match role {
            Role::Bootstrap => model.bootstrap_account(),
            Role::Server(ssid) => model.security_for_ssid(ssid),
        };
        // Resume the account's last session only with unchanged security material; never for
        // the Bootstrap-Server account (every bootstrap has a new session).
        let resume = match role {
            Role::Bootstrap => None,
            Role::Server(ssid) => self
                .saved_sessions
                .remove(&ssid)
                .filter(|(material, _)| *material != 0 && *material == session_material(account))
                .map(|(_, session)| session),
        };
        let connection =
            Connection::open(now, uri, role, account, &self.config, &mut self.rng, resume);
        self.connections.insert(id, connection);
        debug_assert_eq!(
            self.connections.values().filter(|c| c.role == role && !c.closing).count(),
            1,
            "one live session per account"
        );
        self.events.push_back(Event::Connect { conn: id, uri: uri.into() });
        id
    }

    /// Reports secure channels that failed (handshake timeout, alert, unusable credentials)
    /// as bootstrap or registration failures; the connection is dropped (after any alert we
    /// queued) and a retry opens a new one, with a new handshake.
    fn check_channels(&mut self, now: u64) {
        let failed: Vec<(ConnId, Role, ChannelFailure)> = self
            .connections
            .iter()
            .filter(|(_, c)| !c.closing)
            .filter_map(|(id, c)| c.failure().map(|f| (*id, c.role, f)))
            .collect();
        for (conn, role, failure) in failed {
            if let Some(mut c) = self.connections.remove(&conn) {
                while let Some(data) = c.poll_transmit() {
                    self.transmits.push_back(Transmit { conn, data });
                }
            }
            self.events.push_back(Event::Disconnect { conn });
            let alert = failure.alert;
            match role {
                Role::Bootstrap => self.on_bootstrap_channel_failure(now, conn, alert),
                Role::Server(ssid) => self.on_registration_channel_failure(now, conn, ssid, alert),
            }
        }
    }

    /// Queues what `conn` has to send now, ahead of other connections' datagrams; the
    /// connection stays (a closing one is released by the next `collect_transmits`).
    fn flush_connection(&mut self, conn: ConnId) {
        let Some(c) = self.connections.get_mut(&conn) else { return };
        while let Some(data) = c.poll_transmit() {
            self.transmits.push_back(Transmit { conn, data });
        }
    }

    /// Closes `conn` (close_notify for a secure one). A server's DTLS session closed while its
    /// account still has the material the session was built from is kept for resuming in the
    /// account's next connection (in RAM only, wiped on drop); otherwise any kept one goes.
    fn close_connection(&mut self, conn: ConnId) {
        let Some(c) = self.connections.get_mut(&conn) else { return };
        if c.closing {
            return;
        }
        c.closing = true;
        if let Role::Server(ssid) = c.role {
            let current = session_material(self.store.committed().security_for_ssid(ssid));
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

    fn close_listen_connection(&mut self) {
        if let Some(conn) = self.listen_conn.take() {
            self.close_connection(conn);
        }
    }

    fn drain_endpoint(&mut self, now: u64, conn: ConnId) {
        loop {
            let Some(c) = self.connections.get_mut(&conn) else { return };
            let Some(event) = c.endpoint.poll_event() else { return };
            let role = c.role;
            match (role, event) {
                (Role::Bootstrap, EndpointEvent::Request(req)) => {
                    self.on_bootstrap_request(now, conn, req)
                }
                (Role::Server(ssid), EndpointEvent::Request(req)) => {
                    self.on_dm_request(now, conn, ssid, req)
                }
                (Role::Bootstrap, EndpointEvent::Response { id, response }) => {
                    self.on_bootstrap_response(now, id, response.code)
                }
                (Role::Bootstrap, EndpointEvent::Failed { id, reason }) => {
                    self.on_bootstrap_request_failed(now, id, reason)
                }
                (Role::Server(ssid), EndpointEvent::Response { id, response }) => {
                    self.on_registration_response(now, ssid, id, Ok(&response))
                }
                (Role::Server(ssid), EndpointEvent::Failed { id, reason }) => {
                    let failure = match reason {
                        FailureReason::Reset => RegistrationFailure::Reset,
                        _ => RegistrationFailure::Timeout,
                    };
                    self.on_registration_response(now, ssid, id, Err(failure))
                }
            }
        }
    }

    fn respond(&mut self, now: u64, conn: ConnId, request: &Message, response: Message) {
        if let Some(c) = self.connections.get_mut(&conn) {
            c.endpoint.respond(now, request, response);
        }
    }

    fn finish_stop_if_done(&mut self) {
        if self.state == State::Stopping
            && self.registrations.is_empty()
            && self.bootstrap.is_none()
        {
            let conns: Vec<ConnId> = self.connections.keys().copied().collect();
            for conn in conns {
                self.close_connection(conn);
            }
            self.state = State::Idle;
            self.unapply_card();
            self.events.push_back(Event::Stopped);
        }
    }
}
