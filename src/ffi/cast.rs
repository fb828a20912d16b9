//! The only place where C pointers become Rust references, slices, strings or boxes. Every
//! helper checks for NULL first and answers `LWBS_ERR_NULL`; nothing else in the crate
//! dereferences a C pointer.

use alloc::boxed::Box;
use alloc::string::String;
use core::ffi::{c_char, CStr};

use super::result::lwbs_result::{self, *};
use super::result::Status;

/// A shared reference to `*ptr`.
///
/// # Safety
/// `ptr` is NULL or points to a valid `T` that outlives the returned reference.
pub(crate) unsafe fn try_ref<'a, T>(ptr: *const T) -> Result<&'a T, lwbs_result> {
    // SAFETY: non-NULL checked by `as_ref`; validity is the caller's contract.
    unsafe { ptr.as_ref() }.ok_or(LWBS_ERR_NULL)
}

/// Checks a versioned struct: readable and at least `min_size` bytes long as the caller claims
/// in its first field (`uint32_t struct_size`). Larger is fine (a newer caller): only the
/// fields known here are read.
///
/// # Safety
/// As [`try_ref`].
pub(crate) unsafe fn try_sized<'a, T>(
    ptr: *const T,
    claimed_size: impl FnOnce(&T) -> u32,
) -> Result<&'a T, lwbs_result> {
    // SAFETY: forwarded to the caller.
    let value = unsafe { try_ref(ptr) }?;
    if (claimed_size(value) as usize) < core::mem::size_of::<T>() {
        return Err(LWBS_ERR_INVALID_ARGUMENT);
    }
    Ok(value)
}

/// Reads a versioned struct that may come from an older caller: `struct_size` (the first
/// field, `uint32_t`) must be at least `min_size` (the first published layout); only the
/// `min(struct_size, sizeof(T))` bytes the caller has are read, over `absent` (the values
/// of the fields an older caller does not know). Returns the value and `struct_size`; the
/// caller resets the fields that end beyond `struct_size` (see [`field_present`]).
///
/// # Safety
/// `ptr` is NULL or points to at least `struct_size` readable bytes starting with a
/// `uint32_t struct_size`, aligned for `T`.
pub(crate) unsafe fn read_versioned<T: Copy>(
    ptr: *const T,
    min_size: usize,
    absent: T,
) -> Result<(T, usize), lwbs_result> {
    if ptr.is_null() {
        return Err(LWBS_ERR_NULL);
    }
    // SAFETY: non-NULL; every versioned struct starts with `uint32_t struct_size`.
    let size = unsafe { ptr.cast::<u32>().read() } as usize;
    if size < min_size {
        return Err(LWBS_ERR_INVALID_ARGUMENT);
    }
    let mut value = absent;
    let n = size.min(core::mem::size_of::<T>());
    // SAFETY: the caller has `size` >= `n` readable bytes at `ptr`; `value` is a local `T` of
    // `size_of::<T>()` >= `n` bytes; the regions do not overlap. Every field of the versioned
    // structs accepts any bit pattern (integers, raw pointers, optional fn pointers); fields
    // cut by `struct_size` are reset by the caller before use.
    unsafe {
        core::ptr::copy_nonoverlapping(ptr.cast::<u8>(), (&mut value as *mut T).cast::<u8>(), n)
    };
    Ok((value, size))
}

/// Whether a field at `offset` of `len` bytes lies within a caller's `struct_size`.
pub(crate) fn field_present(struct_size: usize, offset: usize, len: usize) -> bool {
    offset + len <= struct_size
}

/// After [`read_versioned`]: every listed (appended) field that does not lie entirely within
/// `struct_size` takes its value from `absent`.
macro_rules! reset_absent_fields {
    ($value:expr, $absent:expr, $size:expr, $ty:ty, [$($field:ident),* $(,)?]) => {
        $(
            if !$crate::ffi::cast::field_present(
                $size,
                core::mem::offset_of!($ty, $field),
                core::mem::size_of_val(&$absent.$field),
            ) {
                $value.$field = $absent.$field;
            }
        )*
    };
}
pub(crate) use reset_absent_fields;

/// The bytes `(ptr, len)`; `(NULL, 0)` is the empty slice, `(NULL, n > 0)` is `LWBS_ERR_NULL`.
///
/// # Safety
/// When non-NULL, `ptr` points to `len` readable bytes that outlive the returned slice.
pub(crate) unsafe fn try_bytes<'a>(ptr: *const u8, len: usize) -> Result<&'a [u8], lwbs_result> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(LWBS_ERR_NULL);
    }
    // SAFETY: non-NULL and `len` readable bytes per the caller's contract.
    Ok(unsafe { core::slice::from_raw_parts(ptr, len) })
}

/// A writable buffer `(ptr, capacity)` with the same NULL rule as [`try_bytes`].
///
/// # Safety
/// When non-NULL, `ptr` points to `capacity` writable bytes, not aliased for the lifetime.
pub(crate) unsafe fn try_buffer<'a>(
    ptr: *mut u8,
    capacity: usize,
) -> Result<&'a mut [u8], lwbs_result> {
    if capacity == 0 {
        return Ok(&mut []);
    }
    if ptr.is_null() {
        return Err(LWBS_ERR_NULL);
    }
    // SAFETY: non-NULL and `capacity` writable bytes per the caller's contract.
    Ok(unsafe { core::slice::from_raw_parts_mut(ptr, capacity) })
}

/// A required NUL-terminated UTF-8 string, copied. Not UTF-8 → `LWBS_ERR_INVALID_ARGUMENT`.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string.
pub(crate) unsafe fn try_str(ptr: *const c_char) -> Result<String, lwbs_result> {
    if ptr.is_null() {
        return Err(LWBS_ERR_NULL);
    }
    // SAFETY: non-NULL and NUL-terminated per the caller's contract.
    let text = unsafe { CStr::from_ptr(ptr) };
    text.to_str().map(String::from).map_err(|_| LWBS_ERR_INVALID_ARGUMENT)
}

/// An optional string: NULL is `None`, otherwise as [`try_str`].
///
/// # Safety
/// As [`try_str`].
pub(crate) unsafe fn try_opt_str(ptr: *const c_char) -> Result<Option<String>, lwbs_result> {
    if ptr.is_null() {
        return Ok(None);
    }
    // SAFETY: forwarded to the caller.
    unsafe { try_str(ptr) }.map(Some)
}

/// An output slot, checked for NULL before any work is done; written later with [`Out::write`].
pub(crate) struct Out<T>(*mut T);

impl<T> Out<T> {
    /// Checks `ptr`.
    pub(crate) fn new(ptr: *mut T) -> Result<Out<T>, lwbs_result> {
        if ptr.is_null() {
            Err(LWBS_ERR_NULL)
        } else {
            Ok(Out(ptr))
        }
    }

    /// An optional output: NULL means the caller does not want it.
    pub(crate) fn optional(ptr: *mut T) -> Option<Out<T>> {
        Out::new(ptr).ok()
    }

    /// Stores `value`.
    ///
    /// # Safety
    /// The pointer given to [`Out::new`] points to writable memory for a `T`.
    pub(crate) unsafe fn write(self, value: T) {
        // SAFETY: non-NULL (checked in `new`) and writable per the caller's contract;
        // `write` does not read or drop the old (possibly uninitialised) value.
        unsafe { self.0.write(value) }
    }
}

/// A checked string output: `(buf, capacity)` and `out_len`.
pub(crate) struct StringOut<'a> {
    buf: &'a mut [u8],
    out_len: Out<usize>,
}

impl StringOut<'_> {
    /// Checks the pointers (before any lookup, so that NULL always answers `LWBS_ERR_NULL`).
    ///
    /// # Safety
    /// `buf` is NULL or `capacity` writable bytes; `out_len` NULL or a writable `size_t`.
    pub(crate) unsafe fn new(
        buf: *mut c_char,
        capacity: usize,
        out_len: *mut usize,
    ) -> Result<Self, lwbs_result> {
        let out_len = Out::new(out_len)?;
        // SAFETY: forwarded to the caller.
        let buf = unsafe { try_buffer(buf.cast::<u8>(), capacity) }?;
        Ok(StringOut { buf, out_len })
    }

    /// Copies `text` NUL-terminated; `*out_len` = its length without the NUL, also when the
    /// buffer is too small (then nothing else is written).
    pub(crate) fn write(self, text: &str) -> Status {
        let bytes = text.as_bytes();
        let fits = self.buf.len() > bytes.len();
        if fits {
            self.buf[..bytes.len()].copy_from_slice(bytes);
            self.buf[bytes.len()] = 0;
        }
        // SAFETY: checked non-NULL in `new`; writable per its contract.
        unsafe { self.out_len.write(bytes.len()) };
        if fits {
            Ok(())
        } else {
            Err(LWBS_ERR_BUFFER_TOO_SMALL)
        }
    }
}

/// Where a getter writes its value: a scalar slot ([`Out`]) or a string buffer
/// ([`StringOut`]).
pub(crate) trait Output {
    /// What is written; may borrow from the client for `'a`.
    type Value<'a>;

    /// Writes `value` (a string output: its `LWBS_ERR_BUFFER_TOO_SMALL`).
    ///
    /// # Safety
    /// The pointers the output was made from are writable, as its constructor requires.
    unsafe fn put(self, value: Self::Value<'_>) -> Status;
}

impl<T> Output for Out<T> {
    type Value<'a> = T;

    unsafe fn put(self, value: T) -> Status {
        // SAFETY: forwarded to the caller.
        unsafe { self.write(value) };
        Ok(())
    }
}

impl Output for StringOut<'_> {
    type Value<'a> = alloc::borrow::Cow<'a, str>;

    unsafe fn put(self, value: Self::Value<'_>) -> Status {
        self.write(&value)
    }
}

/// Hands C an opaque pointer `*mut Opaque` to the boxed `value`.
pub(crate) fn box_into_raw<Inner, Opaque>(value: Box<Inner>) -> *mut Opaque {
    Box::into_raw(value).cast()
}

/// A shared reference to the `Inner` behind an opaque pointer made by [`box_into_raw`].
///
/// # Safety
/// `ptr` is NULL or came from `box_into_raw::<Inner, Opaque>` and was not freed.
pub(crate) unsafe fn try_inner<'a, Inner, Opaque>(
    ptr: *const Opaque,
) -> Result<&'a Inner, lwbs_result> {
    // SAFETY: forwarded to the caller.
    unsafe { try_ref(ptr.cast::<Inner>()) }
}

/// Takes back the box behind an opaque pointer; NULL gives `None`.
///
/// # Safety
/// `ptr` is NULL or came from `box_into_raw::<Inner, Opaque>`, was not freed, and no
/// reference to it is alive.
pub(crate) unsafe fn box_from_raw<Inner, Opaque>(ptr: *mut Opaque) -> Option<Box<Inner>> {
    if ptr.is_null() {
        return None;
    }
    // SAFETY: made by `Box::into_raw` of a `Box<Inner>` per the caller's contract.
    Some(unsafe { Box::from_raw(ptr.cast::<Inner>()) })
}
