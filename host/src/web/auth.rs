//! Bearer-token authentication: `Authorization: Bearer <token>` resolves to the user it was made for.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::AppState;
use super::error::ApiError;
use crate::domain::rejection::Rejection;
use crate::issuing::Actor;
use crate::store::users;

/// The authenticated user of a request.
pub struct Authenticated(pub Actor);

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let unauthorized = || Rejection::new(401, "unauthorized", None, "缺少或无效的访问令牌：请在 Authorization 头中提供 Bearer 令牌（可用 mvis token create 生成）");
        let header = parts.headers.get(axum::http::header::AUTHORIZATION).and_then(|value| value.to_str().ok()).ok_or_else(unauthorized)?;
        let token = header.strip_prefix("Bearer ").map(str::trim).filter(|token| !token.is_empty()).ok_or_else(unauthorized)?;

        let user = users::user_for_token(state.issuing.store().pool(), token).await?.ok_or_else(unauthorized)?;
        let span = tracing::Span::current();
        span.record("user", user.username.as_str());
        if let Some(dealer_id) = &user.dealer_id {
            span.record("dealer_id", dealer_id.as_str());
        }
        Ok(Authenticated(user))
    }
}
