//! The no_std port layer (only without the `std` feature): the Rust global allocator and panic
//! handler over four C functions the firmware provides, declared in
//! `include/lwm2m_bootstrap_port.h`:
//! - `lwbs_port_malloc`, `lwbs_port_free`, `lwbs_port_realloc`: malloc-like, aligned like
//!   `malloc` (two pointers: 16 bytes on 64-bit targets, 8 on 32-bit ones). Larger alignments are served by
//!   over-allocating and keeping the original pointer just below the aligned block.
//! - `lwbs_port_panic(msg, len)`: called on a panic with a (not NUL-terminated) message; must
//!   not return (reset, halt, `abort()`).
//!
//! Entropy comes from the existing `lwbs_platform::entropy` callback.

use core::alloc::{GlobalAlloc, Layout};
use core::ffi::{c_char, c_void};

extern "C" {
    /// Port hook, no_std build only (provided by the firmware): like `malloc`; the block must
    /// be aligned like malloc's (2 pointers: 16 bytes on 64-bit, 8 on 32-bit targets); larger
    /// alignments are handled inside the library. NULL on failure. `size` is never 0.
    fn lwbs_port_malloc(size: usize) -> *mut c_void;
    /// Port hook, no_std build only: like `free` (for blocks of `lwbs_port_malloc` /
    /// `lwbs_port_realloc`; never called with NULL).
    fn lwbs_port_free(ptr: *mut c_void);
    /// Port hook, no_std build only: like `realloc` (`ptr` never NULL, `size` never 0), same
    /// alignment as `lwbs_port_malloc`; NULL on failure (the old block stays valid).
    fn lwbs_port_realloc(ptr: *mut c_void, size: usize) -> *mut c_void;
    /// Port hook, no_std build only: a panic inside the library (a bug, or an allocation
    /// failure). `msg` is `len` bytes of UTF-8, not NUL-terminated. MUST NOT RETURN: reset,
    /// halt or `abort()`. (The std build never calls it: a panic there returns
    /// LWBS_ERR_PANIC.)
    fn lwbs_port_panic(msg: *const c_char, len: usize) -> !;
}

/// The alignment `lwbs_port_malloc` guarantees: malloc's, two pointers (16 bytes on 64-bit
/// targets, 8 on 32-bit ones).
const PORT_ALIGN: usize = 2 * core::mem::size_of::<usize>();

/// The global allocator over `lwbs_port_*`.
struct PortAlloc;

impl PortAlloc {
    /// Over-allocates for `layout.align() > PORT_ALIGN`, stores the raw pointer in the word
    /// just before the aligned block.
    unsafe fn alloc_overaligned(layout: Layout) -> *mut u8 {
        let Some(total) = layout.size().checked_add(layout.align()) else {
            return core::ptr::null_mut();
        };
        // SAFETY: plain C call.
        let raw = unsafe { lwbs_port_malloc(total) } as *mut u8;
        if raw.is_null() {
            return raw;
        }
        // At least PORT_ALIGN (>= one word) bytes between raw and the aligned block.
        let offset = layout.align() - (raw as usize % layout.align());
        // SAFETY: offset <= align, inside the allocation of size + align bytes.
        let aligned = unsafe { raw.add(offset) };
        // SAFETY: offset >= PORT_ALIGN >= size_of::<usize>() since raw is PORT_ALIGN-aligned and
        // align is a larger power of two; the word is inside the allocation.
        unsafe { (aligned as *mut *mut u8).sub(1).write_unaligned(raw) };
        aligned
    }
}

// SAFETY: forwards to a malloc-like C allocator; over-aligned blocks are handled above.
unsafe impl GlobalAlloc for PortAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.align() <= PORT_ALIGN {
            // SAFETY: plain C call; size > 0 by the GlobalAlloc contract.
            unsafe { lwbs_port_malloc(layout.size()) as *mut u8 }
        } else {
            // SAFETY: see alloc_overaligned.
            unsafe { Self::alloc_overaligned(layout) }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if layout.align() <= PORT_ALIGN {
            // SAFETY: ptr came from lwbs_port_malloc/realloc.
            unsafe { lwbs_port_free(ptr as *mut c_void) }
        } else {
            // SAFETY: alloc_overaligned stored the raw pointer in the word before ptr.
            let raw = unsafe { (ptr as *mut *mut u8).sub(1).read_unaligned() };
            // SAFETY: raw came from lwbs_port_malloc.
            unsafe { lwbs_port_free(raw as *mut c_void) }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if layout.align() <= PORT_ALIGN {
            // SAFETY: ptr came from lwbs_port_malloc/realloc; new_size > 0.
            unsafe { lwbs_port_realloc(ptr as *mut c_void, new_size) as *mut u8 }
        } else {
            // SAFETY: the layout is valid (same align, new_size checked by the caller).
            let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
            // SAFETY: forwarding the contract.
            let new = unsafe { self.alloc(new_layout) };
            if !new.is_null() {
                let n = layout.size().min(new_size);
                // SAFETY: both blocks hold at least n bytes and do not overlap.
                unsafe {
                    core::ptr::copy_nonoverlapping(ptr, new, n);
                    self.dealloc(ptr, layout);
                }
            }
            new
        }
    }
}

#[global_allocator]
static ALLOC: PortAlloc = PortAlloc;

/// Formats the panic message into a fixed buffer (truncated) and hands it to
/// `lwbs_port_panic`, which does not return.
#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    use core::fmt::Write;
    let mut msg: heapless::String<128> = heapless::String::new();
    // A message longer than the buffer is cut: write! stops at the first failing piece.
    let _ = write!(msg, "{info}");
    // SAFETY: msg is valid for len bytes during the call; the function does not return.
    unsafe { lwbs_port_panic(msg.as_ptr() as *const c_char, msg.len()) }
}

/// The precompiled `core`/`alloc` carry unwind tables and landing pads (they are built with
/// panic = unwind), so the archive refers to the unwinder's personality routine and to
/// `_Unwind_Resume` even with panic = abort. Nothing unwinds here (the panic handler does not
/// return), so neither is ever called: these stand-ins satisfy the link without pulling in
/// libgcc_s/libunwind. cmake/lwbs_localize.sh makes them local to the shipped archive, so they
/// cannot clash with the firmware's own (a C++ runtime, another Rust library).
#[no_mangle]
extern "C" fn rust_eh_personality() {}

/// See [`rust_eh_personality`]: never reached; a panic, should it ever be.
#[no_mangle]
extern "C" fn _Unwind_Resume(_exception: *mut c_void) -> ! {
    const MSG: &str = "unwinding in the no_std build";
    // SAFETY: MSG is valid for its length; the function does not return.
    unsafe { lwbs_port_panic(MSG.as_ptr() as *const c_char, MSG.len()) }
}

/// Mbed TLS's `mbedtls_calloc` in the no_std DTLS build (`MBEDTLS_PLATFORM_CALLOC_MACRO`,
/// cmake/mbedtls/port_alloc.h): `n * size` zeroed bytes from `lwbs_port_malloc`, so the
/// firmware's allocator sees Mbed TLS's blocks too. NULL when `n * size` overflows or the port
/// allocator fails (Mbed TLS then reports an allocation error). A zero-byte request gets a
/// one-byte block (the port hook never sees 0), which `lwbsint_mbedtls_free` accepts.
/// Local to the shipped archive (cmake/lwbs_localize.sh keeps only `lwbs_*` global), not in
/// the header.
///
/// cbindgen:ignore
#[cfg(feature = "dtls-nostd")]
#[no_mangle]
unsafe extern "C" fn lwbsint_mbedtls_calloc(n: usize, size: usize) -> *mut c_void {
    let Some(total) = n.checked_mul(size) else {
        return core::ptr::null_mut();
    };
    // SAFETY: plain C call with a non-zero size.
    let ptr = unsafe { lwbs_port_malloc(total.max(1)) };
    if !ptr.is_null() {
        // SAFETY: the block holds at least `total` bytes.
        unsafe { core::ptr::write_bytes(ptr as *mut u8, 0, total) };
    }
    ptr
}

/// Mbed TLS's `mbedtls_free` in the no_std DTLS build (`MBEDTLS_PLATFORM_FREE_MACRO`): a
/// block of [`lwbsint_mbedtls_calloc`] back to `lwbs_port_free`; NULL does nothing.
///
/// cbindgen:ignore
#[cfg(feature = "dtls-nostd")]
#[no_mangle]
unsafe extern "C" fn lwbsint_mbedtls_free(ptr: *mut c_void) {
    if !ptr.is_null() {
        // SAFETY: ptr came from lwbsint_mbedtls_calloc, i.e. from lwbs_port_malloc.
        unsafe { lwbs_port_free(ptr) }
    }
}
