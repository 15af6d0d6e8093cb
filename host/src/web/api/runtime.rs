//! `GET /admin/runtime`: what the server has loaded, with versions, hashes and load errors.

use axum::Json;
use axum::extract::State;
use serde_json::json;

use crate::domain::rejection::Rejection;
use crate::store::users::Role;
use crate::web::AppState;
use crate::web::auth::Authenticated;
use crate::web::error::ApiError;

pub async fn runtime(State(state): State<AppState>, Authenticated(actor): Authenticated) -> Result<Json<serde_json::Value>, ApiError> {
    if actor.role != Role::Admin {
        return Err(Rejection::new(403, "role_not_allowed", None, "此操作需要管理员权限，请联系系统管理员").into());
    }
    let plugins = state.plugins.as_ref().map(|host| host.status());
    let scripts = state.issuing.rules().status();
    Ok(Json(json!({ "scripts": scripts, "plugins": plugins })))
}
