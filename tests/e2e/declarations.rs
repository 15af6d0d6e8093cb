//! Purchase-tax declarations over HTTP: officers mark invoices declared, a declared invoice cannot
//! be voided, crediting one flags the credit invoice, and every step is in the ledger.

use mvis_tests::{Backend, TestDatabase, backends, draft, test_vin};
use serde_json::{Value, json};
use sqlx::Connection;

/// 2024-05-10 10:00 in China: 13 % VAT, purchase tax at 10 % with no relief for a petrol car.
const ISSUE_TIME: &str = "2024-05-10T10:00:00+08:00";

fn text<'a>(body: &'a Value, field: &str) -> &'a str {
    body[field].as_str().unwrap_or_else(|| panic!("field {field} missing in {body}"))
}

fn invoice_path(body: &Value) -> String {
    format!("/api/v1/invoices/{}/{}", text(body, "invoice_code"), text(body, "invoice_number"))
}

async fn edit(database: &TestDatabase, sql: &str) {
    match database.backend {
        Backend::Sqlite => {
            let url = format!("sqlite://{}", database.data_dir.join("mvis.sqlite").display());
            let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
            sqlx::query(sql).execute(&mut conn).await.unwrap();
        }
        Backend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(database.database_url.as_deref().unwrap()).await.unwrap();
            sqlx::query(sql).execute(&mut conn).await.unwrap();
        }
    }
}

#[tokio::test]
async fn declared_invoice_cannot_be_voided() {
    for backend in backends() {
        let database = TestDatabase::create(backend, "declare_void").await;
        database.init_demo();
        let clerk = database.token("clerk-wuhan-1");
        let officer = database.token("officer-wuhan");
        let server = database.serve(Some(ISSUE_TIME));

        let issued = server.post(&clerk, "/api/v1/invoices", &draft(&test_vin(40, 1), "113000.00")).await;
        assert_eq!(issued.status, 201, "{}", issued.body);
        let path = invoice_path(&issued.body);

        let computed = server.get(&officer, &format!("{path}/purchase-tax")).await;
        assert_eq!(computed.status, 200, "{}", computed.body);
        assert_eq!(computed.body["purchase_tax"]["payable"], "10000.00", "{}", computed.body);

        let declared = server.post(&officer, &format!("{path}/declaration"), &json!({ "declaration_number": "CG4201002024000123" })).await;
        assert_eq!(declared.status, 201, "{backend:?}: {}", declared.body);
        assert_eq!(text(&declared.body, "state"), "declared");
        assert_eq!(text(&declared.body, "declared_by"), "officer-wuhan");
        assert_eq!(declared.body["purchase_tax"], computed.body["purchase_tax"]["payable"]);
        assert_eq!(declared.body["taxable_price"], computed.body["purchase_tax"]["taxable_price"]);

        let void = server.post(&clerk, &format!("{path}/void"), &json!({})).await;
        assert_eq!(void.status, 409, "{}", void.body);
        assert_eq!(void.body["error"]["code"], "invoice_declared");
        let still = server.get(&clerk, &path).await;
        assert_eq!(text(&still.body, "status"), "issued");

        let twice = server.post(&officer, &format!("{path}/declaration"), &json!({ "declaration_number": "CG4201002024000999" })).await;
        assert_eq!(twice.status, 409);
        assert_eq!(twice.body["error"]["code"], "invoice_already_declared");

        // After the officer revokes the declaration, the dealer may void within the month again.
        let revoke_without_reason = server.post(&officer, &format!("{path}/declaration/revoke"), &json!({ "reason": " " })).await;
        assert_eq!(revoke_without_reason.status, 422);
        assert_eq!(revoke_without_reason.body["error"]["field"], "reason");
        let revoked = server.post(&officer, &format!("{path}/declaration/revoke"), &json!({ "reason": "申报录入错误" })).await;
        assert_eq!(revoked.status, 200, "{}", revoked.body);
        assert_eq!(text(&revoked.body, "state"), "revoked");
        let kept = server.get(&clerk, &format!("{path}/declaration")).await;
        assert_eq!(text(&kept.body, "revoke_reason"), "申报录入错误");
        let void = server.post(&clerk, &format!("{path}/void"), &json!({})).await;
        assert_eq!(void.status, 200, "{}", void.body);

        let voided_declare = server.post(&officer, &format!("{path}/declaration"), &json!({ "declaration_number": "CG4201002024000124" })).await;
        assert_eq!(voided_declare.status, 409);
        assert_eq!(voided_declare.body["error"]["code"], "invoice_not_declarable");
        drop(server);

        let (status, stdout, stderr) = database.mvis(&["ledger", "verify"]);
        assert_eq!(status, 0, "{stdout}{stderr}");
    }
}

#[tokio::test]
async fn declaration_requests_checked() {
    for backend in backends() {
        let database = TestDatabase::create(backend, "declare_checks").await;
        database.init_demo();
        let clerk = database.token("clerk-wuhan-1");
        let xiangyang_clerk = database.token("clerk-xiangyang-1");
        let officer = database.token("officer-wuhan");
        let province_officer = database.token("officer-hubei");
        let server = database.serve(Some(ISSUE_TIME));

        let first = server.post(&clerk, "/api/v1/invoices", &draft(&test_vin(41, 1), "200000.00")).await;
        let second = server.post(&clerk, "/api/v1/invoices", &draft(&test_vin(41, 2), "250000.00")).await;
        let other = server.post(&xiangyang_clerk, "/api/v1/invoices", &draft(&test_vin(41, 3), "90000.00")).await;
        for reply in [&first, &second, &other] {
            assert_eq!(reply.status, 201, "{}", reply.body);
        }
        let (first, second, other) = (invoice_path(&first.body), invoice_path(&second.body), invoice_path(&other.body));

        let by_clerk = server.post(&clerk, &format!("{first}/declaration"), &json!({ "declaration_number": "A1" })).await;
        assert_eq!(by_clerk.status, 403);
        assert_eq!(by_clerk.body["error"]["code"], "role_not_allowed");

        let outside = server.post(&officer, &format!("{other}/declaration"), &json!({ "declaration_number": "A1" })).await;
        assert_eq!(outside.status, 404, "a Wuhan officer cannot see a Xiangyang invoice: {}", outside.body);
        let province = server.post(&province_officer, &format!("{other}/declaration"), &json!({ "declaration_number": "XY-2024-1" })).await;
        assert_eq!(province.status, 201, "{}", province.body);

        for (body, field) in [
            (json!({ "declaration_number": "" }), "declaration_number"),
            (json!({ "declaration_number": "编号一" }), "declaration_number"),
            (json!({ "declaration_number": "A".repeat(41) }), "declaration_number"),
            (json!({ "declaration_number": 12 }), "declaration_number"),
            (json!({}), "declaration_number"),
            (json!({ "declaration_number": "A1", "note": "x" }), "note"),
        ] {
            let reply = server.post(&officer, &format!("{first}/declaration"), &body).await;
            assert_eq!(reply.status, 422, "{body}: {}", reply.body);
            assert_eq!(reply.body["error"]["field"], field, "{body}: {}", reply.body);
        }
        let missing = server.get(&officer, &format!("{first}/declaration")).await;
        assert_eq!(missing.status, 404, "a rejected request stores nothing: {}", missing.body);

        let declared = server.post(&officer, &format!("{first}/declaration"), &json!({ "declaration_number": "WH-2024-7" })).await;
        assert_eq!(declared.status, 201, "{}", declared.body);
        let reused = server.post(&officer, &format!("{second}/declaration"), &json!({ "declaration_number": "WH-2024-7" })).await;
        assert_eq!(reused.status, 409);
        assert_eq!(reused.body["error"]["code"], "declaration_number_in_use");
        assert_eq!(reused.body["error"]["field"], "declaration_number");

        // Idempotency: a replay returns the first response instead of a conflict.
        let key = Some("declare-second-1");
        let once = server.post_with_key(&officer, &format!("{second}/declaration"), &json!({ "declaration_number": "WH-2024-8" }), key).await;
        let replay = server.post_with_key(&officer, &format!("{second}/declaration"), &json!({ "declaration_number": "WH-2024-8" }), key).await;
        assert_eq!(once.status, 201, "{}", once.body);
        assert_eq!(replay.status, 201, "{}", replay.body);
        assert_eq!(once.body, replay.body);
    }
}

#[tokio::test]
async fn credit_after_declaration_flagged() {
    for backend in backends() {
        let database = TestDatabase::create(backend, "declare_credit").await;
        database.init_demo();
        let clerk = database.token("clerk-wuhan-1");
        let officer = database.token("officer-wuhan");

        let server = database.serve(Some(ISSUE_TIME));
        let declared = server.post(&clerk, "/api/v1/invoices", &draft(&test_vin(42, 1), "150000.00")).await;
        let plain = server.post(&clerk, "/api/v1/invoices", &draft(&test_vin(42, 2), "150000.00")).await;
        let (declared, plain) = (invoice_path(&declared.body), invoice_path(&plain.body));
        let reply = server.post(&officer, &format!("{declared}/declaration"), &json!({ "declaration_number": "WH-2024-9" })).await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        drop(server);

        let server = database.serve(Some("2024-06-03T09:00:00+08:00"));
        let credit = server.post(&clerk, &format!("{declared}/credit"), &json!({ "reason": "销货退回" })).await;
        assert_eq!(credit.status, 201, "crediting a declared invoice is allowed: {}", credit.body);
        let flags: Vec<&Value> = credit.body["findings"].as_array().unwrap().iter().filter(|finding| finding["code"] == "credited_after_declaration").collect();
        assert_eq!(flags.len(), 1, "{}", credit.body);
        assert_eq!(flags[0]["level"], "flag");
        assert!(flags[0]["message"].as_str().unwrap().contains("WH-2024-9"), "{}", flags[0]);

        let plain_credit = server.post(&clerk, &format!("{plain}/credit"), &json!({})).await;
        assert_eq!(plain_credit.status, 201, "{}", plain_credit.body);
        let plain_flags = plain_credit.body["findings"].as_array().unwrap().iter().filter(|finding| finding["code"] == "credited_after_declaration").count();
        assert_eq!(plain_flags, 0, "{}", plain_credit.body);

        // A credit invoice is never declared.
        let credit_path = invoice_path(&credit.body);
        let declare_credit = server.post(&officer, &format!("{credit_path}/declaration"), &json!({ "declaration_number": "WH-2024-10" })).await;
        assert_eq!(declare_credit.status, 409);
        assert_eq!(declare_credit.body["error"]["code"], "invoice_not_declarable");
        drop(server);

        let (status, stdout, stderr) = database.mvis(&["ledger", "verify"]);
        assert_eq!(status, 0, "{stdout}{stderr}");

        // The declaration row is under the ledger like an invoice row.
        edit(&database, "UPDATE declarations SET declaration_number = 'WH-2024-X'").await;
        let (status, stdout, _) = database.mvis(&["ledger", "verify"]);
        assert_eq!(status, 2, "{backend:?}: {stdout}");
        assert!(stdout.contains("declaration:"), "{stdout}");
        assert!(stdout.contains("declaration_number"), "{stdout}");
    }
}
