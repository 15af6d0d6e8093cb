//! `mvis generate invoices`: synthetic data that passes the ledger check and the stock accounting,
//! and that the API finds by VIN. Every test runs on SQLite and PostgreSQL.

use mvis_tests::{TestDatabase, backends};

#[tokio::test]
async fn generated_data_consistent_and_searchable() {
    for backend in backends() {
        let database = TestDatabase::create(backend, "generate").await;
        database.init_demo();
        let paths_file = database.data_dir.join("lookup-paths.txt");
        let paths_arg = paths_file.to_str().unwrap();

        let (status, stdout, stderr) =
            database.mvis(&["generate", "invoices", "--count", "3000", "--from", "2025-11-01", "--to", "2026-02-28", "--batch", "700", "--lookup-paths", paths_arg]);
        assert_eq!(status, 0, "{backend:?}: {stdout}{stderr}");
        assert!(stdout.contains("正数发票 3000 张"), "{stdout}");

        // The chain, every row against its newest ledger entry, and numbers used per range.
        let (status, stdout, stderr) = database.mvis(&["ledger", "verify"]);
        assert_eq!(status, 0, "{backend:?}: {stdout}{stderr}");

        let (status, again, _) = database.mvis(&["generate", "invoices", "--count", "10"]);
        assert_ne!(status, 0, "a second run on the same database is rejected: {again}");

        let paths = std::fs::read_to_string(&paths_file).unwrap();
        let paths: Vec<&str> = paths.lines().collect();
        assert_eq!(paths.len(), 3000, "one lookup path per invoice when fewer than 10,000 are generated");

        let officer = database.token("officer-hubei");
        let server = database.serve(None);
        for path in paths.iter().step_by(250) {
            let reply = server.get(&officer, path).await;
            assert_eq!(reply.status, 200, "{path}: {}", reply.body);
            assert_eq!(reply.body["total"], 1, "{path}: {}", reply.body);
            let vin = path.rsplit('=').next().unwrap();
            assert_eq!(reply.body["invoices"][0]["vin"], vin);
        }

        // 2026 invoices carry the 2026 code of their prefecture, so ranges follow the year.
        let reply = server.get(&officer, "/api/v1/invoices?from=2026-01-01&to=2026-02-28&page_size=200").await;
        let invoices = reply.body["invoices"].as_array().unwrap();
        assert!(!invoices.is_empty(), "{}", reply.body);
        for invoice in invoices {
            let code = invoice["invoice_code"].as_str().unwrap();
            assert_eq!(&code[5..7], "26", "{invoice}");
        }
    }
}

#[tokio::test]
async fn generate_rejects_bad_arguments() {
    for backend in backends() {
        let database = TestDatabase::create(backend, "generate_args").await;
        database.init_demo();
        for (args, expected) in [
            (vec!["--count", "0"], "--count"),
            (vec!["--count", "10", "--from", "2026-02-01", "--to", "2026-01-01"], "--from"),
            (vec!["--count", "10", "--batch", "0"], "--batch"),
        ] {
            let mut full = vec!["generate", "invoices"];
            full.extend(&args);
            let (status, stdout, stderr) = database.mvis(&full);
            assert_ne!(status, 0, "{args:?}: {stdout}");
            assert!(stderr.contains(expected), "{args:?}: {stderr}");
        }
        let (status, stdout, _) = database.mvis(&["ledger", "verify"]);
        assert_eq!(status, 0, "rejected runs write nothing: {stdout}");
    }
}
