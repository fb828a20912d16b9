//! The panic boundary: no panic crosses into C. Every export runs its body through
//! [`catch_or`]; a panic becomes the fallback value (`LWBS_ERR_PANIC`, a static string, ...).
//! The caller that owns a client marks it poisoned when the body panicked (see
//! `handle::enter`).
//!
//! Without the `std` feature there is no unwinding to catch: the firmware's panic handler runs
//! (it must not return), so the body is simply called.

/// Runs `body`; returns `fallback` if it panicked.
#[cfg(feature = "std")]
pub(crate) fn catch_or<T>(body: impl FnOnce() -> T, fallback: T) -> T {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)).unwrap_or(fallback)
}

/// Runs `body` (no unwinding without `std`).
#[cfg(not(feature = "std"))]
pub(crate) fn catch_or<T>(body: impl FnOnce() -> T, _fallback: T) -> T {
    body()
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use crate::ffi::lwbs_result;

    #[test]
    fn a_panic_becomes_the_fallback() {
        let got = catch_or(|| -> lwbs_result { panic!("boom") }, lwbs_result::LWBS_ERR_PANIC);
        assert_eq!(got, lwbs_result::LWBS_ERR_PANIC);
    }

    #[test]
    fn a_normal_return_passes_through() {
        assert_eq!(catch_or(|| 7u32, 0), 7);
    }

    unsafe extern "C" fn open(
        _: *mut core::ffi::c_void,
        _: u32,
        _: *const core::ffi::c_char,
    ) -> i32 {
        0
    }
    unsafe extern "C" fn close(_: *mut core::ffi::c_void, _: u32) {}
    unsafe extern "C" fn send(_: *mut core::ffi::c_void, _: u32, _: *const u8, _: usize) -> i32 {
        0
    }

    #[test]
    fn a_panic_inside_a_client_call_poisons_the_client() {
        use crate::ffi::*;
        let mut config = core::mem::MaybeUninit::<lwbs_config>::uninit();
        let mut client: *mut lwbs_client = core::ptr::null_mut();
        let platform = lwbs_platform {
            struct_size: core::mem::size_of::<lwbs_platform>() as u32,
            open: Some(open),
            close: Some(close),
            send: Some(send),
            ..crate::ffi::platform::NO_PLATFORM
        };
        // SAFETY: valid pointers throughout; the handle is freed at the end.
        unsafe {
            lwbs_config_init(config.as_mut_ptr());
            let mut config = config.assume_init();
            config.endpoint = c"urn:dev:panic".as_ptr();
            assert_eq!(lwbs_client_new(&config, &platform, &mut client), lwbs_result::LWBS_OK);
            let mut state = 99u32;
            assert_eq!(lwbs_client_state(client, &mut state), lwbs_result::LWBS_OK);
            assert_eq!(state, lwbs_state::LWBS_STATE_IDLE as u32);

            let got = super::super::handle::enter(client, |_| panic!("injected"));
            assert_eq!(got, lwbs_result::LWBS_ERR_PANIC);

            let mut state = 99u32;
            assert_eq!(lwbs_client_state(client, &mut state), lwbs_result::LWBS_ERR_PANIC);
            assert_eq!(state, 99, "no output on a poisoned client");
            assert_eq!(lwbs_client_start(client, 0), lwbs_result::LWBS_ERR_PANIC);
            let mut deadline = 5u64;
            assert_eq!(lwbs_client_tick(client, 0, &mut deadline), lwbs_result::LWBS_ERR_PANIC);
            assert_eq!(deadline, 5);
            lwbs_client_free(client);
        }
    }
}
