//! WebAssembly plugins end to end: the shipped printer drivers' output pinned by snapshots, the
//! print and calibration routes, the admin runtime view, plugins that break the limits or cannot
//! load, and replacing a driver while the server runs.
//!
//! `tools/build-plugins` (run by `tools/test`) builds the plugins into `plugins/dist/` and the
//! test plugins into `tests/plugins/dist/`.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use expect_test::expect_file;
use mvis_tests::{Backend, TestDatabase, TestServer, backends, draft, mvis_bin, repo_root, test_vin};
use serde_json::{Value, json};

/// 2017-07-19 10:00 in China, when the VAT rate was 17 %.
const SAMPLE_DATE: &str = "2017-07-19T10:00:00+08:00";
const SAMPLE_UPPERCASE: &str = "玖万玖仟圆整";
const SAMPLE_VIN: &str = "LFV2A1151H3201804";

fn shipped(name: &str) -> PathBuf {
    let path = repo_root().join("plugins/dist").join(name);
    assert!(path.exists(), "{} is missing: run tools/build-plugins", path.display());
    path
}

fn test_plugin(name: &str) -> PathBuf {
    let path = repo_root().join("tests/plugins/dist").join(name);
    assert!(path.exists(), "{} is missing: run tools/build-plugins", path.display());
    path
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mvis-plugins-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs the `mvis` binary without a database; returns (status, stdout, stderr).
fn mvis(args: &[&OsStr]) -> (i32, String, String) {
    let output = std::process::Command::new(mvis_bin()).args(args).output().expect("run mvis");
    (output.status.code().unwrap_or(-1), String::from_utf8_lossy(&output.stdout).into_owned(), String::from_utf8_lossy(&output.stderr).into_owned())
}

/// Text of a PDF, extracted with poppler's `pdftotext`.
fn pdf_text(pdf: &[u8], dir: &Path) -> String {
    let path = dir.join("extract.pdf");
    std::fs::write(&path, pdf).unwrap();
    let output = std::process::Command::new("pdftotext").arg(&path).arg("-").output().expect("pdftotext runs (Debian package poppler-utils)");
    assert!(output.status.success(), "pdftotext failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

/// Lists an ESC/P stream one command or text run per line, so a snapshot diff points at the change.
fn escp_listing(bytes: &[u8]) -> String {
    let mut lines = Vec::new();
    let mut index = 0;
    while index < bytes.len() {
        let rest = &bytes[index..];
        let (line, length) = match rest {
            [0x1B, b'@', ..] => ("ESC @".to_string(), 2),
            [0x1B, b'J', n, ..] => (format!("ESC J {n}"), 3),
            [0x1B, b'$', low, high, ..] => (format!("ESC $ {}", u16::from_le_bytes([*low, *high])), 4),
            [0x1C, b'&', ..] => {
                // Chinese mode: everything up to `FS .` is GB18030, whose trail bytes may look like ASCII.
                let text_length = rest[2..].windows(2).position(|pair| pair == [0x1C, b'.']).unwrap_or(rest.len() - 2);
                let hex: Vec<String> = rest[2..2 + text_length].iter().map(|byte| format!("{byte:02x}")).collect();
                (format!("FS & GB18030 {}", hex.join("")), 2 + text_length)
            }
            [0x1C, b'.', ..] => ("FS .".to_string(), 2),
            [0x0D, ..] => ("CR".to_string(), 1),
            [0x0C, ..] => ("FF".to_string(), 1),
            [byte, ..] if (0x20..0x7F).contains(byte) => {
                let length = rest.iter().take_while(|byte| (0x20..0x7F).contains(*byte)).count();
                (format!("TEXT {:?}", String::from_utf8_lossy(&rest[..length])), length)
            }
            [byte, ..] => (format!("BYTE {byte:02x}"), 1),
            [] => unreachable!("loop stops at the end"),
        };
        lines.push(line);
        index += length;
    }
    lines.join("\n") + "\n"
}

#[test]
fn plugin_test_pins_escp_and_page_output() {
    let output_dir = temp_dir("fixtures");
    let fixtures = repo_root().join("plugin-sdk/fixtures/printer");

    let escp_dir = output_dir.join("escp");
    let (status, stdout, stderr) = mvis(&[OsStr::new("plugin"), OsStr::new("test"), shipped("printer-escp.wasm").as_os_str(), fixtures.as_os_str(), OsStr::new("--output"), escp_dir.as_os_str()]);
    assert_eq!(status, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("4 passed, 0 failed"), "{stdout}");
    let overlay = std::fs::read(escp_dir.join("overlay.prn")).unwrap();
    expect_file!["../snapshots/printer-escp-overlay.txt"].assert_eq(&escp_listing(&overlay));
    let calibration = std::fs::read(escp_dir.join("calibration.prn")).unwrap();
    assert!(calibration.starts_with(b"\x1b@"), "calibration does not initialise the printer");

    let pdf_dir = output_dir.join("pdf");
    let (status, stdout, stderr) = mvis(&[OsStr::new("plugin"), OsStr::new("test"), shipped("printer-pdf.wasm").as_os_str(), fixtures.as_os_str(), OsStr::new("--output"), pdf_dir.as_os_str()]);
    assert_eq!(status, 0, "{stdout}\n{stderr}");
    let overlay_page = std::fs::read_to_string(pdf_dir.join("overlay.page.json")).unwrap();
    expect_file!["../snapshots/printer-pdf-overlay.page.json"].assert_eq(&overlay_page);
    let preview_page = std::fs::read_to_string(pdf_dir.join("preview.page.json")).unwrap();
    expect_file!["../snapshots/printer-pdf-preview.page.json"].assert_eq(&preview_page);

    let text = pdf_text(&std::fs::read(pdf_dir.join("preview.pdf")).unwrap(), &output_dir);
    assert!(text.contains(SAMPLE_UPPERCASE), "大写 amount missing from the PDF text:\n{text}");
    assert!(text.contains(SAMPLE_VIN), "VIN missing from the PDF text:\n{text}");
    assert!(text.contains("机动车销售统一发票"), "title missing from the preview:\n{text}");
}

#[test]
fn plugin_check_reports_each_broken_file() {
    let (status, stdout, stderr) = mvis(&[OsStr::new("plugin"), OsStr::new("check"), test_plugin("template-printer.wasm").as_os_str()]);
    assert_eq!(status, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("template-printer 0.1.0"), "{stdout}");

    let (status, _, stderr) = mvis(&[OsStr::new("plugin"), OsStr::new("check"), test_plugin("old-interface-printer.wasm").as_os_str()]);
    assert_ne!(status, 0);
    assert!(stderr.contains("接口版本不受支持"), "{stderr}");
    assert!(stderr.contains("0.9.0"), "{stderr}");

    let dir = temp_dir("check");
    let truncated = dir.join("truncated.wasm");
    let bytes = std::fs::read(shipped("printer-escp.wasm")).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let (status, _, stderr) = mvis(&[OsStr::new("plugin"), OsStr::new("check"), truncated.as_os_str()]);
    assert_ne!(status, 0);
    assert!(stderr.contains("清单有误"), "{stderr}");
    assert!(stderr.contains("invalid WebAssembly"), "{stderr}");
}

/// Starts a server on `backend` with the demo data and the given plugin and config directories.
async fn start(backend: Backend, name: &str, plugin_dir: &Path, config_dir: &Path) -> (TestDatabase, TestServer) {
    let database = TestDatabase::create(backend, name).await;
    database.init_demo();
    let server = database.serve_with(config_dir, Some(SAMPLE_DATE), &[OsStr::new("--plugin-dir"), plugin_dir.as_os_str()]);
    (database, server)
}

/// GET returning raw bytes: (status, content type, plugin header, body).
async fn get_bytes(server: &TestServer, token: &str, path: &str) -> (u16, String, String, Vec<u8>) {
    let response = server.client.get(format!("{}{path}", server.base_url)).bearer_auth(token).timeout(Duration::from_secs(60)).send().await.expect("GET reaches the server");
    let header = |name: &str| response.headers().get(name).and_then(|value| value.to_str().ok()).unwrap_or_default().to_string();
    let (status, content_type, plugin) = (response.status().as_u16(), header("content-type"), header("x-mvis-plugin"));
    (status, content_type, plugin, response.bytes().await.unwrap().to_vec())
}

fn error_code(body: &[u8]) -> String {
    let value: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    value["error"]["code"].as_str().unwrap_or_default().to_string()
}

async fn issue(server: &TestServer, token: &str, vin: &str, remarks: &str) -> String {
    let mut body = draft(vin, "99000.00");
    body["remarks"] = json!(remarks);
    let reply = server.post(token, "/api/v1/invoices", &body).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    format!("/api/v1/invoices/{}/{}", reply.body["invoice_code"].as_str().unwrap(), reply.body["invoice_number"].as_str().unwrap())
}

#[tokio::test]
async fn print_routes_serve_pdf_escp_and_calibration() {
    let plugin_dir = temp_dir("print");
    for name in ["printer-pdf.wasm", "printer-escp.wasm", "ctais-text.wasm", "report-csv.wasm", "report-xlsx.wasm", "report-html.wasm"] {
        std::fs::copy(shipped(name), plugin_dir.join(name)).unwrap();
    }
    for backend in backends() {
        let (database, server) = start(backend, "print", &plugin_dir, &repo_root().join("config")).await;
        let clerk = database.token("clerk-wuhan-1");
        let invoice = issue(&server, &clerk, SAMPLE_VIN, "").await;

        let (status, content_type, plugin, pdf) = get_bytes(&server, &clerk, &format!("{invoice}/print?format=pdf&mode=preview")).await;
        assert_eq!(status, 200, "{backend:?}: {}", String::from_utf8_lossy(&pdf));
        assert_eq!(content_type, "application/pdf");
        assert_eq!(plugin, "printer-pdf 1.0.0");
        let text = pdf_text(&pdf, &plugin_dir);
        assert!(text.contains(SAMPLE_UPPERCASE), "{backend:?}: {text}");
        assert!(text.contains(SAMPLE_VIN), "{backend:?}: {text}");

        let (status, _, plugin, escp) = get_bytes(&server, &clerk, &format!("{invoice}/print?format=escp")).await;
        assert_eq!(status, 200, "{backend:?}: {}", String::from_utf8_lossy(&escp));
        assert_eq!(plugin, "printer-escp 1.0.0");
        assert!(escp.starts_with(b"\x1b@"), "{backend:?}: no ESC @");
        assert!(escp.windows(SAMPLE_VIN.len()).any(|window| window == SAMPLE_VIN.as_bytes()), "{backend:?}: VIN missing");
        assert!(escp.windows(4).any(|window| window == [0xd5, 0xc5, 0xc8, 0xfd]), "{backend:?}: 张三 not in GB18030");

        let (status, _, _, body) = get_bytes(&server, &clerk, &format!("{invoice}/print?format=docx")).await;
        assert_eq!((status, error_code(&body).as_str()), (422, "print_format_invalid"));
        let (status, _, _, body) = get_bytes(&server, &clerk, &format!("{invoice}/print?profile=missing")).await;
        assert_eq!((status, error_code(&body).as_str()), (404, "printer_profile_not_found"));
        let (status, _, _, body) = get_bytes(&server, &clerk, "/api/v1/invoices/144001700111/00000001/print").await;
        assert_eq!((status, error_code(&body).as_str()), (404, "not_found"));

        let (status, content_type, _, _) = get_bytes(&server, &clerk, "/api/v1/printer-profiles/default/calibration").await;
        assert_eq!((status, content_type.as_str()), (200, "application/pdf"));
        let admin = database.token("admin");
        let (status, _, _, calibration) = get_bytes(&server, &admin, "/api/v1/printer-profiles/default/calibration?format=escp&prefecture_code=420100").await;
        assert_eq!(status, 200);
        assert!(calibration.starts_with(b"\x1b@"));

        let runtime = server.get(&admin, "/api/v1/admin/runtime").await;
        assert_eq!(runtime.status, 200, "{}", runtime.body);
        let plugins = runtime.body["plugins"]["plugins"].as_array().unwrap();
        let ids: Vec<&str> = plugins.iter().map(|plugin| plugin["id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["ctais-text", "printer-escp", "printer-pdf", "report-csv", "report-html", "report-xlsx"]);
        assert_eq!(plugins[0]["interface_version"], "1.0.0");
        assert_eq!(plugins[0]["sha256"].as_str().unwrap().len(), 64);
        let wuhan = runtime.body["plugins"]["prefectures"].as_array().unwrap().iter().find(|prefecture| prefecture["prefecture_code"] == "420100").unwrap();
        assert_eq!(wuhan["printers"], json!(["printer-pdf", "printer-escp"]));
        assert_eq!(wuhan["ctais_adapter"], "ctais-text");
        assert_eq!(wuhan["report_formats"], json!(["report-csv", "report-xlsx", "report-html"]));
        assert_eq!(wuhan["missing"], json!([]));
        assert_eq!(wuhan["settings_errors"], json!([]));
        assert_eq!(server.get(&clerk, "/api/v1/admin/runtime").await.status, 403);

        printer_page_lists_profiles(&server).await;
    }
}

/// Signs in through the login form and returns the session cookie.
async fn page_session(server: &TestServer, username: &str) -> String {
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let reply = client.post(format!("{}/login", server.base_url)).form(&[("username", username), ("password", "demo-password")]).send().await.unwrap();
    assert_eq!(reply.status().as_u16(), 303, "login of {username}");
    let cookie = reply.headers().get("set-cookie").expect("session cookie").to_str().unwrap();
    cookie.split(';').next().unwrap().to_string()
}

async fn get_page(server: &TestServer, cookie: &str, path: &str) -> (u16, String, Vec<u8>) {
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let reply = client.get(format!("{}{path}", server.base_url)).header("cookie", cookie).send().await.unwrap();
    let status = reply.status().as_u16();
    let content_type = reply.headers().get("content-type").map(|value| value.to_str().unwrap().to_string()).unwrap_or_default();
    (status, content_type, reply.bytes().await.unwrap().to_vec())
}

/// Checks that the printer page (打印机配置与校准) lists the prefecture's profiles and prints
/// their calibration pages, and that a province administrator picks the prefecture first.
async fn printer_page_lists_profiles(server: &TestServer) {
    let clerk = page_session(server, "clerk-wuhan-1").await;
    let (status, _, page) = get_page(server, &clerk, "/printers").await;
    let page = String::from_utf8(page).unwrap();
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("地市 420100 的打印机配置"), "{page}");
    assert!(page.contains("/printers/default/calibration?format=pdf&amp;prefecture_code=420100"), "{page}");

    let (status, content_type, pdf) = get_page(server, &clerk, "/printers/default/calibration?format=pdf&prefecture_code=420100").await;
    assert_eq!((status, content_type.as_str()), (200, "application/pdf"));
    assert!(pdf.starts_with(b"%PDF"));
    let (status, _, escp) = get_page(server, &clerk, "/printers/default/calibration?format=escp").await;
    assert_eq!(status, 200);
    assert!(escp.starts_with(b"\x1b@"));
    let (status, _, _) = get_page(server, &clerk, "/printers/missing/calibration?format=pdf").await;
    assert_eq!(status, 404);

    let admin = page_session(server, "admin").await;
    let (status, _, page) = get_page(server, &admin, "/printers").await;
    let page = String::from_utf8(page).unwrap();
    assert_eq!(status, 200);
    assert!(page.contains("printer-prefecture-form"), "{page}");
    assert!(!page.contains("printer-profiles"), "no table before a prefecture is chosen: {page}");
    let (status, _, page) = get_page(server, &admin, "/printers?prefecture_code=420600").await;
    assert_eq!(status, 200);
    assert!(String::from_utf8(page).unwrap().contains("地市 420600 的打印机配置"));
}

/// Copies the repository's config, with Wuhan's ESC/P driver replaced by the misbehaving test plugin.
fn config_with_misbehaving_printer() -> PathBuf {
    let config_dir = temp_dir("config");
    copy_dir(&repo_root().join("config"), &config_dir);
    let wuhan = config_dir.join("prefectures/420100.toml");
    let text = std::fs::read_to_string(&wuhan).unwrap();
    let replaced = text.replace("printers = [\"printer-pdf\", \"printer-escp\"]", "printers = [\"printer-pdf\", \"test-misbehaving-printer\"]");
    assert_ne!(text, replaced, "420100.toml no longer lists the two shipped printers");
    std::fs::write(&wuhan, replaced).unwrap();
    config_dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[tokio::test]
async fn broken_plugins_fail_alone() {
    let plugin_dir = temp_dir("broken");
    std::fs::copy(shipped("printer-pdf.wasm"), plugin_dir.join("printer-pdf.wasm")).unwrap();
    std::fs::copy(test_plugin("misbehaving-printer.wasm"), plugin_dir.join("misbehaving-printer.wasm")).unwrap();
    std::fs::copy(test_plugin("old-interface-printer.wasm"), plugin_dir.join("old-interface-printer.wasm")).unwrap();
    let escp = std::fs::read(shipped("printer-escp.wasm")).unwrap();
    std::fs::write(plugin_dir.join("truncated.wasm"), &escp[..escp.len() * 2 / 3]).unwrap();
    let config_dir = config_with_misbehaving_printer();

    let backend = backends()[0];
    let (database, server) = start(backend, "broken", &plugin_dir, &config_dir).await;
    let clerk = database.token("clerk-wuhan-1");
    let admin = database.token("admin");

    let runtime = server.get(&admin, "/api/v1/admin/runtime").await;
    let files = runtime.body["plugins"]["files"].as_array().unwrap().clone();
    let file_error = |name: &str| files.iter().find(|file| file["file"] == name).map(|file| file["last_error"].as_str().unwrap_or_default().to_string()).unwrap();
    assert!(file_error("old-interface-printer.wasm").contains("interface version 0.9.0 is not supported"), "{files:?}");
    assert!(file_error("truncated.wasm").contains("invalid WebAssembly"), "{files:?}");
    assert_eq!(file_error("misbehaving-printer.wasm"), "");

    let cases = [
        ("loop", 503, "plugin_timeout"),
        ("grow-memory", 503, "plugin_memory_limit"),
        ("panic", 500, "plugin_trapped"),
        ("huge-output", 502, "plugin_output_too_large"),
        ("failure", 422, "plugin_failed"),
    ];
    for (serial, (remarks, status, code)) in cases.into_iter().enumerate() {
        let invoice = issue(&server, &clerk, &test_vin(41, serial as u32), remarks).await;
        let started = Instant::now();
        let (got_status, _, _, body) = get_bytes(&server, &clerk, &format!("{invoice}/print?format=escp")).await;
        assert_eq!((got_status, error_code(&body).as_str()), (status, code), "remarks {remarks}: {}", String::from_utf8_lossy(&body));
        assert!(started.elapsed() < Duration::from_secs(10), "remarks {remarks}: took {:?}", started.elapsed());

        // The server keeps issuing and printing with the other driver.
        let next = issue(&server, &clerk, &test_vin(42, serial as u32), "").await;
        let (pdf_status, _, _, _) = get_bytes(&server, &clerk, &format!("{next}/print?format=pdf")).await;
        assert_eq!(pdf_status, 200, "after {remarks}");
    }

    let vin = test_vin(43, 1);
    let invoice = issue(&server, &clerk, &vin, "").await;
    let (status, _, plugin, body) = get_bytes(&server, &clerk, &format!("{invoice}/print?format=escp")).await;
    assert_eq!((status, plugin.as_str()), (200, "test-misbehaving-printer 0.1.0"));
    assert_eq!(body, format!("TEST PRINTER {vin}\r\n").into_bytes());
}

/// Polls the runtime view until `done` accepts it.
async fn wait_for_runtime(server: &TestServer, admin: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let runtime = server.get(admin, "/api/v1/admin/runtime").await.body;
        if done(&runtime["plugins"]) {
            return runtime;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}: {runtime}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Replaces a file the way operators should: write beside it, then rename over it.
fn replace_file(path: &Path, bytes: &[u8]) {
    let temporary = path.with_extension("tmp");
    std::fs::write(&temporary, bytes).unwrap();
    std::fs::rename(&temporary, path).unwrap();
}

#[tokio::test]
async fn replaced_printer_takes_effect_without_restart() {
    let plugin_dir = temp_dir("reload");
    for name in ["printer-pdf.wasm", "printer-escp.wasm"] {
        std::fs::copy(shipped(name), plugin_dir.join(name)).unwrap();
    }
    // Hot reload concerns files, not storage, so one backend is enough.
    let (database, server) = start(Backend::Sqlite, "reload", &plugin_dir, &repo_root().join("config")).await;
    let clerk = database.token("clerk-wuhan-1");
    let admin = database.token("admin");
    let vin = test_vin(44, 1);
    let invoice = issue(&server, &clerk, &vin, "").await;

    let (status, _, plugin, before) = get_bytes(&server, &clerk, &format!("{invoice}/print?format=escp")).await;
    assert_eq!((status, plugin.as_str()), (200, "printer-escp 1.0.0"));
    assert!(before.starts_with(b"\x1b@"));

    let escp_file = plugin_dir.join("printer-escp.wasm");
    replace_file(&escp_file, &std::fs::read(test_plugin("printer-escp-replacement.wasm")).unwrap());
    let is_escp_version = |version: &'static str| move |plugins: &Value| plugins["plugins"].as_array().is_some_and(|all| all.iter().any(|plugin| plugin["id"] == "printer-escp" && plugin["version"] == version));
    wait_for_runtime(&server, &admin, "the replacement to load", is_escp_version("1.0.1-test")).await;
    let (status, _, plugin, after) = get_bytes(&server, &clerk, &format!("{invoice}/print?format=escp")).await;
    assert_eq!((status, plugin.as_str()), (200, "printer-escp 1.0.1-test"));
    assert_eq!(after, format!("TEST PRINTER {vin}\r\n").into_bytes());

    // A broken replacement is rejected and the loaded version stays.
    let shipped_escp = std::fs::read(shipped("printer-escp.wasm")).unwrap();
    replace_file(&escp_file, &shipped_escp[..shipped_escp.len() / 2]);
    let failed = |plugins: &Value| plugins["files"].as_array().is_some_and(|files| files.iter().any(|file| file["file"] == "printer-escp.wasm" && !file["last_error"].is_null()));
    let runtime = wait_for_runtime(&server, &admin, "the truncated file to be rejected", failed).await;
    assert!(is_escp_version("1.0.1-test")(&runtime["plugins"]), "{runtime}");
    let (status, _, plugin, _) = get_bytes(&server, &clerk, &format!("{invoice}/print?format=escp")).await;
    assert_eq!((status, plugin.as_str()), (200, "printer-escp 1.0.1-test"));

    // Putting the shipped driver back takes effect too.
    replace_file(&escp_file, &shipped_escp);
    wait_for_runtime(&server, &admin, "the shipped driver to load again", is_escp_version("1.0.0")).await;
    let (_, _, plugin, again) = get_bytes(&server, &clerk, &format!("{invoice}/print?format=escp")).await;
    assert_eq!(plugin, "printer-escp 1.0.0");
    assert_eq!(again, before);
}
