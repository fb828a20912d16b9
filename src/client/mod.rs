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
mod connections;
mod dm;
mod event;
mod registration_flow;
mod smartcard_flow;
mod storage;

// What the C ABI (`crate::ffi`) needs besides the client itself: it imports only from here.
pub use crate::bootstrap::BootstrapFailure;
pub use crate::coap::{Code, TransmissionParams};
pub use crate::model::{Path, Secret, SecurityMode, Version, DEFAULT_LIFETIME_S};
pub use crate::persist::SLOT_COUNT;
pub use crate::rules::backoff::{
    DEFAULT_BASE_MS as BOOTSTRAP_BACKOFF_BASE_MS, DEFAULT_CAP_MS as BOOTSTRAP_BACKOFF_CAP_MS,
};
pub use crate::rules::retry::defaults as registration_retry_defaults;
pub use crate::security::Entropy;
#[cfg(all(feature = "dtls", feature = "smartcard"))]
pub use crate::smartcard::MbedtlsAes;
#[cfg(feature = "smartcard")]
pub use crate::smartcard::{scp03::level as scp03_level, Pin, StaticKeys};

use alloc::collections::VecDeque;
use alloc::vec::Vec;

pub use crate::persist::{Rejection, RestoreReport, SlotStatus, StorageWrite};
pub use config::{BootstrapAccountConfig, Config, SecurityConfig, ServerAccountConfig};
use connection::Role;
use connections::Connections;
pub use dm::{DmHandler, DmRequest, DmResponse};
pub use event::{ConnId, Event, State, Transmit};

pub use crate::bootstrap::FirmwareObjects;
use crate::bootstrap::FirmwareTransaction;
use crate::coap::{EndpointEvent, FailureReason, Message, Rng};
pub use crate::model::AccountError;
use crate::model::{
    DataModel, Instance, SecurityAccount, Store, MAX_OPTION_VALUE, OBJ_SECURITY, OBJ_SERVER,
};
use crate::persist::Slots;
use crate::registration::{Registration, RegistrationFailure};
pub use crate::rules::StateReason;
use crate::rules::{BootstrapBackoff, RegistrationPlan};
#[cfg(feature = "smartcard")]
pub use crate::rules::{CardTransport, Scp03Keys, Smartcard, SmartcardConfig, SmartcardRejection};
use crate::security::Target;
use bootstrap_flow::{BootstrapSide, Lifecycle};
pub use config::{ArgumentError, MAX_ENDPOINT_NAME_LEN};
use registration_flow::Registrations;
use smartcard_flow::CardSide;

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

/// One line of English per refusal; `InvalidAccount` says why the account is unusable.
impl core::fmt::Display for ClientError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ClientError::NotStarted => f.write_str("the client is not started"),
            ClientError::AlreadyStarted => f.write_str("the client is already started"),
            ClientError::NoBootstrapAccount => f.write_str("no Bootstrap-Server account"),
            ClientError::BootstrapInProgress => f.write_str("a bootstrap is already running"),
            ClientError::UnknownConnection => f.write_str("the connection is not open"),
            ClientError::InvalidAccount(e) => write!(f, "invalid account: {e}"),
        }
    }
}

/// With `std`, `?` turns a `ClientError` into `Box<dyn std::error::Error>`.
#[cfg(feature = "std")]
impl std::error::Error for ClientError {}

/// An LwM2M client's Bootstrap Interface and registration engine.
pub struct Client {
    config: Config,
    store: Store,
    rng: Rng,
    /// Started or not; the rest of [`State`] follows from the sub-states.
    run: Run,
    /// Why the client is Failed (when it is).
    failure_reason: StateReason,
    /// Open connections, their outgoing datagrams, the DTLS session cache.
    connections: Connections,
    /// The bootstrap side: its lifecycle, back-off, account purge, the firmware's objects.
    bootstrap: BootstrapSide,
    /// The registrations, their procedure and why the client registers.
    registrations: Registrations,
    events: VecDeque<Event>,
    dm_handler: Option<DmHandler>,
    /// Unix time in milliseconds minus `now` (set by [`Client::set_time`]).
    unix_offset_ms: Option<i128>,
    /// Generation counter and slot choice of the persisted configuration.
    slots: Slots,
    /// The committed configuration changed while a write was in flight: its image is handed
    /// out once that write is reported (at most one write in flight).
    slots_queued: bool,
    /// The card side: the firmware's smartcard and the card configuration in effect.
    card: CardSide,
}

/// Whether the client runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Run {
    /// Never started, or stopped.
    Stopped,
    /// Between `start` and `stop`.
    Started,
    /// Deregistering after `stop`.
    Stopping,
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
            run: Run::Stopped,
            failure_reason: StateReason::None,
            connections: Connections::new(),
            bootstrap: BootstrapSide::new(backoff),
            registrations: Registrations::new(),
            events: VecDeque::new(),
            dm_handler: None,
            unix_offset_ms: None,
            slots: Slots::default(),
            slots_queued: false,
            card: CardSide::default(),
        }
    }

    // ----- getters -------------------------------------------------------------------------

    /// The overall state.
    pub fn state(&self) -> State {
        self.status().0
    }

    /// Why the client is in its state (see [`StateReason`]).
    pub fn state_reason(&self) -> StateReason {
        self.status().1
    }

    /// The state and its reason, read off the sub-states: a running bootstrap, then the
    /// hold-off, then the registrations.
    fn status(&self) -> (State, StateReason) {
        match self.run {
            Run::Stopped => return (State::Idle, StateReason::None),
            Run::Stopping => return (State::Stopping, StateReason::None),
            Run::Started => {}
        }
        if let Some(running) = self.bootstrap.running() {
            return (State::Bootstrapping, running.reason);
        }
        if let Lifecycle::HoldOff { reason, .. } = self.bootstrap.lifecycle() {
            return (State::HoldOff, *reason);
        }
        if self.registrations.any_registered() {
            (State::Registered, self.registrations.reason)
        } else if self.registrations.trying() {
            (State::Registering, self.registrations.reason)
        } else {
            (State::Failed, self.failure_reason)
        }
    }

    /// The committed configuration (/0, /1, /2).
    pub fn configuration(&self) -> &DataModel {
        self.store.committed()
    }

    /// The registration with server `ssid`, if one exists.
    pub fn registration(&self, ssid: u16) -> Option<&Registration> {
        self.registrations.get(ssid)
    }

    /// The registration procedure of every configured server (attempts, sequences, status).
    pub fn registration_plan(&self) -> &RegistrationPlan {
        &self.registrations.plan
    }

    /// Consecutive failed bootstraps (the back-off grows with it; a success resets it).
    pub fn bootstrap_failures(&self) -> u32 {
        self.bootstrap.backoff.failures()
    }

    /// The URI a connection was opened for.
    pub fn connection_uri(&self, conn: ConnId) -> Option<&str> {
        self.connections.get(conn).map(|c| c.uri.as_str())
    }

    // ----- commands: factory provisioning ------------------------------------------------

    /// Factory Bootstrap (Core §5.2.3.1): installs the Bootstrap-Server account, replacing
    /// any existing one. Only while stopped.
    pub fn provision_bootstrap_account(
        &mut self,
        account: &BootstrapAccountConfig,
    ) -> Result<(), ClientError> {
        let instance = account.to_instance();
        self.check_provisionable(&instance)?;
        let model = self.store.committed_mut();
        let iid = match model.bootstrap_account() {
            Some(existing) => existing.instance_id,
            None => model.free_instance_id(OBJ_SECURITY).unwrap_or(0),
        };
        model.insert(OBJ_SECURITY, iid, instance);
        Ok(())
    }

    /// Factory Bootstrap: installs an LwM2M Server account, replacing the one with the same
    /// Short Server ID. Only while stopped.
    pub fn provision_server_account(
        &mut self,
        account: &ServerAccountConfig,
    ) -> Result<(), ClientError> {
        let (security, server) = account.to_instances();
        self.check_provisionable(&security)?;
        if !(1..=65534).contains(&account.ssid) {
            return Err(ClientError::InvalidAccount(AccountError::ShortServerId(account.ssid)));
        }
        if account.binding.len() + 2 > MAX_OPTION_VALUE {
            return Err(ClientError::InvalidAccount(AccountError::BindingTooLong(
                account.binding.len(),
            )));
        }
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
        if self.run != Run::Stopped {
            return Err(ClientError::AlreadyStarted);
        }
        self.store = Store::new(model);
        Ok(())
    }

    /// A factory account is installed only while stopped and only when it is usable.
    fn check_provisionable(&self, security: &Instance) -> Result<(), ClientError> {
        if self.run != Run::Stopped {
            return Err(ClientError::AlreadyStarted);
        }
        SecurityAccount { instance_id: 0, instance: security }
            .target(self.config.policy.modes)
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
        if self.bootstrap.is_running() {
            return Err(ClientError::BootstrapInProgress);
        }
        self.bootstrap.firmware = handler.map(FirmwareTransaction::new);
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
        if !matches!(self.state(), State::Idle | State::Failed) {
            return Err(ClientError::AlreadyStarted);
        }
        self.reset_bootstrap_timers();
        self.bootstrap.backoff.reset();
        self.run = Run::Started;
        self.failure_reason = StateReason::None;
        self.registrations.last_failure = None;
        let card = self.smartcard_step(now);
        // Steps 1 and 2 were tried: from now on server-initiated bootstraps are accepted.
        self.bootstrap.steps_tried = true;
        let reason = if card { StateReason::Smartcard } else { StateReason::FactoryConfiguration };
        self.begin_registration(now, reason);
        Ok(())
    }

    /// Deregisters from every server, abandons a running bootstrap (nothing of it is kept),
    /// then closes every connection and emits [`Event::Stopped`].
    pub fn stop(&mut self, now: u64) -> Result<(), ClientError> {
        if self.run != Run::Started {
            return Err(ClientError::NotStarted);
        }
        self.fail_bootstrap(now, BootstrapFailure::Cancelled);
        self.reset_bootstrap_timers();
        self.registrations.plan = RegistrationPlan::default();
        self.run = Run::Stopping;
        let ssids: Vec<u16> = self.registrations.by_ssid.keys().copied().collect();
        for ssid in ssids {
            self.deregister(now, ssid);
        }
        self.finish_stop_if_done();
        Ok(())
    }

    /// Starts a client-initiated bootstrap now (for example after a firmware decision);
    /// ends a running hold-off or back-off early. Registrations stay until it succeeds.
    pub fn trigger_bootstrap(&mut self, now: u64) -> Result<(), ClientError> {
        if self.run != Run::Started {
            return Err(ClientError::NotStarted);
        }
        if self.bootstrap.is_running() {
            return Err(ClientError::BootstrapInProgress);
        }
        if self.store.committed().bootstrap_account().is_none() {
            return Err(ClientError::NoBootstrapAccount);
        }
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
        let connection = self.connections.get_mut(conn).ok_or(ClientError::UnknownConnection)?;
        connection.handle_datagram(now, data);
        self.drain_endpoint(now, conn);
        self.check_channels(now);
        Ok(())
    }

    /// The firmware's transport reported an error on `conn` (ICMP port/host unreachable,
    /// `ECONNREFUSED`, a failed `open`): the request outstanding on it fails now instead of
    /// after its retransmissions: a Register attempt counts as failed (the retry procedure
    /// goes on), a Bootstrap-Request fails the bootstrap (back-off), an Update re-registers.
    /// An error on a connection with nothing outstanding changes nothing.
    pub fn handle_transport_error(&mut self, now: u64, conn: ConnId) -> Result<(), ClientError> {
        let role = self.connections.get(conn).ok_or(ClientError::UnknownConnection)?.role;
        match role {
            Role::Bootstrap => self.on_bootstrap_transport_error(now, conn),
            Role::Server(ssid) => self.on_registration_transport_error(now, conn, ssid),
        }
        Ok(())
    }

    /// The firmware could not open `conn` (its `open` failed: the host does not resolve, no
    /// socket): the connection is forgotten (nothing of it is sent, no Disconnect follows) and
    /// what waits on it fails now, as after [`Client::handle_transport_error`]: the bootstrap
    /// with [`BootstrapFailure::OpenFailed`], a Register attempt with
    /// [`RegistrationFailure::OpenFailed`]; a listening connection is dropped.
    pub fn handle_open_failure(&mut self, now: u64, conn: ConnId) -> Result<(), ClientError> {
        let role = self.connections.get(conn).ok_or(ClientError::UnknownConnection)?.role;
        self.bootstrap.drop_listen_conn(conn);
        match role {
            Role::Bootstrap => {
                if self.bootstrap.runs_on(conn) {
                    self.fail_bootstrap(now, BootstrapFailure::OpenFailed);
                }
            }
            Role::Server(ssid) => {
                let pending = self
                    .registrations
                    .by_ssid
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
        self.connections.forget(conn);
        Ok(())
    }

    /// The platform, which secures `conn` itself ([`Event::ConnectSecure`]), reports that its
    /// session failed: the handshake timed out, an alert came or was sent (`failure.alert`,
    /// kept in /1/x/11 for a server), the server's certificate or key was not accepted. It
    /// counts as the failure of our own DTLS would: the bootstrap fails with
    /// [`BootstrapFailure::Handshake`], a Register attempt with
    /// [`RegistrationFailure::Handshake`]; the connection is closed (`Disconnect`) and a retry
    /// opens a new one. Use [`FailureKind::Refused`](crate::security::FailureKind) (or
    /// [`Client::handle_security_refused`]) when the platform cannot use the mode or material.
    /// [`ClientError::UnknownConnection`] for a connection that is not the platform's.
    pub fn handle_security_failure(
        &mut self,
        now: u64,
        conn: ConnId,
        failure: crate::security::ChannelFailure,
    ) -> Result<(), ClientError> {
        if !self.connections.platform_failed(conn, failure) {
            return Err(ClientError::UnknownConnection);
        }
        self.check_channels(now);
        Ok(())
    }

    /// The platform cannot secure `conn` with its account's mode or material (for example
    /// RPK on a modem that only does PSK): the account fails with
    /// [`BootstrapFailure::SecurityRefused`] / [`RegistrationFailure::SecurityRefused`]; the
    /// connection is closed. Nothing falls back to NoSec.
    pub fn handle_security_refused(&mut self, now: u64, conn: ConnId) -> Result<(), ClientError> {
        let refused = crate::security::ChannelFailure {
            kind: crate::security::FailureKind::Refused,
            alert: None,
        };
        self.handle_security_failure(now, conn, refused)
    }

    /// Time passed: retransmissions, the Finish deadline, Updates, the hold-off, the
    /// registration retry timers, the bootstrap back-off, the Bootstrap-Server account purge.
    pub fn handle_timeout(&mut self, now: u64) {
        self.connections.handle_timeout(now);
        for conn in self.connections.ids() {
            self.drain_endpoint(now, conn);
        }
        self.check_channels(now);
        if self.run != Run::Started {
            return;
        }
        if let Some(running) = self.bootstrap.running() {
            if let Err(failure) = running.session.check_timeout(now) {
                if self.bootstrap.is_finishing() {
                    // The Finish's write was not reported by the Finish deadline: not durable.
                    self.storage_write_failed(now);
                } else {
                    self.fail_bootstrap(now, failure);
                }
            }
        }
        self.sequence_timeouts(now);
        self.registration_timeouts(now);
    }

    // ----- output ----------------------------------------------------------------------------

    /// The next datagram to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.connections.poll_transmit(&mut self.events)
    }

    /// The next event. Once the queue is empty, a change of the saved DTLS sessions comes
    /// out as [`Event::SessionsWrite`] (with [`Config::persist_sessions`]).
    pub fn poll_event(&mut self) -> Option<Event> {
        if let Some(event) = self.events.pop_front() {
            return Some(event);
        }
        self.sessions_write()
    }

    /// The session record to write when the saved sessions changed (only builds with the
    /// built-in DTLS have sessions to save).
    #[cfg(any(feature = "dtls", feature = "dtls-nostd"))]
    fn sessions_write(&mut self) -> Option<Event> {
        let changed = self.connections.take_sessions_changed();
        (changed && self.config.persist_sessions).then(|| {
            let entries = self.connections.session_entries();
            Event::SessionsWrite(crate::persist::SessionRecord(crate::persist::encode_sessions(
                &entries,
            )))
        })
    }

    #[cfg(not(any(feature = "dtls", feature = "dtls-nostd")))]
    fn sessions_write(&mut self) -> Option<Event> {
        None
    }

    /// When [`Client::handle_timeout`] must be called next: the earliest of
    /// [`Client::deadlines`].
    pub fn poll_timeout(&self) -> Option<u64> {
        self.deadlines().into_iter().flatten().min()
    }

    /// The deadline table: every timer of the client, each from the sub-state that owns it.
    /// Stopped or stopping, only the connections' timers run.
    fn deadlines(&self) -> [Option<u64>; 7] {
        let connections = self.connections.poll_timeout();
        if !self.is_running() {
            return [connections, None, None, None, None, None, None];
        }
        let [finish, hold_off, retry, purge] = self.bootstrap.deadlines();
        let [updates, attempts] = self.registrations.deadlines();
        [connections, finish, hold_off, retry, purge, updates, attempts]
    }

    fn is_running(&self) -> bool {
        self.run == Run::Started
    }

    /// Queues every connection's datagrams now (before what a following step sends).
    fn collect_transmits(&mut self) {
        self.connections.collect(&mut self.events);
    }

    // ----- connections -----------------------------------------------------------------------

    /// Opens a session to `target`, the account of `role`. One live session per account,
    /// and the Bootstrap-Server account's never shared with a server's (Core 1.1 §5.2.5): a
    /// connection of the same role still open is closed (close_notify) first.
    fn open_connection(&mut self, now: u64, target: Target, role: Role) -> ConnId {
        self.connections.close_role(role, self.store.committed());
        let (config, rng, events) = (&self.config, &mut self.rng, &mut self.events);
        self.connections.open(now, target, role, config, rng, events)
    }

    /// Reports secure channels that failed (handshake timeout, alert, unusable credentials)
    /// as bootstrap or registration failures; the connection is dropped (after any alert we
    /// queued) and a retry opens a new one, with a new handshake.
    fn check_channels(&mut self, now: u64) {
        self.connections.note_established();
        for (conn, role, failure) in self.connections.take_failed(&mut self.events) {
            match role {
                Role::Bootstrap => self.on_bootstrap_channel_failure(now, conn, failure),
                Role::Server(ssid) => {
                    self.on_registration_channel_failure(now, conn, ssid, failure)
                }
            }
        }
    }

    /// Queues what `conn` has to send now, ahead of other connections' datagrams.
    fn flush_connection(&mut self, conn: ConnId) {
        self.connections.flush(conn);
    }

    /// Closes `conn` (close_notify for a secure one); see [`Connections::close`].
    fn close_connection(&mut self, conn: ConnId) {
        self.connections.close(conn, self.store.committed());
    }

    fn drain_endpoint(&mut self, now: u64, conn: ConnId) {
        loop {
            let Some(c) = self.connections.get_mut(conn) else { return };
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
                    self.on_bootstrap_response(now, id, &response)
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
        self.connections.respond(now, conn, request, response);
    }

    fn finish_stop_if_done(&mut self) {
        if self.run == Run::Stopping
            && self.registrations.by_ssid.is_empty()
            && !self.bootstrap.is_running()
        {
            for conn in self.connections.ids() {
                self.close_connection(conn);
            }
            self.run = Run::Stopped;
            self.unapply_card();
            self.events.push_back(Event::Stopped);
        }
    }
}
