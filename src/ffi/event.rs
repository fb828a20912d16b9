//! `lwbs_event` and its enums (`lwbs_event_kind`, `lwbs_bootstrap_failure`), plus
//! `lwbs_state`: what the library tells the firmware.

use alloc::ffi::CString;
use alloc::string::ToString;
use core::ffi::c_char;

use crate::client::{BootstrapFailure, ConnId, Event, State, StateReason, StorageWrite};
use crate::registration::RegistrationFailure;

/// The client's overall state (`lwbs_client_state`). May grow: treat unknown values as "busy".
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum lwbs_state {
    /// Not started, or stopped.
    LWBS_STATE_IDLE = 0,
    /// Waiting the Client Hold Off Time before a client-initiated bootstrap (Core 1.1 §5.2.4),
    /// with a connection to the Bootstrap-Server open that listens for a 1.0
    /// server-initiated bootstrap.
    LWBS_STATE_HOLD_OFF = 1,
    /// A bootstrap is running.
    LWBS_STATE_BOOTSTRAPPING = 2,
    /// Registering with the configured servers; none registered yet.
    LWBS_STATE_REGISTERING = 3,
    /// Registered with at least one server.
    LWBS_STATE_REGISTERED = 4,
    /// No server reachable and no bootstrap possible (or it failed). With reason
    /// `LWBS_REASON_BOOTSTRAP_FAILED` the library retries by itself after a back-off; else
    /// `trigger_bootstrap`, or `stop` and `start` again (which tries the servers first).
    LWBS_STATE_FAILED = 5,
    /// Deregistering before stopping.
    LWBS_STATE_STOPPING = 6,
}

impl From<State> for lwbs_state {
    fn from(state: State) -> lwbs_state {
        match state {
            State::Idle => lwbs_state::LWBS_STATE_IDLE,
            State::HoldOff => lwbs_state::LWBS_STATE_HOLD_OFF,
            State::Bootstrapping => lwbs_state::LWBS_STATE_BOOTSTRAPPING,
            State::Registering => lwbs_state::LWBS_STATE_REGISTERING,
            State::Registered => lwbs_state::LWBS_STATE_REGISTERED,
            State::Failed => lwbs_state::LWBS_STATE_FAILED,
            State::Stopping => lwbs_state::LWBS_STATE_STOPPING,
        }
    }
}

/// Why the client is in its `lwbs_state` (`lwbs_client_state_reason`). May grow: treat
/// unknown values as `LWBS_REASON_NONE`.
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum lwbs_state_reason {
    /// Idle (never started, or stopped), or stopping.
    LWBS_REASON_NONE = 0,
    /// REGISTERING / REGISTERED with the factory (provisioned or restored) configuration:
    /// step 3 of the Bootstrap Sequence (Core 1.1 §5.2.4).
    LWBS_REASON_FACTORY_CONFIGURATION = 1,
    /// REGISTERING / REGISTERED with the servers a bootstrap provisioned.
    LWBS_REASON_BOOTSTRAPPED = 2,
    /// HOLD_OFF / BOOTSTRAPPING: there is no LwM2M Server account (step 4).
    LWBS_REASON_NO_SERVER_ACCOUNT = 3,
    /// HOLD_OFF / BOOTSTRAPPING: registration to every server failed (step 4, Core 1.1.1
    /// §6.2.1.1). FAILED: every server failed and none has Bootstrap on Registration Failure.
    LWBS_REASON_REGISTRATION_FAILED = 4,
    /// BOOTSTRAPPING: a DM server executed Bootstrap-Request Trigger (/1/x/9).
    LWBS_REASON_SERVER_TRIGGER = 5,
    /// BOOTSTRAPPING: the Bootstrap-Server pushed operations during the hold-off (1.0
    /// server-initiated bootstrap).
    LWBS_REASON_SERVER_PUSH = 6,
    /// BOOTSTRAPPING: `lwbs_client_trigger_bootstrap`.
    LWBS_REASON_APPLICATION = 7,
    /// BOOTSTRAPPING again after the back-off that followed a failed bootstrap.
    LWBS_REASON_BOOTSTRAP_RETRY = 8,
    /// FAILED: the last bootstrap failed; the library starts the next one by itself after an
    /// exponential back-off with jitter (keep calling `lwbs_client_tick`).
    LWBS_REASON_BOOTSTRAP_FAILED = 9,
    /// FAILED: no usable server and no (usable) Bootstrap-Server account: nothing happens
    /// until the firmware acts (provision and start again).
    LWBS_REASON_NO_BOOTSTRAP_ACCOUNT = 10,
    /// REGISTERING / REGISTERED with the configuration the smartcard provisioned (step 1,
    /// Core 1.1 §5.2.3.2); the factory servers are inactive while it is applied.
    LWBS_REASON_SMARTCARD = 20,
}

impl From<StateReason> for lwbs_state_reason {
    fn from(reason: StateReason) -> lwbs_state_reason {
        use lwbs_state_reason::*;
        match reason {
            StateReason::None => LWBS_REASON_NONE,
            StateReason::FactoryConfiguration => LWBS_REASON_FACTORY_CONFIGURATION,
            StateReason::Bootstrapped => LWBS_REASON_BOOTSTRAPPED,
            StateReason::NoServerAccount => LWBS_REASON_NO_SERVER_ACCOUNT,
            StateReason::RegistrationFailed => LWBS_REASON_REGISTRATION_FAILED,
            StateReason::ServerTrigger => LWBS_REASON_SERVER_TRIGGER,
            StateReason::ServerPush => LWBS_REASON_SERVER_PUSH,
            StateReason::Application => LWBS_REASON_APPLICATION,
            StateReason::BootstrapRetry => LWBS_REASON_BOOTSTRAP_RETRY,
            StateReason::BootstrapFailed => LWBS_REASON_BOOTSTRAP_FAILED,
            StateReason::NoBootstrapAccount => LWBS_REASON_NO_BOOTSTRAP_ACCOUNT,
            StateReason::Smartcard => LWBS_REASON_SMARTCARD,
        }
    }
}

/// What an `lwbs_event` reports (its `kind`). May grow: ignore unknown kinds.
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum lwbs_event_kind {
    /// A bootstrap started: client-initiated, the Bootstrap-Request is being sent
    /// (Core 1.1 §5.2.3.3); or 1.0 server-initiated, the first pushed operation arrived.
    LWBS_EVENT_BOOTSTRAP_STARTED = 1,
    /// Bootstrap-Finish accepted and the new configuration committed; `accounts` = number of
    /// LwM2M Server accounts.
    LWBS_EVENT_BOOTSTRAP_FINISHED = 2,
    /// The bootstrap failed and the previous configuration is intact; `reason` is an
    /// `lwbs_bootstrap_failure`, `detail` a text.
    LWBS_EVENT_BOOTSTRAP_FAILED = 3,
    /// A Bootstrap-Finish was refused with 4.06 (Core 1.1 §5.2.3.3, §5.2.6); `accounts` =
    /// number of inconsistencies. The server may correct them and finish again.
    LWBS_EVENT_BOOTSTRAP_FINISH_REFUSED = 4,
    /// Registered with server `ssid` at `location` ("/rd/5a3f") (Core 1.1 §6.2.1).
    LWBS_EVENT_REGISTERED = 5,
    /// Registration with server `ssid` updated (Core 1.1 §6.2.2).
    LWBS_EVENT_UPDATED = 6,
    /// Deregistered from server `ssid` (Core 1.1 §6.2.3).
    LWBS_EVENT_DEREGISTERED = 7,
    /// Registering with server `ssid` failed; `reason` is an `lwbs_registration_failure`,
    /// `detail` says why.
    LWBS_EVENT_REGISTRATION_FAILED = 8,
    /// The committed configuration changed; the library already called `save()`.
    LWBS_EVENT_CONFIGURATION_CHANGED = 9,
    /// The client stopped: every registration ended and every connection closed.
    LWBS_EVENT_STOPPED = 10,
    /// The Bootstrap-Server Account Timeout (/0/x/12) elapsed after a successful bootstrap:
    /// the account was purged (a CONFIGURATION_CHANGED follows).
    LWBS_EVENT_BOOTSTRAP_ACCOUNT_PURGED = 11,
    /// A storage slot read by `load` held something that was ignored, never trusted: a torn or
    /// corrupt image, a foreign one (other magic, a newer format), or an image in the wrong
    /// slot. `detail` names the slot and the reason ("slot 1: corrupt image (CRC-32
    /// mismatch)"). Reported during `lwbs_client_new`; the other slot, if valid, was used.
    LWBS_EVENT_STORAGE_IGNORED = 12,
    /// `save` returned non-zero: the image was not stored. `detail` names the slot and the
    /// generation ("slot 1 generation 3: save failed"); the other slot still holds the
    /// previous image and the next save goes to the same slot. After an accepted
    /// Bootstrap-Finish the new configuration is discarded: the Finish is answered 5.00
    /// (never 2.04), the previous configuration stays in effect, and
    /// `LWBS_EVENT_BOOTSTRAP_FAILED` with `LWBS_BOOTSTRAP_FAILURE_STORAGE` follows (retried
    /// after the back-off). After any other change the configuration in memory stays and is
    /// saved with the next write. The call that drained it returns `LWBS_ERR_STORAGE`.
    LWBS_EVENT_STORAGE_FAILED = 13,
    /// The smartcard's Bootstrap Information was applied (Core 1.1 §5.2.3.2): `accounts` =
    /// its LwM2M Server accounts; `detail` says whether it has a Bootstrap-Server account and
    /// how many of its other objects were ignored. Its servers are used; the factory servers
    /// are inactive until the card goes. Nothing from the card is saved.
    LWBS_EVENT_SMARTCARD_APPLIED = 20,
    /// A card is present but its content was not applied (unreadable, malformed, invalid);
    /// `detail` says why. The sequence goes on with the factory configuration.
    LWBS_EVENT_SMARTCARD_REJECTED = 21,
    /// The card whose configuration was applied changed: that configuration is disabled (its
    /// sessions closed). SMARTCARD_APPLIED or SMARTCARD_REJECTED follows for the new content.
    LWBS_EVENT_SMARTCARD_CHANGED = 22,
    /// The card whose configuration was applied was removed (or is unreadable: `detail`): its
    /// configuration is deleted and the factory configuration is back.
    LWBS_EVENT_SMARTCARD_REMOVED = 23,
}

/// Why a bootstrap failed (`lwbs_event.reason` of `LWBS_EVENT_BOOTSTRAP_FAILED`). May grow.
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum lwbs_bootstrap_failure {
    /// Not a failure.
    LWBS_BOOTSTRAP_FAILURE_NONE = 0,
    /// No Bootstrap-Server account to bootstrap from. When every LwM2M Server failed first,
    /// `ssid` is the last one that failed and `detail` names its failure ("registration with
    /// ssid 1 failed: transport error; no Bootstrap-Server to fall back to").
    LWBS_BOOTSTRAP_FAILURE_NO_ACCOUNT = 1,
    /// The Bootstrap-Server URI is unusable.
    LWBS_BOOTSTRAP_FAILURE_BAD_URI = 2,
    /// The Bootstrap-Server account's security mode is not supported by this build.
    LWBS_BOOTSTRAP_FAILURE_UNSUPPORTED_SECURITY = 3,
    /// The Bootstrap-Server answered the Bootstrap-Request with an error code.
    LWBS_BOOTSTRAP_FAILURE_REJECTED = 4,
    /// The Bootstrap-Request got no response (retransmissions exhausted).
    LWBS_BOOTSTRAP_FAILURE_REQUEST_TIMEOUT = 5,
    /// The Bootstrap-Server answered the Bootstrap-Request with RST.
    LWBS_BOOTSTRAP_FAILURE_RESET = 6,
    /// No Bootstrap-Finish within EXCHANGE_LIFETIME after the last operation.
    LWBS_BOOTSTRAP_FAILURE_FINISH_TIMEOUT = 7,
    /// The client was stopped during the bootstrap.
    LWBS_BOOTSTRAP_FAILURE_CANCELLED = 8,
    /// The firmware reported a transport error (`lwbs_client_conn_error`) while the
    /// Bootstrap-Request was outstanding, or the platform's `open` of the connection failed
    /// (`detail` says which).
    LWBS_BOOTSTRAP_FAILURE_TRANSPORT = 9,
    /// The DTLS session with the Bootstrap-Server failed (handshake timeout, fatal alert,
    /// certificate refused, unusable credentials); `detail` names the alert, if any.
    LWBS_BOOTSTRAP_FAILURE_HANDSHAKE = 10,
    /// Bootstrap-Finish was accepted but `save` failed (`LWBS_EVENT_STORAGE_FAILED` came
    /// first): the Finish was answered 5.00 and the previous configuration kept.
    LWBS_BOOTSTRAP_FAILURE_STORAGE = 11,
    /// The Bootstrap-Pack (`lwbs_config.bootstrap_pack`) could not be applied: not decodable,
    /// records of an object other than /0, /1, /2, or a configuration the Bootstrap-Write
    /// and Finish checks refuse. Nothing of it is kept; retried after the back-off.
    LWBS_BOOTSTRAP_FAILURE_BAD_PACK = 12,
    /// The platform, which secures the Bootstrap-Server account's mode itself
    /// (`lwbs_platform.secure_modes`), refused the mode or the material (`open_secure`
    /// returned `LWBS_OPEN_REFUSED`, or `LWBS_SECURITY_FAILURE_REFUSED` was reported).
    LWBS_BOOTSTRAP_FAILURE_SECURITY_REFUSED = 13,
}

/// Why a registration attempt failed (`lwbs_event.reason` of
/// `LWBS_EVENT_REGISTRATION_FAILED`). May grow.
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum lwbs_registration_failure {
    /// The server answered Register with an error code (`detail` names it).
    LWBS_REGISTRATION_FAILURE_REJECTED = 1,
    /// No response (retransmissions exhausted).
    LWBS_REGISTRATION_FAILURE_TIMEOUT = 2,
    /// The server answered RST.
    LWBS_REGISTRATION_FAILURE_RESET = 3,
    /// The server URI or security mode is unusable by this build.
    LWBS_REGISTRATION_FAILURE_UNUSABLE = 4,
    /// A transport error (`lwbs_client_conn_error`), or the platform's `open` failed.
    LWBS_REGISTRATION_FAILURE_TRANSPORT = 5,
    /// The DTLS session failed (handshake timeout, fatal alert, credentials); `detail` names
    /// the alert, if any.
    LWBS_REGISTRATION_FAILURE_HANDSHAKE = 6,
    /// The server answered 2.01 without the Location-Path it MUST send (Core 1.1 §6.2.1):
    /// counted as a failed attempt, retried as the registration procedure says.
    LWBS_REGISTRATION_FAILURE_NO_LOCATION = 7,
    /// The platform, which secures the account's mode itself (`lwbs_platform.secure_modes`),
    /// refused the mode or the material; retried as the registration procedure says.
    LWBS_REGISTRATION_FAILURE_SECURITY_REFUSED = 8,
}

impl From<RegistrationFailure> for lwbs_registration_failure {
    fn from(failure: RegistrationFailure) -> lwbs_registration_failure {
        use lwbs_registration_failure::*;
        match failure {
            RegistrationFailure::Rejected(_) => LWBS_REGISTRATION_FAILURE_REJECTED,
            RegistrationFailure::Timeout => LWBS_REGISTRATION_FAILURE_TIMEOUT,
            RegistrationFailure::Reset => LWBS_REGISTRATION_FAILURE_RESET,
            RegistrationFailure::Unusable => LWBS_REGISTRATION_FAILURE_UNUSABLE,
            RegistrationFailure::Transport | RegistrationFailure::OpenFailed => {
                LWBS_REGISTRATION_FAILURE_TRANSPORT
            }
            RegistrationFailure::Handshake { .. } => LWBS_REGISTRATION_FAILURE_HANDSHAKE,
            RegistrationFailure::NoLocation => LWBS_REGISTRATION_FAILURE_NO_LOCATION,
            RegistrationFailure::SecurityRefused => LWBS_REGISTRATION_FAILURE_SECURITY_REFUSED,
        }
    }
}

impl From<BootstrapFailure> for lwbs_bootstrap_failure {
    fn from(failure: BootstrapFailure) -> lwbs_bootstrap_failure {
        use lwbs_bootstrap_failure::*;
        match failure {
            BootstrapFailure::NoBootstrapAccount => LWBS_BOOTSTRAP_FAILURE_NO_ACCOUNT,
            BootstrapFailure::BadUri => LWBS_BOOTSTRAP_FAILURE_BAD_URI,
            BootstrapFailure::UnsupportedSecurity => LWBS_BOOTSTRAP_FAILURE_UNSUPPORTED_SECURITY,
            BootstrapFailure::Rejected(_) => LWBS_BOOTSTRAP_FAILURE_REJECTED,
            BootstrapFailure::RequestTimeout => LWBS_BOOTSTRAP_FAILURE_REQUEST_TIMEOUT,
            BootstrapFailure::Reset => LWBS_BOOTSTRAP_FAILURE_RESET,
            BootstrapFailure::FinishTimeout => LWBS_BOOTSTRAP_FAILURE_FINISH_TIMEOUT,
            BootstrapFailure::Cancelled => LWBS_BOOTSTRAP_FAILURE_CANCELLED,
            BootstrapFailure::Transport | BootstrapFailure::OpenFailed => {
                LWBS_BOOTSTRAP_FAILURE_TRANSPORT
            }
            BootstrapFailure::NoFallback { .. } => LWBS_BOOTSTRAP_FAILURE_NO_ACCOUNT,
            BootstrapFailure::Handshake { .. } => LWBS_BOOTSTRAP_FAILURE_HANDSHAKE,
            BootstrapFailure::Storage => LWBS_BOOTSTRAP_FAILURE_STORAGE,
            BootstrapFailure::BadPack => LWBS_BOOTSTRAP_FAILURE_BAD_PACK,
            BootstrapFailure::SecurityRefused => LWBS_BOOTSTRAP_FAILURE_SECURITY_REFUSED,
        }
    }
}

/// One event, written by the library and handed to the `event` callback. The struct and the
/// strings it points to are valid only during the callback: copy what you keep.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct lwbs_event {
    /// An `lwbs_event_kind` value.
    pub kind: u32,
    /// Short Server ID; 0 when not applicable (BOOTSTRAP_FAILED with reason NO_ACCOUNT after
    /// every server failed: the last server that failed).
    pub ssid: u16,
    /// BOOTSTRAP_FINISHED: LwM2M Server accounts; BOOTSTRAP_FINISH_REFUSED: inconsistencies;
    /// else 0.
    pub accounts: u32,
    /// An `lwbs_bootstrap_failure` for BOOTSTRAP_FAILED, an `lwbs_registration_failure` for
    /// REGISTRATION_FAILED, else 0.
    pub reason: u32,
    /// REGISTERED: the registration's location path ("/rd/5a3f"); else NULL.
    pub location: *const c_char,
    /// A human-readable text (failures; STORAGE_IGNORED: the slot and why), or NULL.
    pub detail: *const c_char,
}

/// The C view of an engine event, with the strings it points to.
pub(crate) struct OwnedEvent {
    kind: lwbs_event_kind,
    ssid: u16,
    accounts: u32,
    reason: u32,
    location: Option<CString>,
    detail: Option<CString>,
}

/// What the C layer does with one engine event: the three the library carries out through the
/// platform itself, or an `lwbs_event` for the firmware.
pub(crate) enum Route<'a> {
    /// `open(conn, uri)`.
    Open(ConnId, &'a str),
    /// `open_secure(conn, uri, security)`.
    OpenSecure(ConnId, &'a str, &'a crate::security::PlatformSecurity),
    /// `close(conn)`.
    Close(ConnId),
    /// `save(slot, image)`, then the outcome back to the engine.
    Save(&'a StorageWrite),
    /// `save_sessions(record)`.
    SaveSessions(&'a [u8]),
    /// `event(...)`, after the WARNING to log first, if any (a storage slot ignored).
    Report(OwnedEvent, Option<alloc::string::String>),
}

impl<'a> From<&'a Event> for Route<'a> {
    /// Every engine event by name, without a catch-all: a new kind does not compile until it
    /// is routed here.
    // Not inlined: one copy, called from the pump's loop (smaller firmware).
    #[inline(never)]
    fn from(event: &'a Event) -> Route<'a> {
        use lwbs_event_kind::*;
        let mut out = OwnedEvent {
            kind: LWBS_EVENT_STOPPED,
            ssid: 0,
            accounts: 0,
            reason: 0,
            location: None,
            detail: None,
        };
        let mut warning = None;
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        match event {
            Event::Connect { conn, uri } => return Route::Open(*conn, uri),
            Event::ConnectSecure { conn, uri, security } => {
                return Route::OpenSecure(*conn, uri, security)
            }
            Event::Disconnect { conn } => return Route::Close(*conn),
            Event::StorageWrite(write) => return Route::Save(write),
            Event::SessionsWrite(record) => return Route::SaveSessions(&record.0),
            Event::BootstrapStarted => out.kind = LWBS_EVENT_BOOTSTRAP_STARTED,
            Event::BootstrapFinished { accounts } => {
                out.kind = LWBS_EVENT_BOOTSTRAP_FINISHED;
                out.accounts = count(*accounts);
            }
            Event::BootstrapFinishRefused { findings } => {
                out.kind = LWBS_EVENT_BOOTSTRAP_FINISH_REFUSED;
                out.accounts = count(*findings);
            }
            Event::BootstrapFailed { reason } => {
                out.kind = LWBS_EVENT_BOOTSTRAP_FAILED;
                out.reason = lwbs_bootstrap_failure::from(*reason) as u32;
                if let BootstrapFailure::NoFallback { ssid, .. } = reason {
                    out.ssid = *ssid;
                }
                out.detail = CString::new(reason.to_string()).ok();
            }
            Event::ConfigurationChanged => out.kind = LWBS_EVENT_CONFIGURATION_CHANGED,
            Event::Registered { ssid, location } => {
                out.kind = LWBS_EVENT_REGISTERED;
                out.ssid = *ssid;
                out.location = CString::new(location.as_str()).ok();
            }
            Event::Updated { ssid } => {
                out.kind = LWBS_EVENT_UPDATED;
                out.ssid = *ssid;
            }
            Event::Deregistered { ssid } => {
                out.kind = LWBS_EVENT_DEREGISTERED;
                out.ssid = *ssid;
            }
            Event::RegistrationFailed { ssid, reason } => {
                out.kind = LWBS_EVENT_REGISTRATION_FAILED;
                out.ssid = *ssid;
                out.reason = lwbs_registration_failure::from(*reason) as u32;
                out.detail = CString::new(reason.to_string()).ok();
            }
            Event::Stopped => out.kind = LWBS_EVENT_STOPPED,
            Event::BootstrapAccountPurged => out.kind = LWBS_EVENT_BOOTSTRAP_ACCOUNT_PURGED,
            Event::StorageIgnored { slot, reason } => {
                out.kind = LWBS_EVENT_STORAGE_IGNORED;
                out.detail = CString::new(alloc::format!("slot {slot}: {reason}")).ok();
                warning = Some(alloc::format!("storage slot {slot}: {reason}: ignored"));
            }
            Event::StorageFailed { slot, generation } => {
                out.kind = LWBS_EVENT_STORAGE_FAILED;
                out.detail = CString::new(alloc::format!(
                    "slot {slot} generation {generation}: save failed"
                ))
                .ok();
            }
            #[cfg(feature = "smartcard")]
            Event::SmartcardApplied { accounts, bootstrap_account, ignored_objects } => {
                out.kind = LWBS_EVENT_SMARTCARD_APPLIED;
                out.accounts = count(*accounts);
                out.detail = CString::new(alloc::format!(
                    "bootstrap_account={} ignored_objects={ignored_objects}",
                    u8::from(*bootstrap_account)
                ))
                .ok();
            }
            #[cfg(feature = "smartcard")]
            Event::SmartcardRejected { reason } => {
                out.kind = LWBS_EVENT_SMARTCARD_REJECTED;
                out.detail = CString::new(reason.to_string()).ok();
            }
            #[cfg(feature = "smartcard")]
            Event::SmartcardChanged => out.kind = LWBS_EVENT_SMARTCARD_CHANGED,
            #[cfg(feature = "smartcard")]
            Event::SmartcardRemoved { reason } => {
                out.kind = LWBS_EVENT_SMARTCARD_REMOVED;
                out.detail = reason.and_then(|r| CString::new(r.to_string()).ok());
            }
        }
        Route::Report(out, warning)
    }
}

impl OwnedEvent {
    /// The `lwbs_event` pointing into `self`.
    pub(crate) fn as_c(&self) -> lwbs_event {
        let ptr = |s: &Option<CString>| s.as_ref().map_or(core::ptr::null(), |s| s.as_ptr());
        lwbs_event {
            kind: self.kind as u32,
            ssid: self.ssid,
            accounts: self.accounts,
            reason: self.reason,
            location: ptr(&self.location),
            detail: ptr(&self.detail),
        }
    }

    /// A one-line description for the log (no key material: events carry none). The kind is
    /// its `lwbs_event_kind` number, as the C header has it: no `Debug` (the size-first
    /// nightly build compiles `Debug` to nothing, `-Zfmt-debug=none`).
    pub(crate) fn describe(&self) -> alloc::string::String {
        let text = |s: &Option<CString>| {
            s.as_ref().and_then(|s| s.to_str().ok()).unwrap_or_default().to_string()
        };
        alloc::format!(
            "event {} ssid={} accounts={} {}{}",
            self.kind as u32,
            self.ssid,
            self.accounts,
            text(&self.location),
            text(&self.detail)
        )
    }
}
