//! `ledger verify`: recompute the hash chain, then compare every live row with the newest ledger
//! entry of its entity, so that a row edited, inserted or deleted behind the system's back shows.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use futures_util::TryStreamExt;
use sqlx::Row;

use super::ledger::{GENESIS_HASH, entry_from_row};
use super::rows::{INVOICE_COLUMNS, invoice_from_row};
use super::{Store, StoreError, certificates, dealers, declarations, distributions, invoices, stock, users};

/// A problem found by verification, with the entry and entity involved.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// The ledger entry involved, when there is one.
    pub seq: Option<i64>,
    pub entity_key: String,
    pub reason: String,
}

#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct VerifyReport {
    pub entries_checked: i64,
    pub rows_checked: i64,
    pub problems: Vec<Problem>,
}

impl VerifyReport {
    pub fn is_intact(&self) -> bool {
        self.problems.is_empty()
    }

    fn problem(&mut self, seq: Option<i64>, entity_key: &str, reason: String) {
        self.problems.push(Problem { seq, entity_key: entity_key.to_string(), reason });
    }
}

/// Stops collecting after this many problems; the first one is what an operator needs.
const MAX_PROBLEMS: usize = 100;

pub async fn verify(store: &Store) -> Result<VerifyReport, StoreError> {
    let mut report = VerifyReport::default();
    let latest = check_chain(store, &mut report).await?;
    check_invoices(store, &latest, &mut report).await?;
    check_other_entities(store, &latest, &mut report).await?;
    report.problems.truncate(MAX_PROBLEMS);
    Ok(report)
}

/// The newest entry of each entity: its seq and payload.
type Latest = BTreeMap<String, (i64, String)>;

async fn check_chain(store: &Store, report: &mut VerifyReport) -> Result<Latest, StoreError> {
    let mut latest = Latest::new();
    let mut expected_seq = 1;
    let mut previous_hash = GENESIS_HASH.to_string();

    let mut rows = sqlx::query("SELECT seq, recorded_at, actor, action, entity_key, payload, prev_hash, hash FROM ledger ORDER BY seq")
        .fetch(store.pool());
    while let Some(row) = rows.try_next().await? {
        let entry = entry_from_row(&row)?;
        report.entries_checked += 1;
        if entry.seq != expected_seq {
            report.problem(Some(entry.seq), &entry.entity_key, format!("entry {} missing: sequence jumps to {}", expected_seq, entry.seq));
        }
        if entry.prev_hash != previous_hash {
            report.problem(Some(entry.seq), &entry.entity_key, "prev_hash does not match the previous entry's hash".to_string());
        }
        if entry.computed_hash() != entry.hash {
            report.problem(Some(entry.seq), &entry.entity_key, "hash does not match the entry's content".to_string());
        }
        expected_seq = entry.seq + 1;
        previous_hash = entry.hash.clone();
        latest.insert(entry.entity_key, (entry.seq, entry.payload));
    }
    drop(rows);

    let head = sqlx::query("SELECT seq, hash FROM ledger_head WHERE id = 1").fetch_one(store.pool()).await?;
    let head_seq: i64 = head.try_get("seq")?;
    let head_hash: String = head.try_get("hash")?;
    if head_seq != expected_seq - 1 || head_hash != previous_hash {
        report.problem(Some(head_seq), "ledger_head", format!("head points at entry {head_seq} but the chain ends at {}", expected_seq - 1));
    }
    Ok(latest)
}

/// Merge-joins invoice rows (ordered by code and number) with the newest invoice entries; entity
/// keys `invoice:<12-digit code>/<number>` sort in the same order.
async fn check_invoices(store: &Store, latest: &Latest, report: &mut VerifyReport) -> Result<(), StoreError> {
    let mut expected = latest.range("invoice:".to_string().."invoice;".to_string()).peekable();
    let sql = format!("SELECT {INVOICE_COLUMNS} FROM invoices ORDER BY invoice_code, invoice_number");
    let mut rows = sqlx::query(&sql).fetch(store.pool());

    while let Some(row) = rows.try_next().await? {
        let invoice = invoice_from_row(&row)?;
        report.rows_checked += 1;
        let key = invoice.entity_key();

        while let Some((ledger_key, (seq, _))) = expected.peek() {
            if ledger_key.as_str().cmp(key.as_str()) != Ordering::Less {
                break;
            }
            report.problem(Some(*seq), ledger_key, "ledger records this invoice but its row is missing".to_string());
            expected.next();
        }

        match expected.peek() {
            Some((ledger_key, (seq, payload))) if **ledger_key == key => {
                let stored = serde_json::to_string(&invoice).expect("invoice serialises to JSON");
                if !invoice_matches_entry(&stored, payload) {
                    report.problem(Some(*seq), &key, format!("row differs from ledger entry {seq}: {}", first_difference(payload, &stored)));
                }
                expected.next();
            }
            _ => report.problem(None, &key, "row has no ledger entry".to_string()),
        }
    }

    for (ledger_key, (seq, _)) in expected {
        report.problem(Some(*seq), ledger_key, "ledger records this invoice but its row is missing".to_string());
    }
    Ok(())
}

/// Fields that migration 0006 added to invoices. Entries written before it lack them, so for those
/// entries the row is compared without these fields; entries written since compare in full.
const FIELDS_ADDED_BY_REPORTS: [&str; 2] = ["brand", "purchase_tax"];

fn invoice_matches_entry(stored: &str, payload: &str) -> bool {
    if stored == payload {
        return true;
    }
    let parse = |text: &str| serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(text).ok();
    let (Some(mut stored), Some(recorded)) = (parse(stored), parse(payload)) else { return false };
    if FIELDS_ADDED_BY_REPORTS.iter().any(|field| recorded.contains_key(*field)) {
        return false;
    }
    for field in FIELDS_ADDED_BY_REPORTS {
        stored.remove(field);
    }
    stored == recorded
}

/// Compares one row with the newest ledger entry of its entity.
fn compare_row(latest: &Latest, report: &mut VerifyReport, key: String, row: &impl serde::Serialize) {
    report.rows_checked += 1;
    let stored = serde_json::to_string(row).expect("ledger rows serialise to JSON");
    match latest.get(&key) {
        Some((_, payload)) if *payload == stored => {}
        Some((seq, payload)) => {
            report.problem(Some(*seq), &key, format!("row differs from ledger entry {seq}: {}", first_difference(payload, &stored)))
        }
        None => report.problem(None, &key, "row has no ledger entry".to_string()),
    }
}

async fn check_other_entities(store: &Store, latest: &Latest, report: &mut VerifyReport) -> Result<(), StoreError> {
    for dealer in dealers::list(store.pool(), None).await? {
        compare_row(latest, report, dealer.entity_key(), &dealer);
    }
    for certificate in certificates::list(store.pool()).await? {
        compare_row(latest, report, certificate.entity_key(), &certificate);
    }
    for distribution in distributions::list(store.pool()).await? {
        compare_row(latest, report, distribution.entity_key(), &distribution);
    }
    for user in users::list(store.pool()).await? {
        compare_row(latest, report, user.entity_key(), &user);
    }
    for declaration in declarations::list(store.pool()).await? {
        compare_row(latest, report, declaration.entity_key(), &declaration);
    }
    for range in stock::list(store.pool(), None).await? {
        report.rows_checked += 1;
        let key = range.entity_key();
        let allocation = serde_json::to_string(&range.allocation()).expect("allocation serialises");
        let first_payload = first_payload(store, &key).await?;
        match first_payload {
            Some((seq, payload)) if payload != allocation => report.problem(
                Some(seq),
                &key,
                format!("range differs from its allocation entry {seq}: {}", first_difference(&payload, &allocation)),
            ),
            Some(_) => {}
            None => report.problem(None, &key, "range has no ledger entry".to_string()),
        }

        let issued = invoices::count_in_range(store.pool(), range.range_id).await?;
        if range.next_number - range.start_number != issued {
            report.problem(
                None,
                &key,
                format!("next_number {} implies {} numbers used, but {issued} invoices carry numbers of this range", range.next_number, range.next_number - range.start_number),
            );
        }
    }
    Ok(())
}

async fn first_payload(store: &Store, entity_key: &str) -> Result<Option<(i64, String)>, StoreError> {
    let row = sqlx::query("SELECT seq, payload FROM ledger WHERE entity_key = $1 ORDER BY seq LIMIT 1")
        .bind(entity_key.to_string())
        .fetch_optional(store.pool())
        .await?;
    match row {
        Some(row) => Ok(Some((row.try_get("seq")?, row.try_get("payload")?))),
        None => Ok(None),
    }
}

/// Names the first JSON field whose value differs, for a readable report.
fn first_difference(recorded: &str, stored: &str) -> String {
    let parse = |text: &str| serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(text).unwrap_or_default();
    let (recorded, stored) = (parse(recorded), parse(stored));
    for (field, value) in &recorded {
        let current = stored.get(field).unwrap_or(&serde_json::Value::Null);
        if current != value {
            return format!("field {field} is {current} in the row, {value} in the ledger");
        }
    }
    for field in stored.keys() {
        if !recorded.contains_key(field) {
            return format!("field {field} is not in the ledger");
        }
    }
    "content differs".to_string()
}

#[cfg(test)]
mod tests {
    use super::invoice_matches_entry;

    #[test]
    fn entry_before_reports_migration_skips_new_fields() {
        let row = r#"{"vin":"LFV2A1151H3201804","brand":"一汽-大众","purchase_tax":"8761.06"}"#;
        assert!(invoice_matches_entry(row, r#"{"vin":"LFV2A1151H3201804"}"#));
        assert!(!invoice_matches_entry(row, r#"{"vin":"LFV2A1151H3201805"}"#), "other fields still compare");
    }

    #[test]
    fn entry_after_reports_migration_compares_new_fields() {
        let row = r#"{"vin":"LFV2A1151H3201804","brand":"一汽-大众","purchase_tax":"8761.06"}"#;
        assert!(invoice_matches_entry(row, row));
        let recorded = r#"{"vin":"LFV2A1151H3201804","brand":"一汽-大众","purchase_tax":"0.00"}"#;
        assert!(!invoice_matches_entry(row, recorded), "an edited purchase_tax shows");
    }
}
