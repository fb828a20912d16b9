//! The event pump: after every input or command, everything the engine produced goes to the
//! platform, events first (each by its [`Route`]), then datagrams, until both queues are empty.

use super::event::Route;
use super::handle::Handle;
use super::platform::{Level, OpenOutcome};
use super::result::lwbs_result::*;
use super::result::Status;

/// Hands everything the engine produced to the platform: events (Connect → `open`, ConnectSecure → `open_secure`,
/// Disconnect → `close`, StorageWrite → `save`, SessionsWrite → `save_sessions`, the rest → `event`) and
/// datagrams (→ `send`), until both queues are empty. `LWBS_ERR_STORAGE` when a save failed
/// (everything is drained all the same).
///
/// `save` is synchronous: its outcome is reported to the engine (`storage_write_done` /
/// `storage_write_failed`) as soon as it returns, while the event queue is still being
/// drained and before any datagram of the same step is sent. So a Bootstrap-Finish is never
/// answered before its `save` returned: 2.04 only after `save` returned 0, else 5.00.
pub(crate) fn drain(handle: &mut Handle, now: u64) -> Status {
    let mut status = Ok(());
    loop {
        let mut progressed = false;
        while let Some(event) = handle.client.poll_event() {
            progressed = true;
            if let Err(e) = dispatch(handle, Route::from(&event), now) {
                status = Err(e);
            }
        }
        while let Some(transmit) = handle.client.poll_transmit() {
            progressed = true;
            handle.platform.send(transmit.conn.0, &transmit.data);
        }
        if !progressed {
            return status;
        }
    }
}

/// Carries out one routed event.
fn dispatch(handle: &mut Handle, route: Route<'_>, now: u64) -> Status {
    let platform = &handle.platform;
    match route {
        Route::Open(conn, uri) => {
            if uri.starts_with("coaps") && !platform.has_entropy() && !handle.warned_fixed_seed {
                handle.warned_fixed_seed = true;
                platform.log(
                    Level::Warning,
                    "DTLS runs on the fixed test seed: no entropy callback was given, so the \
                     session randomness is predictable; set lwbs_platform.entropy",
                );
            }
            if !platform.open(conn.0, uri) {
                // Nothing was opened (name resolution, no socket): what waits on the
                // connection fails now, not after its retransmissions.
                let _ = handle.client.handle_open_failure(now, conn);
            }
            Ok(())
        }
        Route::OpenSecure(conn, uri, security) => {
            match platform.open_secure(conn.0, uri, security) {
                OpenOutcome::Opened => {}
                OpenOutcome::Refused => {
                    let _ = handle.client.handle_security_refused(now, conn);
                }
                OpenOutcome::Failed => {
                    let _ = handle.client.handle_open_failure(now, conn);
                }
            }
            Ok(())
        }
        Route::Close(conn) => {
            platform.close(conn.0);
            Ok(())
        }
        Route::Save(write) => {
            if platform.save(write.slot, &write.image) {
                platform.log(
                    Level::Debug,
                    &alloc::format!(
                        "configuration generation {} saved to slot {}",
                        write.generation,
                        write.slot
                    ),
                );
                handle.client.storage_write_done(now);
                return Ok(());
            }
            handle.client.storage_write_failed(now);
            Err(LWBS_ERR_STORAGE)
        }
        Route::SaveSessions(record) => {
            platform.save_sessions(record);
            Ok(())
        }
        Route::Report(event, warning) => {
            if let Some(warning) = warning {
                platform.log(Level::Warning, &warning);
            }
            platform.log(Level::Info, &event.describe());
            platform.event(&event.as_c());
            Ok(())
        }
    }
}
