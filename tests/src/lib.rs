//! Test harness: starts the real `mvis` binary on loopback against a fresh SQLite file or a fresh
//! PostgreSQL database, and talks to it over HTTP.
//!
//! `tools/test` builds the release binary, starts PostgreSQL and sets `MVIS_BIN` and
//! `MVIS_TEST_POSTGRES_URL`; the tests run against both backends.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use serde_json::Value;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Returns the backends every end-to-end test runs against. PostgreSQL is required unless
/// `MVIS_TEST_BACKENDS=sqlite` is set for a quick local run.
pub fn backends() -> Vec<Backend> {
    if std::env::var("MVIS_TEST_BACKENDS").as_deref() == Ok("sqlite") {
        return vec![Backend::Sqlite];
    }
    assert!(
        std::env::var("MVIS_TEST_POSTGRES_URL").is_ok(),
        "MVIS_TEST_POSTGRES_URL is not set: run the suite with tools/test, which starts PostgreSQL"
    );
    vec![Backend::Sqlite, Backend::Postgres]
}

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ sits in the repository").to_path_buf()
}

/// Returns the `mvis` binary: `MVIS_BIN`, or the release build in the workspace target dir.
pub fn mvis_bin() -> PathBuf {
    match std::env::var_os("MVIS_BIN") {
        Some(path) => PathBuf::from(path),
        None => repo_root().join("target/release/mvis"),
    }
}

static NEXT_ID: AtomicU32 = AtomicU32::new(0);

/// A database created for one test: a data dir for SQLite, or a new PostgreSQL database.
pub struct TestDatabase {
    pub backend: Backend,
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
    /// Rule scripts the server loads; the repository's `scripts/` unless a test points elsewhere.
    pub scripts_dir: PathBuf,
}

impl TestDatabase {
    pub async fn create(backend: Backend, name: &str) -> TestDatabase {
        let unique = format!("{name}_{}_{}", std::process::id(), NEXT_ID.fetch_add(1, Ordering::Relaxed));
        let data_dir = std::env::temp_dir().join(format!("mvis-test-{unique}"));
        let _ = std::fs::remove_dir_all(&data_dir);
        std::fs::create_dir_all(&data_dir).expect("create test data dir");

        let database_url = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => {
                let admin_url = std::env::var("MVIS_TEST_POSTGRES_URL").expect("MVIS_TEST_POSTGRES_URL");
                let database = format!("mvis_{unique}").to_lowercase();
                let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin_url).await.expect("connect to test PostgreSQL");
                sqlx::Executor::execute(&mut conn, format!("CREATE DATABASE {database}").as_str()).await.expect("create test database");
                let base = admin_url.rsplit_once('/').expect("url has a database part").0;
                Some(format!("{base}/{database}"))
            }
        };
        TestDatabase { backend, data_dir, database_url, scripts_dir: repo_root().join("scripts") }
    }

    /// Runs `mvis` with this database and the repository's config; returns (status, stdout, stderr).
    pub fn mvis(&self, args: &[&str]) -> (i32, String, String) {
        self.mvis_with_config(&repo_root().join("config"), args)
    }

    pub fn mvis_with_config(&self, config_dir: &Path, args: &[&str]) -> (i32, String, String) {
        let output = self.command(config_dir).args(args).output().expect("run mvis");
        (
            output.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }

    fn command(&self, config_dir: &Path) -> Command {
        let mut command = Command::new(mvis_bin());
        command.arg("--data-dir").arg(&self.data_dir).arg("--config-dir").arg(config_dir);
        command.env_remove("MVIS_DATABASE_URL").env_remove("MVIS_FIXED_CLOCK");
        command.env("MVIS_SCRIPTS_DIR", &self.scripts_dir);
        // An empty plugin directory per test, so servers compile no plugins unless a test
        // passes `--plugin-dir`.
        command.env("MVIS_PLUGIN_DIR", self.data_dir.join("plugins"));
        if let Some(url) = &self.database_url {
            command.env("MVIS_DATABASE_URL", url);
        }
        command
    }

    /// `mvis init --demo`, asserting success.
    pub fn init_demo(&self) {
        let (status, _, stderr) = self.mvis(&["init", "--demo"]);
        assert_eq!(status, 0, "mvis init --demo failed: {stderr}");
    }

    /// Creates a bearer token for `username`.
    pub fn token(&self, username: &str) -> String {
        let (status, stdout, stderr) = self.mvis(&["token", "create", username]);
        assert_eq!(status, 0, "token create {username} failed: {stderr}");
        stdout.trim().to_string()
    }

    /// Starts `mvis serve` on a free loopback port, optionally with a fixed clock.
    pub fn serve(&self, fixed_clock: Option<&str>) -> TestServer {
        self.serve_with(&repo_root().join("config"), fixed_clock, &[])
    }

    /// Starts `mvis serve` with another config directory and extra `serve` arguments, such as
    /// `--plugin-dir`.
    pub fn serve_with(&self, config_dir: &Path, fixed_clock: Option<&str>, extra_args: &[&std::ffi::OsStr]) -> TestServer {
        let mut command = self.command(config_dir);
        command.args(["serve", "--listen", "127.0.0.1:0"]);
        command.args(extra_args);
        if let Some(instant) = fixed_clock {
            command.args(["--fixed-clock", instant]);
        }
        command.env("MVIS_LOG", "info,sqlx=warn").stdout(Stdio::null()).stderr(Stdio::piped());
        let mut child = command.spawn().expect("start mvis serve");

        let stderr = child.stderr.take().expect("stderr is piped");
        let mut lines = BufReader::new(stderr).lines();
        let mut seen = String::new();
        let address = loop {
            let Some(Ok(line)) = lines.next() else {
                let _ = child.kill();
                panic!("mvis serve exited before listening:\n{seen}");
            };
            seen.push_str(&line);
            seen.push('\n');
            if line.contains("mvis listening")
                && let Some(address) = line.split("address=").nth(1).and_then(|rest| rest.split_whitespace().next())
            {
                break address.to_string();
            }
        };
        // Keep draining the server's log so it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines.by_ref() {});

        TestServer { child, base_url: format!("http://{address}"), client: reqwest::Client::new() }
    }
}

/// A running server; killed on drop.
pub struct TestServer {
    child: Child,
    pub base_url: String,
    pub client: reqwest::Client,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A response's status and JSON body.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
}

impl TestServer {
    pub async fn post(&self, token: &str, path: &str, body: &Value) -> Reply {
        self.post_with_key(token, path, body, None).await
    }

    pub async fn post_with_key(&self, token: &str, path: &str, body: &Value, key: Option<&str>) -> Reply {
        let mut request = self.client.post(format!("{}{path}", self.base_url)).bearer_auth(token).json(body).timeout(Duration::from_secs(120));
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        let response = request.send().await.expect("POST reaches the server");
        let status = response.status().as_u16();
        let body = response.json::<Value>().await.unwrap_or(Value::Null);
        Reply { status, body }
    }

    pub async fn get(&self, token: &str, path: &str) -> Reply {
        let response = self.client.get(format!("{}{path}", self.base_url)).bearer_auth(token).send().await.expect("GET reaches the server");
        let status = response.status().as_u16();
        let body = response.json::<Value>().await.unwrap_or(Value::Null);
        Reply { status, body }
    }
}

/// Characters a VIN may contain.
const VIN_ALPHABET: &str = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ";

/// Computes the GB 16735 check digit for a 17-character VIN (position 9 is ignored).
pub fn vin_check_digit(vin: &str) -> char {
    const WEIGHTS: [u32; 17] = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];
    let value = |c: char| -> u32 {
        match c {
            '0'..='9' => c.to_digit(10).unwrap(),
            _ => "ABCDEFGH".find(c).map(|i| i as u32 + 1).or_else(|| "JKLMN".find(c).map(|i| i as u32 + 1)).or_else(|| if c == 'P' { Some(7) } else { None }).or_else(|| if c == 'R' { Some(9) } else { None }).or_else(|| "STUVWXYZ".find(c).map(|i| i as u32 + 2)).expect("VIN character"),
        }
    };
    let sum: u32 = vin.chars().zip(WEIGHTS).map(|(c, weight)| value(c) * weight).sum();
    match sum % 11 {
        10 => 'X',
        remainder => char::from_digit(remainder, 10).unwrap(),
    }
}

/// Makes a distinct valid VIN from a test-local seed and serial.
pub fn test_vin(seed: u32, serial: u32) -> String {
    let alphabet: Vec<char> = VIN_ALPHABET.chars().collect();
    let mut text: Vec<char> = "LFV".chars().collect();
    let mut x = seed;
    for _ in 0..5 {
        text.push(alphabet[(x % alphabet.len() as u32) as usize]);
        x /= alphabet.len() as u32;
    }
    text.push('0');
    text.push('H');
    text.push('A');
    text.extend(format!("{:06}", serial % 1_000_000).chars());
    let draft: String = text.iter().collect();
    let check = vin_check_digit(&draft);
    text[8] = check;
    text.into_iter().collect()
}

/// Returns a complete draft for a domestic car. Tests override fields as needed.
pub fn draft(vin: &str, total_amount: &str) -> Value {
    serde_json::json!({
        "buyer_name": "张三",
        "buyer_id": "11010519491231002X",
        "vehicle_type": "轿车",
        "brand_model": "一汽-大众 FV7152BAMBG",
        "origin": "长春市",
        "certificate_number": "WAB011715201804",
        "engine_number": "144878",
        "vin": vin,
        "total_amount": total_amount,
        "seating_capacity": 5
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_vin_check_digit_matches_known_vins() {
        for vin in ["LFV2A1151H3201804", "1M8GDM9AXKP042788", "JN1DA31D63T505967", "HE9XR1C48PS083871", "1HGCM82633A004352"] {
            assert_eq!(vin_check_digit(vin), vin.chars().nth(8).unwrap(), "{vin}");
        }
    }
}
