//! Local machine certificate stores through CryptoAPI.
//!
//! RDP picks its TLS certificate from the "Remote Desktop" store (self-signed, made by the
//! service) or, when `SSLCertificateSHA1Hash` is set, from "My". A certificate whose private
//! key is missing or unreadable for NETWORK SERVICE is a classic cause of failed connections, so
//! for each certificate the key container name and whether the key can be opened are recorded.

use super::wide::{from_wide_ptr, last_error, step_error, to_wide};
use crate::source::{CertItem, StepError};
use windows_sys::Win32::Security::Cryptography::{
    CertCloseStore, CertEnumCertificatesInStore, CertGetCertificateContextProperty, CertOpenStore,
    CryptAcquireCertificatePrivateKey, CryptReleaseContext, NCryptFreeObject, CERT_CONTEXT,
    CERT_KEY_PROV_INFO_PROP_ID, CERT_NCRYPT_KEY_SPEC, CERT_STORE_OPEN_EXISTING_FLAG,
    CERT_STORE_PROV_SYSTEM_W, CERT_STORE_READONLY_FLAG, CERT_SYSTEM_STORE_LOCAL_MACHINE,
    CRYPT_ACQUIRE_ALLOW_NCRYPT_KEY_FLAG, CRYPT_ACQUIRE_SILENT_FLAG, CRYPT_KEY_PROV_INFO,
};

/// Largest certificate kept (real ones are a few KB).
const MAX_CERT_BYTES: usize = 1 << 20;
/// Most certificates read from one store.
const MAX_CERTS: usize = 10_000;

/// Every certificate of the local machine store `name`, read-only.
pub fn read_store(name: &str) -> Result<Vec<CertItem>, StepError> {
    let w = to_wide(name);
    // SAFETY: system store provider with a NUL-terminated store name.
    let store = unsafe {
        CertOpenStore(
            CERT_STORE_PROV_SYSTEM_W,
            0,
            0,
            CERT_SYSTEM_STORE_LOCAL_MACHINE
                | CERT_STORE_OPEN_EXISTING_FLAG
                | CERT_STORE_READONLY_FLAG,
            w.as_ptr().cast(),
        )
    };
    if store.is_null() {
        let rc = last_error();
        return Err(match rc {
            2 | 3 => {
                StepError::not_found(format!("the local machine store \"{name}\" does not exist"))
            }
            _ => step_error(&format!("opening the local machine store \"{name}\""), rc),
        });
    }
    let mut items = Vec::new();
    let mut ctx: *const CERT_CONTEXT = std::ptr::null();
    loop {
        // SAFETY: enumerating frees the previous context and returns the next (or null).
        let next = unsafe { CertEnumCertificatesInStore(store, ctx) };
        if next.is_null() {
            break;
        }
        ctx = next;
        // SAFETY: a context returned by the enumeration is valid until the next call.
        if let Some(item) = unsafe { cert_item(ctx) } {
            items.push(item);
        }
        if items.len() >= MAX_CERTS {
            // SAFETY: ends the enumeration early: the current context must be freed.
            unsafe { windows_sys::Win32::Security::Cryptography::CertFreeCertificateContext(ctx) };
            break;
        }
    }
    // SAFETY: the store handle is open and closed once.
    unsafe { CertCloseStore(store, 0) };
    Ok(items)
}

/// # Safety
/// `ctx` must be a valid certificate context.
unsafe fn cert_item(ctx: *const CERT_CONTEXT) -> Option<CertItem> {
    // SAFETY: per the caller.
    let c = unsafe { &*ctx };
    let len = c.cbCertEncoded as usize;
    if c.pbCertEncoded.is_null() || len == 0 || len > MAX_CERT_BYTES {
        return None;
    }
    // SAFETY: the encoded bytes belong to the context.
    let der = unsafe { std::slice::from_raw_parts(c.pbCertEncoded, len) }.to_vec();
    // SAFETY: per the caller.
    let key_container = unsafe { key_container(ctx) };
    let has_private_key = key_container.is_some();
    let private_key_accessible = if has_private_key {
        // SAFETY: per the caller.
        Some(unsafe { can_open_private_key(ctx) })
    } else {
        None
    };
    Some(CertItem {
        der,
        has_private_key,
        key_container: key_container.flatten(),
        private_key_accessible,
    })
}

/// `Some(container)` when `CERT_KEY_PROV_INFO_PROP_ID` is set (the container name itself may
/// be absent), `None` when the certificate has no private key association.
///
/// # Safety
/// `ctx` must be a valid certificate context.
unsafe fn key_container(ctx: *const CERT_CONTEXT) -> Option<Option<String>> {
    let mut size = 0u32;
    // SAFETY: size query.
    let ok = unsafe {
        CertGetCertificateContextProperty(
            ctx,
            CERT_KEY_PROV_INFO_PROP_ID,
            std::ptr::null_mut(),
            &mut size,
        )
    };
    if ok == 0 || size == 0 || size > 64 * 1024 {
        return None;
    }
    // u64 storage keeps the structure aligned.
    let mut buf = vec![0u64; (size as usize).div_ceil(8)];
    // SAFETY: buffer of at least `size` bytes.
    let ok = unsafe {
        CertGetCertificateContextProperty(
            ctx,
            CERT_KEY_PROV_INFO_PROP_ID,
            buf.as_mut_ptr().cast(),
            &mut size,
        )
    };
    if ok == 0 || (size as usize) < std::mem::size_of::<CRYPT_KEY_PROV_INFO>() {
        return Some(None);
    }
    // SAFETY: the property is a CRYPT_KEY_PROV_INFO whose strings point into `buf`.
    let info = unsafe { &*(buf.as_ptr().cast::<CRYPT_KEY_PROV_INFO>()) };
    // SAFETY: NUL-terminated string inside `buf`, or null.
    Some(unsafe { from_wide_ptr(info.pwszContainerName) })
}

/// Whether the private key opens silently for this process (no UI, nothing changed).
///
/// # Safety
/// `ctx` must be a valid certificate context.
unsafe fn can_open_private_key(ctx: *const CERT_CONTEXT) -> bool {
    let mut handle = 0usize;
    let mut spec = 0u32;
    let mut must_free = 0;
    // SAFETY: out pointers to locals.
    let ok = unsafe {
        CryptAcquireCertificatePrivateKey(
            ctx,
            CRYPT_ACQUIRE_SILENT_FLAG | CRYPT_ACQUIRE_ALLOW_NCRYPT_KEY_FLAG,
            std::ptr::null(),
            &mut handle,
            &mut spec,
            &mut must_free,
        )
    };
    if ok == 0 {
        return false;
    }
    if must_free != 0 && handle != 0 {
        if spec == CERT_NCRYPT_KEY_SPEC {
            // SAFETY: a CNG key handle we own.
            unsafe { NCryptFreeObject(handle) };
        } else {
            // SAFETY: a CAPI provider handle we own.
            unsafe { CryptReleaseContext(handle, 0) };
        }
    }
    true
}
