//! HTTP: the JSON API under `/api/v1` and the zh-CN pages, with a tracing span per request.

pub mod api;
pub mod auth;
pub mod draft;
pub mod error;
pub mod openapi;
pub mod pages;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::{self, Next};
use axum::response::Response;
use tracing::Instrument;

use crate::issuing::Issuing;

/// State shared by every handler.
#[derive(Clone)]
pub struct AppState {
    pub issuing: Issuing,
    /// Printer drivers and other WebAssembly plugins; `None` where the server runs without them.
    pub plugins: Option<Arc<crate::plugins::PluginHost>>,
    request_counter: Arc<AtomicU64>,
}

impl AppState {
    pub fn new(issuing: Issuing) -> AppState {
        AppState { issuing, plugins: None, request_counter: Arc::new(AtomicU64::new(0)) }
    }

    pub fn with_plugins(mut self, plugins: Arc<crate::plugins::PluginHost>) -> AppState {
        self.plugins = Some(plugins);
        self
    }
}

/// Builds the application's router.
pub fn router(state: AppState) -> Router {
    Router::new()
        .nest("/api/v1", api::routes())
        .merge(pages::routes())
        .route("/healthz", axum::routing::get(|| async { "ok" }))
        .layer(middleware::from_fn_with_state(state.clone(), request_span))
        .with_state(state)
}

/// Runs each request inside a span with a request id, and returns the id in `x-request-id`.
async fn request_span(axum::extract::State(state): axum::extract::State<AppState>, request: Request, next: Next) -> Response {
    let request_id = state.request_counter.fetch_add(1, Ordering::Relaxed) + 1;
    let span = tracing::info_span!(
        "request",
        request_id,
        method = %request.method(),
        path = %request.uri().path(),
        user = tracing::field::Empty,
        dealer_id = tracing::field::Empty,
        invoice_code = tracing::field::Empty,
        invoice_number = tracing::field::Empty,
        status = tracing::field::Empty,
    );
    async move {
        let mut response = next.run(request).await;
        let status = response.status().as_u16();
        tracing::Span::current().record("status", status);
        if status >= 500 {
            tracing::warn!(status, "request failed");
        } else {
            tracing::debug!(status, "request done");
        }
        response.headers_mut().insert("x-request-id", HeaderValue::from(request_id));
        response
    }
    .instrument(span)
    .await
}
