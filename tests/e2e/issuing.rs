//! Issuing end to end over HTTP: real vehicles, the printed sample invoices, errors, idempotency,
//! void and credit, and who may see what. Every test runs on SQLite and PostgreSQL.

use mvis_tests::{Backend, TestDatabase, backends, draft, repo_root, test_vin};
use serde_json::{Value, json};

/// 2017-07-19 10:00 in China: the issue date of printed sample A, when the VAT rate was 17 %.
const SAMPLE_DATE: &str = "2017-07-19T10:00:00+08:00";

async fn demo(backend: Backend, name: &str) -> TestDatabase {
    let database = TestDatabase::create(backend, name).await;
    database.init_demo();
    database
}

fn text<'a>(body: &'a Value, field: &str) -> &'a str {
    body[field].as_str().unwrap_or_else(|| panic!("field {field} missing in {body}"))
}

#[tokio::test]
async fn real_vehicles_and_printed_samples() {
    for backend in backends() {
        let database = demo(backend, "samples").await;
        let clerk = database.token("clerk-wuhan-1");
        let server = database.serve(Some(SAMPLE_DATE));

        // Sample B: VIN LFV2A1151H3201804, 99000.00 at 17 %, printed tax 14384.62 (not round(net × 0.17)).
        let reply = server.post(&clerk, "/api/v1/invoices", &draft("LFV2A1151H3201804", "99000.00")).await;
        assert_eq!(reply.status, 201, "{backend:?}: {}", reply.body);
        assert_eq!(text(&reply.body, "issue_date"), "2017-07-19");
        assert_eq!(text(&reply.body, "vat_rate"), "0.17");
        assert_eq!(text(&reply.body, "price_excluding_vat"), "84615.38");
        assert_eq!(text(&reply.body, "vat_amount"), "14384.62");
        assert_eq!(text(&reply.body, "total_amount_uppercase"), "玖万玖仟圆整");

        // Sample A: 147800.00 at 17 %.
        let sample_a = json!({
            "buyer_name": "某某", "buyer_id": "11010519491231002X", "vehicle_type": "多用途乘用车",
            "brand_model": "东风日产牌", "origin": "大连市", "certificate_number": "WDL000000000001",
            "engine_number": "A00001", "vin": test_vin(7, 1), "total_amount": "147800.00", "seating_capacity": 5
        });
        let reply = server.post(&clerk, "/api/v1/invoices", &sample_a).await;
        assert_eq!(reply.status, 201, "{backend:?}: {}", reply.body);
        assert_eq!(text(&reply.body, "price_excluding_vat"), "126324.79");
        assert_eq!(text(&reply.body, "vat_amount"), "21475.21");
        assert_eq!(text(&reply.body, "total_amount_uppercase"), "壹拾肆万柒仟捌佰圆整");
        assert_eq!(text(&reply.body, "invoice_number"), "00000002");

        // Every vehicle of the real-VIN list; sample B's VIN is already invoiced (一车一票).
        let vehicles = std::fs::read_to_string(repo_root().join("tests/data/real-vehicles.csv")).unwrap();
        let rows: Vec<&str> = vehicles.lines().skip(1).filter(|line| !line.trim().is_empty()).collect();
        assert!(rows.len() >= 5, "real-vehicles.csv has {} rows", rows.len());
        let mut issued = 0;
        for line in &rows {
            let fields: Vec<&str> = line.split(',').collect();
            let (vin, brand_model, vehicle_type, origin, imported) = (fields[0], fields[1], fields[2], fields[3], fields[4] == "yes");
            let mut body = draft(vin, "256800.00");
            body["brand_model"] = json!(brand_model);
            body["vehicle_type"] = json!(vehicle_type);
            body["origin"] = json!(origin.replace('—', "未知"));
            if imported {
                body["import_certificate_number"] = json!(format!("IC{vin}"));
                body["inspection_number"] = json!(format!("SJ{vin}"));
            }
            let reply = server.post(&clerk, "/api/v1/invoices", &body).await;
            if vin == "LFV2A1151H3201804" {
                assert_eq!(reply.status, 409, "{}", reply.body);
                assert_eq!(reply.body["error"]["code"], "vin_already_invoiced");
                continue;
            }
            assert_eq!(reply.status, 201, "{backend:?} {vin}: {}", reply.body);
            assert_eq!(text(&reply.body, "vin"), vin);
            assert_eq!(text(&reply.body, "price_excluding_vat"), "219487.18");
            assert_eq!(text(&reply.body, "vat_amount"), "37312.82");
            assert_eq!(text(&reply.body, "total_amount_uppercase"), "贰拾伍万陆仟捌佰圆整");
            issued += 1;
        }
        assert_eq!(issued, rows.len() - 1);

        // Lookup by VIN and by code and number finds what was issued.
        let officer = database.token("officer-wuhan");
        let found = server.get(&officer, "/api/v1/invoices?vin=LFV2A1151H3201804").await;
        assert_eq!(found.status, 200);
        assert_eq!(found.body["total"], 1);
        let one = server.get(&officer, "/api/v1/invoices/142002620001/00000001").await;
        assert_eq!(one.status, 200);
        assert_eq!(text(&one.body, "vin"), "LFV2A1151H3201804");
    }
}

#[tokio::test]
async fn refused_drafts_consume_no_number() {
    for backend in backends() {
        let database = demo(backend, "refused").await;
        let clerk = database.token("clerk-wuhan-1");
        let server = database.serve(Some(SAMPLE_DATE));

        let bad_vin = server.post(&clerk, "/api/v1/invoices", &draft("LFV2A1152H3201804", "99000.00")).await;
        assert_eq!(bad_vin.status, 422);
        assert_eq!(bad_vin.body["error"]["code"], "vin_check_digit_invalid");
        assert_eq!(bad_vin.body["error"]["field"], "vin");
        assert!(text(&bad_vin.body["error"], "message").contains("校验位"), "{}", bad_vin.body);

        let three_decimals = server.post(&clerk, "/api/v1/invoices", &draft(&test_vin(1, 1), "99000.001")).await;
        assert_eq!(three_decimals.body["error"]["code"], "amount_too_many_decimals");
        assert_eq!(three_decimals.body["error"]["field"], "total_amount");

        let over_cap = server.post(&clerk, "/api/v1/invoices", &draft(&test_vin(1, 1), "50000000.01")).await;
        assert_eq!(over_cap.body["error"]["code"], "total_amount_above_cap");

        let negative = server.post(&clerk, "/api/v1/invoices", &draft(&test_vin(1, 1), "-100.00")).await;
        assert_eq!(negative.body["error"]["code"], "total_amount_not_positive");

        let mut computed = draft(&test_vin(1, 1), "100.00");
        computed["vat_amount"] = json!("1.00");
        let computed = server.post(&clerk, "/api/v1/invoices", &computed).await;
        assert_eq!(computed.body["error"]["code"], "unknown_field");
        assert_eq!(computed.body["error"]["field"], "vat_amount");

        let first = server.post(&clerk, "/api/v1/invoices", &draft(&test_vin(1, 1), "100000.00")).await;
        assert_eq!(first.status, 201, "{}", first.body);
        assert_eq!(text(&first.body, "invoice_number"), "00000001");

        let twice = server.post(&clerk, "/api/v1/invoices", &draft(&test_vin(1, 1), "100000.00")).await;
        assert_eq!(twice.status, 409);
        assert_eq!(twice.body["error"]["code"], "vin_already_invoiced");

        let second = server.post(&clerk, "/api/v1/invoices", &draft(&test_vin(1, 2), "100000.00")).await;
        assert_eq!(text(&second.body, "invoice_number"), "00000002");
    }
}

#[tokio::test]
async fn idempotency_key_replays_and_conflicts() {
    for backend in backends() {
        let database = demo(backend, "idempotency").await;
        let clerk = database.token("clerk-wuhan-1");
        let server = database.serve(None);

        let body = draft(&test_vin(2, 1), "120000.00");
        let first = server.post_with_key(&clerk, "/api/v1/invoices", &body, Some("key-1")).await;
        assert_eq!(first.status, 201, "{}", first.body);
        let retry = server.post_with_key(&clerk, "/api/v1/invoices", &body, Some("key-1")).await;
        assert_eq!(retry.status, 201);
        assert_eq!(retry.body, first.body);

        let other = server.post_with_key(&clerk, "/api/v1/invoices", &draft(&test_vin(2, 2), "1.00"), Some("key-1")).await;
        assert_eq!(other.status, 409);
        assert_eq!(other.body["error"]["code"], "idempotency_key_reused");

        let next = server.post(&clerk, "/api/v1/invoices", &draft(&test_vin(2, 3), "1.00")).await;
        assert_eq!(text(&next.body, "invoice_number"), "00000002", "the replay must not have taken a number");
    }
}

#[tokio::test]
async fn void_in_month_then_credit_after() {
    for backend in backends() {
        let database = demo(backend, "void_credit").await;
        let clerk = database.token("clerk-wuhan-1");
        let vin = test_vin(3, 1);

        let server = database.serve(Some(SAMPLE_DATE));
        let issued = server.post(&clerk, "/api/v1/invoices", &draft(&vin, "99000.00")).await;
        let path = format!("/api/v1/invoices/{}/{}", text(&issued.body, "invoice_code"), text(&issued.body, "invoice_number"));
        let voided = server.post(&clerk, &format!("{path}/void"), &json!({})).await;
        assert_eq!(voided.status, 200, "{}", voided.body);
        assert_eq!(text(&voided.body, "status"), "voided");
        let again = server.post(&clerk, &format!("{path}/void"), &json!({})).await;
        assert_eq!(again.body["error"]["code"], "invoice_not_voidable");

        // The vehicle can be invoiced again once its invoice is voided.
        let reissued = server.post(&clerk, "/api/v1/invoices", &draft(&vin, "99000.00")).await;
        assert_eq!(reissued.status, 201, "{}", reissued.body);
        let path = format!("/api/v1/invoices/{}/{}", text(&reissued.body, "invoice_code"), text(&reissued.body, "invoice_number"));
        drop(server);

        // In August the July invoice can no longer be voided, only credited.
        let server = database.serve(Some("2017-08-02T09:00:00+08:00"));
        let late = server.post(&clerk, &format!("{path}/void"), &json!({})).await;
        assert_eq!(late.status, 409);
        assert_eq!(late.body["error"]["code"], "void_window_closed");

        let credit = server.post(&clerk, &format!("{path}/credit"), &json!({ "reason": "销货退回" })).await;
        assert_eq!(credit.status, 201, "{}", credit.body);
        assert_eq!(text(&credit.body, "kind"), "credit");
        assert_eq!(text(&credit.body, "total_amount"), "-99000.00");
        assert_eq!(text(&credit.body, "price_excluding_vat"), "-84615.38");
        assert_eq!(text(&credit.body, "vat_amount"), "-14384.62");
        assert_eq!(text(&credit.body, "total_amount_uppercase"), "负数：玖万玖仟圆整");
        assert_eq!(text(&credit.body, "issue_date"), "2017-08-02");
        assert_eq!(text(&credit.body, "invoice_number"), "00000003");
        assert_eq!(text(&credit.body, "original_invoice_number"), "00000002");

        let original = server.get(&clerk, &path).await;
        assert_eq!(text(&original.body, "status"), "credited");
        assert_eq!(text(&original.body, "credit_invoice_number"), "00000003");
        let twice = server.post(&clerk, &format!("{path}/credit"), &json!({})).await;
        assert_eq!(twice.body["error"]["code"], "invoice_not_creditable");

        let history = server.get(&clerk, &format!("{path}/history")).await;
        let actions: Vec<&str> = history.body["entries"].as_array().unwrap().iter().map(|entry| entry["action"].as_str().unwrap()).collect();
        assert_eq!(actions, ["invoice.issued", "invoice.credited"]);

        let reissued = server.post(&clerk, "/api/v1/invoices", &draft(&vin, "95000.00")).await;
        assert_eq!(reissued.status, 201, "a credited vehicle may be invoiced again: {}", reissued.body);
    }
}

#[tokio::test]
async fn scopes_hide_other_dealers_invoices() {
    for backend in backends() {
        let database = demo(backend, "scopes").await;
        let wuhan_clerk = database.token("clerk-wuhan-1");
        let xiangyang_clerk = database.token("clerk-xiangyang-1");
        let wuhan_officer = database.token("officer-wuhan");
        let province_officer = database.token("officer-hubei");
        let server = database.serve(None);

        let wuhan = server.post(&wuhan_clerk, "/api/v1/invoices", &draft(&test_vin(4, 1), "150000.00")).await;
        let xiangyang = server.post(&xiangyang_clerk, "/api/v1/invoices", &draft(&test_vin(4, 2), "160000.00")).await;
        let wuhan_path = format!("/api/v1/invoices/{}/{}", text(&wuhan.body, "invoice_code"), text(&wuhan.body, "invoice_number"));
        let xiangyang_path = format!("/api/v1/invoices/{}/{}", text(&xiangyang.body, "invoice_code"), text(&xiangyang.body, "invoice_number"));
        assert_eq!(text(&xiangyang.body, "invoice_number"), "00200001");

        assert_eq!(server.get(&xiangyang_clerk, &wuhan_path).await.status, 404);
        assert_eq!(server.post(&xiangyang_clerk, &format!("{wuhan_path}/void"), &json!({})).await.status, 404);
        assert_eq!(server.get(&wuhan_clerk, &wuhan_path).await.status, 200);

        assert_eq!(server.get(&wuhan_officer, &wuhan_path).await.status, 200);
        assert_eq!(server.get(&wuhan_officer, &xiangyang_path).await.status, 404);
        assert_eq!(server.get(&province_officer, &xiangyang_path).await.status, 200);

        let search = server.get(&wuhan_officer, &format!("/api/v1/invoices?vin={}", test_vin(4, 2))).await;
        assert_eq!(search.body["total"], 0);
        let search = server.get(&province_officer, &format!("/api/v1/invoices?vin={}", test_vin(4, 2))).await;
        assert_eq!(search.body["total"], 1);

        assert_eq!(server.post(&wuhan_officer, "/api/v1/invoices", &draft(&test_vin(4, 3), "1.00")).await.status, 403);
        assert_eq!(server.get("not-a-token", &wuhan_path).await.status, 401);
    }
}

#[tokio::test]
async fn admin_rejects_overlapping_stock() {
    for backend in backends() {
        let database = demo(backend, "stock").await;
        let admin = database.token("admin");
        let server = database.serve(None);

        let overlap = json!({ "dealer_id": "xiantao-xintong", "invoice_code": "142002620001", "start_number": "00199990", "end_number": "00200010" });
        let reply = server.post(&admin, "/api/v1/admin/stock-ranges", &overlap).await;
        assert_eq!(reply.status, 409, "{}", reply.body);
        assert_eq!(reply.body["error"]["code"], "stock_range_overlap");

        let fresh = json!({ "dealer_id": "xiantao-xintong", "invoice_code": "142002620002", "start_number": "00000001", "end_number": "00000100" });
        let reply = server.post(&admin, "/api/v1/admin/stock-ranges", &fresh).await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        assert_eq!(reply.body["remaining"], 100);

        let short = json!({ "dealer_id": "xiantao-xintong", "invoice_code": "14200262000", "start_number": "1", "end_number": "00000100" });
        let reply = server.post(&admin, "/api/v1/admin/stock-ranges", &short).await;
        assert_eq!(reply.body["error"]["field"], "invoice_code");

        let clerk = database.token("clerk-xiantao-1");
        assert_eq!(server.post(&clerk, "/api/v1/admin/stock-ranges", &fresh).await.status, 403);
    }
}

#[tokio::test]
async fn small_scale_seller_gets_collection_rate() {
    for backend in backends() {
        let database = demo(backend, "small_scale").await;
        let clerk = database.token("clerk-xiantao-1");
        let server = database.serve(Some("2020-03-10T10:00:00+08:00"));
        let reply = server.post(&clerk, "/api/v1/invoices", &draft(&test_vin(5, 1), "100000.00")).await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        assert_eq!(text(&reply.body, "vat_rate"), "0.03");
        assert_eq!(text(&reply.body, "price_excluding_vat"), "97087.38");
        assert_eq!(text(&reply.body, "vat_amount"), "2912.62");
    }
}

#[tokio::test]
async fn production_refuses_fixed_clock() {
    let database = TestDatabase::create(Backend::Sqlite, "production").await;
    let config = database.data_dir.join("config");
    std::fs::create_dir_all(&config).unwrap();
    let server_toml = std::fs::read_to_string(repo_root().join("config/server.toml")).unwrap().replace("environment = \"demo\"", "environment = \"production\"");
    assert!(server_toml.contains("\"production\""));
    std::fs::write(config.join("server.toml"), server_toml).unwrap();

    let (status, _, stderr) = database.mvis_with_config(&config, &["serve", "--listen", "127.0.0.1:0", "--fixed-clock", SAMPLE_DATE]);
    assert_ne!(status, 0);
    assert!(stderr.contains("生产环境"), "{stderr}");
}
