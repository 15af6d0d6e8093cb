//! Rule scripts end to end: the Wuhan override, purchase tax, hot reload that rejects broken
//! scripts while the old version keeps serving, a script stopped at the call, and the authoring
//! commands. Every server test runs on SQLite and PostgreSQL.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mvis_tests::{Backend, TestDatabase, TestServer, backends, draft, repo_root, test_vin};
use serde_json::{Value, json};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Creates a database whose server loads a private copy of `scripts/`, so a test may edit it.
async fn with_own_scripts(backend: Backend, name: &str) -> TestDatabase {
    let mut database = TestDatabase::create(backend, name).await;
    let scripts = database.data_dir.join("scripts");
    copy_dir(&repo_root().join("scripts"), &scripts);
    database.scripts_dir = scripts;
    database.init_demo();
    database
}

fn codes(body: &Value) -> Vec<String> {
    body["findings"].as_array().unwrap().iter().map(|finding| finding["code"].as_str().unwrap().to_string()).collect()
}

async fn runtime_status(server: &TestServer, admin: &str, prefecture: &str) -> Value {
    let reply = server.get(admin, "/api/v1/admin/runtime").await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body["scripts"].as_array().unwrap().iter().find(|status| status["prefecture_code"] == prefecture).cloned().unwrap()
}

/// Waits until the Xiangyang set's runtime status satisfies `done` (a reload happened).
async fn wait_for_status(server: &TestServer, admin: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let status = runtime_status(server, admin, "420600").await;
        if done(&status) {
            return status;
        }
        assert!(Instant::now() < deadline, "reload not seen in time: {status}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn wuhan_override_flags_only_wuhan() {
    for backend in backends() {
        let database = TestDatabase::create(backend, "rules_wuhan").await;
        database.init_demo();
        let wuhan = database.token("clerk-wuhan-1");
        let xiangyang = database.token("clerk-xiangyang-1");
        let admin = database.token("admin");
        // The test VINs carry model year 2017, so a 2017 clock keeps the findings to the rule under test.
        let server = database.serve(Some("2017-07-19T10:00:00+08:00"));

        let reply = server.post(&wuhan, "/api/v1/invoices", &draft(&test_vin(30, 1), "1200000.00")).await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        assert_eq!(codes(&reply.body), ["high_value_review"]);
        assert_eq!(reply.body["findings"][0]["level"], "flag");

        let reply = server.post(&xiangyang, "/api/v1/invoices", &draft(&test_vin(30, 2), "1200000.00")).await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        assert!(codes(&reply.body).is_empty(), "{}", reply.body);

        assert_eq!(runtime_status(&server, &admin, "420100").await["script_set"], "hubei/420100");
        assert_eq!(runtime_status(&server, &admin, "420600").await["script_set"], "hubei");
    }
}

#[tokio::test]
async fn script_errors_block_issuing_with_field() {
    for backend in backends() {
        let database = TestDatabase::create(backend, "rules_findings").await;
        database.init_demo();
        let clerk = database.token("clerk-wuhan-1");
        let server = database.serve(None);

        let mut imported = draft(&test_vin(31, 1), "500000.00");
        imported["import_certificate_number"] = json!("IC2026000001");
        let reply = server.post(&clerk, "/api/v1/invoices", &imported).await;
        assert_eq!(reply.status, 422, "{}", reply.body);
        assert_eq!(reply.body["error"]["code"], "inspection_number_missing");
        assert_eq!(reply.body["error"]["field"], "inspection_number");

        imported["inspection_number"] = json!("SJ2026000001");
        let reply = server.post(&clerk, "/api/v1/invoices", &imported).await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        assert_eq!(reply.body["invoice_number"], "00000001", "the refused draft took no number");
    }
}

#[tokio::test]
async fn purchase_tax_matches_new_energy_caps() {
    for backend in backends() {
        let database = TestDatabase::create(backend, "rules_purchase_tax").await;
        database.init_demo();
        let clerk = database.token("clerk-wuhan-1");
        let officer = database.token("officer-wuhan");

        let cases = [("2025-03-01T10:00:00+08:00", "30000.00", "10000.00"), ("2026-03-01T10:00:00+08:00", "15000.00", "25000.00")];
        for (serial, (clock, relief, payable)) in cases.into_iter().enumerate() {
            let server = database.serve(Some(clock));
            let mut body = draft(&test_vin(32, serial as u32), "452000.00");
            body["brand_model"] = json!("东风乘用车 岚图FREE");
            body["vehicle_type"] = json!("多用途乘用车");
            let issued = server.post(&clerk, "/api/v1/invoices", &body).await;
            assert_eq!(issued.status, 201, "{}", issued.body);
            assert_eq!(issued.body["price_excluding_vat"], "400000.00");

            let path = format!("/api/v1/invoices/{}/{}/purchase-tax", issued.body["invoice_code"].as_str().unwrap(), issued.body["invoice_number"].as_str().unwrap());
            let tax = server.get(&officer, &path).await;
            assert_eq!(tax.status, 200, "{}", tax.body);
            assert_eq!(tax.body["purchase_tax"]["taxable_price"], "400000.00");
            assert_eq!(tax.body["purchase_tax"]["rate"], "0.10");
            assert_eq!(tax.body["purchase_tax"]["relief"], relief, "{clock}");
            assert_eq!(tax.body["purchase_tax"]["payable"], payable, "{clock}");
        }
    }
}

/// Each broken version is rejected at reload (its test cases or checks fail) and the old one serves on.
#[tokio::test]
async fn broken_scripts_keep_old_version() {
    let broken: [(&str, &str, &str); 5] = [
        ("syntax error", "fn vat_rate(invoice) { if }", "syntax error"),
        ("runtime error", "fn vat_rate(invoice) { invoice.no_such_field }", "no_such_field"),
        ("infinite loop", "fn vat_rate(invoice) { loop { } }", "limit exceeded"),
        ("oversized string", "fn vat_rate(invoice) { let text = \"x\"; loop { text += text; } }", "limit exceeded"),
        ("missing function", "fn vat_rate_renamed(invoice) { \"0.13\" }", "lacks function vat_rate"),
    ];
    for backend in backends() {
        let database = with_own_scripts(backend, "rules_broken").await;
        let clerk = database.token("clerk-xiangyang-1");
        let admin = database.token("admin");
        let server = database.serve(None);
        let vat_path = database.scripts_dir.join("hubei/vat.rhai");
        let original = std::fs::read_to_string(&vat_path).unwrap();
        let loaded_hash = runtime_status(&server, &admin, "420600").await["hash"].clone();

        for (index, (what, source, expected)) in broken.iter().enumerate() {
            std::fs::write(&vat_path, source).unwrap();
            let status = wait_for_status(&server, &admin, |status| status["last_error"].as_str().is_some_and(|error| error.contains(expected))).await;
            assert_eq!(status["hash"], loaded_hash, "{what}: the old version must stay loaded");

            let reply = server.post(&clerk, "/api/v1/invoices", &draft(&test_vin(33, index as u32), "116000.00")).await;
            assert_eq!(reply.status, 201, "{what}: issuing must go on with the old version: {}", reply.body);
            assert_eq!(reply.body["vat_rate"], "0.13", "{what}");

            // Restore the good version so the next case starts from a clean reload.
            std::fs::write(&vat_path, &original).unwrap();
            wait_for_status(&server, &admin, |status| status["last_error"].is_null()).await;
        }
    }
}

/// A script that loops only for some inputs passes its tests, loads, and is stopped at the call.
#[tokio::test]
async fn runaway_call_is_stopped() {
    for backend in backends() {
        let database = with_own_scripts(backend, "rules_runaway").await;
        let override_dir = database.scripts_dir.join("hubei/420600");
        std::fs::create_dir_all(&override_dir).unwrap();
        std::fs::write(
            override_dir.join("validate.rhai"),
            "fn validate(invoice) { if invoice.buyer_name == \"死循环\" { loop { } } province_findings(invoice) }",
        )
        .unwrap();
        let clerk = database.token("clerk-xiangyang-1");
        let server = database.serve(None);

        let mut runaway = draft(&test_vin(34, 1), "100000.00");
        runaway["buyer_name"] = json!("死循环");
        let reply = server.post(&clerk, "/api/v1/invoices", &runaway).await;
        assert_eq!(reply.status, 503, "{}", reply.body);
        assert_eq!(reply.body["error"]["code"], "rule_script_failed");
        assert!(reply.body["error"]["message"].as_str().unwrap().contains("validate"), "{}", reply.body);

        let reply = server.post(&clerk, "/api/v1/invoices", &draft(&test_vin(34, 2), "100000.00")).await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        assert_eq!(reply.body["invoice_number"], "00200001", "the stopped call took no number");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reload_during_issuing_loses_nothing() {
    for backend in backends() {
        let database = with_own_scripts(backend, "rules_reload").await;
        let clerk = Arc::new(database.token("clerk-xiangyang-1"));
        let server = Arc::new(database.serve(None));
        let vat_path = database.scripts_dir.join("hubei/vat.rhai");
        let original = std::fs::read_to_string(&vat_path).unwrap();

        let mut clients = Vec::new();
        for client in 0..8u32 {
            let (server, clerk) = (server.clone(), clerk.clone());
            clients.push(tokio::spawn(async move {
                let mut numbers = Vec::new();
                for serial in 0..50u32 {
                    let reply = server.post(&clerk, "/api/v1/invoices", &draft(&test_vin(40 + client, serial), "116000.00")).await;
                    assert_eq!(reply.status, 201, "{}", reply.body);
                    assert_eq!(reply.body["vat_rate"], "0.13");
                    numbers.push(reply.body["invoice_number"].as_str().unwrap().parse::<u32>().unwrap());
                }
                numbers
            }));
        }
        // Rewrite the script (same rules, new content) while the clients issue.
        for round in 0..10 {
            std::fs::write(&vat_path, format!("{original}\n// reload round {round}\n")).unwrap();
            tokio::time::sleep(Duration::from_millis(150)).await;
        }

        let mut numbers = Vec::new();
        for client in clients {
            numbers.extend(client.await.unwrap());
        }
        numbers.sort_unstable();
        let expected: Vec<u32> = (200_001..200_001 + 400).collect();
        assert_eq!(numbers, expected, "{backend:?}: a request was lost or a number skipped during reloads");
    }
}

fn mvis_script(args: &[&str]) -> (i32, String) {
    let output = std::process::Command::new(mvis_tests::mvis_bin())
        .args(["--config-dir"])
        .arg(repo_root().join("config"))
        .args(args)
        .output()
        .unwrap();
    (output.status.code().unwrap_or(-1), String::from_utf8_lossy(&output.stdout).into_owned())
}

#[tokio::test]
async fn script_check_and_test_commands() {
    let scripts: PathBuf = repo_root().join("scripts/hubei");
    let (status, stdout) = mvis_script(&["script", "check", scripts.to_str().unwrap()]);
    assert_eq!(status, 0, "{stdout}");
    assert!(stdout.contains("420100"), "{stdout}");

    let (status, stdout) = mvis_script(&["script", "test", scripts.to_str().unwrap()]);
    assert_eq!(status, 0, "{stdout}");
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");

    let broken = std::env::temp_dir().join(format!("mvis-broken-scripts-{}", std::process::id()));
    copy_dir(&repo_root().join("scripts"), &broken);
    std::fs::write(broken.join("hubei/vat.rhai"), "fn vat_rate(invoice) { \"0.17\" }").unwrap();
    let (status, stdout) = mvis_script(&["script", "test", broken.join("hubei").to_str().unwrap()]);
    assert_eq!(status, 1, "{stdout}");
    assert!(stdout.contains("vat_rate: expected 0.13, got 0.17"), "{stdout}");
}

#[tokio::test]
async fn dry_run_reports_changes_and_writes_nothing() {
    for backend in backends() {
        let database = TestDatabase::create(backend, "rules_dry_run").await;
        database.init_demo();
        let clerk = database.token("clerk-wuhan-1");
        let server = database.serve(Some("2021-05-10T10:00:00+08:00"));
        for (serial, total) in [(1, "200000.00"), (2, "1500000.00")] {
            let reply = server.post(&clerk, "/api/v1/invoices", &draft(&test_vin(50, serial), total)).await;
            assert_eq!(reply.status, 201, "{}", reply.body);
        }
        drop(server);

        // Candidate: Wuhan's high-value threshold lowered to 150,000 yuan.
        let candidate = database.data_dir.join("candidate");
        copy_dir(&repo_root().join("scripts"), &candidate);
        let wuhan = candidate.join("hubei/420100/validate.rhai");
        let text = std::fs::read_to_string(&wuhan).unwrap().replace("yuan(\"1000000.00\")", "yuan(\"150000.00\")");
        std::fs::write(&wuhan, text).unwrap();

        let (status, stdout, stderr) = database.mvis(&["script", "dry-run", "--prefecture", "420100", "--from", "2021-05-01", "--to", "2021-05-31", candidate.join("hubei").to_str().unwrap()]);
        assert_eq!(status, 0, "{stdout}{stderr}");
        assert!(stdout.contains("共核对 2 张发票，1 张结果会改变"), "{stdout}");
        assert!(stdout.contains("00000001"), "{stdout}");

        let (status, stdout, _) = database.mvis(&["ledger", "verify"]);
        assert_eq!(status, 0, "{stdout}");
    }
}
