//! Headers every response carries, set in one layer: pages may run scripts and load styles
//! only from the binary's own origin, nothing may frame them, browsers may not guess types,
//! and addresses leave the site without their path. A response that set its own policy (a
//! served upload's sandbox) keeps it. And how large a request body may be.

use axum::http::header::{
    CONTENT_SECURITY_POLICY, HeaderValue, REFERRER_POLICY, STRICT_TRANSPORT_SECURITY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::response::Response;

/// Largest request body: evidence scans are up to 20 MB, plus multipart framing.
pub const BODY_LIMIT: usize = 21 * 1024 * 1024;

/// Scripts and styles from the origin only (htmx and app.js are served by the binary), images
/// also as `data:` (charts, QR codes) and `blob:` (the preview of a photo the teacher has just
/// chosen, never sent anywhere), no plugins, forms post only here, no framing.
pub const PAGE_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data: blob:; object-src 'none'; base-uri 'none'; form-action 'self'; \
    frame-ancestors 'none'";

/// Adds the headers; `hsts` when the site is served over HTTPS (secure cookies on).
pub fn add_headers(mut response: Response, hsts: bool) -> Response {
    let headers = response.headers_mut();
    if !headers.contains_key(CONTENT_SECURITY_POLICY) {
        headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(PAGE_CSP));
    }
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    if hsts {
        headers.insert(
            STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    response
}
