//! `other_rust_answer()`: exercises this library's own std (a caught panic, so its unwinder
//! and `rust_eh_personality` run) and returns 42.

use std::panic;

/// Returns 42 after catching a panic of its own; -1 if unwinding did not work.
#[no_mangle]
pub extern "C" fn other_rust_answer() -> i32 {
    panic::set_hook(Box::new(|_| {}));
    let caught = panic::catch_unwind(|| {
        let v: Vec<i32> = std::hint::black_box(Vec::new());
        v[3] // index out of bounds: panics
    });
    let _ = panic::take_hook();
    match caught {
        Err(_) => 42,
        Ok(_) => -1,
    }
}
