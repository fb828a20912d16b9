//! The client's registration side of the Bootstrap Sequence: step 3 with the 1.1 procedure
//! (the [`RegistrationPlan`]), Update, De-register, Disable, and DM requests.

use alloc::string::String;
use alloc::vec::Vec;

use super::connection::{Connection, Role};
use super::dm::{self, DmAction, DmContext};
use super::{Client, ConnId, Event, State};
use crate::coap::{Message, RequestId};
use crate::model::ServerUri;
use crate::registration::{self, RegistrationFailure, RegistrationState, ResponseOutcome};
use crate::sequence::{AttemptFailure, RegistrationPlan, RetryParams, StateReason, Verdict};

impl Client {
    /// Step 3: a fresh procedure for every configured server (each after its Initial
    /// Registration Delay, ordered servers one after another); with none, step 4.
    pub(super) fn begin_registration(&mut self, now: u64, reason: StateReason) {
        self.sequence.registration_reason = reason;
        self.failure_reason = StateReason::None;
        let servers =
            RegistrationPlan::servers_of(self.store.committed(), &self.config.retry_defaults);
        self.plan = RegistrationPlan::new(&servers, now);
        self.run_due_registrations(now);
        self.refresh_state();
    }

    /// Drops every registration (their accounts may have changed) and registers anew with
    /// what the bootstrap provisioned.
    pub(super) fn restart_registrations(&mut self, now: u64) {
        let old: Vec<ConnId> = self.registrations.values().map(|(c, _)| *c).collect();
        self.registrations.clear();
        for conn in old {
            self.close_connection(conn);
        }
        self.begin_registration(now, StateReason::Bootstrapped);
    }

    /// True while some server is registered, trying, waiting for its next attempt or
    /// disabled.
    pub(super) fn registration_alive(&self) -> bool {
        self.registrations.values().any(|(_, r)| r.is_registered())
            || (self.plan.iter().next().is_some() && self.plan.verdict() == Verdict::Alive)
    }

    /// After a failure: when every server failed, bootstrap (step 4) if one of them asks for
    /// it (/1/x/16, default true) or there is no server; otherwise the client fails.
    fn check_verdict(&mut self, now: u64) {
        if self.bootstrap.is_some()
            || self.sequence.hold_off_until.is_some()
            || self.sequence.retry_bootstrap_at.is_some()
            || self.failure_reason != StateReason::None
            || self.state == State::Stopping
        {
            return;
        }
        if self.registrations.values().any(|(_, r)| r.is_registered()) {
            return;
        }
        match self.plan.verdict() {
            Verdict::Alive => {}
            Verdict::Bootstrap => {
                let reason = if self.plan.iter().next().is_none() {
                    StateReason::NoServerAccount
                } else {
                    StateReason::RegistrationFailed
                };
                self.fall_back_to_bootstrap(now, reason);
            }
            Verdict::GiveUp => self.failure_reason = StateReason::RegistrationFailed,
        }
    }

    /// Register attempts, Updates and re-enabled servers that are due.
    pub(super) fn registration_timeouts(&mut self, now: u64) {
        let due: Vec<u16> = self
            .registrations
            .iter()
            .filter(|(_, (_, r))| r.next_update.is_some_and(|t| now >= t) && r.pending().is_none())
            .map(|(ssid, _)| *ssid)
            .collect();
        for ssid in due {
            self.send_update(now, ssid);
        }
        self.run_due_registrations(now);
    }

    fn run_due_registrations(&mut self, now: u64) {
        loop {
            let due = self.plan.due(now);
            if due.is_empty() {
                break;
            }
            for ssid in due {
                self.attempt_register(now, ssid);
            }
        }
        self.check_verdict(now);
    }

    /// One Register attempt for `ssid`; an unusable account fails it at once.
    fn attempt_register(&mut self, now: u64, ssid: u16) {
        self.plan.on_attempt(ssid);
        if !self.register(now, ssid) {
            self.events.push_back(Event::RegistrationFailed {
                ssid,
                reason: RegistrationFailure::Unusable,
            });
            self.plan.on_failure(ssid, AttemptFailure::Rejected, now);
        }
    }

    /// Sends Register to `ssid` (on its connection, or a new one); false when the account is
    /// missing or unusable by this build.
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
            return false;
        };
        let lifetime = server.lifetime_s();
        let binding = String::from(server.binding());
        let payload =
            registration::register_payload(model, &self.config.objects, self.config.version);
        let request = registration::register_request(
            &uri,
            &self.config.endpoint,
            lifetime,
            self.config.version,
            &binding,
            payload,
        );
        let conn = match self.registrations.get(&ssid) {
            Some((conn, _)) if self.connections.get(conn).is_some_and(Connection::usable) => *conn,
            _ => self.open_connection(now, &uri_text, Role::Server(ssid)),
        };
        let Some(c) = self.connections.get_mut(&conn) else { return false };
        let id = c.endpoint.send_request(now, request);
        let mut reg = registration::Registration::registering(ssid, id, lifetime);
        reg.binding = binding;
        self.registrations.insert(ssid, (conn, reg));
        true
    }

    /// Sends an Update to `ssid`, with `lt=` / `b=` when the lifetime / binding in its Server
    /// instance differ from what it registered with. Deferred while a request is in flight.
    pub(super) fn send_update(&mut self, now: u64, ssid: u16) {
        let server = self.store.committed().server_for_ssid(ssid);
        let lifetime = server.map(|s| s.lifetime_s());
        let binding = server.map(|s| String::from(s.binding()));
        let Some((conn, reg)) = self.registrations.get_mut(&ssid) else { return };
        if !reg.is_registered() {
            return;
        }
        if reg.pending().is_some() {
            reg.next_update = Some(now);
            return;
        }
        let Some(c) = self.connections.get_mut(conn) else { return };
        let new_lifetime = lifetime.filter(|&lt| lt != reg.lifetime_s);
        let new_binding = binding.filter(|b| *b != reg.binding);
        let request =
            registration::update_request_with(&reg.location, new_lifetime, new_binding.as_deref());
        let id = c.endpoint.send_request(now, request);
        if let Some(lt) = new_lifetime {
            reg.lifetime_s = lt;
        }
        if let Some(b) = new_binding {
            reg.binding = b;
        }
        reg.state = RegistrationState::Updating(id);
        reg.next_update = None;
    }

    pub(super) fn deregister(&mut self, now: u64, ssid: u16) {
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
        reg.state = RegistrationState::Deregistering(id);
        reg.next_update = None;
    }

    /// A transport error on `ssid`'s connection: the outstanding request fails now.
    pub(super) fn on_registration_transport_error(&mut self, now: u64, conn: ConnId, ssid: u16) {
        let Some((c, reg)) = self.registrations.get(&ssid) else { return };
        let Some(id) = reg.pending().filter(|_| *c == conn) else { return };
        if let Some(connection) = self.connections.get_mut(&conn) {
            connection.endpoint.cancel(id);
        }
        self.on_registration_response(now, ssid, id, Err(RegistrationFailure::Transport));
    }

    /// The secure channel of `ssid`'s connection failed (handshake timeout, fatal alert,
    /// unusable credentials; the connection is already gone). An outstanding request fails
    /// as an attempt of the retry procedure; a session that broke while registered needs a
    /// new handshake and a new Register.
    pub(super) fn on_registration_channel_failure(
        &mut self,
        now: u64,
        conn: ConnId,
        ssid: u16,
        alert: Option<u8>,
    ) {
        let Some((c, reg)) = self.registrations.get(&ssid) else { return };
        if *c != conn {
            return;
        }
        let reason = RegistrationFailure::Handshake { alert };
        match reg.pending() {
            Some(id) => self.on_registration_response(now, ssid, id, Err(reason)),
            None => {
                self.events.push_back(Event::RegistrationFailed { ssid, reason });
                self.plan.on_lost(ssid, now);
                self.run_due_registrations(now);
            }
        }
    }

    pub(super) fn on_registration_response(
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
                self.plan.on_registered(ssid, now);
                self.run_due_registrations(now);
            }
            ResponseOutcome::Updated => {
                self.events.push_back(Event::Updated { ssid });
                if reg.next_update.is_some_and(|t| t <= now) {
                    self.send_update(now, ssid);
                }
            }
            ResponseOutcome::NeedsRegister => {
                self.plan.on_lost(ssid, now);
                self.run_due_registrations(now);
            }
            ResponseOutcome::Failed(reason) => {
                self.events.push_back(Event::RegistrationFailed { ssid, reason });
                self.registrations.remove(&ssid);
                self.close_connection(conn);
                let kind = match reason {
                    RegistrationFailure::Rejected(code) if code.class() == 4 => {
                        AttemptFailure::Rejected
                    }
                    RegistrationFailure::Unusable => AttemptFailure::Rejected,
                    _ => AttemptFailure::Transient,
                };
                if self.state != State::Stopping {
                    self.plan.on_failure(ssid, kind, now);
                    self.run_due_registrations(now);
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

    // ----- DM requests -------------------------------------------------------------------------

    pub(super) fn on_dm_request(&mut self, now: u64, conn: ConnId, ssid: u16, request: Message) {
        let bootstrapping = self.bootstrap.is_some();
        let firmware = dm::firmware_request(&request, ssid, bootstrapping);
        if let (Some(handler), Some(dm_request)) = (self.dm_handler.as_mut(), firmware) {
            let response = dm::firmware_response(&request, handler(&dm_request));
            return self.respond(now, conn, &request, response);
        }
        let ctx = DmContext {
            ssid,
            bootstrapping,
            has_bootstrap_account: self.store.committed().bootstrap_account().is_some(),
        };
        let (response, action) = dm::handle(self.store.committed_mut(), &request, &ctx);
        self.respond(now, conn, &request, response);
        let registered = self
            .registrations
            .get(&ssid)
            .is_some_and(|(_, r)| r.state == RegistrationState::Registered);
        match action {
            DmAction::None => {}
            DmAction::Update if registered => self.send_update(now, ssid),
            DmAction::Update => {}
            DmAction::Bootstrap => self.on_bootstrap_trigger(now),
            DmAction::Disable(timeout_s) => self.disable(now, ssid, timeout_s),
            DmAction::ServerWritten => {
                self.configuration_changed();
                if let Some(server) = self.store.committed().server_for_ssid(ssid) {
                    let params = RetryParams::from_server(&server, &self.config.retry_defaults);
                    self.plan.set_params(ssid, params);
                }
                let changed = self.registrations.get(&ssid).is_some_and(|(_, r)| {
                    let server = self.store.committed().server_for_ssid(ssid);
                    server
                        .is_some_and(|s| s.lifetime_s() != r.lifetime_s || s.binding() != r.binding)
                });
                if changed {
                    self.send_update(now, ssid);
                }
            }
        }
    }

    /// Disable (/1/x/4): the 2.04 is queued first, then De-register; the server registers
    /// again after the Disable Timeout. Not a registration failure.
    fn disable(&mut self, now: u64, ssid: u16, timeout_s: u64) {
        self.collect_transmits();
        self.plan.on_disabled(ssid, now.saturating_add(timeout_s.saturating_mul(1000)));
        self.deregister(now, ssid);
        self.refresh_state();
    }
}
