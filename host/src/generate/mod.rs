//! `mvis generate invoices`: fills a database with synthetic invoices for scale benchmarks.
//!
//! The data is shaped like a province's market: prefectures weighted by sales, large and small
//! dealers, the reference catalogue's brands, types and prices, and monthly seasonality. About 1 %
//! of sales are voided and 0.5 % credited later. It is also consistent. Numbers come from allocated
//! stock ranges in issue order, VAT comes from the prefecture's rule scripts, and every row has its
//! ledger entries, so `mvis ledger verify` passes. Rows are written in bulk, bypassing the writer, so the server
//! must not run against the same database meanwhile.

mod population;

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, bail};
use chrono::{DateTime, Datelike, Duration, NaiveDate, SecondsFormat, TimeZone, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::AnyConnection;

use self::population::{DealerPicker, MAX_VIN_ORDINALS, MONTH_WEIGHTS, SyntheticDealer, VehicleModel};
use crate::config::{Environment, Settings};
use crate::domain::calendar::{china_offset, legal_date};
use crate::domain::invoice::{Invoice, InvoiceKind, InvoiceStatus, format_invoice_number};
use crate::domain::money::Fen;
use crate::domain::uppercase::amount_in_words;
use crate::domain::vat::{SellerKind, VatRate, split_total};
use crate::rules::{Rules, invoice_map};
use crate::store::dealers::{self, Dealer};
use crate::store::ledger::{self, LedgerHead};
use crate::store::rows::{INVOICE_COLUMNS, INVOICE_COLUMN_COUNT, bind_invoice};
use crate::store::stock::StockAllocation;
use crate::store::{Store, prefectures};

/// Ledger actor of every generated row.
const GENERATOR_ACTOR: &str = "generator";

/// Rows per INSERT statement. Several rows save round trips to PostgreSQL. On SQLite, sqlx looks each
/// parameter up by name with a linear scan, so large statements are slow: in one run on 2 cores,
/// 50 rows per statement took 2.3 times as long as 1 to 25 rows.
const ROWS_PER_STATEMENT: usize = 10;

/// Options of `mvis generate invoices`.
#[derive(clap::Args, Debug)]
pub struct GenerateArgs {
    /// 生成的正数发票张数（另有约 0.5% 的红字发票）
    #[arg(long)]
    count: u64,
    /// 开票日期起（YYYY-MM-DD）
    #[arg(long, default_value = "2024-01-01")]
    from: NaiveDate,
    /// 开票日期止（YYYY-MM-DD，含）
    #[arg(long, default_value = "2025-12-31")]
    to: NaiveDate,
    /// 随机数种子；同一种子生成同样的数据
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// 每个事务写入的发票张数
    #[arg(long, default_value_t = 20_000)]
    batch: usize,
    /// 把均匀抽取的约 1 万个车辆识别代号写成查询路径（/api/v1/invoices?vin=…），每行一个，供 mvis bench get 使用
    #[arg(long)]
    lookup_paths: Option<std::path::PathBuf>,
}

/// Number of VIN lookup paths `--lookup-paths` writes, spread evenly over the generated invoices.
const LOOKUP_SAMPLE: u64 = 10_000;

/// A stock range the generator allocated and is taking numbers from.
struct OpenRange {
    range_id: i64,
    invoice_code: String,
    next_number: i64,
    end_number: i64,
}

impl OpenRange {
    /// Writes how far the range is used, marking it exhausted when no number is left.
    async fn store_progress(&self, conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
        let state = if self.next_number > self.end_number { "exhausted" } else { "active" };
        sqlx::query("UPDATE stock_ranges SET next_number = $1, state = $2 WHERE range_id = $3")
            .bind(self.next_number)
            .bind(state)
            .bind(self.range_id)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }
}

/// Per-dealer state: the open range of the current year and its expected yearly volume.
struct DealerState {
    dealer: SyntheticDealer,
    open: Option<OpenRange>,
    expected_per_year: f64,
}

/// One ledger row, hashed when the batch is flushed.
struct PendingEntry {
    recorded_at: String,
    action: &'static str,
    entity_key: String,
    payload: String,
}

/// Something that happens at an instant: a sale (maybe voided the same day) or a credit of an
/// earlier invoice.
enum Event {
    Sale { at: DateTime<Utc>, dealer: usize, voided: bool, credit_after_days: Option<i64> },
    Credit { at: DateTime<Utc>, original: Box<Invoice>, dealer: usize },
}

impl Event {
    fn at(&self) -> DateTime<Utc> {
        match self {
            Event::Sale { at, .. } | Event::Credit { at, .. } => *at,
        }
    }
}

/// Rows waiting for one transaction.
#[derive(Default)]
struct Batch {
    invoices: Vec<Invoice>,
    credited_originals: Vec<Invoice>,
    entries: Vec<PendingEntry>,
}

struct Generator<'a> {
    rng: StdRng,
    settings: &'a Settings,
    rules: &'a Rules,
    catalogue: Vec<VehicleModel>,
    dealers: Vec<DealerState>,
    picker: DealerPicker,
    /// Next free number per invoice code; each prefecture and year has its own code.
    next_free: HashMap<String, i64>,
    vat_rates: HashMap<(NaiveDate, SellerKind), VatRate>,
    ordinal: u64,
    credits: Vec<Event>,
    lookup_stride: u64,
    lookup_paths: Vec<String>,
    issued: u64,
    voided: u64,
    credited: u64,
    ranges: u64,
}

pub async fn run(store: &Store, settings: &Settings, rules: &Rules, config_dir: &Path, args: &GenerateArgs) -> anyhow::Result<()> {
    if settings.environment == Environment::Production {
        bail!("生产环境（server.toml 中 environment = \"production\"）禁止生成合成发票");
    }
    if args.from > args.to {
        bail!("--from {} 晚于 --to {}，请调换", args.from, args.to);
    }
    if args.count == 0 || args.count >= MAX_VIN_ORDINALS {
        bail!("--count 应在 1 至 {} 之间", MAX_VIN_ORDINALS - 1);
    }
    if args.batch == 0 {
        bail!("--batch 必须大于 0");
    }

    let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM dealers WHERE dealer_id LIKE 'gen-%'").fetch_one(store.pool()).await?;
    if existing > 0 {
        bail!("数据库中已有生成的销货单位（gen-…），请换一个新的数据目录或数据库后再生成");
    }
    let prefecture_names = ensure_prefectures(store).await?;

    let started = Instant::now();
    let mut rng = StdRng::seed_from_u64(args.seed);
    let catalogue = population::load_catalogue(config_dir)?;
    let dealer_count = (args.count / 20_000).clamp(17, 600) as usize;
    let synthetic = population::make_dealers(&mut rng, dealer_count, &prefecture_names, &catalogue);
    let picker = DealerPicker::new(&synthetic);

    let years = f64::from((args.to - args.from).num_days() as i32 + 1) / 365.25;
    let total_weight: f64 = synthetic.iter().map(|dealer| dealer.weight).sum();
    let dealers = synthetic
        .into_iter()
        .map(|dealer| {
            let expected_per_year = args.count as f64 * dealer.weight / total_weight / years;
            DealerState { dealer, open: None, expected_per_year }
        })
        .collect();

    let mut generator = Generator {
        rng,
        settings,
        rules,
        catalogue,
        dealers,
        picker,
        next_free: HashMap::new(),
        vat_rates: HashMap::new(),
        ordinal: 0,
        credits: Vec::new(),
        lookup_stride: (args.count / LOOKUP_SAMPLE).max(1),
        lookup_paths: Vec::new(),
        issued: 0,
        voided: 0,
        credited: 0,
        ranges: 0,
    };
    generator.insert_dealers(store).await?;

    for (month_start, month_end, count) in month_counts(args.from, args.to, args.count) {
        let events = generator.month_events(month_start, month_end, count);
        for chunk in events.chunks(args.batch) {
            generator.write_chunk(store, chunk).await?;
        }
        eprintln!("{} 月：已生成 {} / {} 张正数发票", month_start.format("%Y-%m"), generator.issued, args.count);
    }

    if let Some(path) = &args.lookup_paths {
        let text: String = generator.lookup_paths.iter().map(|line| format!("{line}\n")).collect();
        std::fs::write(path, text).with_context(|| format!("无法写入查询路径文件 {}", path.display()))?;
        eprintln!("已把 {} 个按车辆识别代号查询的路径写入 {}", generator.lookup_paths.len(), path.display());
    }

    let seconds = started.elapsed().as_secs_f64();
    println!(
        "已生成：正数发票 {} 张（其中作废 {} 张、被冲红 {} 张），红字发票 {} 张，销货单位 {} 个，号码段 {} 个；用时 {:.1} 秒（每秒 {:.0} 张）",
        generator.issued,
        generator.voided,
        generator.credited,
        generator.credited,
        generator.dealers.len(),
        generator.ranges,
        seconds,
        (generator.issued + generator.credited) as f64 / seconds
    );
    Ok(())
}

/// Seeds the prefecture table from the shipped list when it is empty, and returns (code, name) pairs.
async fn ensure_prefectures(store: &Store) -> anyhow::Result<Vec<(String, String)>> {
    let mut known = prefectures::list(store.pool()).await?;
    if known.is_empty() {
        let mut conn = store.pool().acquire().await?;
        for prefecture in prefectures::parse_csv(crate::demo::PREFECTURES_CSV).map_err(anyhow::Error::msg)? {
            prefectures::upsert(&mut conn, &prefecture).await?;
        }
        known = prefectures::list(store.pool()).await?;
    }
    Ok(known.into_iter().map(|prefecture| (prefecture.code, prefecture.name)).collect())
}

/// Splits `count` sales over the months of `from..=to` by days in range and seasonal weight, with
/// largest-remainder rounding so the months add up to `count` exactly.
fn month_counts(from: NaiveDate, to: NaiveDate, count: u64) -> Vec<(NaiveDate, NaiveDate, u64)> {
    let mut months = Vec::new();
    let mut start = from;
    while start <= to {
        let next_month = if start.month() == 12 {
            NaiveDate::from_ymd_opt(start.year() + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(start.year(), start.month() + 1, 1)
        }
        .expect("first of a month exists");
        let end = (next_month - Duration::days(1)).min(to);
        let weight = MONTH_WEIGHTS[start.month0() as usize] * ((end - start).num_days() + 1) as f64;
        months.push((start, end, weight));
        start = next_month;
    }

    let total: f64 = months.iter().map(|(_, _, weight)| weight).sum();
    let shares: Vec<f64> = months.iter().map(|(_, _, weight)| count as f64 * weight / total).collect();
    let mut counts: Vec<u64> = shares.iter().map(|share| share.floor() as u64).collect();
    let mut order: Vec<usize> = (0..shares.len()).collect();
    order.sort_by(|&a, &b| (shares[b] - shares[b].floor()).total_cmp(&(shares[a] - shares[a].floor())));
    let missing = count - counts.iter().sum::<u64>();
    for &index in order.iter().take(missing as usize) {
        counts[index] += 1;
    }
    months.into_iter().zip(counts).map(|((start, end, _), count)| (start, end, count)).collect()
}

/// Draws an instant on `date` during business hours (08:30–18:00 China time).
fn business_instant(rng: &mut impl Rng, date: NaiveDate) -> DateTime<Utc> {
    let seconds = rng.random_range(8 * 3600 + 1800..18 * 3600);
    let local = date.and_hms_opt(0, 0, 0).expect("midnight exists") + Duration::seconds(seconds);
    china_offset().from_local_datetime(&local).single().expect("fixed offset is unambiguous").to_utc()
}

fn rfc3339(instant: DateTime<Utc>) -> String {
    instant.to_rfc3339_opts(SecondsFormat::Micros, true)
}

impl Generator<'_> {
    async fn insert_dealers(&mut self, store: &Store) -> anyhow::Result<()> {
        let mut tx = store.pool().begin().await?;
        let mut head = ledger::lock_head(&mut tx).await?;
        let now = rfc3339(Utc::now());
        for state in &self.dealers {
            let synthetic = &state.dealer;
            let dealer = Dealer {
                dealer_id: synthetic.dealer_id.clone(),
                prefecture_code: synthetic.prefecture_code.clone(),
                taxpayer_id: synthetic.taxpayer_id.clone(),
                name: synthetic.name.clone(),
                seller_kind: synthetic.seller_kind,
                phone: "027-80000000".to_string(),
                address: format!("{}汽车大道 1 号", synthetic.prefecture_name),
                bank: "中国工商银行湖北省分行".to_string(),
                account: "42000000000000000000".to_string(),
                tax_authority_name: synthetic.tax_authority_name.clone(),
                tax_authority_code: synthetic.tax_authority_code.clone(),
                created_at: now.clone(),
                registration: None,
            };
            dealers::insert(&mut tx, &dealer).await?;
            let payload = serde_json::to_string(&dealer)?;
            ledger::append(&mut tx, &mut head, &now, GENERATOR_ACTOR, "dealer.created", &dealer.entity_key(), payload).await?;
        }
        ledger::store_head(&mut tx, &head).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Draws the month's sales and collects the credits that fall due in it, sorted by instant.
    fn month_events(&mut self, start: NaiveDate, end: NaiveDate, count: u64) -> Vec<Event> {
        let days = (end - start).num_days() + 1;
        let mut events = Vec::with_capacity(count as usize);
        for _ in 0..count {
            let date = start + Duration::days(self.rng.random_range(0..days));
            let at = business_instant(&mut self.rng, date);
            let dealer = self.picker.pick(&mut self.rng);
            let roll: f64 = self.rng.random();
            let voided = roll < 0.01;
            let credit_after_days = (!voided && roll < 0.015).then(|| self.rng.random_range(20..90));
            events.push(Event::Sale { at, dealer, voided, credit_after_days });
        }

        // Credits come due in the month of their instant. One drawn while an earlier month was
        // being written moves to this month's first day, so numbers still follow issue order.
        let start_instant = business_instant(&mut self.rng, start) - Duration::hours(12);
        let end_instant = business_instant(&mut self.rng, end) + Duration::days(1);
        let (due, later): (Vec<Event>, Vec<Event>) = std::mem::take(&mut self.credits).into_iter().partition(|event| event.at() < end_instant);
        self.credits = later;
        for event in due {
            match event {
                Event::Credit { at, original, dealer } if at < start_instant => {
                    events.push(Event::Credit { at: business_instant(&mut self.rng, start), original, dealer });
                }
                other => events.push(other),
            }
        }
        events.sort_by_key(Event::at);
        events
    }

    async fn write_chunk(&mut self, store: &Store, events: &[Event]) -> anyhow::Result<()> {
        let mut tx = store.pool().begin().await?;
        let mut head = ledger::lock_head(&mut tx).await?;
        let mut batch = Batch::default();
        let mut touched: Vec<usize> = Vec::new();

        for event in events {
            match event {
                Event::Sale { at, dealer, voided, credit_after_days } => {
                    let invoice = self.sale(&mut tx, &mut batch, *at, *dealer).await?;
                    batch.entries.push(entry(*at, "invoice.issued", &invoice));
                    let mut stored = invoice;
                    if *voided {
                        let voided_at = *at + Duration::minutes(self.rng.random_range(5..120));
                        stored.status = InvoiceStatus::Voided;
                        stored.voided_at = rfc3339(voided_at);
                        batch.entries.push(entry(voided_at, "invoice.voided", &stored));
                        self.voided += 1;
                    }
                    if let Some(days) = credit_after_days {
                        let credit_at = *at + Duration::days(*days);
                        self.credits.push(Event::Credit { at: credit_at, original: Box::new(stored.clone()), dealer: *dealer });
                    }
                    batch.invoices.push(stored);
                    touched.push(*dealer);
                    self.issued += 1;
                }
                Event::Credit { at, original, dealer } => {
                    self.credit(&mut tx, &mut batch, *at, original, *dealer).await?;
                    touched.push(*dealer);
                    self.credited += 1;
                }
            }
        }

        flush(&mut tx, &mut head, &batch).await?;
        touched.sort_unstable();
        touched.dedup();
        for dealer in touched {
            if let Some(open) = &self.dealers[dealer].open {
                open.store_progress(&mut tx).await?;
            }
        }
        ledger::store_head(&mut tx, &head).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Takes the dealer's next number, allocating a new range of the issue year's code when the
    /// open one is used up or belongs to an earlier year.
    async fn claim(&mut self, conn: &mut AnyConnection, batch: &mut Batch, dealer: usize, at: DateTime<Utc>) -> anyhow::Result<(i64, String, i64)> {
        let year = legal_date(at).year();
        let state = &self.dealers[dealer];
        let code = format!("1{}{:02}20001", &state.dealer.prefecture_code[..4], year % 100);
        let usable = state.open.as_ref().is_some_and(|open| open.invoice_code == code && open.next_number <= open.end_number);

        if !usable {
            // The range left behind is used up or of an earlier year. One with numbers left stays
            // active, like stock a dealer has not used up yet.
            if let Some(open) = &state.open {
                open.store_progress(conn).await?;
            }
            let size = (state.expected_per_year * 1.3) as i64 + 200;
            let start = *self.next_free.entry(code.clone()).or_insert(1);
            let end = start + size - 1;
            if end > 99_999_999 {
                bail!("发票代码 {code} 的号码已用完（超过 99999999），请减少 --count 或缩短日期范围");
            }
            self.next_free.insert(code.clone(), end + 1);

            let allocated_at = rfc3339(at - Duration::days(1));
            let range = crate::store::stock::insert(conn, &code, start, end, &state.dealer.dealer_id, &allocated_at, GENERATOR_ACTOR).await?;
            let allocation: StockAllocation = range.allocation();
            batch.entries.push(PendingEntry {
                recorded_at: allocated_at,
                action: "stock.allocated",
                entity_key: range.entity_key(),
                payload: serde_json::to_string(&allocation)?,
            });
            self.dealers[dealer].open = Some(OpenRange { range_id: range.range_id, invoice_code: code, next_number: start, end_number: end });
            self.ranges += 1;
        }

        let open = self.dealers[dealer].open.as_mut().expect("a range is open");
        let number = open.next_number;
        open.next_number += 1;
        Ok((open.range_id, open.invoice_code.clone(), number))
    }

    async fn sale(&mut self, conn: &mut AnyConnection, batch: &mut Batch, at: DateTime<Utc>, dealer: usize) -> anyhow::Result<Invoice> {
        let (range_id, invoice_code, number) = self.claim(conn, batch, dealer, at).await?;
        let issue_date = legal_date(at);
        let synthetic = self.dealers[dealer].dealer.clone();
        let model_index = synthetic.models[self.rng.random_range(0..synthetic.models.len())];
        let model = self.catalogue[model_index].clone();

        self.ordinal += 1;
        let ordinal = self.ordinal;
        let (buyer_name, buyer_id) = population::make_buyer(&mut self.rng, &synthetic.prefecture_code, ordinal);
        let total = Fen(population::draw_price_fen(&mut self.rng, &model));
        let tonnage = match model.vehicle_type.as_str() {
            "重型半挂牵引车" => "25".to_string(),
            vehicle_type if vehicle_type.contains("货车") => "1.49".to_string(),
            _ => String::new(),
        };

        let mut invoice = Invoice {
            invoice_code,
            invoice_number: format_invoice_number(number),
            kind: InvoiceKind::Normal,
            status: InvoiceStatus::Issued,
            issue_date,
            issued_at: rfc3339(at),
            machine_number: self.settings.machine_number.clone(),
            dealer_id: synthetic.dealer_id.clone(),
            prefecture_code: synthetic.prefecture_code.clone(),
            range_id,
            buyer_name,
            buyer_id,
            vehicle_type: model.vehicle_type.clone(),
            brand: model.brand.clone(),
            brand_model: format!("{}牌{}", model.brand, model.model),
            origin: model.origin.clone(),
            certificate_number: format!("WG{ordinal:013}"),
            import_certificate_number: if model.imported { format!("IM{ordinal:016}") } else { String::new() },
            inspection_number: if model.imported { format!("42{ordinal:013}") } else { String::new() },
            engine_number: format!("E{ordinal:09}"),
            vin: population::make_vin(&model, issue_date, ordinal).as_str().to_string(),
            total_amount: total,
            total_amount_uppercase: amount_in_words(total),
            vat_rate: VatRate::from_basis_points(0).expect("zero is a valid rate"),
            vat_amount: Fen(0),
            price_excluding_vat: total,
            seller_name: synthetic.name.clone(),
            seller_tax_id: synthetic.taxpayer_id.clone(),
            seller_phone: "027-80000000".to_string(),
            seller_address: format!("{}汽车大道 1 号", synthetic.prefecture_name),
            seller_bank: "中国工商银行湖北省分行".to_string(),
            seller_account: "42000000000000000000".to_string(),
            tax_authority_name: synthetic.tax_authority_name.clone(),
            tax_authority_code: synthetic.tax_authority_code.clone(),
            tax_payment_voucher_number: String::new(),
            tonnage,
            seating_capacity: model.seating_capacity,
            issuer: "生成器".to_string(),
            issuer_username: GENERATOR_ACTOR.to_string(),
            remarks: String::new(),
            original_invoice_code: String::new(),
            original_invoice_number: String::new(),
            credit_invoice_code: String::new(),
            credit_invoice_number: String::new(),
            voided_at: String::new(),
            findings: Vec::new(),
            purchase_tax: Fen(0),
        };

        if ordinal % self.lookup_stride == 0 {
            self.lookup_paths.push(format!("/api/v1/invoices?vin={}", invoice.vin));
        }

        let rate = self.vat_rate(&invoice, synthetic.seller_kind)?;
        let split = split_total(total, rate);
        invoice.vat_rate = rate;
        invoice.vat_amount = split.vat_amount;
        invoice.price_excluding_vat = split.price_excluding_vat;
        invoice.purchase_tax = self.scripts(&invoice.prefecture_code)?.purchase_tax(invoice_map(&invoice, synthetic.seller_kind))?.payable;
        Ok(invoice)
    }

    /// Returns the VAT rate from the prefecture's scripts, cached by issue date and seller kind.
    /// NOTE: the shipped scripts read only those two fields. A script that reads others would be
    /// evaluated for the first invoice of each date and kind only.
    fn vat_rate(&mut self, invoice: &Invoice, seller_kind: SellerKind) -> anyhow::Result<VatRate> {
        if let Some(rate) = self.vat_rates.get(&(invoice.issue_date, seller_kind)) {
            return Ok(*rate);
        }
        let rate = self.scripts(&invoice.prefecture_code)?.vat_rate(invoice_map(invoice, seller_kind))?;
        self.vat_rates.insert((invoice.issue_date, seller_kind), rate);
        Ok(rate)
    }

    fn scripts(&self, prefecture_code: &str) -> anyhow::Result<std::sync::Arc<crate::rules::ScriptSet>> {
        self.rules.for_prefecture(prefecture_code).with_context(|| format!("地市 {prefecture_code} 的规则脚本未能加载"))
    }

    async fn credit(&mut self, conn: &mut AnyConnection, batch: &mut Batch, at: DateTime<Utc>, original: &Invoice, dealer: usize) -> anyhow::Result<()> {
        let (range_id, invoice_code, number) = self.claim(conn, batch, dealer, at).await?;
        let total = Fen(-original.total_amount.0);
        let credit = Invoice {
            invoice_code,
            invoice_number: format_invoice_number(number),
            kind: InvoiceKind::Credit,
            status: InvoiceStatus::Issued,
            issue_date: legal_date(at),
            issued_at: rfc3339(at),
            range_id,
            total_amount: total,
            total_amount_uppercase: amount_in_words(total),
            vat_amount: Fen(-original.vat_amount.0),
            price_excluding_vat: Fen(-original.price_excluding_vat.0),
            purchase_tax: Fen(-original.purchase_tax.0),
            remarks: format!("对应正数发票代码:{}号码:{} 冲红原因:销货退回", original.invoice_code, original.invoice_number),
            original_invoice_code: original.invoice_code.clone(),
            original_invoice_number: original.invoice_number.clone(),
            ..original.clone()
        };
        batch.entries.push(entry(at, "invoice.credit_issued", &credit));

        let mut credited = original.clone();
        credited.status = InvoiceStatus::Credited;
        credited.credit_invoice_code = credit.invoice_code.clone();
        credited.credit_invoice_number = credit.invoice_number.clone();
        batch.entries.push(entry(at, "invoice.credited", &credited));
        batch.invoices.push(credit);
        batch.credited_originals.push(credited);
        Ok(())
    }
}

fn entry(at: DateTime<Utc>, action: &'static str, invoice: &Invoice) -> PendingEntry {
    PendingEntry {
        recorded_at: rfc3339(at),
        action,
        entity_key: invoice.entity_key(),
        payload: serde_json::to_string(invoice).expect("invoice serialises"),
    }
}

/// Writes a batch: invoices and ledger entries in multi-row INSERTs, then the credited originals.
async fn flush(conn: &mut AnyConnection, head: &mut LedgerHead, batch: &Batch) -> anyhow::Result<()> {
    for rows in batch.invoices.chunks(ROWS_PER_STATEMENT) {
        let sql = format!("INSERT INTO invoices ({INVOICE_COLUMNS}) VALUES {}", value_lists(rows.len(), INVOICE_COLUMN_COUNT));
        let mut query = sqlx::query(&sql);
        for invoice in rows {
            query = bind_invoice(query, invoice);
        }
        query.execute(&mut *conn).await?;
    }

    // An original credited in this batch may have been inserted in this batch too, so the
    // updates run after the inserts.
    for original in &batch.credited_originals {
        crate::store::invoices::update_state(conn, original).await?;
    }

    for entries in batch.entries.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO ledger (seq, recorded_at, actor, action, entity_key, payload, prev_hash, hash) VALUES {}",
            value_lists(entries.len(), 8)
        );
        let mut query = sqlx::query(&sql);
        for pending in entries {
            let seq = head.seq + 1;
            let hash = ledger::entry_hash(&seq.to_string(), &pending.recorded_at, GENERATOR_ACTOR, pending.action, &pending.entity_key, &pending.payload, &head.hash);
            query = query
                .bind(seq)
                .bind(pending.recorded_at.clone())
                .bind(GENERATOR_ACTOR)
                .bind(pending.action)
                .bind(pending.entity_key.clone())
                .bind(pending.payload.clone())
                .bind(head.hash.clone())
                .bind(hash.clone());
            *head = LedgerHead { seq, hash };
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Returns `($1, …, $c), ($c+1, …), …` for `rows` rows of `columns` values.
fn value_lists(rows: usize, columns: usize) -> String {
    (0..rows)
        .map(|row| {
            let values: Vec<String> = (1..=columns).map(|column| format!("${}", row * columns + column)).collect();
            format!("({})", values.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_counts_add_up() {
        let from = NaiveDate::from_ymd_opt(2024, 1, 15).unwrap();
        let to = NaiveDate::from_ymd_opt(2025, 3, 10).unwrap();
        let months = month_counts(from, to, 1_000_003);
        assert_eq!(months.len(), 15);
        assert_eq!(months.iter().map(|(_, _, count)| count).sum::<u64>(), 1_000_003);
        assert_eq!(months[0].0, from);
        assert_eq!(months[14].1, to);

        // December 2024 (weight 1.3) sells more than February 2024 (weight 0.6).
        let count_of = |year, month| months.iter().find(|(start, _, _)| start.year() == year && start.month() == month).unwrap().2;
        assert!(count_of(2024, 12) > count_of(2024, 2) * 2);
    }

    #[test]
    fn value_lists_number_every_row() {
        assert_eq!(value_lists(2, 3), "($1, $2, $3), ($4, $5, $6)");
    }
}
