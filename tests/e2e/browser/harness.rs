//! Headless Chromium for the page tests. It starts Debian's `chromedriver` on a free loopback port
//! and opens a WebDriver session with a fresh profile and a 1366×768 window. Every background
//! network feature is off, so the browser talks only to the test server.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

/// Window size of the office screens the pages are made for.
pub const WINDOW: (u32, u32) = (1366, 768);

/// How long a page may take to show an element before a test fails.
const WAIT: Duration = Duration::from_secs(15);

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port").local_addr().expect("local address").port()
}

fn find_program(candidates: &[&str]) -> PathBuf {
    candidates
        .iter()
        .map(PathBuf::from)
        .find(|path| path.exists())
        .unwrap_or_else(|| panic!("none of {candidates:?} exists: run tools/install-deps, which installs chromium and chromium-driver"))
}

/// A browser session and the chromedriver process behind it; both end on drop.
pub struct Browser {
    pub client: Client,
    driver: Child,
    profile_dir: PathBuf,
}

impl Browser {
    pub async fn start() -> Browser {
        let driver_path = find_program(&["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]);
        let chromium_path = find_program(&["/usr/bin/chromium", "/usr/lib/chromium/chromium"]);
        let port = free_port();
        let driver = Command::new(driver_path)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");

        let profile_dir = std::env::temp_dir().join(format!("mvis-chromium-{}-{port}", std::process::id()));
        let _ = std::fs::remove_dir_all(&profile_dir);
        std::fs::create_dir_all(&profile_dir).expect("create Chromium profile dir");

        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".to_string(),
            json!({
                "binary": chromium_path,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--lang=zh-CN",
                    format!("--user-data-dir={}", profile_dir.display()),
                    format!("--window-size={},{}", WINDOW.0, WINDOW.1),
                ],
            }),
        );

        let url = format!("http://127.0.0.1:{port}");
        let mut last_error = String::new();
        for _ in 0..100 {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector).capabilities(capabilities.clone()).connect(&url).await {
                Ok(client) => {
                    client.set_window_size(WINDOW.0, WINDOW.1).await.expect("set window size");
                    return Browser { client, driver, profile_dir };
                }
                Err(err) => last_error = err.to_string(),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("chromedriver on port {port} gave no session: {last_error}");
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap_or_else(|err| panic!("open {url}: {err}"));
    }

    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        self.client.wait().at_most(WAIT).for_element(Locator::Css(css)).await.unwrap_or_else(|err| panic!("element {css} not found: {err}"))
    }

    /// Returns the text of the first element matching `css`. A page that is still being replaced
    /// can hand out an element that goes stale at once, so that case is retried.
    pub async fn text(&self, css: &str) -> String {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            match self.find(css).await.text().await {
                Ok(text) => return text,
                Err(err) if tokio::time::Instant::now() < deadline => {
                    let _ = err;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(err) => panic!("text of {css}: {err}"),
            }
        }
    }

    /// Waits until the element's text contains `expected` and returns the text.
    pub async fn wait_for_text(&self, css: &str, expected: &str) -> String {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let text = match self.client.find(Locator::Css(css)).await {
                Ok(element) => element.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if text.contains(expected) {
                return text;
            }
            assert!(tokio::time::Instant::now() < deadline, "{css} never contained {expected:?}; last text {text:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Counts the elements matching `css` without waiting for one to appear.
    pub async fn find_all_count(&self, css: &str) -> usize {
        self.client.find_all(Locator::Css(css)).await.map(|found| found.len()).unwrap_or(0)
    }

    pub async fn fill(&self, css: &str, value: &str) {
        let element = self.find(css).await;
        element.clear().await.unwrap_or_else(|err| panic!("clear {css}: {err}"));
        element.send_keys(value).await.unwrap_or_else(|err| panic!("type into {css}: {err}"));
    }

    pub async fn click(&self, css: &str) {
        self.find(css).await.click().await.unwrap_or_else(|err| panic!("click {css}: {err}"));
    }

    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("current url");
        match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_string(),
        }
    }

    /// Waits until the browser shows `expected` (path and query), because a click that submits a
    /// form returns before the next page has loaded.
    pub async fn wait_for_path(&self, expected: &str) {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let path = self.path().await;
            if path == expected {
                return;
            }
            assert!(tokio::time::Instant::now() < deadline, "browser stayed at {path}, expected {expected}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Returns the `id` or `name` of the focused element.
    pub async fn focused(&self) -> String {
        let element = self.client.active_element().await.expect("active element");
        match element.attr("id").await.expect("id attribute") {
            Some(id) if !id.is_empty() => id,
            _ => element.attr("name").await.expect("name attribute").unwrap_or_default(),
        }
    }

    /// Sends keys to the focused element, as a user at the keyboard does.
    pub async fn type_keys(&self, keys: &str) {
        let element = self.client.active_element().await.expect("active element");
        element.send_keys(keys).await.expect("send keys");
    }

    /// Submits the sign-in form without waiting for the result.
    pub async fn submit_login(&self, base_url: &str, username: &str, password: &str) {
        self.goto(&format!("{base_url}/login")).await;
        self.fill("#username", username).await;
        self.fill("#password", password).await;
        self.click("button[type=submit]").await;
    }

    /// Signs in and waits for the first signed-in page, so the session cookie is set before the
    /// test opens another page.
    pub async fn sign_in(&self, base_url: &str, username: &str, password: &str) {
        self.submit_login(base_url, username, password).await;
        self.find(".topbar").await;
    }

    pub async fn sign_out(&self) {
        self.click(".who button.link").await;
        self.find("#username").await;
    }

    /// Returns the page's width of scrolled content, to check nothing overflows the window.
    pub async fn scroll_width(&self) -> u64 {
        let value: Value = self.client.execute("return document.documentElement.scrollWidth;", vec![]).await.expect("run script");
        value.as_u64().expect("scrollWidth is a number")
    }

    /// Saves a PNG of the top of the page to `dir/name.png` when a directory is given.
    pub async fn screenshot(&self, dir: Option<&Path>, name: &str) {
        let Some(dir) = dir else { return };
        self.client.execute("window.scrollTo(0, 0);", vec![]).await.expect("scroll to top");
        let png = self.client.screenshot().await.expect("take screenshot");
        std::fs::create_dir_all(dir).expect("create screenshot dir");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
    }
}

impl Browser {
    /// Ends the WebDriver session, which quits Chromium.
    pub async fn close(mut self) {
        let client = self.client.clone();
        client.close().await.expect("close browser session");
        self.stop_processes();
    }

    /// Stops chromedriver and any Chromium process still using this test's profile (after a
    /// failed test the session is never closed, and chromedriver leaves Chromium running).
    fn stop_processes(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let marker = format!("--user-data-dir={}", self.profile_dir.display());
        for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let Some(pid) = entry.file_name().to_str().and_then(|name| name.parse::<i32>().ok()) else { continue };
            let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
            if String::from_utf8_lossy(&cmdline).contains(&marker) {
                let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
            }
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        self.stop_processes();
        let _ = std::fs::remove_dir_all(&self.profile_dir);
    }
}
