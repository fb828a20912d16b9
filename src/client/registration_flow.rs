//! The client's registration side of the Bootstrap Sequence: step 3 with the 1.1 procedure
//! (the [`RegistrationPlan`]), Update, De-register, Disable, and DM requests.

use crate::model::VecMap;
use alloc::string::String;
use alloc::vec::Vec;

use super::bootstrap_flow::Lifecycle;
use super::connection::Role;
use super::dm::{self, DmAction, DmContext};
use super::{Client, ConnId, Event, Run};
use crate::coap::{Message, RequestId};
use crate::model::{server_res, Value, OBJ_SERVER};
use crate::registration::{
    self, Registration, RegistrationFailure, RegistrationState, ResponseOutcome,
};
use crate::rules::{AttemptFailure, RegistrationPlan, RetryParams, StateReason, Verdict};
use crate::security::{session_material, ChannelFailure, FailureKind};

/// The client's registration side: every server's registration on its connection, the 1.1
/// procedure that decides when to try, and why the client registers.
pub(super) struct Registrations {
    /// Per Short Server ID, its connection and registration.
    pub by_ssid: VecMap<u16, (ConnId, Registration)>,
    /// The registration procedure of every configured server.
    pub plan: RegistrationPlan,
    /// Why the client registers: the factory configuration, a smartcard or a bootstrap.
    pub reason: StateReason,
    /// The last registration failure (Short Server ID, why): named when the fallback to
    /// bootstrap finds no Bootstrap-Server account.
    pub last_failure: Option<(u16, RegistrationFailure)>,
}

impl Registrations {
    /// No registration, no procedure.
    pub fn new() -> Registrations {
        Registrations {
            by_ssid: VecMap::new(),
            plan: RegistrationPlan::default(),
            reason: StateReason::FactoryConfiguration,
            last_failure: None,
        }
    }

    /// The registration with `ssid`.
    pub fn get(&self, ssid: u16) -> Option<&Registration> {
        self.by_ssid.get(&ssid).map(|(_, r)| r)
    }

    /// True while some server is registered.
    pub fn any_registered(&self) -> bool {
        self.by_ssid.values().any(|(_, r)| r.is_registered())
    }

    /// True while the procedure has servers and some of them is trying, waiting for its next
    /// attempt or disabled.
    pub fn trying(&self) -> bool {
        self.plan.iter().next().is_some() && self.plan.verdict() == Verdict::Alive
    }

    /// The next Update due (of a registration with nothing in flight) and the next Register
    /// attempt of the procedure.
    pub fn deadlines(&self) -> [Option<u64>; 2] {
        let updates = self
            .by_ssid
            .values()
            .filter(|(_, r)| r.pending().is_none())
            .filter_map(|(_, r)| r.next_update)
            .min();
        [updates, self.plan.next_deadline()]
    }
}

impl Client {
    /// Step 3: a fresh procedure for every configured server (each after its Initial
    /// Registration Delay, ordered servers one after another); with none, step 4. A server
    /// still registered (kept across a bootstrap) counts as registered in the new procedure.
    pub(super) fn begin_registration(&mut self, now: u64, reason: StateReason) {
        self.registrations.reason = reason;
        self.failure_reason = StateReason::None;
        let servers =
            RegistrationPlan::servers_of(self.store.committed(), &self.config.retry_defaults);
        self.registrations.plan = RegistrationPlan::new(&servers, now);
        let registered: Vec<u16> = self
            .registrations
            .by_ssid
            .iter()
            .filter(|(_, (_, r))| r.is_registered())
            .map(|(ssid, _)| *ssid)
            .collect();
        for ssid in registered {
            self.registrations.plan.on_registered(ssid, now);
        }
        self.run_due_registrations(now);
    }

    /// After a committed bootstrap (Core 1.1 §5.2.5): a server whose session material (URI,
    /// Security Mode, keys: [`crate::security::SESSION_RESOURCES`]) changed, or whose
    /// account is gone, loses its session (close_notify) and registration, and registers
    /// anew over a new handshake; a registered server the bootstrap did not touch keeps its
    /// session and registration (an Update follows only if its lifetime or binding changed).
    pub(super) fn restart_registrations(&mut self, now: u64) {
        let keep: Vec<u16> = self
            .registrations
            .by_ssid
            .iter()
            .filter(|(ssid, (conn, reg))| {
                reg.is_registered() && self.session_still_valid(**ssid, *conn)
            })
            .map(|(ssid, _)| *ssid)
            .collect();
        let drop: Vec<(u16, ConnId)> = self
            .registrations
            .by_ssid
            .iter()
            .filter(|(ssid, _)| !keep.contains(ssid))
            .map(|(ssid, (conn, _))| (*ssid, *conn))
            .collect();
        for (ssid, conn) in drop {
            self.registrations.by_ssid.remove(&ssid);
            self.close_connection(conn);
        }
        self.begin_registration(now, StateReason::Bootstrapped);
        for ssid in keep {
            if self.server_attributes_changed(ssid) {
                self.send_update(now, ssid);
            }
        }
    }

    /// True when `conn` (the session of `ssid`) is usable and was built from the session
    /// material the committed configuration still holds for `ssid`, with a Server instance.
    fn session_still_valid(&self, ssid: u16, conn: ConnId) -> bool {
        let model = self.store.committed();
        let Some(c) = self.connections.get(conn).filter(|c| c.usable()) else { return false };
        model.server_for_ssid(ssid).is_some()
            && c.material == session_material(model.security_for_ssid(ssid))
    }

    /// True when `ssid`'s Server instance holds a lifetime or binding other than the ones it
    /// registered with.
    fn server_attributes_changed(&self, ssid: u16) -> bool {
        self.registrations.by_ssid.get(&ssid).is_some_and(|(_, r)| {
            let server = self.store.committed().server_for_ssid(ssid);
            server.is_some_and(|s| s.lifetime_s() != r.lifetime_s || s.binding() != r.binding)
        })
    }

    /// True while some server is registered, trying, waiting for its next attempt or
    /// disabled.
    pub(super) fn registration_alive(&self) -> bool {
        self.registrations.any_registered() || self.registrations.trying()
    }

    /// After a failure: when every server failed, bootstrap (step 4) if one of them asks for
    /// it (/1/x/16, default true) or there is no server; otherwise the client fails.
    fn check_verdict(&mut self, now: u64) {
        if !matches!(self.bootstrap.lifecycle(), Lifecycle::Idle)
            || self.failure_reason != StateReason::None
            || self.run == Run::Stopping
        {
            return;
        }
        if self.registrations.any_registered() {
            return;
        }
        match self.registrations.plan.verdict() {
            Verdict::Alive => {}
            Verdict::Bootstrap => {
                let reason = if self.registrations.plan.iter().next().is_none() {
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
            .by_ssid
            .iter()
            .filter(|(_, (_, r))| r.next_update.is_some_and(|t| now >= t) && r.pending().is_none())
            .map(|(ssid, _)| *ssid)
            .collect();
        let epoch = self.card.epoch;
        for ssid in due {
            self.send_update(now, ssid);
            if self.card.epoch != epoch {
                return;
            }
        }
        self.run_due_registrations(now);
    }

    fn run_due_registrations(&mut self, now: u64) {
        let epoch = self.card.epoch;
        loop {
            let due = self.registrations.plan.due(now);
            if due.is_empty() {
                break;
            }
            for ssid in due {
                self.attempt_register(now, ssid);
                if self.card.epoch != epoch {
                    // The card changed: a new procedure already runs for the new configuration.
                    return;
                }
            }
        }
        self.check_verdict(now);
    }

    /// One Register attempt for `ssid`; an unusable account fails it at once. With a card
    /// configuration applied, the card is checked first (Core 1.1 §5.2.3.2).
    fn attempt_register(&mut self, now: u64, ssid: u16) {
        if !self.card_check(now) {
            return;
        }
        self.registrations.plan.on_attempt(ssid);
        if !self.register(now, ssid) {
            self.registration_failed(ssid, RegistrationFailure::Unusable);
            self.registrations.plan.on_failure(ssid, AttemptFailure::Rejected, now);
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
        let Ok(target) = security.target(self.config.policy.modes) else {
            return false;
        };
        let lifetime = server.lifetime_s();
        let binding = String::from(server.binding());
        let payload = registration::register_payload(
            model,
            &self.config.objects,
            self.config.version,
            self.config.preferred_format,
        );
        let request = registration::register_request(
            &target.uri,
            &self.config.endpoint_name,
            lifetime,
            self.config.version,
            &binding,
            payload,
        );
        let conn = match self.registrations.by_ssid.get(&ssid) {
            Some((conn, _)) if self.connections.usable(*conn) => *conn,
            _ => self.open_connection(now, target, Role::Server(ssid)),
        };
        let Some(id) = self.connections.send_request(now, conn, request) else { return false };
        let mut reg = registration::Registration::registering(ssid, id, lifetime);
        reg.binding = binding;
        self.registrations.by_ssid.insert(ssid, (conn, reg));
        true
    }

    /// Sends an Update to `ssid`, with `lt=` / `b=` when the lifetime / binding in its Server
    /// instance differ from what it registered with. Deferred while a request is in flight.
    pub(super) fn send_update(&mut self, now: u64, ssid: u16) {
        let server = self.store.committed().server_for_ssid(ssid);
        let lifetime = server.map(|s| s.lifetime_s());
        let binding = server.map(|s| String::from(s.binding()));
        let Some((_, reg)) = self.registrations.by_ssid.get_mut(&ssid) else { return };
        if !reg.is_registered() {
            return;
        }
        if reg.pending().is_some() {
            reg.update_deferred = true;
            return;
        }
        if !self.card_check(now) {
            return;
        }
        let Some((conn, reg)) = self.registrations.by_ssid.get_mut(&ssid) else { return };
        let Some(c) = self.connections.get_mut(*conn) else { return };
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
        let Some((conn, reg)) = self.registrations.by_ssid.get_mut(&ssid) else { return };
        if !reg.is_registered() {
            if let Some(id) = reg.pending() {
                self.connections.cancel(*conn, id);
            }
            let conn = *conn;
            self.registrations.by_ssid.remove(&ssid);
            self.close_connection(conn);
            return;
        }
        let Some(c) = self.connections.get_mut(*conn) else { return };
        if let Some(id) = reg.pending() {
            c.endpoint.cancel(id);
        }
        let id = c.endpoint.send_request(now, registration::deregister_request(&reg.location));
        reg.state = RegistrationState::Deregistering(id);
        reg.next_update = None;
    }

    /// A transport error on `ssid`'s connection: the outstanding request fails now.
    pub(super) fn on_registration_transport_error(&mut self, now: u64, conn: ConnId, ssid: u16) {
        let Some((c, reg)) = self.registrations.by_ssid.get(&ssid) else { return };
        let Some(id) = reg.pending().filter(|_| *c == conn) else { return };
        self.connections.cancel(conn, id);
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
        failure: ChannelFailure,
    ) {
        let alert = failure.alert;
        if let Some(alert) = alert {
            self.keep_alert_code(ssid, alert);
        }
        let Some((c, reg)) = self.registrations.by_ssid.get(&ssid) else { return };
        if *c != conn {
            return;
        }
        let reason = match failure.kind {
            FailureKind::Refused => RegistrationFailure::SecurityRefused,
            _ => RegistrationFailure::Handshake { alert },
        };
        match reg.pending() {
            Some(id) => self.on_registration_response(now, ssid, id, Err(reason)),
            None => {
                self.registration_failed(ssid, reason);
                self.registrations.plan.on_lost(ssid, now);
                self.run_due_registrations(now);
            }
        }
    }

    /// Reports a failed registration with `ssid`, remembered as the root cause should the
    /// fallback to bootstrap find no Bootstrap-Server account.
    fn registration_failed(&mut self, ssid: u16, reason: RegistrationFailure) {
        self.registrations.last_failure = Some((ssid, reason));
        self.events.push_back(Event::RegistrationFailed { ssid, reason });
    }

    /// Keeps the TLS alert of `ssid`'s failed session in its TLS-DTLS Alert Code (/1/x/11),
    /// for the Bootstrap-Server to read; persisted when it changed.
    fn keep_alert_code(&mut self, ssid: u16, alert: u8) {
        let model = self.store.committed_mut();
        let Some(iid) = model.server_for_ssid(ssid).map(|s| s.instance_id) else { return };
        let Some(instance) = model.instance_mut(OBJ_SERVER, iid) else { return };
        let value = Value::Unsigned(u64::from(alert));
        if instance.value(server_res::ALERT_CODE) != Some(&value) {
            instance.set(server_res::ALERT_CODE, value);
            self.configuration_changed();
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
        let Some((conn, reg)) = self.registrations.by_ssid.get_mut(&ssid) else { return };
        let conn = *conn;
        let timed_out = matches!(response, Err(RegistrationFailure::Timeout));
        let outcome = match response {
            Ok(msg) => reg.on_response(id, msg, now, delay(reg.lifetime_s)),
            Err(failure) => reg.on_failure(id, failure),
        };
        match outcome {
            ResponseOutcome::Registered => {
                let location = reg.location_path();
                self.events.push_back(Event::Registered { ssid, location });
                self.registrations.plan.on_registered(ssid, now);
                self.run_due_registrations(now);
            }
            ResponseOutcome::Updated => {
                self.events.push_back(Event::Updated { ssid });
                if core::mem::take(&mut reg.update_deferred) {
                    self.send_update(now, ssid);
                }
            }
            ResponseOutcome::NeedsRegister => {
                if timed_out && self.connections.get(conn).is_some_and(|c| c.is_secure()) {
                    // The server may have lost the session (restart, NAT rebinding after a
                    // sleep): the Register goes over a new handshake.
                    self.close_connection(conn);
                }
                self.registrations.plan.on_lost(ssid, now);
                self.run_due_registrations(now);
            }
            ResponseOutcome::Failed(reason) => {
                self.registration_failed(ssid, reason);
                self.registrations.by_ssid.remove(&ssid);
                self.close_connection(conn);
                let kind = match reason {
                    RegistrationFailure::Rejected(code) if code.class() == 4 => {
                        AttemptFailure::Rejected
                    }
                    RegistrationFailure::Unusable => AttemptFailure::Rejected,
                    _ => AttemptFailure::Transient,
                };
                if self.run != Run::Stopping {
                    self.registrations.plan.on_failure(ssid, kind, now);
                    self.run_due_registrations(now);
                }
            }
            ResponseOutcome::Deregistered => {
                self.events.push_back(Event::Deregistered { ssid });
                self.registrations.by_ssid.remove(&ssid);
                self.close_connection(conn);
                self.finish_stop_if_done();
            }
            ResponseOutcome::Ignored => {}
        }
    }

    // ----- DM requests -------------------------------------------------------------------------

    pub(super) fn on_dm_request(&mut self, now: u64, conn: ConnId, ssid: u16, request: Message) {
        let bootstrapping = self.bootstrap.is_running();
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
            .by_ssid
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
                    self.registrations.plan.set_params(ssid, params);
                }
                if self.server_attributes_changed(ssid) {
                    self.send_update(now, ssid);
                }
            }
        }
    }

    /// Disable (/1/x/4): the 2.04 is queued first, then De-register; the server registers
    /// again after the Disable Timeout. Not a registration failure.
    fn disable(&mut self, now: u64, ssid: u16, timeout_s: u64) {
        self.collect_transmits();
        self.registrations
            .plan
            .on_disabled(ssid, now.saturating_add(timeout_s.saturating_mul(1000)));
        self.deregister(now, ssid);
    }
}
