//! The sans-IO façade.
//!
//! [`Client`] has four kinds of methods:
//! - **getters**: [`Client::state`], [`Client::configuration`], [`Client::registration`];
//! - **input**: [`Client::handle_datagram`] (a datagram arrived on a connection) and
//!   [`Client::handle_timeout`] (the deadline from `poll_timeout` passed);
//! - **commands**: [`Client::start`], [`Client::stop`], [`Client::trigger_bootstrap`],
//!   factory provisioning ([`Client::provision_bootstrap_account`],
//!   [`Client::provision_server_account`]);
//! - **output**: after every input or command, drain [`Client::poll_event`] then
//!   [`Client::poll_transmit`], repeating until both return `None`, then ask
//!   [`Client::poll_timeout`] when to call `handle_timeout` next.
//!
//! Time is milliseconds on any monotonic clock the caller chooses; it is only compared.
//! Nothing here blocks, sleeps, reads a clock or touches a socket.

mod config;
mod connection;
mod dm;
mod event;

use alloc::collections::{BTreeMap, VecDeque};
use alloc::string::String;
use alloc::vec::Vec;

pub use config::{BootstrapAccountConfig, Config, SecurityConfig, ServerAccountConfig};
use connection::{Connection, Role};
pub use dm::{DmHandler, DmRequest, DmResponse};
pub use event::{ConnId, Event, State, Transmit};

use crate::bootstrap::{self, BootstrapFailure, BootstrapSession, OperationContext, Outcome};
use crate::coap::{Code, EndpointEvent, FailureReason, Message, RequestId, Rng};
use crate::model::{DataModel, SecurityMode, ServerUri, Store, OBJ_SECURITY, OBJ_SERVER};
use crate::registration::{self, Registration, RegistrationFailure, ResponseOutcome};
use crate::security::ChannelFailure;

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
    /// The account is invalid (URI, mode, credentials or Short Server ID).
    InvalidAccount,
}

/// An LwM2M client's Bootstrap Interface and registration engine.
pub struct Client {
    config: Config,
    store: Store,
    rng: Rng,
    state: State,
    connections: BTreeMap<ConnId, Connection>,
    next_conn: u32,
    bootstrap: Option<(ConnId, BootstrapSession)>,
    hold_off_until: Option<u64>,
    registrations: BTreeMap<u16, (ConnId, Registration)>,
    events: VecDeque<Event>,
    transmits: VecDeque<Transmit>,
    dm_handler: Option<DmHandler>,
}

impl Client {
    /// A stopped client with an empty configuration.
    pub fn new(config: Config) -> Client {
        let rng = Rng::new(config.seed);
        Client {
            config,
            store: Store::default(),
            rng,
            state: State::Idle,
            connections: BTreeMap::new(),
            next_conn: 1,
            bootstrap: None,
            hold_off_until: None,
            registrations: BTreeMap::new(),
            events: VecDeque::new(),
            transmits: VecDeque::new(),
            dm_handler: None,
        }
    }

    // ----- getters -------------------------------------------------------------------------

    /// The overall state.
    pub fn state(&self) -> State {
        self.state
    }

    /// The committed configuration (/0, /1, /2).
    pub fn configuration(&self) -> &DataModel {
        self.store.committed()
    }

    /// The registration with server `ssid`, if one exists.
    pub fn registration(&self, ssid: u16) -> Option<&Registration> {
        self.registrations.get(&ssid).map(|(_, r)| r)
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
            None => free_instance_id(model, OBJ_SECURITY),
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
            return Err(ClientError::InvalidAccount);
        }
        let (security, server) = account.to_instances();
        let model = self.store.committed_mut();
        let sec_iid = model
            .security_for_ssid(account.ssid)
            .map(|a| a.instance_id)
            .unwrap_or_else(|| free_instance_id(model, OBJ_SECURITY));
        model.insert(OBJ_SECURITY, sec_iid, security);
        let srv_iid = model
            .server_for_ssid(account.ssid)
            .map(|s| s.instance_id)
            .unwrap_or_else(|| free_instance_id(model, OBJ_SERVER));
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
        let uri = ServerUri::parse(&security.uri).map_err(|_| ClientError::InvalidAccount)?;
        let secure = uri.scheme == crate::model::Scheme::Coaps;
        if secure == (security.mode == SecurityMode::NoSec)
            || !(self.config.policy.supports_mode)(security.mode)
            || !crate::security::credentials_complete(
                security.mode,
                &security.identity,
                &security.server_key,
                &security.secret_key,
            )
        {
            return Err(ClientError::InvalidAccount);
        }
        Ok(())
    }

    /// Installs (or removes) the handler for DM requests to the firmware's own objects
    /// (anything but /0, /1, /2). Without one they are answered 4.04 Not Found.
    pub fn set_dm_handler(&mut self, handler: Option<DmHandler>) {
        self.dm_handler = handler;
    }

    // ----- commands: life cycle ------------------------------------------------------------

    /// Starts the Bootstrap Sequence (Core §5.2.4): register with every configured server;
    /// with none, bootstrap from the Bootstrap-Server after its Client Hold Off Time.
    pub fn start(&mut self, now: u64) -> Result<(), ClientError> {
        if !matches!(self.state, State::Idle | State::Failed) {
            return Err(ClientError::AlreadyStarted);
        }
        self.state = State::Registering;
        if !self.register_all(now) {
            self.fall_back_to_bootstrap(now);
        }
        Ok(())
    }

    /// Deregisters from every server, abandons a running bootstrap (nothing of it is kept),
    /// then closes every connection and emits [`Event::Stopped`].
    pub fn stop(&mut self, now: u64) -> Result<(), ClientError> {
        if matches!(self.state, State::Idle | State::Stopping) {
            return Err(ClientError::NotStarted);
        }
        if self.bootstrap.is_some() {
            self.fail_bootstrap(BootstrapFailure::Cancelled);
        }
        self.hold_off_until = None;
        self.state = State::Stopping;
        let ssids: Vec<u16> = self.registrations.keys().copied().collect();
        for ssid in ssids {
            self.deregister(now, ssid);
        }
        self.finish_stop_if_done();
        Ok(())
    }

    /// Starts a client-initiated bootstrap now (for example after a firmware decision).
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
        self.start_bootstrap(now);
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
        Ok(())
    }

    /// Time passed: retransmissions, the Finish deadline, Updates, the hold-off.
    pub fn handle_timeout(&mut self, now: u64) {
        let conns: Vec<ConnId> = self.connections.keys().copied().collect();
        for conn in conns {
            if let Some(c) = self.connections.get_mut(&conn) {
                c.handle_timeout(now);
            }
            self.drain_endpoint(now, conn);
        }
        self.check_channels(now);
        if let Some((_, session)) = &self.bootstrap {
            if let Err(failure) = session.check_timeout(now) {
                self.fail_bootstrap(failure);
            }
        }
        if self.hold_off_until.is_some_and(|t| now >= t) {
            self.hold_off_until = None;
            self.start_bootstrap(now);
        }
        let due: Vec<u16> = self
            .registrations
            .iter()
            .filter(|(_, (_, r))| r.next_update.is_some_and(|t| now >= t) && r.pending().is_none())
            .map(|(ssid, _)| *ssid)
            .collect();
        for ssid in due {
            self.send_update(now, ssid);
        }
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
        let endpoints = self.connections.values().filter_map(|c| c.poll_timeout());
        let finish = self.bootstrap.as_ref().and_then(|(_, s)| s.deadline());
        let updates = self
            .registrations
            .values()
            .filter(|(_, r)| r.pending().is_none())
            .filter_map(|(_, r)| r.next_update);
        endpoints.chain(finish).chain(self.hold_off_until).chain(updates).min()
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

    // ----- connections -----------------------------------------------------------------------

    fn open_connection(&mut self, now: u64, uri: &str, role: Role) -> ConnId {
        let id = ConnId(self.next_conn);
        self.next_conn = self.next_conn.wrapping_add(1).max(1);
        let model = self.store.committed();
        let account = match role {
            Role::Bootstrap => model.bootstrap_account(),
            Role::Server(ssid) => model.security_for_ssid(ssid),
        };
        let connection = Connection::open(now, uri, role, account, &self.config, &mut self.rng);
        self.connections.insert(id, connection);
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
                Role::Bootstrap => {
                    if self.bootstrap.as_ref().is_some_and(|(c, _)| *c == conn) {
                        self.fail_bootstrap(BootstrapFailure::Handshake { alert });
                    }
                }
                Role::Server(ssid) => {
                    let Some((c, reg)) = self.registrations.get(&ssid) else { continue };
                    if *c != conn {
                        continue;
                    }
                    let reason = RegistrationFailure::Handshake { alert };
                    match reg.pending() {
                        Some(id) => self.on_registration_response(now, ssid, id, Err(reason)),
                        None => {
                            // The session broke while registered: a new one needs a Register.
                            self.events.push_back(Event::RegistrationFailed { ssid, reason });
                            self.register(now, ssid);
                        }
                    }
                }
            }
        }
    }

    fn close_connection(&mut self, conn: ConnId) {
        if let Some(c) = self.connections.get_mut(&conn) {
            c.closing = true;
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
                    self.on_bootstrap_request_failed(id, reason)
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

    // ----- bootstrap -------------------------------------------------------------------------

    fn fall_back_to_bootstrap(&mut self, now: u64) {
        let Some(account) = self.store.committed().bootstrap_account() else {
            self.state = State::Failed;
            self.events
                .push_back(Event::BootstrapFailed { reason: BootstrapFailure::NoBootstrapAccount });
            return;
        };
        let hold_off_ms = account.hold_off_s().saturating_mul(1000);
        self.state = State::HoldOff;
        self.hold_off_until = Some(now.saturating_add(hold_off_ms));
        if hold_off_ms == 0 {
            self.hold_off_until = None;
            self.start_bootstrap(now);
        }
    }

    fn start_bootstrap(&mut self, now: u64) {
        let Some(account) = self.store.committed().bootstrap_account() else {
            return self.fail_bootstrap(BootstrapFailure::NoBootstrapAccount);
        };
        let uri_text = String::from(account.uri().unwrap_or_default());
        let mode = account.mode();
        let Ok(uri) = ServerUri::parse(&uri_text) else {
            return self.fail_bootstrap(BootstrapFailure::BadUri);
        };
        if !mode.is_some_and(|m| (self.config.policy.supports_mode)(m)) {
            return self.fail_bootstrap(BootstrapFailure::UnsupportedSecurity);
        }
        self.state = State::Bootstrapping;
        self.events.push_back(Event::BootstrapStarted);
        let conn = self.open_connection(now, &uri_text, Role::Bootstrap);
        let pct = (self.config.version != crate::model::Version::V1_0)
            .then_some(self.config.preferred_format);
        let request = bootstrap::bootstrap_request(&uri, &self.config.endpoint, pct);
        let lifetime = self.config.transmission.exchange_lifetime_ms();
        let Some(c) = self.connections.get_mut(&conn) else { return };
        let id = c.endpoint.send_request(now, request);
        self.bootstrap = Some((conn, BootstrapSession::client_initiated(id, lifetime)));
    }

    fn on_bootstrap_request(&mut self, now: u64, conn: ConnId, request: Message) {
        let Some((_, session)) = self.bootstrap.as_mut().filter(|(c, _)| *c == conn) else {
            // No bootstrap running on this connection: a Finish (or anything) outside one.
            let response = Message::response_to(&request, Code::BAD_REQUEST);
            return self.respond(now, conn, &request, response);
        };
        session.on_operation(now);
        let ctx = OperationContext {
            version: self.config.version,
            objects: &self.config.objects,
            policy: &self.config.policy,
        };
        let (response, outcome) = bootstrap::handle(&mut self.store, &request, &ctx);
        self.respond(now, conn, &request, response);
        match outcome {
            Outcome::Operation => {}
            Outcome::Rejected(findings) => {
                self.events.push_back(Event::BootstrapFinishRefused { findings: findings.len() })
            }
            Outcome::Finished => self.complete_bootstrap(now, conn),
        }
    }

    fn on_bootstrap_response(&mut self, now: u64, id: RequestId, code: Code) {
        let Some((_, session)) = self.bootstrap.as_mut() else { return };
        if session.pending_request() != Some(id) {
            return;
        }
        if let Err(failure) = session.on_request_response(now, code) {
            self.fail_bootstrap(failure);
        }
    }

    fn on_bootstrap_request_failed(&mut self, id: RequestId, reason: FailureReason) {
        let pending = self.bootstrap.as_ref().and_then(|(_, s)| s.pending_request());
        if pending == Some(id) {
            self.fail_bootstrap(match reason {
                FailureReason::Reset => BootstrapFailure::Reset,
                _ => BootstrapFailure::RequestTimeout,
            });
        }
    }

    fn complete_bootstrap(&mut self, now: u64, conn: ConnId) {
        self.bootstrap = None;
        self.close_connection(conn);
        let accounts = self.store.committed().server_account_pairs().count();
        self.events.push_back(Event::BootstrapFinished { accounts });
        self.events.push_back(Event::ConfigurationChanged);
        self.restart_registrations(now);
    }

    fn fail_bootstrap(&mut self, reason: BootstrapFailure) {
        if let Some((conn, _)) = self.bootstrap.take() {
            self.close_connection(conn);
        }
        self.store.rollback();
        self.events.push_back(Event::BootstrapFailed { reason });
        if self.state != State::Stopping {
            self.state =
                if self.any_registration_alive() { State::Registering } else { State::Failed };
            self.refresh_state();
        }
    }

    // ----- registration ------------------------------------------------------------------------

    /// Drops every registration (their accounts may have changed) and registers anew.
    fn restart_registrations(&mut self, now: u64) {
        let old: Vec<ConnId> = self.registrations.values().map(|(c, _)| *c).collect();
        self.registrations.clear();
        for conn in old {
            self.close_connection(conn);
        }
        self.state = State::Registering;
        if !self.register_all(now) {
            self.state = State::Failed;
        }
    }

    /// Sends Register to every server account; false when there is none usable.
    fn register_all(&mut self, now: u64) -> bool {
        let ssids: Vec<u16> =
            self.store.committed().server_account_pairs().filter_map(|(_, s)| s.ssid()).collect();
        let mut any = false;
        for ssid in ssids {
            any |= self.register(now, ssid);
        }
        any
    }

    fn register(&mut self, now: u64, ssid: u16) -> bool {
        let model = self.store.committed();
        let (Some(security), Some(server)) =
            (model.security_for_ssid(ssid), model.server_for_ssid(ssid))
        else {
            return false;
        };
        let uri_text = String::from(security.uri().unwrap_or_default());
        let usable = security.mode().is_some_and(|m| (self.config.policy.supports_mode)(m));
        let (Ok(uri), true) = (ServerUri::parse(&uri_text), usable) else {
            self.events.push_back(Event::RegistrationFailed {
                ssid,
                reason: RegistrationFailure::Unusable,
            });
            return false;
        };
        let lifetime = server.lifetime_s();
        let payload =
            registration::register_payload(model, &self.config.objects, self.config.version);
        let request = registration::register_request(
            &uri,
            &self.config.endpoint,
            lifetime,
            self.config.version,
            server.binding(),
            payload,
        );
        let conn = match self.registrations.get(&ssid) {
            Some((conn, _)) if self.connections.get(conn).is_some_and(Connection::usable) => *conn,
            _ => self.open_connection(now, &uri_text, Role::Server(ssid)),
        };
        let Some(c) = self.connections.get_mut(&conn) else { return false };
        let id = c.endpoint.send_request(now, request);
        self.registrations.insert(ssid, (conn, Registration::registering(ssid, id, lifetime)));
        true
    }

    fn send_update(&mut self, now: u64, ssid: u16) {
        let Some((conn, reg)) = self.registrations.get_mut(&ssid) else { return };
        let Some(c) = self.connections.get_mut(conn) else { return };
        let id = c.endpoint.send_request(now, registration::update_request(&reg.location, None));
        reg.state = registration::RegistrationState::Updating(id);
        reg.next_update = None;
    }

    fn deregister(&mut self, now: u64, ssid: u16) {
        let Some((conn, reg)) = self.registrations.get_mut(&ssid) else { return };
        if !reg.is_registered() {
            if let Some(id) = reg.pending() {
                if let Some(c) = self.connections.get_mut(conn) {
                    c.endpoint.cancel(id);
                }
            }
            let conn = *conn;
            self.registrations.remove(&ssid);
            self.close_connection(conn);
            return;
        }
        let Some(c) = self.connections.get_mut(conn) else { return };
        if let Some(id) = reg.pending() {
            c.endpoint.cancel(id);
        }
        let id = c.endpoint.send_request(now, registration::deregister_request(&reg.location));
        reg.state = registration::RegistrationState::Deregistering(id);
        reg.next_update = None;
    }

    fn on_registration_response(
        &mut self,
        now: u64,
        ssid: u16,
        id: RequestId,
        response: Result<&Message, RegistrationFailure>,
    ) {
        let delay = |lifetime| {
            registration::update_delay_ms(lifetime, self.config.transmission.max_transmit_wait_ms())
        };
        let Some((conn, reg)) = self.registrations.get_mut(&ssid) else { return };
        let conn = *conn;
        let outcome = match response {
            Ok(msg) => reg.on_response(id, msg, now, delay(reg.lifetime_s)),
            Err(failure) => reg.on_failure(id, failure),
        };
        match outcome {
            ResponseOutcome::Registered => {
                let location = reg.location_path();
                self.events.push_back(Event::Registered { ssid, location });
            }
            ResponseOutcome::Updated => self.events.push_back(Event::Updated { ssid }),
            ResponseOutcome::NeedsRegister => {
                self.register(now, ssid);
            }
            ResponseOutcome::Failed(reason) => {
                self.events.push_back(Event::RegistrationFailed { ssid, reason });
                self.registrations.remove(&ssid);
                self.close_connection(conn);
                if !self.any_registration_alive()
                    && self.bootstrap.is_none()
                    && self.state != State::Stopping
                {
                    self.fall_back_to_bootstrap(now);
                }
            }
            ResponseOutcome::Deregistered => {
                self.events.push_back(Event::Deregistered { ssid });
                self.registrations.remove(&ssid);
                self.close_connection(conn);
                self.finish_stop_if_done();
            }
            ResponseOutcome::Ignored => {}
        }
        self.refresh_state();
    }

    fn any_registration_alive(&self) -> bool {
        !self.registrations.is_empty()
    }

    fn refresh_state(&mut self) {
        if matches!(self.state, State::Registering | State::Registered) {
            let registered = self.registrations.values().any(|(_, r)| r.is_registered());
            self.state = if registered { State::Registered } else { State::Registering };
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
            self.events.push_back(Event::Stopped);
        }
    }

    // ----- DM requests -------------------------------------------------------------------------

    fn on_dm_request(&mut self, now: u64, conn: ConnId, ssid: u16, request: Message) {
        let bootstrapping = self.bootstrap.is_some();
        let firmware = dm::firmware_request(&request, ssid, bootstrapping);
        if let (Some(handler), Some(dm_request)) = (self.dm_handler.as_mut(), firmware) {
            let response = dm::firmware_response(&request, handler(&dm_request));
            return self.respond(now, conn, &request, response);
        }
        let (response, trigger_update) =
            dm::handle(self.store.committed(), &request, bootstrapping);
        self.respond(now, conn, &request, response);
        if trigger_update
            && self
                .registrations
                .get(&ssid)
                .is_some_and(|(_, r)| r.state == registration::RegistrationState::Registered)
        {
            self.send_update(now, ssid);
        }
    }
}

/// The lowest instance ID not used in `object`.
fn free_instance_id(model: &DataModel, object: u16) -> u16 {
    let used: Vec<u16> = model.instance_ids(object).collect();
    (0..u16::MAX).find(|id| !used.contains(id)).unwrap_or(0)
}
