//! Sign-in for the pages: username and argon2 password, a session cookie (HttpOnly,
//! SameSite=Strict) and a per-session CSRF token that every form POST must echo.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::Extension;
use axum::extract::{ConnectInfo, FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{Duration, SecondsFormat};
use serde::Deserialize;

use super::chrome::home_path;
use super::limiter::{Locked, LoginLimiter, minutes};
use super::{PageError, page_redirect, render, with_status};
use crate::store::users::{self, User, new_token, token_hash};
use crate::store::{passwords, sessions};
use crate::web::AppState;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "mvis_session";

/// Lifetime of a session: one working day. Signing in again starts a new one.
const SESSION_HOURS: i64 = 10;

/// A signed-in user of a page request, with the session's CSRF token.
#[derive(Clone, Debug)]
pub struct SignedIn {
    pub user: User,
    pub csrf_token: String,
}

impl SignedIn {
    /// Rejects a form whose CSRF token differs from the session's. The comparison runs over
    /// every byte, so its time does not tell how much of a guess was right.
    pub fn check_csrf(&self, submitted: &str) -> Result<(), PageError> {
        let expected = self.csrf_token.as_bytes();
        let submitted = submitted.as_bytes();
        let mut difference = u8::from(expected.len() != submitted.len());
        for (index, byte) in expected.iter().enumerate() {
            difference |= byte ^ submitted.get(index).copied().unwrap_or(0);
        }
        if difference == 0 {
            Ok(())
        } else {
            tracing::warn!(user = %self.user.username, "form rejected: CSRF token mismatch");
            Err(PageError::message(403, "页面已过期或表单来源无效（CSRF 校验失败），请刷新页面后重新提交"))
        }
    }
}

/// Reads the value of one cookie from the request headers.
pub fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let back_to_login = || {
            let next = parts.uri.path_and_query().map(|path| path.as_str()).unwrap_or("/");
            PageError::SignIn { next: if parts.method == axum::http::Method::GET { next.to_string() } else { String::new() } }
        };
        let Some(token) = cookie_value(&parts.headers, SESSION_COOKIE) else { return Err(back_to_login()) };
        let now = state.issuing.clock().now().to_rfc3339_opts(SecondsFormat::Micros, true);
        let Some(session) = sessions::find(state.issuing.store().pool(), &token_hash(token), &now).await? else {
            return Err(back_to_login());
        };

        let span = tracing::Span::current();
        span.record("user", session.user.username.as_str());
        if let Some(dealer_id) = &session.user.dealer_id {
            span.record("dealer_id", dealer_id.as_str());
        }
        Ok(SignedIn { user: session.user, csrf_token: session.csrf_token })
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct LoginQuery {
    #[serde(default)]
    next: String,
    #[serde(default)]
    notice: String,
}

#[derive(askama::Template)]
#[template(path = "login.html")]
struct LoginPage {
    username: String,
    next: String,
    error: String,
    notice: String,
}

pub async fn login_form(Query(query): Query<LoginQuery>) -> Response {
    let notice = if query.notice == "password_set" { "密码已修改，请用新密码登录".to_string() } else { String::new() };
    render(&LoginPage { username: String::new(), next: safe_next(&query.next), error: String::new(), notice })
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    next: String,
}

/// Keeps a post-login redirect on this site: a local absolute path only.
fn safe_next(next: &str) -> String {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') { next.to_string() } else { String::new() }
}

pub async fn login(
    State(state): State<AppState>,
    Extension(limiter): Extension<Arc<LoginLimiter>>,
    connect_info: Option<Extension<ConnectInfo<SocketAddr>>>,
    axum::Form(form): axum::Form<LoginForm>,
) -> Result<Response, PageError> {
    let username = form.username.trim().to_string();
    let next = safe_next(&form.next);
    let address = connect_info.map(|Extension(ConnectInfo(address))| address.ip().to_string()).unwrap_or_else(|| "unknown".to_string());
    let failed = |error: String| render(&LoginPage { username: username.clone(), next: next.clone(), error, notice: String::new() });

    if let Some(locked) = limiter.check(&username, &address, Instant::now()) {
        tracing::warn!(username = %username, address = %address, ?locked, "sign-in rejected by rate limit");
        let message = match locked {
            Locked::Username { retry_after } => format!("账号 {username} 登录失败次数过多，已暂时锁定，请在 {} 分钟后再试", minutes(retry_after)),
            Locked::Address { retry_after } => format!("本机登录失败次数过多，请在 {} 分钟后再试", minutes(retry_after)),
        };
        return Ok(with_status(429, failed(message)));
    }

    let pool = state.issuing.store().pool();
    let mut conn = pool.acquire().await.map_err(crate::store::StoreError::from)?;
    let user = users::get(&mut conn, &username).await?;
    drop(conn);
    let stored_hash = match &user {
        Some(_) => passwords::get(pool, &username).await?,
        None => None,
    };
    // Hash checks run off the async threads: argon2 takes tens of milliseconds by design.
    let password = form.password.clone();
    let verified = match stored_hash {
        Some(hash) => tokio::task::spawn_blocking(move || passwords::verify_password(&password, &hash)).await.unwrap_or(false),
        None => false,
    };
    let Some(user) = user.filter(|_| verified) else {
        limiter.record_failure(&username, &address, Instant::now());
        tracing::info!(username = %username, address = %address, "sign-in failed");
        return Ok(with_status(401, failed("用户名或密码错误，请核对后重试；忘记密码请联系管理员重置".to_string())));
    };
    limiter.record_success(&username);

    let token = new_token();
    let csrf_token = new_token();
    let now = state.issuing.clock().now();
    let created_at = now.to_rfc3339_opts(SecondsFormat::Micros, true);
    let expires_at = (now + Duration::hours(SESSION_HOURS)).to_rfc3339_opts(SecondsFormat::Micros, true);
    let removed = sessions::delete_expired(pool, &created_at).await?;
    sessions::insert(pool, &token_hash(&token), &user.username, &csrf_token, &created_at, &expires_at).await?;
    tracing::info!(username = %user.username, expired_sessions_removed = removed, "signed in");

    let target = if next.is_empty() { home_path(&user).to_string() } else { next };
    let mut response = page_redirect(&target);
    let cookie = format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}", SESSION_HOURS * 3600);
    // NOTE: the cookie has no Secure attribute because mvis serves plain HTTP; a deployment that
    // terminates TLS in front of it should add Secure there.
    response.headers_mut().insert(header::SET_COOKIE, HeaderValue::from_str(&cookie).expect("cookie is ASCII"));
    Ok(response)
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf_token: String,
}

pub async fn logout(State(state): State<AppState>, signed_in: SignedIn, headers: HeaderMap, axum::Form(form): axum::Form<CsrfForm>) -> Result<Response, PageError> {
    signed_in.check_csrf(&form.csrf_token)?;
    if let Some(token) = cookie_value(&headers, SESSION_COOKIE) {
        sessions::delete(state.issuing.store().pool(), &token_hash(token)).await?;
    }
    tracing::info!(username = %signed_in.user.username, "signed out");
    let mut response = page_redirect("/login");
    let cleared = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    response.headers_mut().insert(header::SET_COOKIE, HeaderValue::from_str(&cleared).expect("cookie is ASCII"));
    Ok(response)
}

/// Redirects `/` to the signed-in user's home page, or to the sign-in page.
pub async fn root(signed_in: Result<SignedIn, PageError>) -> Response {
    match signed_in {
        Ok(signed_in) => page_redirect(home_path(&signed_in.user)),
        Err(_) => page_redirect("/login"),
    }
}

#[derive(askama::Template)]
#[template(path = "password.html")]
struct PasswordPage {
    chrome: super::chrome::Chrome,
    error: String,
}

pub async fn password_form(signed_in: SignedIn) -> Response {
    render(&PasswordPage { chrome: super::chrome::Chrome::new(&signed_in, "/password"), error: String::new() })
}

#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf_token: String,
    current_password: String,
    new_password: String,
    repeat_password: String,
}

/// Changes the signed-in user's own password after checking the current one, then ends every
/// session of the user, this browser's included, so the new password is needed everywhere.
pub async fn change_password(State(state): State<AppState>, signed_in: SignedIn, axum::Form(form): axum::Form<PasswordForm>) -> Result<Response, PageError> {
    signed_in.check_csrf(&form.csrf_token)?;
    let page = |error: &str| render(&PasswordPage { chrome: super::chrome::Chrome::new(&signed_in, "/password"), error: error.to_string() });
    let pool = state.issuing.store().pool();
    let stored = passwords::get(pool, &signed_in.user.username).await?;
    let current = form.current_password.clone();
    let verified = match stored {
        Some(hash) => tokio::task::spawn_blocking(move || passwords::verify_password(&current, &hash)).await.unwrap_or(false),
        None => false,
    };
    if !verified {
        return Ok(with_status(422, page("当前密码不正确，请重新输入")));
    }
    if form.new_password != form.repeat_password {
        return Ok(with_status(422, page("两次输入的新密码不一致，请重新输入")));
    }
    match state.issuing.set_password(&signed_in.user, &signed_in.user.username, &form.new_password).await {
        Ok(_) => {}
        Err(crate::issuing::IssuingError::Rejected(rejection)) => return Ok(with_status(422, page(&rejection.message))),
        Err(err) => return Err(err.into()),
    }
    sessions::delete_for_user(pool, &signed_in.user.username).await?;
    Ok(page_redirect("/login?notice=password_set").into_response())
}
