//! Concurrent issuing: many clients on one stock range get every number exactly once, in order,
//! with no gap and no duplicate, and the ledger still verifies.

use std::collections::BTreeSet;
use std::sync::Arc;

use mvis_tests::{backends, draft, test_vin, TestDatabase};

const CLIENTS: u32 = 32;
const INVOICES_PER_CLIENT: u32 = 500;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_issuing_leaves_no_gap() {
    for backend in backends() {
        let database = TestDatabase::create(backend, "concurrency").await;
        database.init_demo();
        let clerk = Arc::new(database.token("clerk-xiantao-1"));
        let server = Arc::new(database.serve(None));

        let mut clients = Vec::new();
        for client in 0..CLIENTS {
            let (server, clerk) = (server.clone(), clerk.clone());
            clients.push(tokio::spawn(async move {
                let mut numbers = Vec::new();
                for serial in 0..INVOICES_PER_CLIENT {
                    let vin = test_vin(1000 + client, serial);
                    let reply = server.post(&clerk, "/api/v1/invoices", &draft(&vin, "89800.00")).await;
                    assert_eq!(reply.status, 201, "client {client} invoice {serial}: {}", reply.body);
                    assert_eq!(reply.body["vin"], vin.as_str());
                    numbers.push(reply.body["invoice_number"].as_str().unwrap().to_string());
                }
                numbers
            }));
        }

        let mut all = Vec::new();
        for client in clients {
            all.extend(client.await.unwrap());
        }
        let total = (CLIENTS * INVOICES_PER_CLIENT) as usize;
        assert_eq!(all.len(), total);

        let distinct: BTreeSet<u32> = all.iter().map(|number| number.parse().unwrap()).collect();
        assert_eq!(distinct.len(), total, "{backend:?}: duplicate numbers issued");
        let expected: BTreeSet<u32> = (400_001..400_001 + total as u32).collect();
        assert_eq!(distinct, expected, "{backend:?}: numbers skipped");

        let stock = server.get(&clerk, "/api/v1/stock").await;
        assert_eq!(stock.body["stock_ranges"][0]["next_number"], format!("{:08}", 400_001 + total));

        drop(server);
        let (status, stdout, stderr) = database.mvis(&["ledger", "verify"]);
        assert_eq!(status, 0, "{backend:?}: {stdout}{stderr}");
    }
}
