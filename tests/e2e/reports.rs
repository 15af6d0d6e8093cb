//! Monthly reports end to end: invoices issued, voided and credited over three months in three
//! prefectures, then every format's figures compared with a direct SQL aggregate over the invoices
//! table; scopes, and bad parameters.
//!
//! `tools/build-plugins` (run by `tools/test`) builds the report plugins into `plugins/dist/`.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use mvis_tests::{Backend, TestDatabase, TestServer, backends, draft, repo_root, test_vin};
use serde_json::{Value, json};
use sqlx::Row;

/// Fixed clocks of the three months, in China's time zone.
const JANUARY: &str = "2026-01-15T10:00:00+08:00";
const FEBRUARY: &str = "2026-02-10T10:00:00+08:00";
const MARCH: &str = "2026-03-05T10:00:00+08:00";

/// Figures of one (month, dimension value), amounts in fen.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Figures {
    invoice_count: i64,
    credit_count: i64,
    total_amount: i64,
    vat_amount: i64,
    price_excluding_vat: i64,
    purchase_tax: i64,
}

type Sums = BTreeMap<(String, String), Figures>;

/// Parses "1234.50" or "-12.05" yuan into fen.
fn fen(text: &str) -> i64 {
    let negative = text.starts_with('-');
    let (yuan, cents) = text.trim_start_matches('-').split_once('.').unwrap_or_else(|| panic!("amount {text:?} has no decimals"));
    assert_eq!(cents.len(), 2, "amount {text:?} must have two decimals");
    let value = yuan.parse::<i64>().unwrap() * 100 + cents.parse::<i64>().unwrap();
    if negative { -value } else { value }
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mvis-reports-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
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

fn plugin_dir() -> PathBuf {
    let dir = repo_root().join("plugins/dist");
    for name in ["report-csv.wasm", "report-xlsx.wasm", "report-html.wasm"] {
        assert!(dir.join(name).exists(), "{name} is missing from plugins/dist: run tools/build-plugins");
    }
    dir
}

fn serve(database: &TestDatabase, config_dir: &Path, clock: &str) -> TestServer {
    database.serve_with(config_dir, Some(clock), &[OsStr::new("--plugin-dir"), plugin_dir().as_os_str()])
}

async fn issue(server: &TestServer, token: &str, vin: &str, total: &str, brand_model: &str, vehicle_type: &str) -> Value {
    let mut body = draft(vin, total);
    body["brand_model"] = json!(brand_model);
    body["vehicle_type"] = json!(vehicle_type);
    let reply = server.post(token, "/api/v1/invoices", &body).await;
    assert_eq!(reply.status, 201, "issue {vin}: {}", reply.body);
    reply.body
}

fn path_of(invoice: &Value) -> String {
    format!("/api/v1/invoices/{}/{}", invoice["invoice_code"].as_str().unwrap(), invoice["invoice_number"].as_str().unwrap())
}

/// Issues, voids and credits across January to March 2026 in Wuhan, Xiangyang and Xiantao.
async fn issue_three_months(database: &TestDatabase, config_dir: &Path) {
    let wuhan = database.token("clerk-wuhan-1");
    let xiangyang = database.token("clerk-xiangyang-1");
    let xiantao = database.token("clerk-xiantao-1");

    let server = serve(database, config_dir, JANUARY);
    let w1 = issue(&server, &wuhan, &test_vin(70, 1), "150000.00", "大众汽车牌SVW71617BM", "轿车").await;
    issue(&server, &wuhan, &test_vin(70, 2), "99800.55", "东风日产牌DFL7168VAL2", "轿车").await;
    let voided = issue(&server, &wuhan, &test_vin(70, 3), "230000.00", "大众汽车牌SVW6474DFD", "多用途乘用车").await;
    let x1 = issue(&server, &xiangyang, &test_vin(70, 4), "120000.00", "东风日产牌DFL7168VAL2", "轿车").await;
    issue(&server, &xiangyang, &test_vin(70, 5), "88000.10", "一汽-大众 FV7152BAMBG", "轿车").await;
    issue(&server, &xiantao, &test_vin(70, 6), "56000.00", "比亚迪牌BYD7005BEV", "轿车").await;
    let void = server.post(&wuhan, &format!("{}/void", path_of(&voided)), &json!({})).await;
    assert_eq!(void.status, 200, "void: {}", void.body);
    drop(server);

    let server = serve(database, config_dir, FEBRUARY);
    issue(&server, &wuhan, &test_vin(70, 7), "180000.00", "大众汽车牌SVW71617BM", "轿车").await;
    issue(&server, &wuhan, &test_vin(70, 8), "75000.99", "东风日产牌DFL7168VAL2", "轿车").await;
    issue(&server, &xiangyang, &test_vin(70, 9), "135000.00", "大众汽车牌SVW6474DFD", "多用途乘用车").await;
    for (token, original) in [(&wuhan, &w1), (&xiangyang, &x1)] {
        let credit = server.post(token, &format!("{}/credit", path_of(original)), &json!({ "reason": "退车" })).await;
        assert_eq!(credit.status, 201, "credit: {}", credit.body);
    }
    drop(server);

    let server = serve(database, config_dir, MARCH);
    issue(&server, &wuhan, &test_vin(70, 10), "210000.00", "大众汽车牌SVW71617BM", "轿车").await;
    issue(&server, &xiantao, &test_vin(70, 11), "61000.00", "比亚迪牌BYD7005BEV", "轿车").await;
}

/// Aggregates the invoices table directly, without the daily totals.
async fn sql_sums(database: &TestDatabase, key_column: &str, from: &str, to: &str) -> Sums {
    sqlx::any::install_default_drivers();
    let url = match database.backend {
        Backend::Sqlite => format!("sqlite://{}", database.data_dir.join("mvis.sqlite").display()),
        Backend::Postgres => database.database_url.clone().unwrap(),
    };
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&url).await.expect("connect to the test database");
    let sql = format!(
        "SELECT substr(issue_date, 1, 7) AS month, {key_column} AS dimension_value, \
         CAST(SUM(CASE WHEN kind = 'normal' THEN 1 ELSE 0 END) AS BIGINT) AS invoice_count, \
         CAST(SUM(CASE WHEN kind = 'credit' THEN 1 ELSE 0 END) AS BIGINT) AS credit_count, \
         CAST(SUM(total_amount) AS BIGINT) AS total_amount, CAST(SUM(vat_amount) AS BIGINT) AS vat_amount, \
         CAST(SUM(price_excluding_vat) AS BIGINT) AS price_excluding_vat, CAST(SUM(purchase_tax) AS BIGINT) AS purchase_tax \
         FROM invoices WHERE status <> 'voided' AND issue_date >= $1 AND issue_date <= $2 \
         GROUP BY substr(issue_date, 1, 7), {key_column}"
    );
    let rows = sqlx::query(&sql).bind(from.to_string()).bind(to.to_string()).fetch_all(&mut conn).await.expect("aggregate invoices");
    rows.iter()
        .map(|row| {
            let figures = Figures {
                invoice_count: row.get("invoice_count"),
                credit_count: row.get("credit_count"),
                total_amount: row.get("total_amount"),
                vat_amount: row.get("vat_amount"),
                price_excluding_vat: row.get("price_excluding_vat"),
                purchase_tax: row.get("purchase_tax"),
            };
            ((row.get::<String, _>("month"), row.get::<String, _>("dimension_value")), figures)
        })
        .collect()
}

/// Reads the figures of a report's rows from the JSON body.
fn json_sums(body: &Value, key_column: &str) -> Sums {
    let rows = body["rows"].as_array().unwrap_or_else(|| panic!("report has no rows: {body}"));
    rows.iter()
        .map(|row| {
            let text = |name: &str| row[name].as_str().unwrap_or_else(|| panic!("{name} missing in {row}")).to_string();
            let count = |name: &str| row[name].as_i64().unwrap_or_else(|| panic!("{name} missing in {row}"));
            assert_eq!(count("net_count"), count("invoice_count") - count("credit_count"), "net_count of {row}");
            let figures = Figures {
                invoice_count: count("invoice_count"),
                credit_count: count("credit_count"),
                total_amount: fen(&text("total_amount")),
                vat_amount: fen(&text("vat_amount")),
                price_excluding_vat: fen(&text("price_excluding_vat")),
                purchase_tax: fen(&text("purchase_tax")),
            };
            ((text("month"), text(key_column)), figures)
        })
        .collect()
}

/// Reads figures from rows of cell texts laid out like the report's columns.
fn text_sums(columns: &[String], rows: &[Vec<String>], key_column: &str) -> Sums {
    let index = |name: &str| columns.iter().position(|column| column == name).unwrap_or_else(|| panic!("column {name} missing in {columns:?}"));
    rows.iter()
        .map(|row| {
            let count = |name: &str| row[index(name)].parse::<i64>().unwrap_or_else(|_| panic!("{name} is not an integer in {row:?}"));
            let figures = Figures {
                invoice_count: count("invoice_count"),
                credit_count: count("credit_count"),
                total_amount: fen(&row[index("total_amount")]),
                vat_amount: fen(&row[index("vat_amount")]),
                price_excluding_vat: fen(&row[index("price_excluding_vat")]),
                purchase_tax: fen(&row[index("purchase_tax")]),
            };
            ((row[index("month")].clone(), row[index(key_column)].clone()), figures)
        })
        .collect()
}

/// GET returning (status, content type, body bytes).
async fn get_bytes(server: &TestServer, token: &str, path: &str) -> (u16, String, Vec<u8>) {
    let response = server.client.get(format!("{}{path}", server.base_url)).bearer_auth(token).send().await.expect("GET reaches the server");
    let status = response.status().as_u16();
    let content_type = response.headers().get("content-type").map(|value| value.to_str().unwrap().to_string()).unwrap_or_default();
    (status, content_type, response.bytes().await.unwrap().to_vec())
}

/// Splits CSV text into rows of fields (RFC 4180 quoting).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    rows
}

/// Checks a CSV report against `expected`; returns its totals row.
fn check_csv(text: &str, columns: &[String], key_column: &str, expected: &Sums) -> Vec<String> {
    let mut rows = parse_csv(text);
    assert!(rows.len() >= 2, "CSV has no rows: {text}");
    assert_eq!(rows[0][0], "月份", "CSV header: {:?}", rows[0]);
    let totals = rows.pop().unwrap();
    assert_eq!(totals[0], "合计");
    assert_eq!(text_sums(columns, &rows[1..], key_column), *expected, "CSV figures differ from SQL");
    totals
}

/// Extracts one file from a zip archive, reading the central directory.
fn unzip(archive: &[u8], wanted: &str) -> Vec<u8> {
    let u16_at = |offset: usize| u16::from_le_bytes([archive[offset], archive[offset + 1]]) as usize;
    let u32_at = |offset: usize| u32::from_le_bytes(archive[offset..offset + 4].try_into().unwrap()) as usize;
    let end = (0..archive.len() - 21).rev().find(|&offset| u32_at(offset) == 0x0605_4b50).expect("end of central directory");
    let entries = u16_at(end + 10);
    let mut offset = u32_at(end + 16);
    for _ in 0..entries {
        assert_eq!(u32_at(offset), 0x0201_4b50, "central directory entry");
        let method = u16_at(offset + 10);
        let compressed_size = u32_at(offset + 20);
        let name_length = u16_at(offset + 28);
        let extra_length = u16_at(offset + 30);
        let comment_length = u16_at(offset + 32);
        let local = u32_at(offset + 42);
        let name = std::str::from_utf8(&archive[offset + 46..offset + 46 + name_length]).unwrap();
        if name == wanted {
            let data_start = local + 30 + u16_at(local + 26) + u16_at(local + 28);
            let data = &archive[data_start..data_start + compressed_size];
            return match method {
                0 => data.to_vec(),
                8 => miniz_oxide::inflate::decompress_to_vec(data).expect("inflate"),
                other => panic!("compression method {other} of {name}"),
            };
        }
        offset += 46 + name_length + extra_length + comment_length;
    }
    panic!("{wanted} not in the archive");
}

/// Reads a worksheet's cells by row number: (column letters, value or inline text).
fn sheet_rows(xml: &str) -> BTreeMap<usize, Vec<(String, String)>> {
    let mut rows = BTreeMap::new();
    for row in xml.split("<row ").skip(1) {
        let number: usize = row.split('"').nth(1).unwrap().parse().unwrap();
        let cells = row
            .split("<c ")
            .skip(1)
            .map(|cell| {
                let reference = cell.split('"').nth(1).unwrap();
                let letters: String = reference.chars().take_while(char::is_ascii_uppercase).collect();
                let value = if let Some(rest) = cell.split("<v>").nth(1) {
                    rest.split("</v>").next().unwrap().to_string()
                } else {
                    let rest = cell.split("<t").nth(1).unwrap();
                    let text = rest.split_once('>').unwrap().1;
                    text.split("</t>").next().unwrap().replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
                };
                (letters, value)
            })
            .collect();
        rows.insert(number, cells);
    }
    rows
}

/// Lays sheet cells out in the report's column order; a missing cell is "".
fn sheet_row_texts(cells: &[(String, String)], column_count: usize) -> Vec<String> {
    let letters = |index: usize| ((b'A' + index as u8) as char).to_string();
    (0..column_count).map(|index| cells.iter().find(|(column, _)| *column == letters(index)).map(|(_, value)| value.clone()).unwrap_or_default()).collect()
}

/// Reads `<td data-name="…">text</td>` cells of the HTML report's body rows.
fn html_rows(html: &str) -> Vec<Vec<(String, String)>> {
    let body = html.split("<tbody>").nth(1).unwrap().split("</tbody>").next().unwrap();
    body.split("<tr>")
        .skip(1)
        .map(|row| {
            row.split("<td")
                .skip(1)
                .map(|cell| {
                    let name = cell.split("data-name=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
                    let text = cell.split_once('>').unwrap().1.split("</td>").next().unwrap().to_string();
                    (name, text)
                })
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn monthly_report_formats_match_sql() {
    for backend in backends() {
        let database = TestDatabase::create(backend, "reports_formats").await;
        database.init_demo();
        let config_dir = temp_dir("config");
        copy_dir(&repo_root().join("config"), &config_dir);
        issue_three_months(&database, &config_dir).await;

        let server = serve(&database, &config_dir, MARCH);
        let admin = database.token("admin");
        let (from, to) = ("2026-01-01", "2026-03-31");
        for (dimension, key_column) in [("prefecture", "prefecture_code"), ("dealer", "dealer_id"), ("brand", "brand"), ("vehicle_type", "vehicle_type")] {
            let expected = sql_sums(&database, key_column, from, to).await;
            let query = format!("/api/v1/reports/monthly?dimension={dimension}&from={from}&to={to}");
            let report = server.get(&admin, &query).await;
            assert_eq!(report.status, 200, "{dimension}: {}", report.body);
            assert_eq!(json_sums(&report.body, key_column), expected, "{backend:?} {dimension}: JSON figures differ from SQL");
            let columns: Vec<String> = report.body["columns"].as_array().unwrap().iter().map(|column| column["name"].as_str().unwrap().to_string()).collect();

            let (status, content_type, csv) = get_bytes(&server, &admin, &format!("{query}&format=csv")).await;
            assert_eq!(status, 200, "{}", String::from_utf8_lossy(&csv));
            assert_eq!(content_type, "text/csv; charset=utf-8");
            assert!(csv.starts_with(b"\xEF\xBB\xBF"), "UTF-8 CSV starts with a byte order mark");
            let totals = check_csv(std::str::from_utf8(&csv[3..]).unwrap(), &columns, key_column, &expected);
            let total_amount: i64 = expected.values().map(|figures| figures.total_amount).sum();
            assert_eq!(fen(&totals[columns.iter().position(|name| name == "total_amount").unwrap()]), total_amount, "CSV totals row");

            let (status, content_type, xlsx) = get_bytes(&server, &admin, &format!("{query}&format=xlsx")).await;
            assert_eq!(status, 200, "{}", String::from_utf8_lossy(&xlsx));
            assert_eq!(content_type, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
            assert!(xlsx.starts_with(b"PK"), "XLSX is a zip archive");
            let workbook = String::from_utf8(unzip(&xlsx, "xl/workbook.xml")).unwrap();
            assert!(workbook.contains("统计报表"), "{workbook}");
            let sheet = String::from_utf8(unzip(&xlsx, "xl/worksheets/sheet1.xml")).unwrap();
            let cells = sheet_rows(&sheet);
            let header = sheet_row_texts(&cells[&3], columns.len());
            assert_eq!(header[0], "月份");
            let last_row = *cells.keys().last().unwrap();
            assert_eq!(sheet_row_texts(&cells[&last_row], columns.len())[0], "合计");
            let body: Vec<Vec<String>> = (4..last_row).map(|number| sheet_row_texts(&cells[&number], columns.len())).collect();
            assert_eq!(text_sums(&columns, &body, key_column), expected, "{backend:?} {dimension}: XLSX figures differ from SQL");

            let (status, content_type, html) = get_bytes(&server, &admin, &format!("{query}&format=html")).await;
            assert_eq!(status, 200, "{}", String::from_utf8_lossy(&html));
            assert_eq!(content_type, "text/html; charset=utf-8");
            let html = String::from_utf8(html).unwrap();
            assert!(html.contains("<svg id=\"amount-chart\""), "HTML report has the amount bar chart");
            assert!(html.contains("<svg id=\"count-chart\""), "HTML report has the net count line chart");
            for external in ["src=", "href=", "@import", "url("] {
                assert!(!html.contains(external), "HTML report must load nothing ({external} found)");
            }
            let html_body: Vec<Vec<String>> = html_rows(&html).into_iter().map(|row| row.into_iter().map(|(_, text)| text).collect()).collect();
            assert_eq!(text_sums(&columns, &html_body, key_column), expected, "{backend:?} {dimension}: HTML figures differ from SQL");
        }

        // Partial first and last months are read from the daily totals, whole months from the
        // monthly ones; 2026-03-04 ends before the March invoices.
        for (dimension, key_column) in [("prefecture", "prefecture_code"), ("dealer", "dealer_id"), ("brand", "brand"), ("vehicle_type", "vehicle_type")] {
            for (from, to) in [("2026-01-10", "2026-03-04"), ("2026-01-16", "2026-02-28"), ("2026-02-10", "2026-02-10")] {
                let expected = sql_sums(&database, key_column, from, to).await;
                let report = server.get(&admin, &format!("/api/v1/reports/monthly?dimension={dimension}&from={from}&to={to}")).await;
                assert_eq!(report.status, 200, "{dimension} {from}..{to}: {}", report.body);
                assert_eq!(json_sums(&report.body, key_column), expected, "{backend:?} {dimension} {from}..{to}: JSON figures differ from SQL");
            }
        }

        // Facts the data above must show, so that matching SQL is not matching nothing.
        let by_prefecture = server.get(&admin, "/api/v1/reports/monthly?dimension=prefecture&from=2026-01-01&to=2026-03-31").await;
        let sums = json_sums(&by_prefecture.body, "prefecture_code");
        let january_wuhan = &sums[&("2026-01".to_string(), "420100".to_string())];
        assert_eq!(january_wuhan.invoice_count, 2, "the voided January invoice is not counted");
        assert_eq!(january_wuhan.total_amount, 24_980_055);
        assert!(january_wuhan.purchase_tax > 0, "purchase tax is stored at issue");
        let february_wuhan = &sums[&("2026-02".to_string(), "420100".to_string())];
        assert_eq!((february_wuhan.invoice_count, february_wuhan.credit_count), (2, 1));
        assert_eq!(february_wuhan.total_amount, 18_000_000 + 7_500_099 - 15_000_000, "the credit counts negative in its own month");
        let march_rows: Vec<&Value> = by_prefecture.body["rows"].as_array().unwrap().iter().filter(|row| row["month"] == "2026-03" && row["prefecture_code"] == "420100").collect();
        assert_eq!(march_rows[0]["total_amount_change"], "1.0000", "March 210000.00 against February 105000.99, rounded to four places");
        assert_eq!(march_rows[0]["prefecture_name"], "武汉市");

        let brands = json_sums(&server.get(&admin, "/api/v1/reports/monthly?dimension=brand&from=2026-01-01&to=2026-01-31").await.body, "brand");
        let brand_names: Vec<&str> = brands.keys().map(|(_, brand)| brand.as_str()).collect();
        assert_eq!(brand_names, ["一汽-大众", "东风日产", "大众汽车", "比亚迪"]);

        let verify = database.mvis(&["ledger", "verify"]);
        assert_eq!(verify.0, 0, "ledger verify after reports: {} {}", verify.1, verify.2);
    }
}

#[tokio::test]
async fn csv_report_in_gbk() {
    for backend in backends() {
        let database = TestDatabase::create(backend, "reports_gbk").await;
        database.init_demo();
        let config_dir = temp_dir("gbk-config");
        copy_dir(&repo_root().join("config"), &config_dir);
        let wuhan = config_dir.join("prefectures/420100.toml");
        let text = std::fs::read_to_string(&wuhan).unwrap();
        std::fs::write(&wuhan, format!("{text}\n[plugins.settings.report-csv]\nencoding = \"gbk\"\n")).unwrap();
        issue_three_months(&database, &config_dir).await;

        let server = serve(&database, &config_dir, MARCH);
        let officer = database.token("officer-wuhan");
        let query = "/api/v1/reports/monthly?dimension=brand&from=2026-01-01&to=2026-03-31";
        let report = server.get(&officer, query).await;
        assert_eq!(report.status, 200, "{}", report.body);
        let columns: Vec<String> = report.body["columns"].as_array().unwrap().iter().map(|column| column["name"].as_str().unwrap().to_string()).collect();
        let expected = json_sums(&report.body, "brand");
        assert!(expected.keys().all(|(_, brand)| ["大众汽车", "东风日产"].contains(&brand.as_str())), "an officer of 420100 sees Wuhan's brands only: {expected:?}");

        let (status, content_type, csv) = get_bytes(&server, &officer, &format!("{query}&format=csv")).await;
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&csv));
        assert_eq!(content_type, "text/csv; charset=GBK");
        assert!(!csv.starts_with(b"\xEF\xBB\xBF"), "GBK CSV has no byte order mark");
        assert!(std::str::from_utf8(&csv).is_err(), "GBK Chinese text is not valid UTF-8");
        let (decoded, _, had_errors) = encoding_rs::GBK.decode(&csv);
        assert!(!had_errors, "CSV decodes as GBK");
        check_csv(&decoded, &columns, "brand", &expected);
    }
}

#[tokio::test]
async fn monthly_report_scopes_and_bad_parameters() {
    for backend in backends() {
        let database = TestDatabase::create(backend, "reports_scope").await;
        database.init_demo();
        let config_dir = temp_dir("scope-config");
        copy_dir(&repo_root().join("config"), &config_dir);
        issue_three_months(&database, &config_dir).await;
        let server = serve(&database, &config_dir, MARCH);

        let prefectures_of = |body: &Value| -> Vec<String> {
            let mut codes: Vec<String> = body["rows"].as_array().unwrap().iter().map(|row| row["prefecture_code"].as_str().unwrap().to_string()).collect();
            codes.sort();
            codes.dedup();
            codes
        };
        let range = "from=2026-01-01&to=2026-03-31";

        let officer = database.token("officer-wuhan");
        let own = server.get(&officer, &format!("/api/v1/reports/monthly?{range}")).await;
        assert_eq!(own.status, 200, "{}", own.body);
        assert_eq!(prefectures_of(&own.body), ["420100"]);
        assert_eq!(own.body["prefecture_code"], "420100");
        let other = server.get(&officer, &format!("/api/v1/reports/monthly?{range}&prefecture=420600")).await;
        assert_eq!(other.status, 403, "{}", other.body);
        assert_eq!(other.body["error"]["code"], "outside_scope");
        assert_eq!(other.body["error"]["field"], "prefecture");

        let province = database.token("officer-hubei");
        let all = server.get(&province, &format!("/api/v1/reports/monthly?{range}")).await;
        assert_eq!(prefectures_of(&all.body), ["420100", "420600", "429004"]);
        let one = server.get(&province, &format!("/api/v1/reports/monthly?{range}&prefecture=420600")).await;
        assert_eq!(prefectures_of(&one.body), ["420600"]);

        let clerk = database.token("clerk-xiantao-1");
        let dealer = server.get(&clerk, &format!("/api/v1/reports/monthly?{range}&dimension=dealer")).await;
        assert_eq!(dealer.status, 200, "{}", dealer.body);
        let dealers: Vec<&str> = dealer.body["rows"].as_array().unwrap().iter().map(|row| row["dealer_id"].as_str().unwrap()).collect();
        assert!(!dealers.is_empty() && dealers.iter().all(|id| *id == "xiantao-xintong"), "a clerk sees the own dealer only: {dealers:?}");
        assert_eq!(server.get(&clerk, &format!("/api/v1/reports/monthly?{range}&prefecture=429004")).await.status, 403);

        let admin = database.token("admin");
        let bad = [
            ("dimension=model", "dimension_invalid", Some("dimension")),
            ("from=2026-13-01", "date_invalid", Some("from")),
            ("to=20260301", "date_invalid", Some("to")),
            ("from=2026-03-01&to=2026-01-31", "date_range_invalid", Some("from")),
            ("prefecture=4201", "prefecture_invalid", Some("prefecture")),
            ("format=XLS", "report_format_invalid", Some("format")),
            ("month=2026-01", "query_invalid", None),
        ];
        for (query, code, field) in bad {
            let reply = server.get(&admin, &format!("/api/v1/reports/monthly?{query}")).await;
            assert_eq!(reply.status, 400, "{query}: {}", reply.body);
            assert_eq!(reply.body["error"]["code"], code, "{query}: {}", reply.body);
            assert_eq!(reply.body["error"]["field"].as_str(), field, "{query}: {}", reply.body);
            assert!(reply.body["error"]["message"].as_str().unwrap().chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "{query}: message in Chinese");
        }
        let unknown_format = server.get(&admin, &format!("/api/v1/reports/monthly?{range}&format=pdf")).await;
        assert_eq!(unknown_format.status, 404, "{}", unknown_format.body);
        assert_eq!(unknown_format.body["error"]["code"], "report_format_not_configured");
        assert_eq!(server.get("not-a-token", "/api/v1/reports/monthly").await.status, 401);
    }
}

/// Signs in through the page and returns the session cookie.
async fn sign_in(server: &TestServer, username: &str) -> String {
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let reply = client.post(format!("{}/login", server.base_url)).form(&[("username", username), ("password", "demo-password")]).send().await.expect("sign in");
    assert_eq!(reply.status().as_u16(), 303, "sign in as {username}");
    let cookie = reply.headers().get("set-cookie").expect("session cookie").to_str().unwrap();
    cookie.split(';').next().unwrap().to_string()
}

/// GET a page with a session cookie: (status, content type, body).
async fn get_page(server: &TestServer, cookie: &str, path: &str) -> (u16, String, Vec<u8>) {
    let response = server.client.get(format!("{}{path}", server.base_url)).header("cookie", cookie).send().await.expect("GET reaches the server");
    let status = response.status().as_u16();
    let content_type = response.headers().get("content-type").map(|value| value.to_str().unwrap().to_string()).unwrap_or_default();
    (status, content_type, response.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn reports_page_shows_table_and_chart() {
    for backend in backends() {
        let database = TestDatabase::create(backend, "reports_page").await;
        database.init_demo();
        let server = serve(&database, &repo_root().join("config"), JANUARY);
        let clerk = database.token("clerk-wuhan-1");
        issue(&server, &clerk, &test_vin(71, 1), "150000.00", "大众汽车牌SVW71617BM", "轿车").await;
        issue(&server, &clerk, &test_vin(71, 2), "99800.55", "东风日产牌DFL7168VAL2", "轿车").await;

        let officer = sign_in(&server, "officer-wuhan").await;
        let (status, _, page) = get_page(&server, &officer, "/reports?from=2026-01-01&to=2026-01-31&dimension=prefecture").await;
        let page = String::from_utf8(page).unwrap();
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("<svg id=\"report-chart\""), "page has the chart");
        assert!(page.contains("<title>2026-01：24.98 万元</title>"), "the bar shows 249800.55 yuan in 万元");
        assert!(page.contains("<td>武汉市</td>"), "the row names the prefecture");
        assert!(page.contains("<td class=\"money\">249800.55</td>"), "the row shows the total amount");
        assert!(!page.contains("id=\"prefecture\""), "an officer of one prefecture gets no prefecture selector");
        assert!(!page.contains("https://") && !page.contains("http://cdn"), "the page loads nothing from elsewhere");

        let (status, content_type, csv) = get_page(&server, &officer, "/reports/monthly/download?dimension=prefecture&from=2026-01-01&to=2026-01-31&prefecture=&format=csv").await;
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&csv));
        assert_eq!(content_type, "text/csv; charset=utf-8");
        assert!(String::from_utf8_lossy(&csv).contains("2026-01,420100,武汉市,2,0,2,249800.55"), "{}", String::from_utf8_lossy(&csv));

        let (status, _, page) = get_page(&server, &officer, "/reports?from=2026-02-01&to=2026-01-31").await;
        assert_eq!(status, 400);
        assert!(String::from_utf8(page).unwrap().contains("晚于截止日期"), "the page names the date error");
        let (status, _, _) = get_page(&server, &officer, "/reports?prefecture=420600").await;
        assert_eq!(status, 403, "another prefecture is outside the officer's scope");

        let province = sign_in(&server, "officer-hubei").await;
        let (status, _, page) = get_page(&server, &province, "/reports?from=2026-01-01&to=2026-01-31").await;
        assert_eq!(status, 200);
        assert!(String::from_utf8(page).unwrap().contains("id=\"prefecture\""), "a province officer chooses the prefecture");

        let clerk_session = sign_in(&server, "clerk-wuhan-1").await;
        assert_eq!(get_page(&server, &clerk_session, "/reports").await.0, 403);
    }
}
