//! `mvis ledger verify` on a database edited behind the system's back.

use mvis_tests::{Backend, TestDatabase, backends, draft, test_vin};
use sqlx::Connection;

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

async fn issue_some(database: &TestDatabase, seed: u32) {
    let clerk = database.token("clerk-wuhan-1");
    let server = database.serve(None);
    for serial in 0..3 {
        let reply = server.post(&clerk, "/api/v1/invoices", &draft(&test_vin(seed, serial), "123456.78")).await;
        assert_eq!(reply.status, 201, "{}", reply.body);
    }
}

#[tokio::test]
async fn verify_detects_edited_invoice_row() {
    for backend in backends() {
        let database = TestDatabase::create(backend, "ledger_row").await;
        database.init_demo();
        issue_some(&database, 20).await;

        let (status, stdout, stderr) = database.mvis(&["ledger", "verify"]);
        assert_eq!(status, 0, "{stdout}{stderr}");
        assert!(stdout.contains("台账完整"), "{stdout}");

        edit(&database, "UPDATE invoices SET total_amount = 100 WHERE invoice_number = '00000002'").await;
        let (status, stdout, _) = database.mvis(&["ledger", "verify"]);
        assert_eq!(status, 2, "{backend:?}: {stdout}");
        assert!(stdout.contains("invoice:142002620001/00000002"), "{stdout}");
        assert!(stdout.contains("total_amount"), "{stdout}");
    }
}

#[tokio::test]
async fn verify_detects_rewritten_ledger_entry() {
    for backend in backends() {
        let database = TestDatabase::create(backend, "ledger_chain").await;
        database.init_demo();
        issue_some(&database, 21).await;

        // Rewriting both the row and its ledger payload still breaks the entry's hash.
        edit(&database, "UPDATE invoices SET buyer_name = '李四' WHERE invoice_number = '00000001'").await;
        edit(&database, "UPDATE ledger SET payload = REPLACE(payload, '张三', '李四') WHERE entity_key = 'invoice:142002620001/00000001'").await;
        let (status, stdout, _) = database.mvis(&["ledger", "verify"]);
        assert_eq!(status, 2, "{backend:?}: {stdout}");
        assert!(stdout.contains("hash does not match"), "{stdout}");
    }
}

#[tokio::test]
async fn verify_detects_deleted_invoice_row() {
    for backend in backends() {
        let database = TestDatabase::create(backend, "ledger_delete").await;
        database.init_demo();
        issue_some(&database, 22).await;

        edit(&database, "DELETE FROM invoices WHERE invoice_number = '00000003'").await;
        let (status, stdout, _) = database.mvis(&["ledger", "verify"]);
        assert_eq!(status, 2, "{backend:?}: {stdout}");
        assert!(stdout.contains("00000003"), "{stdout}");
    }
}
