//! The client's bootstrap side of the Bootstrap Sequence: step 4 (hold-off listening for a
//! 1.0 server-initiated bootstrap, then the client-initiated bootstrap), the 1.1 trigger,
//! the `pct` fallback, the back-off after failures, the Bootstrap-Server account timeout.
//!
//! [`BootstrapSide`] holds it; where the bootstrap stands is one [`Lifecycle`] value, changed
//! only by [`BootstrapSide::transition`].

use super::connection::Role;
use super::{Client, ConnId, Event};
use crate::bootstrap::session::Phase;
use crate::bootstrap::{
    self, BootstrapFailure, BootstrapSession, FirmwareTransaction, OperationContext, Outcome,
};
use crate::coap::{Code, FailureReason, Message, RequestId};
use crate::model::{server_res, AccountError, Value, OBJ_SECURITY, OBJ_SERVER};
use crate::rules::{BootstrapBackoff, StateReason};
use crate::security::{ChannelFailure, FailureKind};

/// A bootstrap on a connection to the Bootstrap-Server.
pub(super) struct Running {
    /// Its connection.
    pub conn: ConnId,
    /// Its timers, the Bootstrap-Request outstanding, the `pct` fallback.
    pub session: BootstrapSession,
    /// Why it runs.
    pub reason: StateReason,
}

/// An accepted Bootstrap-Finish whose answer waits for its storage write.
pub(super) struct HeldFinish {
    request: Message,
    response: Message,
    /// The Finish came from the Bootstrap-Server (answered); a Bootstrap-Pack's own Finish
    /// is not sent anywhere.
    answer: bool,
}

/// Where the bootstrap stands (Core 1.1 §5.2.4 step 4 and the bootstrap itself):
/// `Idle → HoldOff → Initiated → Pending → Finishing → Idle`, with `Failed` (waiting out the
/// back-off) after a failure while no registration is alive.
pub(super) enum Lifecycle {
    /// No bootstrap running or waiting.
    Idle,
    /// Waiting out the Client Hold Off Time (/0/x/11) until `until`, listening on `listen`
    /// for a 1.0 server-initiated bootstrap; then a client-initiated one, for `reason`.
    HoldOff {
        /// End of the hold-off.
        until: u64,
        /// Why the bootstrap after it runs.
        reason: StateReason,
        /// The connection held open to the Bootstrap-Server.
        listen: Option<ConnId>,
    },
    /// The Bootstrap-Request is outstanding.
    Initiated(Running),
    /// The Bootstrap-Server accepted the request (or pushed operations): operations until
    /// Bootstrap-Finish.
    Pending(Running),
    /// Bootstrap-Finish accepted; its answer waits for the storage write.
    Finishing(Running, HeldFinish),
    /// The last bootstrap failed; the next one starts at `retry_at` (the back-off).
    Failed {
        /// When the next bootstrap starts.
        retry_at: u64,
    },
}

impl Lifecycle {
    fn rank(&self) -> u8 {
        match self {
            Lifecycle::Idle => 0,
            Lifecycle::HoldOff { .. } => 1,
            Lifecycle::Initiated(_) => 2,
            Lifecycle::Pending(_) => 3,
            Lifecycle::Finishing(..) => 4,
            Lifecycle::Failed { .. } => 5,
        }
    }
}

/// The transitions [`BootstrapSide::transition`] allows (from, to): anything may go back to
/// `Idle` (stop, a card change, the account purged, success).
const TRANSITIONS: [(u8, u8); 10] = [
    (0, 1), // Idle → HoldOff: every server failed (step 4)
    (0, 2), // Idle → Initiated: no hold-off, a trigger, the firmware's request
    (1, 2), // HoldOff → Initiated: the hold-off ended, or a trigger
    (1, 3), // HoldOff → Pending: the Bootstrap-Server pushed an operation (1.0)
    (2, 3), // Initiated → Pending: the request was accepted (or an operation came first)
    (2, 5), // Initiated → Failed: refused, timed out, reset, handshake, transport
    (3, 4), // Pending → Finishing: Finish accepted, its write handed out
    (3, 5), // Pending → Failed: Finish timeout, handshake
    (4, 5), // Finishing → Failed: the write failed or was not reported in time
    (5, 2), // Failed → Initiated: the back-off ended, or a trigger
];

/// The client's bootstrap side.
pub(super) struct BootstrapSide {
    lifecycle: Lifecycle,
    /// The back-off between failed bootstraps.
    pub backoff: BootstrapBackoff,
    /// When the Bootstrap-Server account is purged (/0/x/12 after a successful bootstrap).
    pub purge_at: Option<u64>,
    /// Steps 1 and 2 were tried at `start`: server-initiated bootstraps are accepted.
    pub steps_tried: bool,
    /// The firmware's side of the transaction for its own objects.
    pub firmware: Option<FirmwareTransaction>,
    /// The committed configuration changed while a Finish waited for its write: saved when
    /// the Finish fails (when it succeeds the new configuration replaces that change).
    pub write_deferred: bool,
    /// The accepted Finish's own image was handed out (a write in flight before it is
    /// completed first: its report is not the Finish's).
    pub finish_write_out: bool,
}

impl BootstrapSide {
    /// Nothing pending, with this back-off.
    pub fn new(backoff: BootstrapBackoff) -> BootstrapSide {
        BootstrapSide {
            lifecycle: Lifecycle::Idle,
            backoff,
            purge_at: None,
            steps_tried: false,
            firmware: None,
            write_deferred: false,
            finish_write_out: false,
        }
    }

    /// Where the bootstrap stands.
    pub fn lifecycle(&self) -> &Lifecycle {
        &self.lifecycle
    }

    /// The one transition of the lifecycle: `step` maps the state left to the next one and
    /// to what the caller keeps of it. A transition outside [`TRANSITIONS`] (other than back
    /// to `Idle`) is a bug, caught in debug builds.
    pub fn transition<T>(&mut self, step: impl FnOnce(Lifecycle) -> (Lifecycle, T)) -> T {
        let old = core::mem::replace(&mut self.lifecycle, Lifecycle::Idle);
        let from = old.rank();
        let (next, kept) = step(old);
        let edge = (from, next.rank());
        debug_assert!(edge.1 == 0 || TRANSITIONS.contains(&edge), "bootstrap transition {edge:?}");
        self.lifecycle = next;
        kept
    }

    /// [`BootstrapSide::transition`] to `next`; returns the state left.
    pub fn enter(&mut self, next: Lifecycle) -> Lifecycle {
        self.transition(|old| (next, old))
    }

    /// The running bootstrap (initiated, pending or finishing).
    pub fn running(&self) -> Option<&Running> {
        match &self.lifecycle {
            Lifecycle::Initiated(r) | Lifecycle::Pending(r) | Lifecycle::Finishing(r, _) => Some(r),
            _ => None,
        }
    }

    /// The running bootstrap, to update its session.
    pub fn running_mut(&mut self) -> Option<&mut Running> {
        match &mut self.lifecycle {
            Lifecycle::Initiated(r) | Lifecycle::Pending(r) | Lifecycle::Finishing(r, _) => Some(r),
            _ => None,
        }
    }

    /// True while a bootstrap runs.
    pub fn is_running(&self) -> bool {
        self.running().is_some()
    }

    /// True while a bootstrap runs on `conn`.
    pub fn runs_on(&self, conn: ConnId) -> bool {
        self.running().is_some_and(|r| r.conn == conn)
    }

    /// True while an accepted Finish waits for its storage write.
    pub fn is_finishing(&self) -> bool {
        matches!(self.lifecycle, Lifecycle::Finishing(..))
    }

    /// The Bootstrap-Request outstanding on `conn`.
    pub fn request_on(&self, conn: ConnId) -> Option<RequestId> {
        self.running().filter(|r| r.conn == conn).and_then(|r| r.session.pending_request())
    }

    /// The connection held open during the hold-off.
    pub fn listen_conn(&self) -> Option<ConnId> {
        match self.lifecycle {
            Lifecycle::HoldOff { listen, .. } => listen,
            _ => None,
        }
    }

    /// Forgets the listening connection when it is `conn` (it failed or could not open).
    pub fn drop_listen_conn(&mut self, conn: ConnId) {
        if let Lifecycle::HoldOff { listen, .. } = &mut self.lifecycle {
            if *listen == Some(conn) {
                *listen = None;
            }
        }
    }

    /// An initiated bootstrap whose session opened (the request accepted, or an operation
    /// arrived) is pending.
    pub fn sync_phase(&mut self) {
        if matches!(&self.lifecycle, Lifecycle::Initiated(r) if r.session.phase() == Phase::Open) {
            self.transition(|old| match old {
                Lifecycle::Initiated(running) => (Lifecycle::Pending(running), ()),
                other => (other, ()),
            });
        }
    }

    /// The bootstrap's deadlines: the Finish deadline, the end of the hold-off, the back-off
    /// retry, the account purge (which waits for a running bootstrap to end).
    pub fn deadlines(&self) -> [Option<u64>; 4] {
        let (hold_off, retry) = match self.lifecycle {
            Lifecycle::HoldOff { until, .. } => (Some(until), None),
            Lifecycle::Failed { retry_at } => (None, Some(retry_at)),
            _ => (None, None),
        };
        let finish = self.running().and_then(|r| r.session.deadline());
        [finish, hold_off, retry, self.purge_at.filter(|_| !self.is_running())]
    }
}

impl Client {
    /// Step 4 of the sequence: every server failed (or there is none). Waits the Client Hold
    /// Off Time (/0/x/11) with a connection to the Bootstrap-Server open to listen for a 1.0
    /// server-initiated bootstrap, then bootstraps.
    pub(super) fn fall_back_to_bootstrap(&mut self, now: u64, reason: StateReason) {
        let Some(account) = self.store.committed().bootstrap_account() else {
            self.failure_reason = StateReason::NoBootstrapAccount;
            let failure = match self.registrations.last_failure {
                Some((ssid, cause)) if reason == StateReason::RegistrationFailed => {
                    BootstrapFailure::NoFallback { ssid, cause }
                }
                _ => BootstrapFailure::NoBootstrapAccount,
            };
            self.events.push_back(Event::BootstrapFailed { reason: failure });
            return;
        };
        let hold_off_ms = account.hold_off_s().saturating_mul(1000);
        let target = match account.target(self.config.policy.modes) {
            Ok(target) if hold_off_ms > 0 => target,
            // No hold-off, or an unusable account (the bootstrap reports why).
            _ => return self.start_bootstrap(now, reason),
        };
        let listen = match self.bootstrap.listen_conn() {
            Some(conn) => conn,
            None => self.open_connection(now, target, Role::Bootstrap),
        };
        let until = now.saturating_add(hold_off_ms);
        self.bootstrap.enter(Lifecycle::HoldOff { until, reason, listen: Some(listen) });
    }

    /// Starts a client-initiated bootstrap: `POST /bs?ep=&pct=` on the listening connection
    /// when there is one, else on a new connection to the Bootstrap-Server.
    pub(super) fn start_bootstrap(&mut self, now: u64, reason: StateReason) {
        if !self.card_check(now) {
            return;
        }
        if self.bootstrap.is_running() {
            return;
        }
        // The hold-off (its connection carries the request) or the back-off ends here.
        let listen = self.bootstrap.listen_conn();
        self.bootstrap.enter(Lifecycle::Idle);
        let Some(account) = self.store.committed().bootstrap_account() else {
            return self.bootstrap_not_started(listen, BootstrapFailure::NoBootstrapAccount);
        };
        let target = match account.target(self.config.policy.modes) {
            Ok(target) => target,
            Err(e) => return self.bootstrap_not_started(listen, not_startable(e)),
        };
        self.events.push_back(Event::BootstrapStarted);
        let pct = (self.config.version != crate::model::Version::V1_0)
            .then_some(self.config.preferred_format);
        let pack = self.config.pack_format().filter(|_| {
            self.config.bootstrap_pack && self.config.version != crate::model::Version::V1_0
        });
        let request = match pack {
            Some(format) => {
                bootstrap::bootstrap_pack_request(&target.uri, &self.config.endpoint_name, format)
            }
            None => bootstrap::bootstrap_request(&target.uri, &self.config.endpoint_name, pct),
        };
        let conn = match listen {
            Some(conn) if self.connections.get(conn).is_some() => conn,
            _ => self.open_connection(now, target, Role::Bootstrap),
        };
        let lifetime = self.config.transmission.exchange_lifetime_ms();
        let Some(id) = self.connections.send_request(now, conn, request) else { return };
        let mut session = BootstrapSession::client_initiated(id, lifetime);
        session = match pack {
            Some(format) => session.with_pack(format),
            None => session.with_pct(pct),
        };
        self.bootstrap.enter(Lifecycle::Initiated(Running { conn, session, reason }));
    }

    /// A bootstrap that could not even start (no account, or an unusable one); `listen` is
    /// the hold-off's connection, closed.
    fn bootstrap_not_started(&mut self, listen: Option<ConnId>, reason: BootstrapFailure) {
        if let Some(conn) = listen {
            self.close_connection(conn);
        }
        self.events.push_back(Event::BootstrapFailed { reason });
        if !self.registration_alive() {
            self.failure_reason = match reason {
                BootstrapFailure::NoBootstrapAccount => StateReason::NoBootstrapAccount,
                _ => StateReason::BootstrapFailed,
            };
        }
    }

    /// A request from the Bootstrap-Server's peer: an operation of the running bootstrap, or
    /// the first operation of a 1.0 server-initiated bootstrap on the connection held open
    /// during the hold-off (accepted only once steps 1 and 2 were tried).
    pub(super) fn on_bootstrap_request(&mut self, now: u64, conn: ConnId, request: Message) {
        if !self.bootstrap.runs_on(conn) {
            let push = self.bootstrap.listen_conn() == Some(conn) && self.bootstrap.steps_tried;
            if !push {
                // No bootstrap on this connection: a Finish (or anything) outside one.
                let response = Message::response_to(&request, Code::BAD_REQUEST);
                return self.respond(now, conn, &request, response);
            }
            self.events.push_back(Event::BootstrapStarted);
            let lifetime = self.config.transmission.exchange_lifetime_ms();
            let session = BootstrapSession::server_initiated(now, lifetime);
            let reason = StateReason::ServerPush;
            self.bootstrap.enter(Lifecycle::Pending(Running { conn, session, reason }));
        }
        if self.bootstrap.is_finishing() {
            // The Finish waits for its storage write: nothing else is taken meanwhile.
            let response = Message::response_to(&request, Code::SERVICE_UNAVAILABLE);
            return self.respond(now, conn, &request, response);
        }
        let Some(running) = self.bootstrap.running_mut() else { return };
        running.session.on_operation(now);
        self.bootstrap.sync_phase();
        let ctx = OperationContext {
            version: self.config.version,
            objects: &self.config.objects,
            policy: &self.config.policy,
        };
        let (response, outcome) =
            bootstrap::handle(&mut self.store, &request, &ctx, self.bootstrap.firmware.as_mut());
        if outcome == Outcome::Finished {
            return self.accept_finish(now, request, response);
        }
        self.respond(now, conn, &request, response);
        match outcome {
            Outcome::Operation | Outcome::Finished => {}
            Outcome::Rejected(findings) => {
                self.events.push_back(Event::BootstrapFinishRefused { findings: findings.len() })
            }
            Outcome::Vetoed => self.events.push_back(Event::BootstrapFinishRefused { findings: 1 }),
        }
    }

    pub(super) fn on_bootstrap_response(&mut self, now: u64, id: RequestId, response: &Message) {
        let code = response.code;
        let Some(running) = self.bootstrap.running() else { return };
        if running.session.pending_request() != Some(id) {
            return;
        }
        if running.session.pack_request().is_some() {
            return self.on_pack_response(now, response);
        }
        if running.session.wants_retry_without_pct(code) {
            // A 1.0 server refusing `pct` with 4.00 (`pct` is a 1.1 Bootstrap-Request
            // parameter, Core 1.1.1 §6.1.7.1): once more as a 1.0 request.
            let conn = running.conn;
            let account = self.store.committed().bootstrap_account();
            let target = account.and_then(|a| a.target(self.config.policy.modes).ok());
            if let Some(target) = target {
                let request =
                    bootstrap::bootstrap_request(&target.uri, &self.config.endpoint_name, None);
                if let Some(new_id) = self.connections.send_request(now, conn, request) {
                    if let Some(running) = self.bootstrap.running_mut() {
                        running.session.retried_without_pct(new_id);
                    }
                    return;
                }
            }
        }
        let Some(running) = self.bootstrap.running_mut() else { return };
        match running.session.on_request_response(now, code) {
            Ok(()) => self.bootstrap.sync_phase(),
            Err(failure) => self.fail_bootstrap(now, failure),
        }
    }

    /// The answer to the Bootstrap-Pack-Request: 2.05 is applied ([`Client::apply_pack`]); a
    /// server without packs is asked the classic way; any other answer fails the attempt.
    fn on_pack_response(&mut self, now: u64, response: &Message) {
        let Some(running) = self.bootstrap.running() else { return };
        let conn = running.conn;
        if running.session.wants_fallback_from_pack(response.code) {
            let account = self.store.committed().bootstrap_account();
            let target = account.and_then(|a| a.target(self.config.policy.modes).ok());
            let pct = Some(self.config.preferred_format);
            if let Some(target) = target {
                let request =
                    bootstrap::bootstrap_request(&target.uri, &self.config.endpoint_name, pct);
                if let Some(new_id) = self.connections.send_request(now, conn, request) {
                    if let Some(running) = self.bootstrap.running_mut() {
                        running.session.fell_back_from_pack(new_id, pct);
                    }
                    return;
                }
            }
        }
        if response.code != Code::CONTENT {
            return self.fail_bootstrap(now, BootstrapFailure::Rejected(response.code));
        }
        if let Err(failure) = self.apply_pack(now, response) {
            self.fail_bootstrap(now, failure);
        }
    }

    /// Applies a Bootstrap-Pack (LwM2M 1.2): as the Bootstrap-Server's `PUT /0`, `PUT /1`,
    /// `PUT /2` of its records (TLV, through the same operations, so every Bootstrap-Write
    /// rule holds) and a Finish, whose checks, storage write and commit are those of any
    /// Finish; only no response goes out. Records of other objects refuse the pack.
    #[cfg(not(any(feature = "senml-json", feature = "senml-cbor", feature = "lwm2m-cbor")))]
    fn apply_pack(&mut self, _now: u64, _response: &Message) -> Result<(), BootstrapFailure> {
        Err(BootstrapFailure::BadPack) // never asked for: no format to ask in
    }

    /// Applies a Bootstrap-Pack (see above).
    #[cfg(any(feature = "senml-json", feature = "senml-cbor", feature = "lwm2m-cbor"))]
    fn apply_pack(&mut self, now: u64, response: &Message) -> Result<(), BootstrapFailure> {
        use crate::coap::content_format as cf;
        let asked = self.bootstrap.running().and_then(|r| r.session.pack_request());
        let format = response.content_format().or(asked).unwrap_or(cf::SENML_CBOR);
        let records = crate::codec::parse_records(format, &response.payload)
            .ok_or(BootstrapFailure::BadPack)?
            .map_err(|_| BootstrapFailure::BadPack)?;
        let writes = crate::codec::pack_writes(&records).map_err(|_| BootstrapFailure::BadPack)?;
        if let Some(running) = self.bootstrap.running_mut() {
            running.session.on_operation(now);
        }
        self.bootstrap.sync_phase();
        let ctx = OperationContext {
            version: self.config.version,
            objects: &self.config.objects,
            policy: &self.config.policy,
        };
        for (object, payload) in writes {
            let mut put = Message::new(crate::coap::MessageType::Confirmable, Code::PUT);
            put.set_uri_path(&[&alloc::format!("{object}")]);
            put.set_content_format(cf::TLV);
            put.payload = payload;
            let (reply, _) =
                bootstrap::handle(&mut self.store, &put, &ctx, self.bootstrap.firmware.as_mut());
            if reply.code != Code::CHANGED {
                return Err(BootstrapFailure::BadPack);
            }
        }
        let mut finish = Message::new(crate::coap::MessageType::Confirmable, Code::POST);
        finish.set_uri_path(&["bs"]);
        let (reply, outcome) =
            bootstrap::handle(&mut self.store, &finish, &ctx, self.bootstrap.firmware.as_mut());
        match outcome {
            Outcome::Finished => {
                self.accept_finish_as(now, finish, reply, false);
                Ok(())
            }
            Outcome::Rejected(findings) => {
                self.events.push_back(Event::BootstrapFinishRefused { findings: findings.len() });
                Err(BootstrapFailure::BadPack)
            }
            Outcome::Vetoed => {
                self.events.push_back(Event::BootstrapFinishRefused { findings: 1 });
                Err(BootstrapFailure::BadPack)
            }
            Outcome::Operation => Err(BootstrapFailure::BadPack),
        }
    }

    pub(super) fn on_bootstrap_request_failed(
        &mut self,
        now: u64,
        id: RequestId,
        reason: FailureReason,
    ) {
        let pending = self.bootstrap.running().and_then(|r| r.session.pending_request());
        if pending == Some(id) {
            self.fail_bootstrap(
                now,
                match reason {
                    FailureReason::Reset => BootstrapFailure::Reset,
                    _ => BootstrapFailure::RequestTimeout,
                },
            );
        }
    }

    /// A transport error on a Bootstrap-Server connection: fails an outstanding
    /// Bootstrap-Request; anything else (the listening connection, an open session) is
    /// left to its timers.
    pub(super) fn on_bootstrap_transport_error(&mut self, now: u64, conn: ConnId) {
        let Some(id) = self.bootstrap.request_on(conn) else { return };
        self.connections.cancel(conn, id);
        self.fail_bootstrap(now, BootstrapFailure::Transport);
    }

    /// The secure channel of a Bootstrap-Server connection failed (handshake timeout, fatal
    /// alert, unusable credentials; the connection is already gone): the running bootstrap
    /// on it fails (back-off as for any failure); a failed listening connection is dropped.
    pub(super) fn on_bootstrap_channel_failure(
        &mut self,
        now: u64,
        conn: ConnId,
        failure: ChannelFailure,
    ) {
        self.bootstrap.drop_listen_conn(conn);
        if self.bootstrap.runs_on(conn) {
            let reason = match failure.kind {
                FailureKind::Refused => BootstrapFailure::SecurityRefused,
                _ => BootstrapFailure::Handshake { alert: failure.alert },
            };
            self.fail_bootstrap(now, reason);
        }
    }

    /// Finish accepted (valid, the firmware agreed): Last Bootstrapped is stamped into the
    /// staged configuration, which goes out as an [`Event::StorageWrite`]. Its 2.04, the
    /// commit and everything after wait for the firmware's report
    /// ([`Client::storage_write_done`] / [`Client::storage_write_failed`]), at most until the
    /// Finish deadline. While a smartcard configuration is applied nothing is saved (see
    /// `configuration_changed`): the bootstrap completes at once.
    fn accept_finish(&mut self, now: u64, request: Message, response: Message) {
        self.accept_finish_as(now, request, response, true);
    }

    /// [`Client::accept_finish`]; `answer`: the Finish came from the Bootstrap-Server.
    fn accept_finish_as(&mut self, now: u64, request: Message, response: Message, answer: bool) {
        if let Some(unix) = self.unix_time(now) {
            let model = self.store.staged_mut();
            let iids: alloc::vec::Vec<u16> = model.instance_ids(OBJ_SERVER).collect();
            for iid in iids {
                if let Some(instance) = model.instance_mut(OBJ_SERVER, iid) {
                    instance.set(server_res::LAST_BOOTSTRAPPED, Value::Time(unix));
                }
            }
        }
        let held = HeldFinish { request, response, answer };
        self.bootstrap.transition(|old| match old {
            Lifecycle::Pending(running) => (Lifecycle::Finishing(running, held), ()),
            other => (other, ()),
        });
        if self.smartcard_applied() {
            return self.complete_bootstrap(now);
        }
        self.bootstrap.finish_write_out = false;
        if core::mem::take(&mut self.slots_queued) {
            // A change of the configuration kept waited for an earlier write: it goes with
            // the previous configuration if this Finish fails.
            self.bootstrap.write_deferred = true;
        }
        self.hand_out_write();
    }

    /// The Finish's configuration is durable: it is committed, the Finish answered 2.04 and
    /// the session closed. Resets the back-off, starts the Bootstrap-Server Account Timeout,
    /// registers anew.
    pub(super) fn complete_bootstrap(&mut self, now: u64) {
        if !self.bootstrap.is_finishing() {
            return;
        }
        let Lifecycle::Finishing(running, held) = self.bootstrap.enter(Lifecycle::Idle) else {
            return;
        };
        let conn = running.conn;
        self.store.commit();
        if let Some(firmware) = self.bootstrap.firmware.as_mut() {
            firmware.end(true);
        }
        // Changes made to the previous configuration meanwhile went with it.
        self.bootstrap.write_deferred = false;
        if held.answer {
            self.respond(now, conn, &held.request, held.response);
        }
        self.close_connection(conn);
        self.bootstrap.backoff.reset();
        let timeout_s =
            self.store.committed().bootstrap_account().map_or(0, |a| a.account_timeout_s());
        self.bootstrap.purge_at =
            (timeout_s > 0).then(|| now.saturating_add(timeout_s.saturating_mul(1000)));
        let accounts = self.store.committed().server_account_pairs().count();
        self.events.push_back(Event::BootstrapFinished { accounts });
        self.connections.prune_sessions(self.store.committed());
        self.events.push_back(Event::ConfigurationChanged);
        // The Finish response and the bootstrap session's close_notify go out before any
        // Register or Update that follows.
        self.flush_connection(conn);
        self.restart_registrations(now);
    }

    /// The running bootstrap failed: nothing of it is kept (an accepted Finish still waiting
    /// for its storage write is answered 5.00). When no registration is alive the next
    /// bootstrap starts after the back-off (exponential, jittered, capped).
    pub(super) fn fail_bootstrap(&mut self, now: u64, reason: BootstrapFailure) {
        if !self.bootstrap.is_running() {
            return;
        }
        let retry = self.is_running()
            && reason != BootstrapFailure::Cancelled
            && !self.registration_alive();
        let next = match retry {
            true => {
                let delay = self.bootstrap.backoff.on_failure(&mut self.rng);
                Lifecycle::Failed { retry_at: now.saturating_add(delay) }
            }
            false => Lifecycle::Idle,
        };
        let (conn, held) = match self.bootstrap.enter(next) {
            Lifecycle::Initiated(r) | Lifecycle::Pending(r) => (r.conn, None),
            Lifecycle::Finishing(r, held) => (r.conn, Some(held)),
            _ => return,
        };
        if let Some(held) = held {
            // An accepted Finish whose configuration is not durable: 5.00, never 2.04.
            if held.answer {
                let response = Message::response_to(&held.request, Code::INTERNAL_SERVER_ERROR);
                self.respond(now, conn, &held.request, response);
            }
            if reason != BootstrapFailure::Storage {
                // Stopped or cut off while the write was pending: it counts as failed, and the
                // firmware is told so (StorageFailed), as at the Finish deadline, so that it
                // abandons the write. (Found by the whole-client fuzz target: without the
                // event, a firmware completed the given-up write, the client then wrote the
                // same slot and generation again, and a torn rewrite left no valid image.)
                if let Some((slot, generation)) = self.slots.write_failed() {
                    self.events.push_back(Event::StorageFailed { slot, generation });
                }
            }
        }
        self.close_connection(conn);
        self.store.rollback();
        if let Some(firmware) = self.bootstrap.firmware.as_mut() {
            firmware.end(false);
        }
        self.events.push_back(Event::BootstrapFailed { reason });
        if core::mem::take(&mut self.bootstrap.write_deferred) {
            // A change of the configuration kept, made while the Finish's write was pending.
            self.configuration_changed();
        }
        if retry {
            self.failure_reason = StateReason::BootstrapFailed;
        }
    }

    /// The 1.1 Bootstrap-Request Trigger (/1/x/9) was executed and answered 2.04; the answer
    /// is queued before the Bootstrap-Request. Registrations stay until the bootstrap
    /// succeeds.
    pub(super) fn on_bootstrap_trigger(&mut self, now: u64) {
        if self.bootstrap.is_running() || self.store.committed().bootstrap_account().is_none() {
            return;
        }
        self.collect_transmits();
        self.start_bootstrap(now, StateReason::ServerTrigger);
    }

    /// Ends the hold-off (closing its connection) and the back-off; forgets the account
    /// purge (start, stop, a card change).
    pub(super) fn reset_bootstrap_timers(&mut self) {
        self.bootstrap.purge_at = None;
        if self.bootstrap.is_running() {
            return;
        }
        if let Lifecycle::HoldOff { listen: Some(conn), .. } = self.bootstrap.enter(Lifecycle::Idle)
        {
            self.close_connection(conn);
        }
    }

    /// Hold-off, back-off retry and account purge deadlines.
    pub(super) fn sequence_timeouts(&mut self, now: u64) {
        match *self.bootstrap.lifecycle() {
            Lifecycle::HoldOff { until, reason, .. } if now >= until => {
                self.start_bootstrap(now, reason)
            }
            Lifecycle::Failed { retry_at } if now >= retry_at => {
                self.start_bootstrap(now, StateReason::BootstrapRetry)
            }
            _ => {}
        }
        if self.bootstrap.purge_at.is_some_and(|t| now >= t) && !self.bootstrap.is_running() {
            self.purge_bootstrap_account();
        }
    }

    /// Bootstrap-Server Account Timeout (/0/x/12) elapsed: the account is purged; /1/x/9 is
    /// answered 4.05 from now on and no bootstrap is possible any more.
    fn purge_bootstrap_account(&mut self) {
        self.bootstrap.purge_at = None;
        let Some(iid) = self.store.committed().bootstrap_account().map(|a| a.instance_id) else {
            return;
        };
        self.store.committed_mut().remove(OBJ_SECURITY, iid);
        self.events.push_back(Event::BootstrapAccountPurged);
        self.configuration_changed();
        if matches!(
            self.bootstrap.lifecycle(),
            Lifecycle::HoldOff { .. } | Lifecycle::Failed { .. }
        ) {
            self.reset_bootstrap_timers();
            self.failure_reason = StateReason::NoBootstrapAccount;
        }
    }
}

/// Why a bootstrap from an unusable Bootstrap-Server account cannot start.
fn not_startable(e: AccountError) -> BootstrapFailure {
    match e {
        AccountError::MissingResource(crate::model::security_res::URI)
        | AccountError::Uri(_)
        | AccountError::UriPartTooLong { .. } => BootstrapFailure::BadUri,
        // Credentials no session accepts: what the handshake would have reported.
        AccountError::Credentials(_) | AccountError::CredentialTooLong { .. } => {
            BootstrapFailure::Handshake { alert: None }
        }
        _ => BootstrapFailure::UnsupportedSecurity,
    }
}
