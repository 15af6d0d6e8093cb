-- Web pages (SQLite): sign-in passwords, browser sessions and the feedback window (信息传递反馈窗口).

-- One argon2id hash (PHC string) per user who may sign in to the pages. Kept apart from `users`
-- so the user row, which the ledger hashes, never carries a secret.
CREATE TABLE user_passwords (
    username        TEXT PRIMARY KEY REFERENCES users(username),
    password_hash   TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);

-- A signed-in browser. The cookie carries a random token; only its SHA-256 is stored.
CREATE TABLE web_sessions (
    session_hash    TEXT PRIMARY KEY,
    username        TEXT NOT NULL REFERENCES users(username),
    csrf_token      TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    expires_at      TEXT NOT NULL
);
CREATE INDEX web_sessions_by_user ON web_sessions (username);

-- A problem or suggestion from any user, answered and closed by province staff.
CREATE TABLE feedback (
    feedback_id     INTEGER PRIMARY KEY AUTOINCREMENT,
    submitted_by    TEXT NOT NULL REFERENCES users(username),
    category        TEXT NOT NULL,
    body            TEXT NOT NULL,
    status          TEXT NOT NULL,
    answer          TEXT NOT NULL DEFAULT '',
    answered_by     TEXT NOT NULL DEFAULT '',
    submitted_at    TEXT NOT NULL,
    answered_at     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX feedback_by_submitter ON feedback (submitted_by, feedback_id);

-- 初始化设置: when a prefecture switched from pilot to live (RFC 3339, UTC); empty while not live.
ALTER TABLE prefectures ADD COLUMN live_since TEXT NOT NULL DEFAULT '';
