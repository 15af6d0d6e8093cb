//! CTAIS exchange end to end through the shipped `ctais-text` adapter. Taxpayers, stock and
//! certificates are imported from the GBK files in `tests/data/ctais/` (written by its
//! `make-fixtures`), with rejected lines, dry runs and partial loads. The purchase-tax invoice
//! export is read back through the adapter. Every test runs on SQLite and PostgreSQL.

use std::path::{Path, PathBuf};

use mvis_tests::{Backend, TestDatabase, backends, draft, mvis_bin, repo_root, test_vin};
use serde_json::{Value, json};

const SAMPLE_DATE: &str = "2017-07-19T10:00:00+08:00";

fn fixture(name: &str) -> String {
    repo_root().join("tests/data/ctais").join(name).display().to_string()
}

fn plugin_dir() -> String {
    let dir = repo_root().join("plugins/dist");
    assert!(dir.join("ctais-text.wasm").exists(), "plugins/dist/ctais-text.wasm is missing: run tools/build-plugins");
    dir.display().to_string()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mvis-ctais-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn demo(backend: Backend, name: &str) -> TestDatabase {
    let database = TestDatabase::create(backend, name).await;
    database.init_demo();
    database
}

/// Runs `mvis import KIND FILE --prefecture 420100 --json` plus `extra`; returns the exit status
/// and the report (Null when the command failed before reporting), and stderr.
fn import(database: &TestDatabase, kind: &str, file: &str, extra: &[&str]) -> (i32, Value, String) {
    let plugins = plugin_dir();
    let mut args = vec!["import", kind, file, "--prefecture", "420100", "--json", "--plugin-dir", plugins.as_str()];
    args.extend_from_slice(extra);
    let (status, stdout, stderr) = database.mvis(&args);
    (status, serde_json::from_str(&stdout).unwrap_or(Value::Null), stderr)
}

fn rejected_lines(report: &Value) -> Vec<u64> {
    report["rejected"].as_array().expect("report lists rejected lines").iter().map(|problem| problem["line"].as_u64().unwrap()).collect()
}

fn rejected_code(report: &Value, line: u64) -> String {
    let problem = report["rejected"].as_array().unwrap().iter().find(|problem| problem["line"] == line).unwrap_or_else(|| panic!("line {line} not rejected: {report}"));
    problem["code"].as_str().unwrap().to_string()
}

/// Everything an import may change: dealers and stock as the command line lists them, plus the
/// number of certificate and stock sale rows.
async fn snapshot(database: &TestDatabase) -> (String, String, i64) {
    let (_, dealers, _) = database.mvis(&["dealer", "list"]);
    let (_, stock, _) = database.mvis(&["stock", "list"]);
    let stored = count_rows(database, "conformity_certificates").await + count_rows(database, "stock_distributions").await;
    (dealers, stock, stored)
}

async fn connect(database: &TestDatabase) -> sqlx::AnyConnection {
    sqlx::any::install_default_drivers();
    let url = match &database.database_url {
        Some(url) => url.clone(),
        None => format!("sqlite://{}", database.data_dir.join("mvis.sqlite").display()),
    };
    <sqlx::AnyConnection as sqlx::Connection>::connect(&url).await.expect("connect to the test database")
}

async fn count_rows(database: &TestDatabase, table: &str) -> i64 {
    let mut conn = connect(database).await;
    let row = sqlx::query(&format!("SELECT COUNT(*) AS n FROM {table}")).fetch_one(&mut conn).await.expect("count rows");
    sqlx::Row::try_get::<i64, _>(&row, "n").unwrap()
}

async fn execute(database: &TestDatabase, sql: &str) {
    let mut conn = connect(database).await;
    sqlx::query(sql).execute(&mut conn).await.expect("run SQL");
}

fn assert_ledger_intact(database: &TestDatabase) {
    let (status, stdout, stderr) = database.mvis(&["ledger", "verify"]);
    assert_eq!(status, 0, "ledger verify failed: {stdout}{stderr}");
}

fn dealers(database: &TestDatabase) -> Vec<Value> {
    let (status, stdout, stderr) = database.mvis(&["dealer", "list"]);
    assert_eq!(status, 0, "{stderr}");
    serde_json::from_str::<Value>(&stdout).unwrap().as_array().unwrap().clone()
}

#[tokio::test]
async fn taxpayers_with_errors_change_nothing() {
    for backend in backends() {
        let database = demo(backend, "ctais_taxpayers_errors").await;
        let before = snapshot(&database).await;

        let (status, report, stderr) = import(&database, "taxpayers", &fixture("taxpayers-with-errors.txt"), &[]);
        assert_eq!(status, 2, "{stderr}");
        assert_eq!(rejected_lines(&report), [4, 5, 6, 7, 8, 10, 11], "{report}");
        assert_eq!(rejected_code(&report, 4), "code_unknown");
        assert_eq!(rejected_code(&report, 5), "taxpayer_duplicate");
        assert_eq!(rejected_code(&report, 6), "taxpayer_exists");
        assert_eq!(rejected_code(&report, 7), "uscc_organization_code_invalid");
        assert_eq!(rejected_code(&report, 8), "field_count_invalid");
        assert_eq!(rejected_code(&report, 10), "date_invalid");
        assert_eq!(rejected_code(&report, 11), "prefecture_mismatch");
        let message = report["rejected"][1]["message"].as_str().unwrap();
        assert!(message.contains("第 5 行"), "{message}");
        assert!(message.contains("第 2 行"), "the duplicate names the first line: {message}");
        assert_eq!(report["valid"], 3);
        assert_eq!(report["loaded"], 0);
        assert_eq!(report["applied"], false);
        assert_eq!(snapshot(&database).await, before, "an import with rejected lines must change nothing");

        let (status, report, stderr) = import(&database, "taxpayers", &fixture("taxpayers-with-errors.txt"), &["--dry-run", "--load-valid-only"]);
        assert_eq!(status, 2, "{stderr}");
        assert_eq!(report["dry_run"], true);
        assert_eq!(report["applied"], false);
        assert_eq!(snapshot(&database).await, before, "a dry run must change nothing");
        assert_ledger_intact(&database);
    }
}

#[tokio::test]
async fn load_valid_only_imports_good_lines() {
    for backend in backends() {
        let database = demo(backend, "ctais_load_valid").await;
        let dealers_before = dealers(&database).len();

        let (status, report, stderr) = import(&database, "taxpayers", &fixture("taxpayers-with-errors.txt"), &["--load-valid-only"]);
        assert_eq!(status, 2, "rejected lines still make the exit status 2: {stderr}");
        assert_eq!(report["applied"], true, "{report}");
        assert_eq!(report["loaded"], 3);
        let all = dealers(&database);
        assert_eq!(all.len(), dealers_before + 3);
        let imported: Vec<&Value> = all.iter().filter(|dealer| dealer["registration"].is_object()).collect();
        let ids: Vec<&str> = imported.iter().map(|dealer| dealer["taxpayer_id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["91420100MA4KCT0152", "91420100MA4KCT023W", "91420100MA4KCT031P"]);
        // 億 ends in the byte 0x7C of "|": the adapter must split fields after decoding GBK.
        assert_eq!(imported[1]["name"], "武汉億達新能源汽车销售有限公司");
        assert_eq!(imported[1]["seller_kind"], "small_scale");
        assert_eq!(imported[2]["registration"], json!({ "status": "deregistered", "registered_on": "2015-01-10" }));
        assert_eq!(imported[0]["dealer_id"], "91420100MA4KCT0152");

        // Stock: lines 2 and 8 are good; the rest overlap, mismatch or name unusable taxpayers.
        let before = snapshot(&database).await;
        let (status, report, stderr) = import(&database, "stock", &fixture("stock-with-errors.txt"), &[]);
        assert_eq!(status, 2, "{stderr}");
        assert_eq!(rejected_lines(&report), [3, 4, 5, 6, 7, 9, 10], "{report}");
        assert_eq!(rejected_code(&report, 3), "stock_range_overlap");
        assert_eq!(rejected_code(&report, 4), "count_mismatch");
        assert_eq!(rejected_code(&report, 5), "stock_range_overlap");
        assert_eq!(rejected_code(&report, 6), "dealer_not_found");
        assert_eq!(rejected_code(&report, 7), "taxpayer_not_active");
        assert_eq!(rejected_code(&report, 9), "digits_invalid");
        assert_eq!(rejected_code(&report, 10), "stock_range_invalid");
        assert_eq!(snapshot(&database).await, before);

        let (_, report, _) = import(&database, "stock", &fixture("stock-with-errors.txt"), &["--load-valid-only"]);
        assert_eq!(report["loaded"], 2, "{report}");
        let (_, stock, _) = database.mvis(&["stock", "list"]);
        let stock: Vec<Value> = serde_json::from_str(&stock).unwrap();
        let imported: Vec<(String, String, String)> = stock
            .iter()
            .filter(|range| range["invoice_code"] == "142012620001")
            .map(|range| (range["dealer_id"].as_str().unwrap().to_string(), range["start_number"].as_str().unwrap().to_string(), range["end_number"].as_str().unwrap().to_string()))
            .collect();
        assert_eq!(
            imported,
            [
                ("91420100MA4KCT0152".to_string(), "00000001".to_string(), "00000100".to_string()),
                ("91420100MA4KCT023W".to_string(), "00000401".to_string(), "00000500".to_string()),
            ]
        );

        // Each loaded range keeps its sale record: taxpayer, 发售日期 and 发售人员 (empty on line 8).
        let mut conn = connect(&database).await;
        let sales: Vec<(String, String, String, String)> =
            sqlx::query_as("SELECT taxpayer_id, tax_authority_code, distributed_on, clerk FROM stock_distributions ORDER BY range_id")
                .fetch_all(&mut conn)
                .await
                .unwrap();
        assert_eq!(
            sales,
            [
                ("91420100MA4KCT0152".to_string(), "14201110000".to_string(), "2026-03-02".to_string(), "李发售".to_string()),
                ("91420100MA4KCT023W".to_string(), "14201000000".to_string(), "2026-03-02".to_string(), String::new()),
            ]
        );

        // The same file again overlaps what it just loaded, line by line.
        let (_, report, _) = import(&database, "stock", &fixture("stock-with-errors.txt"), &["--dry-run"]);
        assert_eq!(rejected_code(&report, 2), "stock_range_overlap");
        assert_eq!(rejected_code(&report, 8), "stock_range_overlap");
        assert_ledger_intact(&database);
    }
}

#[tokio::test]
async fn clean_file_imports_and_truncated_file_fails() {
    for backend in backends() {
        let database = demo(backend, "ctais_clean").await;
        let before = snapshot(&database).await;

        let (status, _, stderr) = import(&database, "taxpayers", &fixture("taxpayers-truncated.txt"), &[]);
        assert_eq!(status, 1);
        assert!(stderr.contains("trailer_missing"), "{stderr}");
        assert!(stderr.contains("结束行"), "{stderr}");
        assert_eq!(snapshot(&database).await, before);

        let (status, _, stderr) = import(&database, "stock", &fixture("taxpayers-clean.txt"), &[]);
        assert_eq!(status, 1);
        assert!(stderr.contains("record_kind_mismatch"), "{stderr}");

        let dir = temp_dir(&format!("bad-bytes-{backend:?}"));
        let mut content = b"CTAIS-TEXT|1|DJ_NSR|420100|2026-03-01|2026-03-01\r\n".to_vec();
        content.extend_from_slice(b"91420100MA4KCT04XF|\x81\x20\xff|1|1|420100|||||||2020-06-01\r\nEND|1\r\n");
        let bad_bytes = dir.join("bad-bytes.txt");
        std::fs::write(&bad_bytes, content).unwrap();
        let (status, report, _) = import(&database, "taxpayers", &bad_bytes.display().to_string(), &[]);
        assert_eq!(status, 2);
        assert_eq!(rejected_code(&report, 2), "encoding_invalid");

        let (status, report, stderr) = import(&database, "taxpayers", &fixture("taxpayers-clean.txt"), &[]);
        assert_eq!(status, 0, "{stderr}");
        assert_eq!(report["loaded"], 1);
        let dealer = dealers(&database).into_iter().find(|dealer| dealer["taxpayer_id"] == "91420100MA4KCT04XF").expect("imported dealer");
        assert_eq!(dealer["name"], "武汉江夏汽车销售有限公司");
        assert_eq!(dealer["tax_authority_code"], "14201150000");

        let (status, report, _) = import(&database, "taxpayers", &fixture("taxpayers-clean.txt"), &[]);
        assert_eq!(status, 2);
        assert_eq!(rejected_code(&report, 2), "taxpayer_exists");
        assert_ledger_intact(&database);
    }
}

#[tokio::test]
async fn certificates_import_by_vin() {
    for backend in backends() {
        let database = demo(backend, "ctais_certificates").await;

        let (status, report, stderr) = import(&database, "certificates", &fixture("certificates.txt"), &[]);
        assert_eq!(status, 2, "{stderr}");
        assert_eq!(rejected_lines(&report), [4, 5, 6], "{report}");
        assert_eq!(rejected_code(&report, 4), "vin_check_digit_invalid");
        assert_eq!(rejected_code(&report, 5), "certificate_duplicate");
        assert_eq!(rejected_code(&report, 6), "date_order_invalid");
        assert_eq!(count_rows(&database, "conformity_certificates").await, 0);

        let (_, report, _) = import(&database, "certificates", &fixture("certificates.txt"), &["--load-valid-only"]);
        assert_eq!(report["loaded"], 3, "{report}");
        assert_eq!(count_rows(&database, "conformity_certificates").await, 3);

        let (_, report, _) = import(&database, "certificates", &fixture("certificates.txt"), &["--dry-run"]);
        assert_eq!(rejected_code(&report, 2), "certificate_exists");
        assert_eq!(rejected_code(&report, 7), "certificate_exists");
        assert_ledger_intact(&database);

        // A certificate row edited behind the system's back no longer matches its ledger entry.
        execute(&database, "UPDATE conformity_certificates SET engine_number = 'EDITED' WHERE vin = 'LGBH52E0XKY100001'").await;
        let (status, stdout, _) = database.mvis(&["ledger", "verify"]);
        assert_eq!(status, 2, "{stdout}");
        assert!(stdout.contains("certificate:LGBH52E0XKY100001"), "{stdout}");
    }
}

#[test]
fn adapter_fixtures_pass_plugin_test() {
    let plugin = Path::new(&plugin_dir()).join("ctais-text.wasm");
    let fixtures = repo_root().join("plugins/ctais-text/fixtures");
    let result = std::process::Command::new(mvis_bin()).arg("plugin").arg("test").arg(&plugin).arg(&fixtures).output().unwrap();
    let stdout = String::from_utf8_lossy(&result.stdout);
    assert!(result.status.success(), "{stdout}{}", String::from_utf8_lossy(&result.stderr));
    assert!(stdout.contains("5 passed, 0 failed"), "{stdout}");
}

/// Converts an API amount such as "-99000.00" to fen.
fn fen(amount: &Value) -> i64 {
    amount.as_str().unwrap().replace('.', "").parse().unwrap()
}

/// Decodes an export file through the adapter with `mvis plugin test`, returning its records.
fn decode_export(export: &Path, dir: &Path) -> Value {
    let fixture = dir.join("read-back.toml");
    std::fs::write(&fixture, format!("call = \"decode\"\nkind = \"invoices\"\nfile = {:?}\n", export.display().to_string())).unwrap();
    let output = dir.join("decoded");
    let plugin = Path::new(&plugin_dir()).join("ctais-text.wasm");
    let result = std::process::Command::new(mvis_bin()).arg("plugin").arg("test").arg(&plugin).arg(&fixture).arg("--output").arg(&output).output().unwrap();
    assert!(result.status.success(), "{}{}", String::from_utf8_lossy(&result.stdout), String::from_utf8_lossy(&result.stderr));
    let decoded: Value = serde_json::from_str(&std::fs::read_to_string(output.join("read-back.json")).unwrap()).unwrap();
    assert_eq!(decoded["prefecture_code"], "420100");
    assert_eq!(decoded["rejected_lines"], json!([]));
    decoded["records"]["InvoiceExports"].clone()
}

#[tokio::test]
async fn export_round_trips_through_adapter() {
    for backend in backends() {
        let database = demo(backend, "ctais_export").await;
        let clerk = database.token("clerk-wuhan-1");

        // July: two invoices, one voided. August: the other credited (红字).
        let server = database.serve(Some(SAMPLE_DATE));
        let mut paths = Vec::new();
        for serial in 1..=2 {
            let reply = server.post(&clerk, "/api/v1/invoices", &draft(&test_vin(41, serial), "99000.00")).await;
            assert_eq!(reply.status, 201, "{}", reply.body);
            paths.push(format!("/api/v1/invoices/{}/{}", reply.body["invoice_code"].as_str().unwrap(), reply.body["invoice_number"].as_str().unwrap()));
        }
        assert_eq!(server.post(&clerk, &format!("{}/void", paths[0]), &json!({})).await.status, 200);
        drop(server);
        let server = database.serve(Some("2017-08-02T09:00:00+08:00"));
        let credit = server.post(&clerk, &format!("{}/credit", paths[1]), &json!({ "reason": "销货退回" })).await;
        assert_eq!(credit.status, 201, "{}", credit.body);
        paths.push(format!("/api/v1/invoices/{}/{}", credit.body["invoice_code"].as_str().unwrap(), credit.body["invoice_number"].as_str().unwrap()));
        let mut stored = Vec::new();
        for path in &paths {
            stored.push(server.get(&clerk, path).await.body);
        }
        drop(server);

        let dir = temp_dir(&format!("export-{backend:?}"));
        let export = dir.join("export.txt");
        let plugins = plugin_dir();
        let export_text = export.display().to_string();
        let args = ["export", "invoices", "--prefecture", "420100", "--date", "2017-07-01", "--to", "2017-08-31", "--output", &export_text, "--plugin-dir", &plugins];
        let (status, _, stderr) = database.mvis(&args);
        assert_eq!(status, 0, "{stderr}");
        let bytes = std::fs::read(&export).unwrap();
        assert!(bytes.starts_with(b"CTAIS-TEXT|1|FP_CGS|420100|2017-07-01|2017-08-31\r\n"), "{}", String::from_utf8_lossy(&bytes[..60]));
        assert!(bytes.ends_with(b"END|3\r\n"));
        assert!(std::str::from_utf8(&bytes).is_err(), "the export is GBK, not UTF-8");

        let records = decode_export(&export, &dir);
        let records = records.as_array().unwrap();
        assert_eq!(records.len(), 3);
        for (record, invoice) in records.iter().zip(&stored) {
            let number = invoice["invoice_number"].as_str().unwrap();
            for field in [
                "invoice_code", "invoice_number", "issue_date", "seller_tax_id", "seller_name", "buyer_name", "buyer_id", "vehicle_type", "brand_model", "origin",
                "certificate_number", "import_certificate_number", "inspection_number", "engine_number", "vin", "tonnage", "vat_rate",
                "original_invoice_code", "original_invoice_number", "tax_authority_code",
            ] {
                assert_eq!(record[field], invoice[field], "invoice {number}, field {field}");
            }
            assert_eq!(record["seating_capacity"], invoice["seating_capacity"], "invoice {number}");
            for field in ["total_amount", "vat_amount", "price_excluding_vat"] {
                assert_eq!(record[field].as_i64().unwrap(), fen(&invoice[field]), "invoice {number}, field {field}");
            }
        }
        let states: Vec<(&str, &str)> = records.iter().map(|record| (record["kind"].as_str().unwrap(), record["status"].as_str().unwrap())).collect();
        assert_eq!(states, [("Normal", "Voided"), ("Normal", "Credited"), ("Credit", "Issued")]);
        assert_eq!(records[2]["total_amount"], -9_900_000);

        // A day without invoices exports an empty file, not an error.
        let empty = dir.join("empty.txt").display().to_string();
        let (status, _, stderr) = database.mvis(&["export", "invoices", "--prefecture", "420100", "--date", "2017-06-01", "--output", &empty, "--plugin-dir", &plugins]);
        assert_eq!(status, 0, "{stderr}");
        assert_eq!(std::fs::read(&empty).unwrap(), b"CTAIS-TEXT|1|FP_CGS|420100|2017-06-01|2017-06-01\r\nEND|0\r\n");
    }
}

#[tokio::test]
async fn api_imports_and_exports() {
    let plugins = plugin_dir();
    for backend in backends() {
        let database = demo(backend, "ctais_api").await;
        let admin = database.token("admin");
        let clerk = database.token("clerk-wuhan-1");
        let officer = database.token("officer-wuhan");
        let server = database.serve_with(&repo_root().join("config"), Some(SAMPLE_DATE), &[std::ffi::OsStr::new("--plugin-dir"), std::ffi::OsStr::new(&plugins)]);
        let file = std::fs::read(fixture("taxpayers-with-errors.txt")).unwrap();
        let post = |token: &str, query: &str| {
            server.client.post(format!("{}/api/v1/admin/imports/taxpayers?{query}", server.base_url)).bearer_auth(token).body(file.clone()).send()
        };

        let response = post(&admin, "prefecture_code=420100").await.unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let report: Value = response.json().await.unwrap();
        assert_eq!(rejected_lines(&report), [4, 5, 6, 7, 8, 10, 11], "{report}");
        assert_eq!(report["applied"], false);

        let response = post(&admin, "prefecture_code=420100&load_valid_only=true").await.unwrap();
        let report: Value = response.json().await.unwrap();
        assert_eq!(report["loaded"], 3, "{report}");

        let response = post(&clerk, "prefecture_code=420100&dry_run=true").await.unwrap();
        assert_eq!(response.status().as_u16(), 403);
        let response = post(&admin, "prefecture_code=420600").await.unwrap();
        assert_eq!(response.status().as_u16(), 422);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "prefecture_mismatch");

        let issued = server.post(&clerk, "/api/v1/invoices", &draft(&test_vin(42, 1), "99000.00")).await;
        assert_eq!(issued.status, 201, "{}", issued.body);
        let export = |token: &str| server.client.get(format!("{}/api/v1/exports/invoices?prefecture_code=420100&from=2017-07-19", server.base_url)).bearer_auth(token).send();
        let response = export(&officer).await.unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let bytes = response.bytes().await.unwrap();
        assert!(bytes.starts_with(b"CTAIS-TEXT|1|FP_CGS|420100|2017-07-19|2017-07-19\r\n"));
        assert!(bytes.ends_with(b"END|1\r\n"));
        assert_eq!(export(&clerk).await.unwrap().status().as_u16(), 403);
        drop(server);
        assert_ledger_intact(&database);
    }
}
