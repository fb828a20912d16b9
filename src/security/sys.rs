//! The few Mbed TLS calls the safe `mbedtls` API does not wrap, and the retransmission timer
//! callback it requires as `unsafe extern "C"` functions. Together with `src/ffi/` this is
//! the only `unsafe` code in the crate; each block says why it is sound.
#![allow(unsafe_code)]

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, Ordering};

use mbedtls::ssl::context::TimerCallback;
use mbedtls::ssl::{Config, Context};
use mbedtls_sys::types::raw_types::{c_int, c_void};
use zeroize::Zeroizing;

/// A u64 in two `AtomicU32` halves: Cortex-M (thumbv6m/v7m/v7em) has no 64-bit atomics. Not
/// atomic as a whole, which is enough here: the channel and the Mbed TLS callbacks that share
/// it run on one thread at a time (the channel holds `&mut` while Mbed TLS runs); the atomics
/// only make the sharing through `Arc` sound.
#[derive(Debug, Default)]
struct SplitU64 {
    lo: AtomicU32,
    hi: AtomicU32,
}

impl SplitU64 {
    /// The stored value.
    fn load(&self, order: Ordering) -> u64 {
        (u64::from(self.hi.load(order)) << 32) | u64::from(self.lo.load(order))
    }

    /// Stores `value`.
    fn store(&self, value: u64, order: Ordering) {
        self.lo.store(value as u32, order);
        self.hi.store((value >> 32) as u32, order);
    }
}

/// The DTLS retransmission timer, fed from the engine's `now_ms` (never a wall clock).
/// Shared between the channel (which sets `now` and reads the deadline) and Mbed TLS (which
/// arms and polls it through [`EngineTimer`]).
#[derive(Debug, Default)]
pub(crate) struct TimerShared {
    now: SplitU64,
    start: SplitU64,
    int_ms: AtomicU32,
    fin_ms: AtomicU32,
}

impl TimerShared {
    /// The engine's current time, read by `get_timer`.
    pub(crate) fn set_now(&self, now: u64) {
        self.now.store(now, Ordering::Relaxed);
    }

    /// When the armed timer expires (its final delay), `None` when cancelled.
    pub(crate) fn deadline(&self) -> Option<u64> {
        match self.fin_ms.load(Ordering::Relaxed) {
            0 => None,
            fin => Some(self.start.load(Ordering::Relaxed).saturating_add(fin.into())),
        }
    }
}

/// The timer object handed to Mbed TLS (`mbedtls_ssl_set_timer_cb`).
pub(crate) struct EngineTimer(pub(crate) Arc<TimerShared>);

impl TimerCallback for EngineTimer {
    unsafe extern "C" fn set_timer(p_timer: *mut c_void, int_ms: u32, fin_ms: u32) {
        // SAFETY: `p_timer` is `data_ptr()` of the `Box<EngineTimer>` that the `Context`
        // owns for as long as the callback is installed; only shared access is taken.
        let timer = unsafe { &*(p_timer as *const EngineTimer) };
        let t = &timer.0;
        t.start.store(t.now.load(Ordering::Relaxed), Ordering::Relaxed);
        t.int_ms.store(int_ms, Ordering::Relaxed);
        t.fin_ms.store(fin_ms, Ordering::Relaxed);
    }

    unsafe extern "C" fn get_timer(p_timer: *mut c_void) -> c_int {
        // SAFETY: as in `set_timer`.
        let timer = unsafe { &*(p_timer as *const EngineTimer) };
        let t = &timer.0;
        let fin = t.fin_ms.load(Ordering::Relaxed);
        if fin == 0 {
            return -1;
        }
        let elapsed = t.now.load(Ordering::Relaxed).saturating_sub(t.start.load(Ordering::Relaxed));
        if elapsed >= u64::from(fin) {
            2
        } else if elapsed >= u64::from(t.int_ms.load(Ordering::Relaxed)) {
            1
        } else {
            0
        }
    }

    fn data_ptr(&mut self) -> *mut c_void {
        self as *mut EngineTimer as *mut c_void
    }
}

/// `mbedtls_ssl_conf_handshake_timeout`: first retransmission after `min_ms`, doubling, give
/// up once the delay would exceed `max_ms`.
pub(crate) fn set_handshake_timeout(config: &mut Config, min_ms: u32, max_ms: u32) {
    // SAFETY: `config` is a live, initialised `ssl_config`; the call only stores two integers.
    unsafe { mbedtls_sys::ssl_conf_handshake_timeout(config.into(), min_ms, max_ms) }
}

/// `mbedtls_ssl_conf_extended_master_secret(ENABLED)` (RFC 7627; tinydtls servers require it).
pub(crate) fn enable_extended_master_secret(config: &mut Config) {
    // SAFETY: as above, a field store on a live `ssl_config`.
    unsafe {
        mbedtls_sys::ssl_conf_extended_master_secret(
            config.into(),
            mbedtls_sys::SSL_EXTENDED_MS_ENABLED as _,
        )
    }
}

/// `mbedtls_ssl_set_mtu`: the largest datagram our handshake flights may use.
pub(crate) fn set_mtu<T>(context: &mut Context<T>, mtu: u16) {
    // SAFETY: `context` is a live, set-up `ssl_context`; the call stores one integer.
    unsafe { mbedtls_sys::ssl_set_mtu(context.into(), mtu) }
}

/// `mbedtls_ssl_close_notify`: queues a close_notify alert through the context's IO (the safe
/// `Context::close` would drop the IO, and our queued datagram with it).
pub(crate) fn close_notify<T>(context: &mut Context<T>) -> c_int {
    // SAFETY: `context` is live and its BIO points at the `Box` it owns (set by `establish`).
    unsafe { mbedtls_sys::ssl_close_notify(context.into()) }
}

/// The description of the alert just received, after `ERR_SSL_FATAL_ALERT_MESSAGE`.
pub(crate) fn received_alert<T>(context: &Context<T>) -> Option<u8> {
    let ssl: *const mbedtls_sys::ssl_context = context.into();
    // SAFETY: `ssl` points to the live context borrowed above. `in_msg` is NULL or points
    // into its input buffer; when the last record read was an alert (`in_msgtype` 21) of at
    // least two bytes, `in_msg[1]` is its description.
    unsafe {
        let ssl = &*ssl;
        if ssl.in_msg.is_null()
            || ssl.in_msgtype != mbedtls_sys::SSL_MSG_ALERT as c_int
            || ssl.in_msglen < 2
        {
            return None;
        }
        Some(*ssl.in_msg.add(1))
    }
}

/// `mbedtls_ssl_handshake` once (the safe `Context::handshake` drops the IO on an error, and
/// with it the fatal alert Mbed TLS just queued for the peer).
pub(crate) fn handshake_step<T>(context: &mut Context<T>) -> c_int {
    // SAFETY: `context` is live and its BIO points at the `Box` it owns (set by `establish`
    // before any call here); the timer callback's object is owned by the context as well.
    unsafe { mbedtls_sys::ssl_handshake(context.into()) }
}

/// The established session of `context` in Mbed TLS's serialised form
/// (`mbedtls_ssl_get_session` + `mbedtls_ssl_session_save`: master secret, session id,
/// ticket), for resuming it in a later session. `None` when there is none to save.
pub(crate) fn save_session<T>(context: &Context<T>) -> Option<Zeroizing<Vec<u8>>> {
    let ssl: *const mbedtls_sys::ssl_context = context.into();
    // SAFETY: `ssl` is the live context borrowed above; `session` is initialised before use
    // and freed (Mbed TLS wipes it) on every path; the buffer passed to `ssl_session_save`
    // is `len` bytes long, the size the first call asked for.
    unsafe {
        if (*ssl).session.is_null() {
            return None;
        }
        let mut session = core::mem::MaybeUninit::<mbedtls_sys::ssl_session>::uninit();
        mbedtls_sys::ssl_session_init(session.as_mut_ptr());
        let mut out = None;
        if mbedtls_sys::ssl_get_session(ssl, session.as_mut_ptr()) == 0 {
            let mut len = 0usize;
            let _ =
                mbedtls_sys::ssl_session_save(session.as_ptr(), core::ptr::null_mut(), 0, &mut len);
            if len > 0 {
                let mut buf = Zeroizing::new(alloc::vec![0u8; len]);
                if mbedtls_sys::ssl_session_save(session.as_ptr(), buf.as_mut_ptr(), len, &mut len)
                    == 0
                {
                    buf.truncate(len);
                    out = Some(buf);
                }
            }
        }
        mbedtls_sys::ssl_session_free(session.as_mut_ptr());
        out
    }
}

/// Restarts the handshake of `context` offering the saved `session`
/// (`mbedtls_ssl_session_reset` keeps the BIO and the timer; `mbedtls_ssl_set_session`
/// then arms the abbreviated handshake). False when the session did not load (nothing set:
/// a full handshake follows).
pub(crate) fn restart_with_session<T>(context: &mut Context<T>, saved: &[u8]) -> bool {
    let ssl: *mut mbedtls_sys::ssl_context = context.into();
    // SAFETY: `ssl` is live and set up by `establish` (BIO and timer owned by the context);
    // `session` is initialised before use and freed (wiped) on every path; `saved` is read
    // within its length.
    unsafe {
        if mbedtls_sys::ssl_session_reset(ssl) != 0 {
            return false;
        }
        let mut session = core::mem::MaybeUninit::<mbedtls_sys::ssl_session>::uninit();
        mbedtls_sys::ssl_session_init(session.as_mut_ptr());
        let set = mbedtls_sys::ssl_session_load(session.as_mut_ptr(), saved.as_ptr(), saved.len())
            == 0
            && mbedtls_sys::ssl_set_session(ssl, session.as_ptr()) == 0;
        mbedtls_sys::ssl_session_free(session.as_mut_ptr());
        set
    }
}
