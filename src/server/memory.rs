//! How the process hands memory back to the system after a load: the one allocator setting that
//! decides it, applied once at start.
//!
//! Each password hash works in a 19 MiB area (see `auth::password`). glibc serves an allocation
//! that large with its own `mmap`, and unmaps it when freed, but only up to a threshold that it
//! raises, by default, to the size of each such block freed: after the first load had been given
//! back, the next load's areas came from the heap arenas instead, and freeing them returned
//! nothing (measured: 29 MiB a minute after one burst, 68 MiB and flat after a second). Setting the
//! threshold turns that adjustment off, so every hash area stays a mapping of its own and goes
//! back to the system when it is freed, after every load, not only the first.

/// Allocations at least this large get a mapping of their own (glibc's default starting point is
/// 128 KiB; a hash area is 19 MiB, a request body at most 64 KiB).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const OWN_MAPPING_FROM: libc::c_int = 1 << 20;

/// Fixes the allocator's threshold for allocations that get a mapping of their own (see the
/// module's doc). Call once, at start, before the load.
pub fn hand_back_large_areas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` only changes a parameter of the allocator, which glibc guards with its own
    // lock; it reads no memory of ours.
    #[allow(unsafe_code)]
    unsafe {
        if libc::mallopt(libc::M_MMAP_THRESHOLD, OWN_MAPPING_FROM) != 1 {
            tracing::warn!("could not set the allocator's mmap threshold: memory may stay high after a load");
        }
    }
}
