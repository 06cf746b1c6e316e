//! `/admin`: a small page for admins (projection status with lag and dead letters, and a
//! rebuild button). It is static; everything it shows comes from GraphQL with the admin's own
//! token (`login`, then `projections` and `rebuildProjection`), so it shows nothing to anyone
//! who cannot sign in as an admin.

use axum::http::header;
use axum::response::IntoResponse;

const PAGE: &str = include_str!("admin.html");

pub async fn page() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            // The page talks to this origin only.
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; form-action 'none'; frame-ancestors 'none'",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        PAGE,
    )
}
