//! The client's bootstrap side of the Bootstrap Sequence: step 4 (hold-off listening for a
//! 1.0 server-initiated bootstrap, then the client-initiated bootstrap), the 1.1 trigger,
//! the `pct` fallback, the back-off after failures, the Bootstrap-Server account timeout.

use alloc::string::String;

use super::connection::Role;
use super::{Client, ConnId, Event, HeldFinish};
use crate::bootstrap::{self, BootstrapFailure, BootstrapSession, OperationContext, Outcome};
use crate::coap::{Code, FailureReason, Message, RequestId};
use crate::model::{server_res, ServerUri, Value, OBJ_SECURITY, OBJ_SERVER};
use crate::sequence::StateReason;

impl Client {
    /// Step 4 of the sequence: every server failed (or there is none). Waits the Client Hold
    /// Off Time (/0/x/11) with a connection to the Bootstrap-Server open to listen for a 1.0
    /// server-initiated bootstrap, then bootstraps.
    pub(super) fn fall_back_to_bootstrap(&mut self, now: u64, reason: StateReason) {
        let Some(account) = self.store.committed().bootstrap_account() else {
            self.failure_reason = StateReason::NoBootstrapAccount;
            let failure = match self.last_registration_failure {
                Some((ssid, cause)) if reason == StateReason::RegistrationFailed => {
                    BootstrapFailure::NoFallback { ssid, cause }
                }
                _ => BootstrapFailure::NoBootstrapAccount,
            };
            self.events.push_back(Event::BootstrapFailed { reason: failure });
            return self.refresh_state();
        };
        let hold_off_ms = account.hold_off_s().saturating_mul(1000);
        let uri = String::from(account.uri().unwrap_or_default());
        let usable = ServerUri::parse(&uri).is_ok()
            && account.mode().is_some_and(|m| (self.config.policy.supports_mode)(m));
        if hold_off_ms == 0 || !usable {
            return self.start_bootstrap(now, reason);
        }
        self.sequence.hold_off_until = Some(now.saturating_add(hold_off_ms));
        self.sequence.hold_off_reason = reason;
        if self.listen_conn.is_none() {
            self.listen_conn = Some(self.open_connection(now, &uri, Role::Bootstrap));
        }
        self.refresh_state();
    }

    /// Starts a client-initiated bootstrap: `POST /bs?ep=&pct=` on the listening connection
    /// when there is one, else on a new connection to the Bootstrap-Server.
    pub(super) fn start_bootstrap(&mut self, now: u64, reason: StateReason) {
        self.sequence.hold_off_until = None;
        self.sequence.retry_bootstrap_at = None;
        if !self.card_check(now) {
            return;
        }
        let Some(account) = self.store.committed().bootstrap_account() else {
            return self.bootstrap_not_started(now, BootstrapFailure::NoBootstrapAccount);
        };
        let uri_text = String::from(account.uri().unwrap_or_default());
        let mode = account.mode();
        let Ok(uri) = ServerUri::parse(&uri_text) else {
            return self.bootstrap_not_started(now, BootstrapFailure::BadUri);
        };
        if !mode.is_some_and(|m| (self.config.policy.supports_mode)(m)) {
            return self.bootstrap_not_started(now, BootstrapFailure::UnsupportedSecurity);
        }
        self.bootstrap_reason = reason;
        self.events.push_back(Event::BootstrapStarted);
        let conn = match self.listen_conn.take() {
            Some(conn) if self.connections.contains_key(&conn) => conn,
            _ => self.open_connection(now, &uri_text, Role::Bootstrap),
        };
        let pct = (self.config.version != crate::model::Version::V1_0)
            .then_some(self.config.preferred_format);
        let request = bootstrap::bootstrap_request(&uri, &self.config.endpoint, pct);
        let lifetime = self.config.transmission.exchange_lifetime_ms();
        let Some(c) = self.connections.get_mut(&conn) else { return };
        let id = c.endpoint.send_request(now, request);
        self.bootstrap =
            Some((conn, BootstrapSession::client_initiated(id, lifetime).with_pct(pct)));
        self.refresh_state();
    }

    /// A bootstrap that could not even start (no account, unusable URI or mode).
    fn bootstrap_not_started(&mut self, now: u64, reason: BootstrapFailure) {
        self.close_listen_connection();
        self.events.push_back(Event::BootstrapFailed { reason });
        if !self.registration_alive() {
            self.failure_reason = match reason {
                BootstrapFailure::NoBootstrapAccount => StateReason::NoBootstrapAccount,
                _ => StateReason::BootstrapFailed,
            };
        }
        let _ = now;
        self.refresh_state();
    }

    /// A request from the Bootstrap-Server's peer: an operation of the running bootstrap, or
    /// the first operation of a 1.0 server-initiated bootstrap on the connection held open
    /// during the hold-off (accepted only once steps 1 and 2 were tried).
    pub(super) fn on_bootstrap_request(&mut self, now: u64, conn: ConnId, request: Message) {
        let running_here = self.bootstrap.as_ref().is_some_and(|(c, _)| *c == conn);
        if !running_here {
            let push = self.bootstrap.is_none()
                && self.listen_conn == Some(conn)
                && self.sequence.accepts_server_initiated();
            if !push {
                // No bootstrap on this connection: a Finish (or anything) outside one.
                let response = Message::response_to(&request, Code::BAD_REQUEST);
                return self.respond(now, conn, &request, response);
            }
            self.listen_conn = None;
            self.sequence.hold_off_until = None;
            self.bootstrap_reason = StateReason::ServerPush;
            self.events.push_back(Event::BootstrapStarted);
            let lifetime = self.config.transmission.exchange_lifetime_ms();
            self.bootstrap = Some((conn, BootstrapSession::server_initiated(now, lifetime)));
            self.refresh_state();
        }
        if self.held_finish.is_some() {
            // The Finish waits for its storage write: nothing else is taken meanwhile.
            let response = Message::response_to(&request, Code::SERVICE_UNAVAILABLE);
            return self.respond(now, conn, &request, response);
        }
        let Some((_, session)) = self.bootstrap.as_mut() else { return };
        session.on_operation(now);
        let ctx = OperationContext {
            version: self.config.version,
            objects: &self.config.objects,
            policy: &self.config.policy,
        };
        let (response, outcome) =
            bootstrap::handle(&mut self.store, &request, &ctx, self.firmware.as_mut());
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

    pub(super) fn on_bootstrap_response(&mut self, now: u64, id: RequestId, code: Code) {
        let Some((conn, session)) = self.bootstrap.as_mut() else { return };
        if session.pending_request() != Some(id) {
            return;
        }
        if session.wants_retry_without_pct(code) {
            // A 1.0 server refusing `pct` (REFERENCE §7.8): once more as a 1.0 request.
            let conn = *conn;
            let account = self.store.committed().bootstrap_account();
            let uri = account.and_then(|a| a.uri()).and_then(|u| ServerUri::parse(u).ok());
            if let (Some(uri), Some(c)) = (uri, self.connections.get_mut(&conn)) {
                let request = bootstrap::bootstrap_request(&uri, &self.config.endpoint, None);
                let new_id = c.endpoint.send_request(now, request);
                if let Some((_, session)) = self.bootstrap.as_mut() {
                    session.retried_without_pct(new_id);
                }
                return;
            }
        }
        let Some((_, session)) = self.bootstrap.as_mut() else { return };
        if let Err(failure) = session.on_request_response(now, code) {
            self.fail_bootstrap(now, failure);
        }
    }

    pub(super) fn on_bootstrap_request_failed(
        &mut self,
        now: u64,
        id: RequestId,
        reason: FailureReason,
    ) {
        let pending = self.bootstrap.as_ref().and_then(|(_, s)| s.pending_request());
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
        let Some((c, session)) = self.bootstrap.as_ref() else { return };
        let Some(id) = session.pending_request().filter(|_| *c == conn) else { return };
        if let Some(connection) = self.connections.get_mut(&conn) {
            connection.endpoint.cancel(id);
        }
        self.fail_bootstrap(now, BootstrapFailure::Transport);
    }

    /// The secure channel of a Bootstrap-Server connection failed (handshake timeout, fatal
    /// alert, unusable credentials; the connection is already gone): the running bootstrap
    /// on it fails (back-off as for any failure); a failed listening connection is dropped.
    pub(super) fn on_bootstrap_channel_failure(
        &mut self,
        now: u64,
        conn: ConnId,
        alert: Option<u8>,
    ) {
        if self.listen_conn == Some(conn) {
            self.listen_conn = None;
        }
        if self.bootstrap.as_ref().is_some_and(|(c, _)| *c == conn) {
            self.fail_bootstrap(now, BootstrapFailure::Handshake { alert });
        }
    }

    /// Finish accepted (valid, the firmware agreed): Last Bootstrapped is stamped into the
    /// staged configuration, which goes out as an [`Event::StorageWrite`]. Its 2.04, the
    /// commit and everything after wait for the firmware's report
    /// ([`Client::storage_write_done`] / [`Client::storage_write_failed`]), at most until the
    /// Finish deadline. While a smartcard configuration is applied nothing is saved (see
    /// `configuration_changed`): the bootstrap completes at once.
    fn accept_finish(&mut self, now: u64, request: Message, response: Message) {
        if let Some(unix) = self.unix_time(now) {
            let model = self.store.staged_mut();
            let iids: alloc::vec::Vec<u16> = model.instance_ids(OBJ_SERVER).collect();
            for iid in iids {
                if let Some(instance) = model.instance_mut(OBJ_SERVER, iid) {
                    instance.set(server_res::LAST_BOOTSTRAPPED, Value::Time(unix));
                }
            }
        }
        self.held_finish = Some(HeldFinish { request, response });
        if self.smartcard_applied() {
            return self.complete_bootstrap(now);
        }
        let write = self.slots.write(self.store.current());
        self.events.push_back(Event::StorageWrite(write));
    }

    /// The Finish's configuration is durable: it is committed, the Finish answered 2.04 and
    /// the session closed. Resets the back-off, starts the Bootstrap-Server Account Timeout,
    /// registers anew.
    pub(super) fn complete_bootstrap(&mut self, now: u64) {
        let Some(held) = self.held_finish.take() else { return };
        let Some((conn, _)) = self.bootstrap.take() else { return };
        self.store.commit();
        if let Some(firmware) = self.firmware.as_mut() {
            firmware.end(true);
        }
        // Changes made to the previous configuration meanwhile went with it.
        self.write_deferred = false;
        self.respond(now, conn, &held.request, held.response);
        self.close_connection(conn);
        self.sequence.backoff.reset();
        self.sequence.retry_bootstrap_at = None;
        let timeout_s =
            self.store.committed().bootstrap_account().map_or(0, |a| a.account_timeout_s());
        self.sequence.purge_at =
            (timeout_s > 0).then(|| now.saturating_add(timeout_s.saturating_mul(1000)));
        let accounts = self.store.committed().server_account_pairs().count();
        self.events.push_back(Event::BootstrapFinished { accounts });
        self.events.push_back(Event::ConfigurationChanged);
        // The Finish response and the bootstrap session's close_notify go out before any
        // Register or Update that follows.
        self.flush_connection(conn);
        self.restart_registrations(now);
        self.refresh_state();
    }

    /// The running bootstrap failed: nothing of it is kept (an accepted Finish still waiting
    /// for its storage write is answered 5.00). When no registration is alive the next
    /// bootstrap starts after the back-off (exponential, jittered, capped).
    pub(super) fn fail_bootstrap(&mut self, now: u64, reason: BootstrapFailure) {
        let held = self.held_finish.take();
        if let Some((conn, _)) = self.bootstrap.take() {
            if let Some(held) = held {
                // An accepted Finish whose configuration is not durable: 5.00, never 2.04.
                let response = Message::response_to(&held.request, Code::INTERNAL_SERVER_ERROR);
                self.respond(now, conn, &held.request, response);
                if reason != BootstrapFailure::Storage {
                    // Stopped or cut off while the write was pending: it counts as failed.
                    self.slots.write_failed();
                }
            }
            self.close_connection(conn);
        }
        self.store.rollback();
        if let Some(firmware) = self.firmware.as_mut() {
            firmware.end(false);
        }
        self.events.push_back(Event::BootstrapFailed { reason });
        if core::mem::take(&mut self.write_deferred) {
            // A change of the configuration kept, made while the Finish's write was pending.
            self.configuration_changed();
        }
        if !self.is_running() || reason == BootstrapFailure::Cancelled {
            return;
        }
        if !self.registration_alive() {
            let delay = self.sequence.backoff.on_failure(&mut self.rng);
            self.sequence.retry_bootstrap_at = Some(now.saturating_add(delay));
            self.failure_reason = StateReason::BootstrapFailed;
        }
        self.refresh_state();
    }

    /// The 1.1 Bootstrap-Request Trigger (/1/x/9) was executed and answered 2.04; the answer
    /// is queued before the Bootstrap-Request. Registrations stay until the bootstrap
    /// succeeds.
    pub(super) fn on_bootstrap_trigger(&mut self, now: u64) {
        if self.bootstrap.is_some() || self.store.committed().bootstrap_account().is_none() {
            return;
        }
        self.collect_transmits();
        self.start_bootstrap(now, StateReason::ServerTrigger);
    }

    /// Hold-off, back-off retry and account purge deadlines.
    pub(super) fn sequence_timeouts(&mut self, now: u64) {
        if self.sequence.hold_off_until.is_some_and(|t| now >= t) {
            self.sequence.hold_off_until = None;
            let reason = self.sequence.hold_off_reason;
            self.start_bootstrap(now, reason);
        }
        if self.sequence.retry_bootstrap_at.is_some_and(|t| now >= t) && self.bootstrap.is_none() {
            self.sequence.retry_bootstrap_at = None;
            self.start_bootstrap(now, StateReason::BootstrapRetry);
        }
        if self.sequence.purge_at.is_some_and(|t| now >= t) && self.bootstrap.is_none() {
            self.purge_bootstrap_account();
        }
    }

    /// Bootstrap-Server Account Timeout (/0/x/12) elapsed: the account is purged; /1/x/9 is
    /// answered 4.05 from now on and no bootstrap is possible any more.
    fn purge_bootstrap_account(&mut self) {
        self.sequence.purge_at = None;
        let Some(iid) = self.store.committed().bootstrap_account().map(|a| a.instance_id) else {
            return;
        };
        self.store.committed_mut().remove(OBJ_SECURITY, iid);
        self.events.push_back(Event::BootstrapAccountPurged);
        self.configuration_changed();
        let waiting = self.sequence.hold_off_until.take().is_some();
        let retrying = self.sequence.retry_bootstrap_at.take().is_some();
        if waiting || retrying {
            self.close_listen_connection();
            self.failure_reason = StateReason::NoBootstrapAccount;
        }
    }
}
