//! Sign-in passwords and the per-prefecture switch from pilot to live (初始化设置).

use serde::Serialize;

use super::scope::{AdminScope, admin_scope, area_admin_scope, outside_scope};
use super::{Actor, Issuing, IssuingError};
use crate::domain::rejection::Rejection;
use crate::store::passwords::{self, MAX_PASSWORD_BYTES, MIN_PASSWORD_CHARS};
use crate::store::prefectures::{self, PROVINCE_CODE};
use crate::store::users::{self, User};
use crate::store::writer::{JobFuture, JobOutput, WriteContext, WriteJob};
use crate::store::{StoreError, dealers};

/// The setter of a password: the user for the own account, or an administrator for a user in scope.
#[derive(Clone)]
enum Setter {
    Own,
    Admin(AdminScope),
}

#[derive(Clone)]
struct PasswordJob {
    actor: String,
    setter: Setter,
    username: String,
    password_hash: String,
}

/// Checks a new password's length and characters.
pub fn check_new_password(password: &str) -> Result<(), Rejection> {
    if password.chars().count() < MIN_PASSWORD_CHARS || password.len() > MAX_PASSWORD_BYTES {
        return Err(Rejection::new(
            422,
            "password_invalid",
            Some("password"),
            format!("密码长度应为 {MIN_PASSWORD_CHARS} 至 {MAX_PASSWORD_BYTES} 个字符，请重新设置"),
        ));
    }
    if password.chars().any(char::is_control) {
        return Err(Rejection::new(422, "password_invalid", Some("password"), "密码不能含换行或控制字符，请重新设置"));
    }
    Ok(())
}

/// Returns true when an administrator's scope covers the user.
async fn scope_covers_user(conn: &mut sqlx::AnyConnection, scope: &AdminScope, user: &User) -> Result<bool, StoreError> {
    let dealer_prefecture_code = match &user.dealer_id {
        Some(dealer_id) => dealers::get(conn, dealer_id).await?.map(|dealer| dealer.prefecture_code),
        None => None,
    };
    Ok(scope.covers_user(user, dealer_prefecture_code.as_deref()))
}

impl WriteJob for PasswordJob {
    fn name(&self) -> &'static str {
        "user.password_set"
    }

    fn retry_copy(&self) -> Box<dyn WriteJob> {
        Box::new(self.clone())
    }

    fn run<'c>(self: Box<Self>, ctx: &'c mut WriteContext) -> JobFuture<'c> {
        Box::pin(async move {
            let Some(user) = users::get(ctx.conn(), &self.username).await? else {
                return Err(Rejection::not_found(&format!("用户 {}", self.username)).into());
            };
            if let Setter::Admin(scope) = &self.setter
                && !scope_covers_user(ctx.conn(), scope, &user).await?
            {
                return Err(outside_scope(&format!("用户 {}", self.username)).into());
            }
            let updated_at = ctx.now_rfc3339();
            passwords::set(ctx.conn(), &self.username, &self.password_hash, &updated_at).await?;
            // The ledger records who changed whose password and when, never the hash.
            ctx.record(&self.actor, "user.password_set", &format!("password:{}", self.username), &serde_json::json!({ "username": self.username }))
                .await?;
            Ok(JobOutput::json(200, &serde_json::json!({ "username": self.username })))
        })
    }
}

/// A prefecture's rollout stage as the switch sets it.
#[derive(Clone, Debug, Serialize)]
struct PrefectureSwitch {
    code: String,
    live: bool,
    live_since: String,
}

#[derive(Clone)]
struct SwitchJob {
    actor: String,
    code: String,
    live: bool,
}

impl WriteJob for SwitchJob {
    fn name(&self) -> &'static str {
        "prefecture.switch"
    }

    fn retry_copy(&self) -> Box<dyn WriteJob> {
        Box::new(self.clone())
    }

    fn run<'c>(self: Box<Self>, ctx: &'c mut WriteContext) -> JobFuture<'c> {
        Box::pin(async move {
            if !prefectures::exists(ctx.conn(), &self.code).await? {
                return Err(Rejection::not_found(&format!("地市 {}", self.code)).into());
            }
            let current = prefectures::live_since(ctx.conn(), &self.code).await?;
            if self.live == !current.is_empty() {
                let state = if self.live { "已正式上线" } else { "仍为试点" };
                return Err(Rejection::new(409, "prefecture_stage_unchanged", None, format!("地市 {} {state}，无需切换；请刷新页面查看最新状态", self.code)).into());
            }
            let live_since = if self.live { ctx.now_rfc3339() } else { String::new() };
            prefectures::set_live_since(ctx.conn(), &self.code, &live_since).await?;
            let switch = PrefectureSwitch { code: self.code.clone(), live: self.live, live_since };
            ctx.record(&self.actor, "prefecture.switched", &format!("prefecture:{}", self.code), &switch).await?;
            Ok(JobOutput::json(200, &switch))
        })
    }
}

impl Issuing {
    /// Sets the sign-in password of `username`. A user may set the own password (the caller has
    /// checked the current one); administrators may set it for users in their scope.
    pub async fn set_password(&self, actor: &Actor, username: &str, password: &str) -> Result<JobOutput, IssuingError> {
        let setter = if actor.username == username { Setter::Own } else { Setter::Admin(admin_scope(actor)?) };
        check_new_password(password)?;
        let password = password.to_string();
        let password_hash = tokio::task::spawn_blocking(move || passwords::hash_password(&password))
            .await
            .map_err(|err| StoreError::Corrupt(format!("password hashing task failed: {err}")))??;
        let job = PasswordJob { actor: actor.username.clone(), setter, username: username.to_string(), password_hash };
        Ok(self.writer.submit(Box::new(job), None).await?)
    }

    /// Switches a prefecture to live (`live = true`) or back to pilot.
    pub async fn switch_prefecture(&self, actor: &Actor, prefecture_code: &str, live: bool) -> Result<JobOutput, IssuingError> {
        if prefecture_code == PROVINCE_CODE || !area_admin_scope(actor)?.covers_prefecture(prefecture_code) {
            return Err(outside_scope(&format!("地市 {prefecture_code}")).into());
        }
        let job = SwitchJob { actor: actor.username.clone(), code: prefecture_code.to_string(), live };
        Ok(self.writer.submit(Box::new(job), None).await?)
    }
}
