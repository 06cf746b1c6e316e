//! `/admin`: a small page for admins (projection status with lag and dead letters, and a
//! rebuild button). It is static; everything it shows comes from GraphQL with the admin's own
//! token (`login`, then `projections` and `rebuildProjection`), so it shows nothing to anyone
//! who cannot sign in as an admin.

use axum::http::header;
use axum::response::IntoResponse;

const PAGE: &str = include_str!("admin.html");
const SCRIPT: &str = include_str!("admin.js");

/// Scripts from this origin only (no inline script, so an injected one cannot run), talking
/// to this origin only.
const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; \
     connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

pub async fn page() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, POLICY),
            (header::CACHE_CONTROL, "no-store"),
        ],
        PAGE,
    )
}

pub async fn script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        SCRIPT,
    )
}
